import type { Knex } from 'knex';
import { workflows } from '@neuroerp/schemas';
import { assertPageSize } from '../ledger/shared';
import { activeSchema } from '../runtime/control';
import { parseEventData as parseData, requiredText } from '../runtime/event-data';
import type { Projection } from '../runtime/projection';
import { isoInstant, replaceOnConflict, writeRows, type Page } from '../runtime/rows';

/** The workflow engine's instance events (schemas `workflowsEventCatalogue`, stream `workflows.instance-<workflowId>`). */
export const WORKFLOW_STARTED = 'workflow.started';
export const WORKFLOW_STEP_ASSIGNED = 'workflow.step_assigned';
export const WORKFLOW_STEP_APPROVED = 'workflow.step_approved';
export const WORKFLOW_STEP_REJECTED = 'workflow.step_rejected';
export const WORKFLOW_STEP_REASSIGNED = 'workflow.step_reassigned';
export const WORKFLOW_ESCALATED = 'workflow.escalated';
export const WORKFLOW_COMPLETED = 'workflow.completed';

export type WorkflowStatus = 'running' | 'approved' | 'rejected';
/** `pending`: applicable but not (or no longer) assigned; `skipped`: its condition was false at the start. */
export type WorkflowStepStatus = 'pending' | 'active' | 'approved' | 'rejected' | 'skipped';
export type WorkflowAssignee = { role: string } | { userId: string };

interface InstanceRow {
  workflow_id: string;
  definition_key: string;
  definition_version: number;
  subject_kind: 'transaction' | 'document';
  subject_id: string;
  subject_hash: string;
  status: WorkflowStatus;
  started_by: string;
  started_at: string;
  completed_by: string | null;
  completed_at: string | null;
  /** The completion reason (`all steps approved`, `no step applies`, or the rejection reason). */
  reason: string | null;
  current_step: string | null;
  current_step_index: number | null;
  assignee_role: string | null;
  assignee_user_id: string | null;
  assigned_at: string | null;
  due_at: string | null;
  escalated: boolean;
  escalation_role: string | null;
  updated_at: string;
  updated_position: string;
}

interface StepRow {
  workflow_id: string;
  step_index: number;
  name: string;
  assignee_role: string | null;
  assignee_user_id: string | null;
  due_duration: string;
  on_reject: 'reject_workflow' | 'return_to_previous_step';
  status: WorkflowStepStatus;
  assigned_at: string | null;
  due_at: string | null;
  escalated: boolean;
  /** The last decision on the step; kept when a later step's rejection returns the workflow and the step waits again. */
  decision: 'approved' | 'rejected' | null;
  acted_by: string | null;
  acted_at: string | null;
  /** The approval comment, or the rejection reason. */
  comment: string | null;
  /** The subject hash the approval named. */
  subject_hash: string | null;
  updated_position: string;
}

const INSTANCE_COLUMNS = [
  'workflow_id',
  'definition_key',
  'definition_version',
  'subject_kind',
  'subject_id',
  'subject_hash',
  'status',
  'started_by',
  'started_at',
  'completed_by',
  'completed_at',
  'reason',
  'current_step',
  'current_step_index',
  'assignee_role',
  'assignee_user_id',
  'assigned_at',
  'due_at',
  'escalated',
  'escalation_role',
  'updated_at',
  'updated_position',
] as const satisfies readonly (keyof InstanceRow)[];

const STEP_COLUMNS = [
  'workflow_id',
  'step_index',
  'name',
  'assignee_role',
  'assignee_user_id',
  'due_duration',
  'on_reject',
  'status',
  'assigned_at',
  'due_at',
  'escalated',
  'decision',
  'acted_by',
  'acted_at',
  'comment',
  'subject_hash',
  'updated_position',
] as const satisfies readonly (keyof StepRow)[];

const instant = isoInstant;
const SELECT_INSTANCE = `workflow_id, definition_key, definition_version, subject_kind, subject_id, subject_hash, status, started_by, ${instant('started_at')},
  completed_by, ${instant('completed_at')}, reason, current_step, current_step_index, assignee_role, assignee_user_id, ${instant('assigned_at')}, ${instant('due_at')},
  escalated, escalation_role, ${instant('updated_at')}, updated_position::text as updated_position`;
