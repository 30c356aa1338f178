import type { z } from 'zod';
import { workflowDefinitionPublishedSchema } from './definitions';
import {
  workflowCompletedSchema,
  workflowEscalatedSchema,
  workflowStartedSchema,
  workflowStepApprovedSchema,
  workflowStepAssignedSchema,
  workflowStepReassignedSchema,
  workflowStepRejectedSchema,
} from './instances';

export interface WorkflowsEventCatalogueEntry {
  schemaVersion: number;
  schema: z.ZodTypeAny;
  stream: 'workflows.definition' | 'workflows.instance';
}

/**
 * Every workflows event type with its schema version and data schema. Definitions go to
 * `workflows.definition-<key>`, instances to `workflows.instance-<workflowId>`. The event
 * types keep the seed's names (`workflow.started`, ..., `workflow.completed`).
 */
export const workflowsEventCatalogue = {
  'workflow.definition_published': { schemaVersion: 1, schema: workflowDefinitionPublishedSchema, stream: 'workflows.definition' },
  'workflow.started': { schemaVersion: 1, schema: workflowStartedSchema, stream: 'workflows.instance' },
  'workflow.step_assigned': { schemaVersion: 1, schema: workflowStepAssignedSchema, stream: 'workflows.instance' },
  'workflow.step_approved': { schemaVersion: 1, schema: workflowStepApprovedSchema, stream: 'workflows.instance' },
  'workflow.step_rejected': { schemaVersion: 1, schema: workflowStepRejectedSchema, stream: 'workflows.instance' },
  'workflow.step_reassigned': { schemaVersion: 1, schema: workflowStepReassignedSchema, stream: 'workflows.instance' },
  'workflow.escalated': { schemaVersion: 1, schema: workflowEscalatedSchema, stream: 'workflows.instance' },
  'workflow.completed': { schemaVersion: 1, schema: workflowCompletedSchema, stream: 'workflows.instance' },
} as const satisfies Record<string, WorkflowsEventCatalogueEntry>;

export type WorkflowsEventType = keyof typeof workflowsEventCatalogue;
export type WorkflowsEventData<Type extends WorkflowsEventType> = z.infer<(typeof workflowsEventCatalogue)[Type]['schema']>;

export function isWorkflowsEventType(type: string): type is WorkflowsEventType {
  return Object.prototype.hasOwnProperty.call(workflowsEventCatalogue, type);
}
