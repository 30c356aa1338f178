import { workflows } from '@neuroerp/schemas';
import { deadLetterCount, newEvent, projectToHead, rebuildInSmallBatches } from '../read-model-test-support';
import { createProjectionTestContext, type ProjectionTestContext } from '../test-support';
import { countOpenApprovals, getWorkflow, listInbox, listWorkflows, workflowsProjection, type InboxCursor } from './workflows';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projwf');
});
afterAll(async () => {
  await context.dispose();
});

const maker = { userId: 'maker-1', role: 'accountant' };
const checker = { userId: 'checker-1', role: 'approver' };
const cfo = { userId: 'cfo-1', role: 'admin' };
const system = { userId: 'system', role: 'admin' };
const hash = 'ab'.repeat(32);
const stream = (workflowId: string) => `workflows.instance-${workflowId}`;

type Step = workflows.InstanceStep;
const step = (name: string, assignee: workflows.Assignee, extra: Partial<Step> = {}): Step => ({ name, assignee, dueDuration: 'P2D', onReject: 'reject_workflow', skipped: false, ...extra });

/** Events exactly as the catalogue defines them (the projection parses each with its schema; a bad one would be dead-lettered). */
function started(workflowId: string, steps: Step[], at: string, subject: workflows.WorkflowSubject = { kind: 'transaction', id: `tx-${workflowId}` }) {
  const data: workflows.WorkflowStarted = {
    workflowId,
    definitionKey: 'transaction-approval',
    definitionVersion: 1,
    subject,
    subjectHash: hash,
    startedBy: maker.userId,
    facts: { amount: '12000.00' },
    steps,
    escalationRole: 'admin',
    startedAt: at,
  };
  return newEvent('workflow.started', workflowsCatalogueCheck('workflow.started', data), system);
}
function assigned(workflowId: string, name: string, stepIndex: number, assignee: workflows.Assignee, assignedAt: string, dueAt: string) {
  return newEvent('workflow.step_assigned', workflowsCatalogueCheck('workflow.step_assigned', { workflowId, step: name, stepIndex, assignee, assignedAt, dueAt }), system);
}
function approved(workflowId: string, name: string, stepIndex: number, by: string, at: string, comment: string | null = null) {
  return newEvent('workflow.step_approved', workflowsCatalogueCheck('workflow.step_approved', { workflowId, step: name, stepIndex, approvedBy: by, approvedAt: at, subjectHash: hash, comment }), { userId: by, role: 'approver' });
}
function completed(workflowId: string, outcome: 'approved' | 'rejected', reason: string, by: string, at: string) {
  return newEvent(
    'workflow.completed',
    workflowsCatalogueCheck('workflow.completed', {
      workflowId,
      definitionKey: 'transaction-approval',
      definitionVersion: 1,
      subject: { kind: 'transaction', id: `tx-${workflowId}` },
      outcome,
      reason,
      approvedHash: outcome === 'approved' ? hash : null,
      completedBy: by,
      completedAt: at,
    }),
    { userId: by, role: 'approver' },
  );
}
function workflowsCatalogueCheck<Data>(type: workflows.WorkflowsEventType, data: Data): Data {
  workflows.workflowsEventCatalogue[type].schema.parse(data);
  return data;
}

const project = () => projectToHead(context, [workflowsProjection]);
const inboxIds = async (caller: { userId: string; role: string }, extra: { after?: InboxCursor; limit?: number } = {}) =>
  (await listInbox(context.db, context.controlSchema, { ...caller, now: new Date('2026-03-04T00:00:00.000Z'), limit: 50, ...extra })).items.map((item) => `${item.workflowId}/${item.step}`);

