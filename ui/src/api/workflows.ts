import type { ApiClient } from './client';
import type { CommandAnswer, WorkflowDetail, WorkflowListItem, Page } from './types';

/**
 * The workflow step commands (command API) and reads (query API) the inbox and the
 * transaction page share. Every command carries an Idempotency-Key (the API client adds it).
 */
export function stepPath(workflowId: string, step: string): string {
  return `/api/workflows/instances/${encodeURIComponent(workflowId)}/steps/${encodeURIComponent(step)}`;
}

/** Approves a step: the body must name the hash of the subject the approver looked at. */
export function approveStep(client: ApiClient, workflowId: string, step: string, subjectHash: string, comment?: string): Promise<Partial<CommandAnswer> | undefined> {
  const trimmed = comment?.trim() ?? '';
  return client.post<Partial<CommandAnswer>>(`${stepPath(workflowId, step)}/approve`, trimmed === '' ? { subjectHash } : { subjectHash, comment: trimmed });
}

/** Rejects a step; the server answers REASON_REQUIRED without a reason. */
export function rejectStep(client: ApiClient, workflowId: string, step: string, reason: string): Promise<Partial<CommandAnswer> | undefined> {
  return client.post<Partial<CommandAnswer>>(`${stepPath(workflowId, step)}/reject`, { reason: reason.trim() });
}

/**
 * The approval workflow of a subject: the running one if there is one, else the most recently
 * changed (to show how it ended); null when the subject never had one.
 */
export async function workflowOf(client: ApiClient, subjectKind: string, subjectId: string): Promise<WorkflowDetail | null> {
  const running = await client.get<Page<WorkflowListItem>>('/api/query/workflows', { subjectKind, subjectId, status: 'running', limit: 1 });
  let chosen = running.items[0];
  if (chosen === undefined) {
    const any = await client.get<Page<WorkflowListItem>>('/api/query/workflows', { subjectKind, subjectId, limit: 1 });
    chosen = any.items[0];
  }
  if (chosen === undefined) return null;
  return client.get<WorkflowDetail>(`/api/query/workflows/${encodeURIComponent(chosen.workflowId)}`);
}

/** The step a running workflow waits on, with the hash an approval must name. */
export function currentStepOf(workflow: WorkflowDetail | null): { name: string; subjectHash: string } | null {
  if (workflow === null || workflow.status !== 'running') return null;
  const active = workflow.steps.find((step) => step.status === 'active') ?? workflow.steps.find((step) => step.name === workflow.currentStep);
  const name = active?.name ?? workflow.currentStep;
  if (name === null || name === undefined) return null;
  return { name, subjectHash: active?.subjectHash ?? workflow.subjectHash };
}
