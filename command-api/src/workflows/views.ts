import { z } from 'zod';
import type { workflows } from '@neuroerp/domains';
import { identity, workflows as wire } from '@neuroerp/schemas';

/** The resources the workflows routes answer with (zod, for the OpenAPI document) and their builders. */

export const workflowDefinitionViewSchema = z.object({
  key: z.string(),
  version: z.number().int(),
  latestVersion: z.number().int().describe('The newest published version of this key.'),
  steps: z.array(wire.workflowStepSchema),
  escalationRole: identity.roleSchema.nullable(),
  publishedBy: z.string(),
  publishedAt: z.string(),
});
export type WorkflowDefinitionView = z.infer<typeof workflowDefinitionViewSchema>;

export const instanceStepViewSchema = z.object({
  name: z.string(),
  index: z.number().int(),
  status: z.enum(['skipped', 'waiting', 'active', 'approved', 'rejected']),
  assignee: wire.assigneeSchema,
  dueDuration: z.string(),
  onReject: wire.onRejectSchema,
  assignedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  escalated: z.boolean(),
});

export const workflowInstanceViewSchema = z.object({
  workflowId: z.string(),
  status: z.enum(['running', 'completed']),
  definitionKey: z.string(),
  definitionVersion: z.number().int().describe('The definition version this instance follows.'),
  subject: wire.workflowSubjectSchema,
  subjectHash: z.string(),
  startedBy: z.string().describe('The maker: never allowed to approve, reject or reassign a step.'),
  startedAt: z.string(),
  escalationRole: identity.roleSchema.nullable(),
  currentStep: z.string().nullable(),
  assignee: wire.assigneeSchema.nullable().describe('The assignee of the current step; null once completed.'),
  steps: z.array(instanceStepViewSchema),
  completion: z
    .object({ outcome: z.enum(['approved', 'rejected']), reason: z.string(), approvedHash: z.string().nullable(), completedBy: z.string(), completedAt: z.string() })
    .nullable(),
});
export type WorkflowInstanceView = z.infer<typeof workflowInstanceViewSchema>;

export const escalationResultsViewSchema = z.object({
  now: z.string().describe('The instant overdue was judged at (the server clock).'),
  results: z.array(
    z.object({
      workflowId: z.string(),
      outcome: z.enum(['escalated', 'nothing_due', 'not_found']),
      streamVersion: z.number().int().nullable(),
    }),
  ),
});
export type EscalationResultsView = z.infer<typeof escalationResultsViewSchema>;

export function workflowDefinitionView(state: workflows.WorkflowDefinitionState, version: number): WorkflowDefinitionView {
  const published = state.versions[version - 1];
  if (published === undefined) throw new Error(`workflowDefinitionView: version ${version} was never published`);
  return {
    key: published.key,
    version: published.version,
    latestVersion: state.versions.length,
    steps: published.steps,
    escalationRole: published.escalationRole,
    publishedBy: published.publishedBy,
    publishedAt: published.publishedAt,
  };
}

export function workflowInstanceView(state: workflows.WorkflowInstanceState): WorkflowInstanceView {
  const started = state.started;
  if (state.status === 'none' || started === null) throw new Error('workflowInstanceView of a workflow that was never started');
  const current = state.currentStepIndex === null ? undefined : state.steps[state.currentStepIndex];
  return {
    workflowId: started.workflowId,
    status: state.status,
    definitionKey: started.definitionKey,
    definitionVersion: started.definitionVersion,
    subject: started.subject,
    subjectHash: started.subjectHash,
    startedBy: started.startedBy,
    startedAt: started.startedAt,
    escalationRole: started.escalationRole,
    currentStep: current?.name ?? null,
    assignee: current?.assignee ?? null,
    steps: state.steps.map((step) => ({
      name: step.name,
      index: step.index,
      status: step.status,
      assignee: step.assignee,
      dueDuration: step.dueDuration,
      onReject: step.onReject,
      assignedAt: step.assignedAt,
      dueAt: step.dueAt,
      escalated: step.escalated,
    })),
    completion:
      state.completion === null
        ? null
        : {
            outcome: state.completion.outcome,
            reason: state.completion.reason,
            approvedHash: state.completion.approvedHash,
            completedBy: state.completion.completedBy,
            completedAt: state.completion.completedAt,
          },
  };
}
