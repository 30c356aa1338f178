import type { workflows as wire } from '@neuroerp/schemas';
import type { WorkflowInstanceState } from './instance';

/**
 * One line of an inbox: a step waiting for its assignee. The query side projects these per
 * user (`assignee.userId`) and per role (`assignee.role`); the command side never serves an
 * inbox by folding streams.
 */
export interface InboxEntry {
  workflowId: string;
  definitionKey: string;
  definitionVersion: number;
  subject: wire.WorkflowSubject;
  /** The maker: never shown the entry as actionable, whatever their role. */
  startedBy: string;
  step: string;
  stepIndex: number;
  assignee: wire.Assignee;
  assignedAt: string;
  dueAt: string;
  escalated: boolean;
}

/**
 * The inbox entries of an instance as folded by `evolveInstance`: the current step of a
 * running workflow (at most one entry), none for a completed one. Pure, so a projection can
 * call it after applying each event and replace the instance's rows with the result.
 */
export function inboxEntries(state: WorkflowInstanceState): InboxEntry[] {
  const started = state.started;
  if (state.status !== 'running' || started === null || state.currentStepIndex === null) return [];
  const step = state.steps[state.currentStepIndex];
  if (step === undefined || step.status !== 'active' || step.assignedAt === null || step.dueAt === null) return [];
  return [
    {
      workflowId: started.workflowId,
      definitionKey: started.definitionKey,
      definitionVersion: started.definitionVersion,
      subject: started.subject,
      startedBy: started.startedBy,
      step: step.name,
      stepIndex: step.index,
      assignee: step.assignee,
      assignedAt: step.assignedAt,
      dueAt: step.dueAt,
      escalated: step.escalated,
    },
  ];
}
