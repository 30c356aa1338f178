import type { Actor } from '@neuroerp/schemas';
import { workflows as wire } from '@neuroerp/schemas';
import type { Command } from '../command';
import { canonicalJson } from '../ledger/canonical-json';
import { ADMIN_ROLE, assertNever } from '../ledger/types';
import { fail } from './errors';

/**
 * A workflow instance: stream `workflows.instance-<workflowId>`.
 *
 * - *started*: the instance follows one definition version; the event carries a snapshot of
 *   its steps with each condition evaluated, so the instance never reads the definition again.
 *   Steps whose condition is false are *skipped*. With no applicable step at all the workflow
 *   completes as approved at once.
 * - *step assigned*: the next applicable step becomes current; it is due `dueDuration` later.
 * - *step approved*: by its assignee (that user, or a user with that role), never by the maker
 *   (`startedBy`), naming the subject hash the workflow started with. The last approval
 *   completes the workflow as approved, with that hash as `approvedHash`.
 * - *step rejected*: with a reason. `reject_workflow` completes it as rejected;
 *   `return_to_previous_step` assigns the previous applicable step again (on the first
 *   applicable step there is nothing to return to, so the workflow is rejected).
 * - *step reassigned*: the current step handed on by its assignee or an admin; the due time restarts.
 * - *escalated*: the current step was overdue at `now` and goes to the definition's escalation
 *   role, once per assignment (a second EscalateOverdueSteps finds nothing to do).
 * - *completed*: outcome approved or rejected; every later action is WORKFLOW_COMPLETED.
 */

export type StepStatus = 'skipped' | 'waiting' | 'active' | 'approved' | 'rejected';

/** The last decision taken on a step, used to recognise a repeated request. */
export interface StepDecision {
  kind: 'approved' | 'rejected';
  by: string;
  /** The approved subject hash, or the rejection reason. */
  value: string;
}

export interface InstanceStepState {
  name: string;
  index: number;
  /** The current assignee (after reassignment or escalation). */
  assignee: wire.Assignee;
  dueDuration: string;
  onReject: wire.OnReject;
  status: StepStatus;
  assignedAt: string | null;
  dueAt: string | null;
  /** Escalated during the current assignment. */
  escalated: boolean;
  lastDecision: StepDecision | null;
}

export interface WorkflowInstanceState {
  status: 'none' | 'running' | 'completed';
  started: wire.WorkflowStarted | null;
  steps: readonly InstanceStepState[];
  currentStepIndex: number | null;
  completion: wire.WorkflowCompleted | null;
}

/** The start body plus the definition version the command handler resolved (it reads the definition stream). */
export interface StartWorkflowData extends wire.StartWorkflowBody {
  definition: wire.WorkflowDefinition;
}

export type StartWorkflow = Command<'StartWorkflow', StartWorkflowData>;
export type ApproveStep = Command<'ApproveStep', wire.ApproveStepBody & { workflowId: string; step: string }>;
export type RejectStep = Command<'RejectStep', wire.RejectStepBody & { workflowId: string; step: string }>;
export type ReassignStep = Command<'ReassignStep', wire.ReassignStepBody & { workflowId: string; step: string }>;
/** A time-based command from the scheduler: `now` is the instant overdue is judged at. */
export type EscalateOverdueSteps = Command<'EscalateOverdueSteps', { workflowId: string; now: string }>;
export type WorkflowInstanceCommand = StartWorkflow | ApproveStep | RejectStep | ReassignStep | EscalateOverdueSteps;

export type WorkflowInstanceEvent =
  | { type: 'workflow.started'; data: wire.WorkflowStarted }
  | { type: 'workflow.step_assigned'; data: wire.WorkflowStepAssigned }
  | { type: 'workflow.step_approved'; data: wire.WorkflowStepApproved }
  | { type: 'workflow.step_rejected'; data: wire.WorkflowStepRejected }
  | { type: 'workflow.step_reassigned'; data: wire.WorkflowStepReassigned }
  | { type: 'workflow.escalated'; data: wire.WorkflowEscalated }
  | { type: 'workflow.completed'; data: wire.WorkflowCompleted };

