import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { usersProjection, workflowsProjection } from '@neuroerp/projections';
import { workflows } from '@neuroerp/schemas';
import { newEvent, queryTestBed, type QueryTestBed } from '../test-support';

let bed: QueryTestBed;
const get = (path: string, actor: { userId: string; role: string }) => request(bed.app).get(`/api/query${path}`).set('X-Test-User', actor.userId).set('X-Test-Role', actor.role);

// maker and checker are users of the users read model (`mia`, `chris`); checker-2, lead-1 and `system` are not.
const maker = { userId: randomUUID(), role: 'accountant' };
const checker = { userId: randomUUID(), role: 'approver' };
const other = { userId: 'checker-2', role: 'approver' };
const system = { userId: 'system', role: 'admin' };
const hash = 'cd'.repeat(32);

/** Events as the catalogue defines them: each is checked against its schema here, and the projection parses it again. */
function event<Type extends workflows.WorkflowsEventType>(type: Type, data: workflows.WorkflowsEventData<Type>, actor = system) {
  return newEvent(type, workflows.workflowsEventCatalogue[type].schema.parse(data) as workflows.WorkflowsEventData<Type>, actor);
}

function start(workflowId: string, subject: workflows.WorkflowSubject, startedAt: string, dueAt: string, assignee: workflows.Assignee = { role: 'approver' }, startedBy = maker.userId) {
  return [
    event('workflow.started', {
      workflowId,
      definitionKey: 'transaction-approval',
      definitionVersion: 2,
      subject,
      subjectHash: hash,
      startedBy,
      facts: {},
      steps: [{ name: 'check', assignee, dueDuration: 'P2D', onReject: 'reject_workflow', skipped: false }],
      escalationRole: null,
      startedAt,
    }),
    event('workflow.step_assigned', { workflowId, step: 'check', stepIndex: 0, assignee, assignedAt: startedAt, dueAt }),
  ];
}

beforeAll(async () => {
  // The request clock: wf-a is overdue, wf-b is not.
  bed = await queryTestBed('qwf', { clock: () => new Date('2026-03-04T12:00:00.000Z') });
  await bed.store.appendToStream('workflows.instance-wf-a', start('wf-a', { kind: 'transaction', id: 'tx-1' }, '2026-03-01T08:00:00.000Z', '2026-03-03T08:00:00.000Z'), { expectedVersion: 'no_stream' });
  await bed.store.appendToStream('workflows.instance-wf-b', start('wf-b', { kind: 'document', id: 'inv-1' }, '2026-03-03T08:00:00.000Z', '2026-03-05T08:00:00.000Z'), { expectedVersion: 'no_stream' });
  // Started by checker-1 (the maker here): checker-1 must not see it, checker-2 does.
  await bed.store.appendToStream('workflows.instance-wf-c', start('wf-c', { kind: 'transaction', id: 'tx-3' }, '2026-03-02T08:00:00.000Z', '2026-03-06T08:00:00.000Z', { role: 'approver' }, checker.userId), {
    expectedVersion: 'no_stream',
  });
  await bed.store.appendToStream(
    'workflows.instance-wf-d',
    [
      ...start('wf-d', { kind: 'transaction', id: 'tx-4' }, '2026-03-01T07:00:00.000Z', '2026-03-03T07:00:00.000Z'),
      event('workflow.step_approved', { workflowId: 'wf-d', step: 'check', stepIndex: 0, approvedBy: checker.userId, approvedAt: '2026-03-01T09:00:00.000Z', subjectHash: hash, comment: 'ok' }, checker),
      event(
        'workflow.completed',
        {
          workflowId: 'wf-d',
          definitionKey: 'transaction-approval',
          definitionVersion: 2,
          subject: { kind: 'transaction', id: 'tx-4' },
          outcome: 'approved',
          reason: 'all steps approved',
          approvedHash: hash,
          completedBy: checker.userId,
          completedAt: '2026-03-01T09:00:00.000Z',
        },
        checker,
      ),
    ],
    { expectedVersion: 'no_stream' },
  );
  // Assigned to one user: only that user sees it.
  await bed.store.appendToStream('workflows.instance-wf-e', start('wf-e', { kind: 'document', id: 'inv-2' }, '2026-03-02T09:00:00.000Z', '2026-03-04T09:00:00.000Z', { userId: 'lead-1' }), {
    expectedVersion: 'no_stream',
  });
  const passwordHash = `scrypt$16384$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`;
  for (const [username, user] of [['mia', maker], ['chris', checker]] as const) {
    await bed.store.appendToStream(
      `identity.user-${user.userId}`,
      [newEvent('identity.user_created', { userId: user.userId, username, displayName: null, role: user.role, passwordHash, createdBy: 'admin-1', createdAt: '2026-01-01T08:00:00.000Z' }, system)],
      { expectedVersion: 'no_stream' },
    );
  }
  await bed.project([workflowsProjection, usersProjection]);
});
afterAll(async () => {
  await bed?.close();
});