const SELECT_STEP = `workflow_id, step_index, name, assignee_role, assignee_user_id, due_duration, on_reject, status, ${instant('assigned_at')}, ${instant('due_at')}, escalated,
  decision, acted_by, ${instant('acted_at')}, comment, subject_hash, updated_position::text as updated_position`;

function assigneeColumns(assignee: workflows.Assignee): { assignee_role: string | null; assignee_user_id: string | null } {
  return 'role' in assignee ? { assignee_role: assignee.role, assignee_user_id: null } : { assignee_role: null, assignee_user_id: assignee.userId };
}

function assigneeOf(row: { assignee_role: string | null; assignee_user_id: string | null }): WorkflowAssignee {
  if (row.assignee_role !== null) return { role: row.assignee_role };
  if (row.assignee_user_id !== null) return { userId: row.assignee_user_id };
  throw new Error('workflow row without an assignee');
}

function clearCurrent(row: InstanceRow): void {
  Object.assign(row, { current_step: null, current_step_index: null, assignee_role: null, assignee_user_id: null, assigned_at: null, due_at: null, escalated: false });
}

/**
 * Workflow instances (`workflow_instances`: definition, subject, status, who started and
 * completed it, and its current step with assignee and due time) and their steps
 * (`workflow_steps`: status, assignee, due time and the last decision). The inbox is the
 * running instances' current steps: the same entries as the domain's `inboxEntries`, derived
 * from the events (projections do not import domains).
 */