export const REASON_ALL_STEPS_APPROVED = 'all steps approved';
export const REASON_NO_STEP_APPLIES = 'no step applies';

export function workflowInstanceStreamId(workflowId: string): string {
  return `workflows.instance-${workflowId}`;
}

export function initialInstanceState(): WorkflowInstanceState {
  return { status: 'none', started: null, steps: [], currentStepIndex: null, completion: null };
}

/** True when `actor` is the assignee: that user, or any user with that role. */
export function isAssignee(assignee: wire.Assignee, actor: Actor): boolean {
  return 'role' in assignee ? actor.role === assignee.role : actor.userId === assignee.userId;
}

function sameAssignee(a: wire.Assignee, b: wire.Assignee): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** `instant` plus the ISO 8601 duration, as an ISO instant in UTC. Pure: no clock. */
export function addDuration(instant: string, duration: string): string {
  const minutes = wire.durationMinutes(duration);
  const start = Date.parse(instant);
  if (minutes === null || Number.isNaN(start)) throw new Error(`addDuration(${instant}, ${duration}): not an instant and a duration`);
  return new Date(start + minutes * 60_000).toISOString();
}

/** Exact comparison of two decimal strings (sign, integer and fraction digits), without floats: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const scaled = (value: string, scale: number): bigint => {
    const negative = value.startsWith('-');
    const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
    const magnitude = BigInt(whole + fraction.padEnd(scale, '0'));
    return negative ? -magnitude : magnitude;
  };
  const places = (value: string) => (value.includes('.') ? value.length - value.indexOf('.') - 1 : 0);
  const scale = Math.max(places(a), places(b));
  const difference = scaled(a, scale) - scaled(b, scale);
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
}

/** Whether a step's condition holds for the subject; a condition on a fact that is missing is CONDITION_FACT_MISSING. */
export function conditionHolds(condition: wire.StepCondition | undefined, subject: wire.WorkflowSubject, facts: wire.WorkflowFacts): boolean {
  if (condition === undefined) return true;
  if ('amountAtLeast' in condition) {
    if (facts.amount === undefined) return fail('CONDITION_FACT_MISSING', 'A step applies from an amount on, but the start command has no facts.amount.', { fact: 'amount' });
    return compareDecimal(facts.amount, condition.amountAtLeast) >= 0;
  }
  // A transaction has no document type; a document must say which type it is.
  if (subject.kind === 'transaction') return false;
  if (facts.documentType === undefined) return fail('CONDITION_FACT_MISSING', 'A step applies to a document type, but the start command has no facts.documentType.', { fact: 'documentType' });
  return facts.documentType === condition.documentType;
}

function nextApplicable(steps: readonly InstanceStepState[], after: number): InstanceStepState | undefined {
  return steps.find((step) => step.index > after && step.status !== 'skipped');
}

function previousApplicable(steps: readonly InstanceStepState[], before: number): InstanceStepState | undefined {
  return [...steps].reverse().find((step) => step.index < before && step.status !== 'skipped');
}

function assigned(workflowId: string, step: { name: string; index: number; assignee: wire.Assignee; dueDuration: string }, now: string): WorkflowInstanceEvent {
  return {
    type: 'workflow.step_assigned',
    data: { workflowId, step: step.name, stepIndex: step.index, assignee: step.assignee, assignedAt: now, dueAt: addDuration(now, step.dueDuration) },
  };
}

function completed(
  started: wire.WorkflowStarted,
  outcome: 'approved' | 'rejected',
  reason: string,
  by: string,
  now: string,
): WorkflowInstanceEvent {
  return {
    type: 'workflow.completed',
    data: {
      workflowId: started.workflowId,
      definitionKey: started.definitionKey,
      definitionVersion: started.definitionVersion,
      subject: started.subject,
      outcome,
      reason,
      approvedHash: outcome === 'approved' ? started.subjectHash : null,
      completedBy: by,
      completedAt: now,
    },
  };
}