describe('workflow query routes', () => {
  it('inbox: the caller\'s current steps by role and by user id, soonest due first, with overdue judged at the request time and never the maker\'s own', async () => {
    const response = await get('/inbox', checker).expect(200);
    expect(response.body).toEqual({
      items: [
        {
          workflowId: 'wf-a',
          step: 'check',
          stepName: 'check',
          stepIndex: 0,
          definitionKey: 'transaction-approval',
          definitionVersion: 2,
          subject: { kind: 'transaction', id: 'tx-1' },
          assignee: { role: 'approver' },
          assignedAt: '2026-03-01T08:00:00.000Z',
          dueAt: '2026-03-03T08:00:00.000Z',
          overdue: true,
          escalated: false,
          startedBy: maker.userId,
          startedByName: 'mia',
          startedAt: '2026-03-01T08:00:00.000Z',
          subjectHash: hash,
        },
        expect.objectContaining({ workflowId: 'wf-b', subject: { kind: 'document', id: 'inv-1' }, overdue: false }),
      ],
      nextCursor: null,
    });
    // The answer depends on who asks (perActor): checker-2 also sees wf-c, which checker-1 started.
    expect((await get('/inbox', other).expect(200)).body.items[2]).toMatchObject({ workflowId: 'wf-c', startedBy: checker.userId, startedByName: 'chris' });
    const ids = async (actor: { userId: string; role: string }, query = '') => (await get(`/inbox${query}`, actor).expect(200)).body.items.map((item: { workflowId: string }) => item.workflowId);
    expect(await ids(other)).toEqual(['wf-a', 'wf-b', 'wf-c']);
    expect(await ids({ userId: 'lead-1', role: 'user' })).toEqual(['wf-e']);
    // maker-1 with the approver role: not the workflows maker-1 started, only checker-1's wf-c.
    expect(await ids({ userId: maker.userId, role: 'approver' })).toEqual(['wf-c']);
    expect(await ids({ userId: 'guest-1', role: 'guest' })).toEqual([]);
  });

  it('inbox: pages by keyset; a foreign cursor is 400; no caller is 401', async () => {
    const first = await get('/inbox?limit=2', other).expect(200);
    expect(first.body.items.map((item: { workflowId: string }) => item.workflowId)).toEqual(['wf-a', 'wf-b']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/inbox?limit=2&cursor=${first.body.nextCursor}`, other).expect(200);
    expect(second.body.items.map((item: { workflowId: string }) => item.workflowId)).toEqual(['wf-c']);
    expect(second.body.nextCursor).toBeNull();
    const workflowsCursor = (await get('/workflows?limit=1', other).expect(200)).body.nextCursor as string;
    expect((await get(`/inbox?cursor=${workflowsCursor}`, other).expect(400)).body.code).toBe('INVALID_CURSOR');
    expect((await get('/inbox?limit=0', other).expect(400)).body.code).toBe('LIMIT_OUT_OF_RANGE');
    expect((await request(bed.app).get('/api/query/inbox').expect(401)).body.code).toBe('UNAUTHENTICATED');
  });

  it('workflows: filters by status and subject, most recently changed first', async () => {
    const ids = async (query: string) => (await get(`/workflows?${query}`, other).expect(200)).body.items.map((item: { workflowId: string }) => item.workflowId);
    expect(await ids('')).toEqual(['wf-e', 'wf-d', 'wf-c', 'wf-b', 'wf-a']);
    expect(await ids('status=running')).toEqual(['wf-e', 'wf-c', 'wf-b', 'wf-a']);
    expect(await ids('status=approved')).toEqual(['wf-d']);
    expect(await ids('subjectKind=document')).toEqual(['wf-e', 'wf-b']);
    expect(await ids('subjectKind=transaction&subjectId=tx-4')).toEqual(['wf-d']);
    expect((await get('/workflows?status=open', other).expect(400)).body.code).toBe('VALIDATION_FAILED');
    const done = (await get('/workflows?status=approved', other).expect(200)).body.items[0];
    expect(done).toMatchObject({ status: 'approved', startedBy: maker.userId, startedByName: 'mia', completedBy: checker.userId, completedByName: 'chris', reason: 'all steps approved', currentStep: null, assignee: null, updatedPosition: expect.stringMatching(/^[0-9]+$/) });
  });

  it('workflow detail: the instance with its steps; 404 with a code for an unknown id', async () => {
    const detail = await get('/workflows/wf-d', other).expect(200);
    expect(detail.body).toMatchObject({ workflowId: 'wf-d', status: 'approved', subject: { kind: 'transaction', id: 'tx-4' }, escalationRole: null, startedByName: 'mia', completedByName: 'chris' });
    expect(detail.body.steps).toEqual([
      {
        index: 0,
        name: 'check',
        assignee: { role: 'approver' },
        dueDuration: 'P2D',
        onReject: 'reject_workflow',
        status: 'approved',
        assignedAt: '2026-03-01T07:00:00.000Z',
        dueAt: '2026-03-03T07:00:00.000Z',
        escalated: false,
        decision: 'approved',
        actedBy: checker.userId,
        actedByName: 'chris',
        actedAt: '2026-03-01T09:00:00.000Z',
        comment: 'ok',
        subjectHash: hash,
      },
    ]);
    // A step nobody acted on: no name.
    expect((await get('/workflows/wf-a', other).expect(200)).body.steps[0]).toMatchObject({ status: 'active', actedBy: null, actedByName: null });
    expect((await get('/workflows/nope', other).expect(404)).body.code).toBe('WORKFLOW_NOT_FOUND');
  });
});