describe('workflows read model', () => {
  it('folds instances and steps: assignment, approval with comment and hash, return to the previous step, reassignment, escalation and completion', async () => {
    // wf-1: two steps; approved by the approver, the second step rejected back, approved again, then completed.
    await context.store.appendToStream(
      stream('wf-1'),
      [
        started('wf-1', [step('check', { role: 'approver' }), step('skip-me', { role: 'admin' }, { skipped: true }), step('cfo', { userId: cfo.userId }, { onReject: 'return_to_previous_step' })], '2026-03-01T08:00:00.000Z'),
        assigned('wf-1', 'check', 0, { role: 'approver' }, '2026-03-01T08:00:00.000Z', '2026-03-03T08:00:00.000Z'),
        approved('wf-1', 'check', 0, checker.userId, '2026-03-01T09:00:00.000Z', 'amount verified'),
        assigned('wf-1', 'cfo', 2, { userId: cfo.userId }, '2026-03-01T09:00:00.000Z', '2026-03-03T09:00:00.000Z'),
        newEvent(
          'workflow.step_rejected',
          workflowsCatalogueCheck('workflow.step_rejected', { workflowId: 'wf-1', step: 'cfo', stepIndex: 2, rejectedBy: cfo.userId, rejectedAt: '2026-03-01T10:00:00.000Z', reason: 'wrong cost centre', onReject: 'return_to_previous_step' }),
          cfo,
        ),
        assigned('wf-1', 'check', 0, { role: 'approver' }, '2026-03-01T10:00:00.000Z', '2026-03-03T10:00:00.000Z'),
      ],
      { expectedVersion: 'no_stream' },
    );
    // wf-2: one step for the approver role, reassigned to a user; wf-3: escalated to the admin role; wf-4: completed at once.
    await context.store.appendToStream(
      stream('wf-2'),
      [
        started('wf-2', [step('check', { role: 'approver' })], '2026-03-02T08:00:00.000Z', { kind: 'document', id: 'inv-1' }),
        assigned('wf-2', 'check', 0, { role: 'approver' }, '2026-03-02T08:00:00.000Z', '2026-03-04T08:00:00.000Z'),
        newEvent(
          'workflow.step_reassigned',
          workflowsCatalogueCheck('workflow.step_reassigned', {
            workflowId: 'wf-2',
            step: 'check',
            stepIndex: 0,
            from: { role: 'approver' },
            to: { userId: 'checker-2' },
            reassignedBy: checker.userId,
            reassignedAt: '2026-03-02T09:00:00.000Z',
            dueAt: '2026-03-04T09:00:00.000Z',
            comment: 'on holiday',
          }),
          checker,
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(
      stream('wf-3'),
      [
        started('wf-3', [step('check', { role: 'approver' })], '2026-03-01T07:00:00.000Z'),
        assigned('wf-3', 'check', 0, { role: 'approver' }, '2026-03-01T07:00:00.000Z', '2026-03-02T07:00:00.000Z'),
        newEvent(
          'workflow.escalated',
          workflowsCatalogueCheck('workflow.escalated', { workflowId: 'wf-3', step: 'check', stepIndex: 0, from: { role: 'approver' }, to: { role: 'admin' }, dueAt: '2026-03-02T07:00:00.000Z', escalatedAt: '2026-03-02T07:05:00.000Z' }),
          system,
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(
      stream('wf-4'),
      [
        started('wf-4', [step('check', { role: 'approver' })], '2026-03-01T06:00:00.000Z'),
        assigned('wf-4', 'check', 0, { role: 'approver' }, '2026-03-01T06:00:00.000Z', '2026-03-03T06:00:00.000Z'),
        approved('wf-4', 'check', 0, checker.userId, '2026-03-01T06:30:00.000Z'),
        completed('wf-4', 'approved', 'all steps approved', checker.userId, '2026-03-01T06:30:00.000Z'),
      ],
      { expectedVersion: 'no_stream' },
    );
    await project();
    expect(await deadLetterCount(context, 'workflows')).toBe(0);

    const wf1 = await getWorkflow(context.db, context.controlSchema, 'wf-1');
    expect(wf1).toMatchObject({
      workflowId: 'wf-1',
      definitionKey: 'transaction-approval',
      definitionVersion: 1,
      subject: { kind: 'transaction', id: 'tx-wf-1' },
      subjectHash: hash,
      status: 'running',
      startedBy: maker.userId,
      startedAt: '2026-03-01T08:00:00.000Z',
      completedBy: null,
      currentStep: 'check',
      assignee: { role: 'approver' },
      dueAt: '2026-03-03T10:00:00.000Z',
      escalated: false,
      escalationRole: 'admin',
      updatedAt: '2026-03-01T10:00:00.000Z',
      updatedPosition: 6n,
    });
    expect(wf1?.steps.map((one) => [one.index, one.name, one.status, one.assignee, one.decision, one.actedBy, one.comment, one.subjectHash])).toEqual([
      // Returned to: active again, its earlier approval kept as the last decision.
      [0, 'check', 'active', { role: 'approver' }, 'approved', checker.userId, 'amount verified', hash],
      [1, 'skip-me', 'skipped', { role: 'admin' }, null, null, null, null],
      // The step that returned the workflow waits again; its rejection stays readable.
      [2, 'cfo', 'pending', { userId: cfo.userId }, 'rejected', cfo.userId, 'wrong cost centre', null],
    ]);
    expect(wf1?.steps[2]).toMatchObject({ assignedAt: null, dueAt: null, actedAt: '2026-03-01T10:00:00.000Z', onReject: 'return_to_previous_step', dueDuration: 'P2D' });

    expect(await getWorkflow(context.db, context.controlSchema, 'wf-2')).toMatchObject({ assignee: { userId: 'checker-2' }, dueAt: '2026-03-04T09:00:00.000Z', subject: { kind: 'document', id: 'inv-1' } });
    expect(await getWorkflow(context.db, context.controlSchema, 'wf-3')).toMatchObject({ assignee: { role: 'admin' }, escalated: true, dueAt: '2026-03-02T07:00:00.000Z' });
    const wf4 = await getWorkflow(context.db, context.controlSchema, 'wf-4');
    expect(wf4).toMatchObject({ status: 'approved', completedBy: checker.userId, completedAt: '2026-03-01T06:30:00.000Z', reason: 'all steps approved', currentStep: null, assignee: null, dueAt: null });
    expect(wf4?.steps.map((one) => [one.status, one.actedBy, one.actedAt])).toEqual([['approved', checker.userId, '2026-03-01T06:30:00.000Z']]);
    expect(await getWorkflow(context.db, context.controlSchema, 'nope')).toBeNull();
  });

  it('the inbox: current steps by user id or role, soonest due first, overdue against now, never for the maker, paged by keyset', async () => {
    // Approver role: wf-1 (due 03-03 10:00); wf-2 went to checker-2, wf-3 escalated to admin, wf-4 is done.
    expect(await inboxIds(checker)).toEqual(['wf-1/check']);
    expect(await inboxIds({ userId: 'checker-2', role: 'user' })).toEqual(['wf-2/check']);
    // checker-2 as an approver sees both: by role and by user id.
    expect(await inboxIds({ userId: 'checker-2', role: 'approver' })).toEqual(['wf-1/check', 'wf-2/check']);
    expect(await inboxIds(cfo)).toEqual(['wf-3/check']);
    // The maker, even with the right role, gets nothing: maker ≠ checker.
    expect(await inboxIds({ userId: maker.userId, role: 'approver' })).toEqual([]);

    const page = await listInbox(context.db, context.controlSchema, { userId: 'checker-2', role: 'approver', now: new Date('2026-03-04T08:30:00.000Z'), limit: 1 });
    expect(page.items).toEqual([
      {
        workflowId: 'wf-1',
        step: 'check',
        stepIndex: 0,
        definitionKey: 'transaction-approval',
        definitionVersion: 1,
        subject: { kind: 'transaction', id: 'tx-wf-1' },
        assignee: { role: 'approver' },
        assignedAt: '2026-03-01T10:00:00.000Z',
        dueAt: '2026-03-03T10:00:00.000Z',
        overdue: true,
        escalated: false,
        startedBy: maker.userId,
        startedAt: '2026-03-01T08:00:00.000Z',
        subjectHash: hash,
      },
    ]);
    expect(page.next).toEqual({ dueAt: '2026-03-03T10:00:00.000000Z', workflowId: 'wf-1' });
    const second = await listInbox(context.db, context.controlSchema, { userId: 'checker-2', role: 'approver', now: new Date('2026-03-04T08:30:00.000Z'), limit: 1, after: page.next ?? undefined });
    expect(second.items.map((item) => [item.workflowId, item.assignee, item.overdue])).toEqual([['wf-2', { userId: 'checker-2' }, false]]);
    expect(second.next).toBeNull();
    // Due exactly now is overdue (the decider escalates from dueAt on).
    const atDue = await listInbox(context.db, context.controlSchema, { userId: 'checker-2', role: 'user', now: new Date('2026-03-04T09:00:00.000Z'), limit: 5 });
    expect(atDue.items[0]?.overdue).toBe(true);

    expect(await countOpenApprovals(context.db, context.controlSchema)).toBe(3);
    expect(await countOpenApprovals(context.db, context.controlSchema, { userId: 'checker-2', role: 'approver' })).toBe(2);
    expect(await countOpenApprovals(context.db, context.controlSchema, { userId: maker.userId, role: 'approver' })).toBe(0);
  });

  it('lists workflows most recently changed first, filtered by status and subject, paged by keyset', async () => {
    const ids = async (query: { status?: 'running' | 'approved' | 'rejected'; subjectKind?: 'transaction' | 'document'; subjectId?: string }) =>
      (await listWorkflows(context.db, context.controlSchema, { limit: 50, ...query })).items.map((item) => item.workflowId);
    expect(await ids({})).toEqual(['wf-4', 'wf-3', 'wf-2', 'wf-1']);
    expect(await ids({ status: 'running' })).toEqual(['wf-3', 'wf-2', 'wf-1']);
    expect(await ids({ status: 'approved' })).toEqual(['wf-4']);
    expect(await ids({ status: 'rejected' })).toEqual([]);
    expect(await ids({ subjectKind: 'document' })).toEqual(['wf-2']);
    expect(await ids({ subjectKind: 'transaction', subjectId: 'tx-wf-3' })).toEqual(['wf-3']);

    const first = await listWorkflows(context.db, context.controlSchema, { limit: 3 });
    expect(first.items.map((item) => item.workflowId)).toEqual(['wf-4', 'wf-3', 'wf-2']);
    const second = await listWorkflows(context.db, context.controlSchema, { limit: 3, after: first.next ?? undefined });
    expect(second.items.map((item) => item.workflowId)).toEqual(['wf-1']);
    expect(second.next).toBeNull();
  });

  it('a rejection completes the workflow and empties the inbox; a rebuild in batches of two equals the live tables', async () => {
    await context.store.appendToStream(
      stream('wf-1'),
      [
        newEvent(
          'workflow.step_rejected',
          workflowsCatalogueCheck('workflow.step_rejected', { workflowId: 'wf-1', step: 'check', stepIndex: 0, rejectedBy: checker.userId, rejectedAt: '2026-03-02T10:00:00.000Z', reason: 'duplicate', onReject: 'reject_workflow' }),
          checker,
        ),
        completed('wf-1', 'rejected', 'duplicate', checker.userId, '2026-03-02T10:00:00.000Z'),
      ],
      { expectedVersion: 5 },
    );
    await project();
    expect(await getWorkflow(context.db, context.controlSchema, 'wf-1')).toMatchObject({ status: 'rejected', reason: 'duplicate', completedBy: checker.userId, currentStep: null });
    expect((await getWorkflow(context.db, context.controlSchema, 'wf-1'))?.steps[0]).toMatchObject({ status: 'rejected', decision: 'rejected', comment: 'duplicate', subjectHash: null });
    expect(await inboxIds(checker)).toEqual([]);

    const before = await getWorkflow(context.db, context.controlSchema, 'wf-1');
    const rebuilt = await rebuildInSmallBatches(context, workflowsProjection);
    expect(rebuilt.verification.outcome).toBe('equal');
    expect(rebuilt.switched).toBe(true);
    expect(rebuilt.verification.tables.map((table) => [table.table, table.liveRows, table.rebuiltRows])).toEqual([
      ['workflow_instances', 4, 4],
      ['workflow_steps', 6, 6],
    ]);
    expect(await getWorkflow(context.db, context.controlSchema, 'wf-1')).toEqual(before);
    expect(await deadLetterCount(context, 'workflows')).toBe(0);
  });
});