export const workflowsProjection: Projection = {
  name: 'workflows',
  version: 1,
  handles: [WORKFLOW_STARTED, WORKFLOW_STEP_ASSIGNED, WORKFLOW_STEP_APPROVED, WORKFLOW_STEP_REJECTED, WORKFLOW_STEP_REASSIGNED, WORKFLOW_ESCALATED, WORKFLOW_COMPLETED],
  tables: [
    { name: 'workflow_instances', orderBy: ['workflow_id'] },
    { name: 'workflow_steps', orderBy: ['workflow_id', 'step_index'] },
  ],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".workflow_instances (
        workflow_id text primary key,
        definition_key text not null,
        definition_version integer not null,
        subject_kind text not null,
        subject_id text not null,
        subject_hash text not null,
        status text not null check (status in ('running', 'approved', 'rejected')),
        started_by text not null,
        started_at timestamptz not null,
        completed_by text,
        completed_at timestamptz,
        reason text,
        current_step text,
        current_step_index integer,
        assignee_role text,
        assignee_user_id text,
        assigned_at timestamptz,
        due_at timestamptz,
        escalated boolean not null,
        escalation_role text,
        updated_at timestamptz not null,
        updated_position bigint not null
      );
      create index on "${schema}".workflow_instances (assignee_user_id, due_at, workflow_id) where current_step is not null;
      create index on "${schema}".workflow_instances (assignee_role, due_at, workflow_id) where current_step is not null;
      create index on "${schema}".workflow_instances (status, updated_position, workflow_id);
      create index on "${schema}".workflow_instances (subject_kind, subject_id);
      create table "${schema}".workflow_steps (
        workflow_id text not null,
        step_index integer not null,
        name text not null,
        assignee_role text,
        assignee_user_id text,
        due_duration text not null,
        on_reject text not null,
        status text not null check (status in ('pending', 'active', 'approved', 'rejected', 'skipped')),
        assigned_at timestamptz,
        due_at timestamptz,
        escalated boolean not null,
        decision text check (decision in ('approved', 'rejected')),
        acted_by text,
        acted_at timestamptz,
        comment text,
        subject_hash text,
        updated_position bigint not null,
        primary key (workflow_id, step_index)
      );
    `);
  },
  async apply(events, { tx, schema }) {
    const ids = [...new Set(events.map((event) => requiredText(event, 'workflowId')))];
    const loadedInstances = await tx.raw(`select ${SELECT_INSTANCE} from "${schema}".workflow_instances where workflow_id = any(?)`, [ids]);
    const instances = new Map((loadedInstances.rows as InstanceRow[]).map((row) => [row.workflow_id, row]));
    const loadedSteps = await tx.raw(`select ${SELECT_STEP} from "${schema}".workflow_steps where workflow_id = any(?) order by workflow_id, step_index`, [ids]);
    const steps = new Map<string, StepRow[]>();
    for (const row of loadedSteps.rows as StepRow[]) steps.set(row.workflow_id, [...(steps.get(row.workflow_id) ?? []), row]);
    const changed = new Set<string>();
    const changedSteps = new Map<string, StepRow>();

    for (const event of events) {
      const position = event.globalPosition.toString();
      const workflowId = requiredText(event, 'workflowId');
      if (event.type === WORKFLOW_STARTED) {
        // Started before (re-delivery or a retried dead letter): the row already says it.
        if (instances.has(workflowId)) continue;
        const started = parseData(event, workflows.workflowStartedSchema);
        instances.set(workflowId, {
          workflow_id: workflowId,
          definition_key: started.definitionKey,
          definition_version: started.definitionVersion,
          subject_kind: started.subject.kind,
          subject_id: started.subject.id,
          subject_hash: started.subjectHash,
          status: 'running',
          started_by: started.startedBy,
          started_at: started.startedAt,
          completed_by: null,
          completed_at: null,
          reason: null,
          current_step: null,
          current_step_index: null,
          assignee_role: null,
          assignee_user_id: null,
          assigned_at: null,
          due_at: null,
          escalated: false,
          escalation_role: started.escalationRole,
          updated_at: started.startedAt,
          updated_position: position,
        });
        const stepRows = started.steps.map(
          (step, index): StepRow => ({
            workflow_id: workflowId,
            step_index: index,
            name: step.name,
            ...assigneeColumns(step.assignee),
            due_duration: step.dueDuration,
            on_reject: step.onReject,
            status: step.skipped ? 'skipped' : 'pending',
            assigned_at: null,
            due_at: null,
            escalated: false,
            decision: null,
            acted_by: null,
            acted_at: null,
            comment: null,
            subject_hash: null,
            updated_position: position,
          }),
        );
        steps.set(workflowId, stepRows);
        for (const step of stepRows) changedSteps.set(`${workflowId}/${step.step_index}`, step);
        changed.add(workflowId);
        continue;
      }
      const row = instances.get(workflowId);
      if (row === undefined) throw new Error(`${event.type} at ${position}: workflow ${workflowId} was never started`);
      if (BigInt(row.updated_position) >= event.globalPosition) continue;
      const stepRows = steps.get(workflowId) ?? [];
      const stepAt = (index: number): StepRow => {
        const step = stepRows[index];
        if (step === undefined || step.step_index !== index) throw new Error(`${event.type} at ${position}: workflow ${workflowId} has no step ${index}`);
        return step;
      };
      const touchStep = (step: StepRow, change: Partial<StepRow>) => {
        Object.assign(step, change, { updated_position: position });
        changedSteps.set(`${workflowId}/${step.step_index}`, step);
      };
      const touch = (at: string) => {
        row.updated_at = at;
        row.updated_position = position;
        changed.add(workflowId);
      };
      switch (event.type) {
        case WORKFLOW_STEP_ASSIGNED: {
          const assigned = parseData(event, workflows.workflowStepAssignedSchema);
          const assignee = assigneeColumns(assigned.assignee);
          touchStep(stepAt(assigned.stepIndex), { status: 'active', ...assignee, assigned_at: assigned.assignedAt, due_at: assigned.dueAt, escalated: false });
          // Assigned again after a later step returned it: the later applicable steps wait again.
          for (const later of stepRows) {
            if (later.step_index > assigned.stepIndex && later.status !== 'skipped' && later.status !== 'pending') touchStep(later, { status: 'pending', assigned_at: null, due_at: null, escalated: false });
          }
          Object.assign(row, { current_step: assigned.step, current_step_index: assigned.stepIndex, ...assignee, assigned_at: assigned.assignedAt, due_at: assigned.dueAt, escalated: false });
          touch(assigned.assignedAt);
          break;
        }
        case WORKFLOW_STEP_APPROVED: {
          const approved = parseData(event, workflows.workflowStepApprovedSchema);
          touchStep(stepAt(approved.stepIndex), {
            status: 'approved',
            decision: 'approved',
            acted_by: approved.approvedBy,
            acted_at: approved.approvedAt,
            comment: approved.comment,
            subject_hash: approved.subjectHash,
          });
          clearCurrent(row);
          touch(approved.approvedAt);
          break;
        }
        case WORKFLOW_STEP_REJECTED: {
          const rejected = parseData(event, workflows.workflowStepRejectedSchema);
          touchStep(stepAt(rejected.stepIndex), { status: 'rejected', decision: 'rejected', acted_by: rejected.rejectedBy, acted_at: rejected.rejectedAt, comment: rejected.reason, subject_hash: null });
          clearCurrent(row);
          touch(rejected.rejectedAt);
          break;
        }
        case WORKFLOW_STEP_REASSIGNED: {
          const reassigned = parseData(event, workflows.workflowStepReassignedSchema);
          const assignee = assigneeColumns(reassigned.to);
          touchStep(stepAt(reassigned.stepIndex), { ...assignee, assigned_at: reassigned.reassignedAt, due_at: reassigned.dueAt });
          if (row.current_step_index === reassigned.stepIndex) Object.assign(row, { ...assignee, assigned_at: reassigned.reassignedAt, due_at: reassigned.dueAt });
          touch(reassigned.reassignedAt);
          break;
        }
        case WORKFLOW_ESCALATED: {
          const escalated = parseData(event, workflows.workflowEscalatedSchema);
          const assignee = assigneeColumns(escalated.to);
          touchStep(stepAt(escalated.stepIndex), { ...assignee, escalated: true });
          if (row.current_step_index === escalated.stepIndex) Object.assign(row, { ...assignee, escalated: true });
          touch(escalated.escalatedAt);
          break;
        }
        case WORKFLOW_COMPLETED: {
          const completed = parseData(event, workflows.workflowCompletedSchema);
          Object.assign(row, { status: completed.outcome, completed_by: completed.completedBy, completed_at: completed.completedAt, reason: completed.reason });
          clearCurrent(row);
          touch(completed.completedAt);
          break;
        }
        default:
          throw new Error(`workflows projection: unexpected event type ${event.type}`);
      }
    }

    const written = [...changed].map((id) => instances.get(id) as InstanceRow);
    await writeRows(tx, schema, 'workflow_instances', INSTANCE_COLUMNS, written, replaceOnConflict(['workflow_id'], INSTANCE_COLUMNS));
    await writeRows(tx, schema, 'workflow_steps', STEP_COLUMNS, [...changedSteps.values()], replaceOnConflict(['workflow_id', 'step_index'], STEP_COLUMNS));
  },
};

// ---- queries -------------------------------------------------------------------------------

/** One line of an inbox: the current step of a running workflow, assigned to the caller's user id or role. */
export interface InboxItem {
  workflowId: string;
  /** The step's name: the `:step` of `/api/workflows/instances/:id/steps/:step/approve`. */
  step: string;
  stepIndex: number;
  definitionKey: string;
  definitionVersion: number;
  subject: { kind: 'transaction' | 'document'; id: string };
  assignee: WorkflowAssignee;
  assignedAt: string;
  dueAt: string;
  /** `now` is at or after `dueAt` (when the escalation scheduler may escalate it). */
  overdue: boolean;
  escalated: boolean;
  startedBy: string;
  startedAt: string;
  /** The subject version the workflow is about: an approval must name it. */
  subjectHash: string;
}

/** The keyset of the inbox: soonest due first. `dueAt` keeps microseconds, so the cursor never skips or repeats a row. */
export interface InboxCursor {
  dueAt: string;
  workflowId: string;
}

export interface WorkflowSummary {
  workflowId: string;
  definitionKey: string;
  definitionVersion: number;
  subject: { kind: 'transaction' | 'document'; id: string };
  subjectHash: string;
  status: WorkflowStatus;
  startedBy: string;
  startedAt: string;
  completedBy: string | null;
  completedAt: string | null;
  reason: string | null;
  /** The current step of a running workflow; null once it completed (and between an approval and the next assignment, which share a position batch). */
  currentStep: string | null;
  assignee: WorkflowAssignee | null;
  dueAt: string | null;
  escalated: boolean;
  updatedAt: string;
  updatedPosition: bigint;
}

export interface WorkflowStepView {
  index: number;
  name: string;
  assignee: WorkflowAssignee;
  dueDuration: string;
  onReject: 'reject_workflow' | 'return_to_previous_step';
  status: WorkflowStepStatus;
  assignedAt: string | null;
  dueAt: string | null;
  escalated: boolean;
  decision: 'approved' | 'rejected' | null;
  actedBy: string | null;
  actedAt: string | null;
  comment: string | null;
  subjectHash: string | null;
}

export interface WorkflowDetail extends WorkflowSummary {
  escalationRole: string | null;
  steps: WorkflowStepView[];
}

/** The keyset of the workflow list: most recently changed first (positions are unique per instance). */
export interface WorkflowCursor {
  updatedPosition: bigint;
  workflowId: string;
}

/** Who asks for an inbox: steps assigned to the user id or to the role are theirs. */
export interface InboxCaller {
  userId: string;
  role: string;
}

function toSummary(row: InstanceRow): WorkflowSummary {
  return {
    workflowId: row.workflow_id,
    definitionKey: row.definition_key,
    definitionVersion: row.definition_version,
    subject: { kind: row.subject_kind, id: row.subject_id },
    subjectHash: row.subject_hash,
    status: row.status,
    startedBy: row.started_by,
    startedAt: row.started_at,
    completedBy: row.completed_by,
    completedAt: row.completed_at,
    reason: row.reason,
    currentStep: row.current_step,
    assignee: row.current_step === null ? null : assigneeOf(row),
    dueAt: row.due_at,
    escalated: row.escalated,
    updatedAt: row.updated_at,
    updatedPosition: BigInt(row.updated_position),
  };
}

/** Running instances whose current step is assigned to the caller; never those the caller started (maker ≠ checker). */
const INBOX_CONDITION = `status = 'running' and current_step is not null and (assignee_user_id = ? or assignee_role = ?) and started_by <> ?`;

/**
 * One page of the caller's inbox, soonest due first: the current steps of running workflows
 * assigned to `userId` or to `role`, without the workflows the caller started (who could not
 * act on them). `overdue` is judged at `now` (the request's clock, not stored).
 */
export async function listInbox(
  db: Knex,
  controlSchema: string,
  query: InboxCaller & { now: Date; after?: InboxCursor; limit: number },
): Promise<Page<InboxItem, InboxCursor>> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, workflowsProjection.name);
  const conditions = [INBOX_CONDITION];
  const bindings: string[] = [query.userId, query.role, query.userId];
  if (query.after !== undefined) {
    conditions.push('(due_at, workflow_id) > (?::timestamptz, ?)');
    bindings.push(query.after.dueAt, query.after.workflowId);
  }
  const result = await db.raw(
    `select ${SELECT_INSTANCE}, to_char(due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as due_key
       from "${schema}".workflow_instances i where ${conditions.join(' and ')} order by i.due_at, i.workflow_id limit ?`,
    [...bindings, query.limit + 1],
  );
  const rows = result.rows as (InstanceRow & { due_key: string })[];
  const now = query.now.getTime();
  const page = rows.slice(0, query.limit);
  const items = page.map(
    (row): InboxItem => ({
      workflowId: row.workflow_id,
      step: row.current_step as string,
      stepIndex: row.current_step_index as number,
      definitionKey: row.definition_key,
      definitionVersion: row.definition_version,
      subject: { kind: row.subject_kind, id: row.subject_id },
      assignee: assigneeOf(row),
      assignedAt: row.assigned_at as string,
      dueAt: row.due_at as string,
      overdue: Date.parse(row.due_at as string) <= now,
      escalated: row.escalated,
      startedBy: row.started_by,
      startedAt: row.started_at,
      subjectHash: row.subject_hash,
    }),
  );
  const last = page[page.length - 1];
  return { items, next: rows.length > query.limit && last !== undefined ? { dueAt: last.due_key, workflowId: last.workflow_id } : null };
}

/** One page of workflow instances, most recently changed first, filtered by status and subject. */
export async function listWorkflows(
  db: Knex,
  controlSchema: string,
  query: { status?: WorkflowStatus; subjectKind?: 'transaction' | 'document'; subjectId?: string; after?: WorkflowCursor; limit: number },
): Promise<Page<WorkflowSummary, WorkflowCursor>> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, workflowsProjection.name);
  const conditions: string[] = [];
  const bindings: string[] = [];
  const where = (condition: string, ...values: string[]) => {
    conditions.push(condition);
    bindings.push(...values);
  };
  if (query.status !== undefined) where('status = ?', query.status);
  if (query.subjectKind !== undefined) where('subject_kind = ?', query.subjectKind);
  if (query.subjectId !== undefined) where('subject_id = ?', query.subjectId);
  if (query.after !== undefined) where('(updated_position, workflow_id) < (?::bigint, ?)', query.after.updatedPosition.toString(), query.after.workflowId);
  const clause = conditions.length === 0 ? '' : `where ${conditions.join(' and ')}`;
  // Qualified: the select list reads updated_position back as text under the same name, which a bare ORDER BY would sort.
  const result = await db.raw(
    `select ${SELECT_INSTANCE} from "${schema}".workflow_instances i ${clause} order by i.updated_position desc, i.workflow_id desc limit ?`,
    [...bindings, query.limit + 1],
  );
  const rows = result.rows as InstanceRow[];
  const items = rows.slice(0, query.limit).map(toSummary);
  const last = items[items.length - 1];
  return { items, next: rows.length > query.limit && last !== undefined ? { updatedPosition: last.updatedPosition, workflowId: last.workflowId } : null };
}

/** A workflow instance with every step of the definition version it follows, or null when unknown. */
export async function getWorkflow(db: Knex, controlSchema: string, workflowId: string): Promise<WorkflowDetail | null> {
  const schema = await activeSchema(db, controlSchema, workflowsProjection.name);
  const result = await db.raw(`select ${SELECT_INSTANCE} from "${schema}".workflow_instances where workflow_id = ?`, [workflowId]);
  const row = (result.rows as InstanceRow[])[0];
  if (row === undefined) return null;
  const stepRows = await db.raw(`select ${SELECT_STEP} from "${schema}".workflow_steps where workflow_id = ? order by step_index`, [workflowId]);
  return {
    ...toSummary(row),
    escalationRole: row.escalation_role,
    steps: (stepRows.rows as StepRow[]).map((step) => ({
      index: step.step_index,
      name: step.name,
      assignee: assigneeOf(step),
      dueDuration: step.due_duration,
      onReject: step.on_reject,
      status: step.status,
      assignedAt: step.assigned_at,
      dueAt: step.due_at,
      escalated: step.escalated,
      decision: step.decision,
      actedBy: step.acted_by,
      actedAt: step.acted_at,
      comment: step.comment,
      subjectHash: step.subject_hash,
    })),
  };
}

/**
 * Open approvals: running workflows, or with a caller the length of that caller's inbox
 * (the same condition as `listInbox`).
 */
export async function countOpenApprovals(db: Knex, controlSchema: string, caller?: InboxCaller): Promise<number> {
  const schema = await activeSchema(db, controlSchema, workflowsProjection.name);
  const result =
    caller === undefined
      ? await db.raw(`select count(*)::int as n from "${schema}".workflow_instances where status = 'running'`)
      : await db.raw(`select count(*)::int as n from "${schema}".workflow_instances where ${INBOX_CONDITION}`, [caller.userId, caller.role, caller.userId]);
  return (result.rows as { n: number }[])[0]?.n ?? 0;
}
