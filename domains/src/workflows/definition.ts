import { workflows as wire } from '@neuroerp/schemas';
import type { Command } from '../command';
import { canonicalJson } from '../ledger/canonical-json';
import { assertNever } from '../ledger/types';
import { fail, type WorkflowsErrorCode } from './errors';

/**
 * A workflow definition: stream `workflows.definition-<key>`, one `workflow.definition_published`
 * per version. Versions are 1, 2, 3, ... without gaps and never change once published, so an
 * instance that recorded "version 2" can always be explained.
 *
 * - Publishing version n + 1 (n the latest) appends it.
 * - Publishing a version that exists with the same steps again is a no-op (idempotent); with
 *   other steps it is WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA.
 * - Any other version is WORKFLOW_DEFINITION_VERSION_NOT_NEXT.
 */

export interface WorkflowDefinitionState {
  key: string | null;
  /** Every published version, in order: `versions[n - 1]` is version n. */
  versions: readonly wire.WorkflowDefinitionPublished[];
}

export type PublishWorkflowDefinition = Command<'PublishWorkflowDefinition', wire.PublishWorkflowDefinitionBody>;
export type WorkflowDefinitionCommand = PublishWorkflowDefinition;

export type WorkflowDefinitionEvent = { type: 'workflow.definition_published'; data: wire.WorkflowDefinitionPublished };

export function workflowDefinitionStreamId(key: string): string {
  return `workflows.definition-${key}`;
}

export function initialDefinitionState(): WorkflowDefinitionState {
  return { key: null, versions: [] };
}

/**
 * The definition parsed by its schema, or a DomainError: the schema's code when all issues
 * name the same one (DUE_DURATION_INVALID, STEP_NAMES_NOT_UNIQUE), else WORKFLOW_DEFINITION_INVALID.
 */
export function validateDefinition(definition: unknown): wire.WorkflowDefinition {
  const result = wire.workflowDefinitionSchema.safeParse(definition);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const codes = new Set(issues.map((issue) => (issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : null)));
  const [only] = codes;
  const code = codes.size === 1 && (only === 'DUE_DURATION_INVALID' || only === 'STEP_NAMES_NOT_UNIQUE') ? only : 'WORKFLOW_DEFINITION_INVALID';
  const first = issues[0];
  return fail(code as WorkflowsErrorCode, `The workflow definition is invalid: ${first === undefined ? '' : `${first.path.join('.') || '(definition)'}: ${first.message}`}`, {
    path: first === undefined ? null : first.path.join('.'),
    issueCount: issues.length,
  });
}

/** What makes two publications of one version the same: everything but who published it and when. */
function comparable(definition: { key: string; version: number; steps: readonly wire.WorkflowStep[]; escalationRole?: string | null | undefined }): string {
  return canonicalJson({ key: definition.key, version: definition.version, steps: definition.steps, escalationRole: definition.escalationRole ?? null });
}

export function decideDefinition(command: WorkflowDefinitionCommand, state: WorkflowDefinitionState): WorkflowDefinitionEvent[] {
  const { type, metadata } = command;
  switch (type) {
    case 'PublishWorkflowDefinition': {
      const definition = validateDefinition(command.data);
      const latest = state.versions.length;
      const existing = state.versions[definition.version - 1];
      if (existing !== undefined) {
        if (comparable(existing) === comparable(definition)) return [];
        return fail('WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA', `Version ${definition.version} of ${definition.key} was published with different steps.`, {
          key: definition.key,
          version: definition.version,
        });
      }
      if (definition.version !== latest + 1) {
        return fail('WORKFLOW_DEFINITION_VERSION_NOT_NEXT', `The next version of ${definition.key} is ${latest + 1}, not ${definition.version}.`, {
          key: definition.key,
          version: definition.version,
          nextVersion: latest + 1,
        });
      }
      return [
        {
          type: 'workflow.definition_published',
          data: {
            key: definition.key,
            version: definition.version,
            steps: definition.steps,
            escalationRole: definition.escalationRole ?? null,
            publishedBy: metadata.actor.userId,
            publishedAt: metadata.now,
          },
        },
      ];
    }
    default:
      return assertNever(type);
  }
}

/** Pure; ignores event types it does not know. */
export function evolveDefinition(state: WorkflowDefinitionState, event: { type: string; data: unknown }): WorkflowDefinitionState {
  const known = event as WorkflowDefinitionEvent;
  switch (known.type) {
    case 'workflow.definition_published':
      return { key: known.data.key, versions: [...state.versions, known.data] };
    default:
      return state;
  }
}

/**
 * The definition an instance follows: `version`, or the latest when absent. Throws
 * WORKFLOW_DEFINITION_NOT_FOUND when nothing was published, WORKFLOW_DEFINITION_VERSION_NOT_FOUND
 * for a version that does not exist.
 */
export function definitionVersion(state: WorkflowDefinitionState, key: string, version?: number): wire.WorkflowDefinition {
  if (state.versions.length === 0) return fail('WORKFLOW_DEFINITION_NOT_FOUND', `No workflow definition ${key} was published.`, { key });
  const published = version === undefined ? state.versions[state.versions.length - 1] : state.versions[version - 1];
  if (published === undefined || (version !== undefined && version < 1)) {
    return fail('WORKFLOW_DEFINITION_VERSION_NOT_FOUND', `Workflow definition ${key} has no version ${version ?? ''}.`, { key, version: version ?? null });
  }
  return {
    key: published.key,
    version: published.version,
    steps: published.steps,
    ...(published.escalationRole === null ? {} : { escalationRole: published.escalationRole }),
  };
}