/** What makes two starts of one id the same request. The version only counts when the repeat names one. */
function startFingerprint(data: { definitionKey: string; subject: wire.WorkflowSubject; subjectHash: string; startedBy: string; facts: wire.WorkflowFacts }, version: number | undefined): string {
  return canonicalJson({ definitionKey: data.definitionKey, subject: data.subject, subjectHash: data.subjectHash, startedBy: data.startedBy, facts: data.facts, version });
}

function decideStart(command: StartWorkflow, state: WorkflowInstanceState): WorkflowInstanceEvent[] {
  const { data, metadata } = command;
  const { definition } = data;
  if (definition.key !== data.definitionKey || (data.definitionVersion !== undefined && definition.version !== data.definitionVersion)) {
    throw new Error(`StartWorkflow ${data.workflowId}: resolved definition ${definition.key} v${definition.version} is not the one asked for`);
  }
  if (state.started !== null) {
    const asked = startFingerprint(data, data.definitionVersion);
    const recorded = startFingerprint(state.started, data.definitionVersion === undefined ? undefined : state.started.definitionVersion);
    if (asked === recorded) return [];
    return fail('WORKFLOW_EXISTS_WITH_DIFFERENT_DATA', `Workflow ${data.workflowId} was started with different data.`, { workflowId: data.workflowId });
  }
  const steps: wire.InstanceStep[] = definition.steps.map((step) => ({
    name: step.name,
    assignee: step.assignee,
    dueDuration: step.dueDuration,
    onReject: step.onReject,
    skipped: !conditionHolds(step.condition, data.subject, data.facts),
  }));
  for (const step of steps) {
    if (!step.skipped && 'userId' in step.assignee && step.assignee.userId === data.startedBy) {
      return fail('ASSIGNEE_IS_SUBMITTER', `Step ${step.name} is assigned to ${data.startedBy}, who submitted the subject.`, { step: step.name, userId: data.startedBy });
    }
  }
  const started: wire.WorkflowStarted = {
    workflowId: data.workflowId,
    definitionKey: definition.key,
    definitionVersion: definition.version,
    subject: data.subject,
    subjectHash: data.subjectHash,
    startedBy: data.startedBy,
    facts: data.facts,
    steps,
    escalationRole: definition.escalationRole ?? null,
    startedAt: metadata.now,
  };
  const firstIndex = steps.findIndex((step) => !step.skipped);
  const first = steps[firstIndex];
  if (first === undefined) return [{ type: 'workflow.started', data: started }, completed(started, 'approved', REASON_NO_STEP_APPLIES, metadata.actor.userId, metadata.now)];
  return [{ type: 'workflow.started', data: started }, assigned(data.workflowId, { ...first, index: firstIndex }, metadata.now)];
}

/**
 * The checks every step action shares, in order: the workflow exists, the step exists, a
 * repeat of the step's last decision is recognised (null: nothing to do), the workflow is
 * running, the step is the current one, the actor is not the maker.
 */
function actionableStep(
  state: WorkflowInstanceState,
  workflowId: string,
  stepName: string,
  actor: Actor,
  repeatOf?: (decision: StepDecision) => boolean,
): { started: wire.WorkflowStarted; step: InstanceStepState } | null {
  const started = state.started;
  if (started === null) return fail('WORKFLOW_NOT_FOUND', `Workflow ${workflowId} does not exist.`, { workflowId });
  const step = state.steps.find((candidate) => candidate.name === stepName);
  if (step === undefined) return fail('STEP_NOT_FOUND', `Workflow ${workflowId} has no step ${stepName}.`, { workflowId, step: stepName });
  if (step.status !== 'active' && step.lastDecision !== null && repeatOf?.(step.lastDecision) === true) return null;
  if (state.status === 'completed') return fail('WORKFLOW_COMPLETED', `Workflow ${workflowId} is completed.`, { workflowId, outcome: state.completion?.outcome ?? null });
  if (step.status !== 'active') return fail('STEP_NOT_ACTIVE', `Step ${stepName} of workflow ${workflowId} is ${step.status}, not the current step.`, { workflowId, step: stepName, status: step.status });
  if (actor.userId === started.startedBy) {
    return fail('APPROVER_IS_SUBMITTER', `${actor.userId} submitted the subject of workflow ${workflowId} and cannot act on its steps.`, { workflowId, userId: actor.userId });
  }
  return { started, step };
}

function assertAssignee(step: InstanceStepState, actor: Actor, workflowId: string): void {
  if (!isAssignee(step.assignee, actor)) {
    fail('NOT_ASSIGNEE', `Step ${step.name} of workflow ${workflowId} is assigned to ${'role' in step.assignee ? `the role ${step.assignee.role}` : step.assignee.userId}.`, {
      workflowId,
      step: step.name,
    });
  }
}

export function decideInstance(command: WorkflowInstanceCommand, state: WorkflowInstanceState): WorkflowInstanceEvent[] {
  const { metadata } = command;
  const actor = metadata.actor;
  const now = metadata.now;
  switch (command.type) {
    case 'StartWorkflow':
      return decideStart(command, state);
    case 'ApproveStep': {
      const { data } = command;
      const found = actionableStep(state, data.workflowId, data.step, actor, (last) => last.kind === 'approved' && last.by === actor.userId && last.value === data.subjectHash);
      if (found === null) return [];
      const { started, step } = found;
      assertAssignee(step, actor, data.workflowId);
      if (data.subjectHash !== started.subjectHash) {
        return fail('SUBJECT_HASH_MISMATCH', `Workflow ${data.workflowId} is about subject version ${started.subjectHash}, not ${data.subjectHash}.`, {
          workflowId: data.workflowId,
          expected: started.subjectHash,
          actual: data.subjectHash,
        });
      }
      const comment = data.comment === undefined || data.comment === '' ? null : data.comment;
      const approved: WorkflowInstanceEvent = {
        type: 'workflow.step_approved',
        data: { workflowId: data.workflowId, step: step.name, stepIndex: step.index, approvedBy: actor.userId, approvedAt: now, subjectHash: data.subjectHash, comment },
      };
      const next = nextApplicable(state.steps, step.index);
      return [approved, next === undefined ? completed(started, 'approved', REASON_ALL_STEPS_APPROVED, actor.userId, now) : assigned(data.workflowId, next, now)];
    }
    case 'RejectStep': {
      const { data } = command;
      const reason = data.reason?.trim() ?? '';
      const found = actionableStep(state, data.workflowId, data.step, actor, (last) => last.kind === 'rejected' && last.by === actor.userId && last.value === reason);
      if (found === null) return [];
      const { started, step } = found;
      assertAssignee(step, actor, data.workflowId);
      if (reason === '') return fail('REASON_REQUIRED', 'Rejecting a step needs a reason.', { workflowId: data.workflowId, step: step.name });
      const rejected: WorkflowInstanceEvent = {
        type: 'workflow.step_rejected',
        data: { workflowId: data.workflowId, step: step.name, stepIndex: step.index, rejectedBy: actor.userId, rejectedAt: now, reason, onReject: step.onReject },
      };
      const previous = step.onReject === 'return_to_previous_step' ? previousApplicable(state.steps, step.index) : undefined;
      return [rejected, previous === undefined ? completed(started, 'rejected', reason, actor.userId, now) : assigned(data.workflowId, previous, now)];
    }
    case 'ReassignStep': {
      const { data } = command;
      const found = actionableStep(state, data.workflowId, data.step, actor);
      if (found === null) return [];
      const { started, step } = found;
      if (actor.role !== ADMIN_ROLE) assertAssignee(step, actor, data.workflowId);
      if ('userId' in data.to && data.to.userId === started.startedBy) {
        return fail('ASSIGNEE_IS_SUBMITTER', `${data.to.userId} submitted the subject of workflow ${data.workflowId}.`, { workflowId: data.workflowId, userId: data.to.userId });
      }
      if (sameAssignee(step.assignee, data.to)) return [];
      const comment = data.comment === undefined || data.comment === '' ? null : data.comment;
      return [
        {
          type: 'workflow.step_reassigned',
          data: {
            workflowId: data.workflowId,
            step: step.name,
            stepIndex: step.index,
            from: step.assignee,
            to: data.to,
            reassignedBy: actor.userId,
            reassignedAt: now,
            dueAt: addDuration(now, step.dueDuration),
            comment,
          },
        },
      ];
    }
    case 'EscalateOverdueSteps': {
      const { data } = command;
      const started = state.started;
      if (started === null) return fail('WORKFLOW_NOT_FOUND', `Workflow ${data.workflowId} does not exist.`, { workflowId: data.workflowId });
      // A finished workflow has nothing overdue; the scheduler may simply be behind.
      if (state.status !== 'running' || state.currentStepIndex === null || started.escalationRole === null) return [];
      const step = state.steps[state.currentStepIndex];
      if (step === undefined || step.dueAt === null) throw new Error(`workflow ${data.workflowId}: current step ${state.currentStepIndex} has no due time`);
      if (step.escalated || Date.parse(data.now) < Date.parse(step.dueAt)) return [];
      return [
        {
          type: 'workflow.escalated',
          data: { workflowId: data.workflowId, step: step.name, stepIndex: step.index, from: step.assignee, to: { role: started.escalationRole }, dueAt: step.dueAt, escalatedAt: data.now },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

function updateStep(state: WorkflowInstanceState, index: number, change: Partial<InstanceStepState>): readonly InstanceStepState[] {
  return state.steps.map((step) => (step.index === index ? { ...step, ...change } : step));
}

/** Pure; ignores event types it does not know. */
export function evolveInstance(state: WorkflowInstanceState, event: { type: string; data: unknown }): WorkflowInstanceState {
  const known = event as WorkflowInstanceEvent;
  switch (known.type) {
    case 'workflow.started':
      return {
        ...state,
        status: 'running',
        started: known.data,
        steps: known.data.steps.map((step, index) => ({
          name: step.name,
          index,
          assignee: step.assignee,
          dueDuration: step.dueDuration,
          onReject: step.onReject,
          status: step.skipped ? 'skipped' : 'waiting',
          assignedAt: null,
          dueAt: null,
          escalated: false,
          lastDecision: null,
        })),
      };
    case 'workflow.step_assigned':
      return {
        ...state,
        currentStepIndex: known.data.stepIndex,
        // A step assigned again after a later one returned it: the later applicable steps wait again, undecided.
        steps: updateStep(state, known.data.stepIndex, { status: 'active', assignee: known.data.assignee, assignedAt: known.data.assignedAt, dueAt: known.data.dueAt, escalated: false }).map(
          (step) => (step.index > known.data.stepIndex && step.status !== 'skipped' ? { ...step, status: 'waiting' as const, lastDecision: null } : step),
        ),
      };
    case 'workflow.step_approved':
      return {
        ...state,
        currentStepIndex: null,
        steps: updateStep(state, known.data.stepIndex, { status: 'approved', lastDecision: { kind: 'approved', by: known.data.approvedBy, value: known.data.subjectHash } }),
      };
    case 'workflow.step_rejected':
      return {
        ...state,
        currentStepIndex: null,
        steps: updateStep(state, known.data.stepIndex, { status: 'rejected', lastDecision: { kind: 'rejected', by: known.data.rejectedBy, value: known.data.reason } }),
      };
    case 'workflow.step_reassigned':
      return { ...state, steps: updateStep(state, known.data.stepIndex, { assignee: known.data.to, assignedAt: known.data.reassignedAt, dueAt: known.data.dueAt }) };
    case 'workflow.escalated':
      return { ...state, steps: updateStep(state, known.data.stepIndex, { assignee: known.data.to, escalated: true }) };
    case 'workflow.completed':
      return { ...state, status: 'completed', currentStepIndex: null, completion: known.data };
    default:
      return state;
  }
}
