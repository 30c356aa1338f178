import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { workflows as domain } from '@neuroerp/domains';
import { workflows as wire } from '@neuroerp/schemas';
import { uniqueSchema } from '../ledger/test-support';
import { workflowsOpenApi } from './openapi';
import { workflowsTestBed, type WorkflowsTestBed } from './test-support';

const schema = uniqueSchema('workflows_api');
let bed: WorkflowsTestBed;

interface As {
  user?: string;
  role?: string;
  key?: string | null;
  ifMatch?: string;
}
const admin: As = { user: 'root', role: 'admin' };
const maker: As = { user: 'alice', role: 'accountant' };
const reviewer: As = { user: 'anna', role: 'accountant' };
const approver: As = { user: 'bob', role: 'approver' };
const guest: As = { user: 'gus', role: 'guest' };
const auditor: As = { user: 'audrey', role: 'auditor' };

const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);

function authed(test: request.Test, as: As): request.Test {
  let result = as.user === undefined ? test : test.set('X-Test-User', as.user).set('X-Test-Role', as.role ?? 'accountant');
  if (as.ifMatch !== undefined) result = result.set('If-Match', as.ifMatch);
  return result;
}
const post = (path: string, body: unknown, as: As) => {
  const test = authed(request(bed.app).post(`/api/workflows${path}`), as);
  return (as.key === null ? test : test.set('Idempotency-Key', as.key ?? randomUUID())).send(body as object);
};
const get = (path: string, as: As = auditor) => authed(request(bed.app).get(`/api/workflows${path}`), as);
const publish = (definition: unknown, as: As = admin) => post('/definitions', definition, as);
const startBody = (workflowId: string, overrides: Record<string, unknown> = {}) => ({
  workflowId,
  definitionKey: 'contract-review',
  subject: { kind: 'document', id: `doc-${workflowId}` },
  subjectHash: HASH,
  startedBy: 'alice',
  facts: { documentType: 'contract' },
  ...overrides,
});
const start = (workflowId: string, overrides: Record<string, unknown> = {}, as: As = admin) => post('/instances', startBody(workflowId, overrides), as);
const act = (workflowId: string, step: string, action: 'approve' | 'reject' | 'reassign', body: unknown, as: As) => post(`/instances/${workflowId}/steps/${step}/${action}`, body, as);

function expectProblem(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
}

let sequence = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(sequence += 1)}`;
const RUNNING = newId('running');
const COMPLETED = newId('completed');

beforeAll(async () => {
  bed = await workflowsTestBed(schema);
  for (const definition of domain.DEFAULT_WORKFLOW_DEFINITIONS) expect((await publish(definition)).status).toBe(201);
  expect((await start(RUNNING)).status).toBe(201);
  expect((await start(COMPLETED)).status).toBe(201);
  expect((await act(COMPLETED, 'accounting-review', 'reject', { reason: 'Laufzeit fehlt' }, reviewer)).status).toBe(200);
});

afterAll(async () => {
  await bed?.close();
});

describe('definitions', () => {
  it('publishes versions n + 1, serves the latest and every version, and repeats idempotently', async () => {
    const key = `review-${sequence += 1}`;
    const v1 = { key, version: 1, steps: [{ name: 'check', assignee: { role: 'approver' }, dueDuration: 'PT4H', onReject: 'reject_workflow' }] };
    const first = await publish(v1);
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/api/workflows/definitions/${key}/versions/1`);
    expect(first.body).toMatchObject({ key, version: 1, latestVersion: 1, escalationRole: null, publishedBy: 'root', streamId: `workflows.definition-${key}`, streamVersion: 0 });
    expect((await publish(v1)).status).toBe(200);
    const v2 = { ...v1, version: 2, escalationRole: 'admin' };
    expect((await publish(v2)).status).toBe(201);
    expect((await get(`/definitions/${key}`)).body).toMatchObject({ version: 2, latestVersion: 2, escalationRole: 'admin' });
    const old = await get(`/definitions/${key}/versions/1`);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ version: 1, steps: v1.steps, escalationRole: null });
  });

  it('serves the shipped defaults', async () => {
    const response = await get('/definitions/transaction-approval', guest);
    expect(response.status).toBe(200);
    expect(response.body.steps).toEqual(domain.TRANSACTION_APPROVAL_DEFINITION.steps);
  });
});

describe('instances', () => {
  it('starts at the first step recording the definition version, and repeats idempotently', async () => {
    const id = newId('start');
    const first = await start(id);
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/api/workflows/instances/${id}`);
    expect(first.body).toMatchObject({
      workflowId: id,
      status: 'running',
      definitionKey: 'contract-review',
      definitionVersion: 1,
      currentStep: 'accounting-review',
      assignee: { role: 'accountant' },
      startedBy: 'alice',
      streamVersion: 1,
    });
    const again = await start(id);
    expect({ status: again.status, streamVersion: again.body.streamVersion }).toEqual({ status: 200, streamVersion: 1 });
  });

  it('runs a contract review to approval: both steps record the hash, completion carries it', async () => {
    const id = newId('approved');
    expect((await start(id)).status).toBe(201);
    const reviewed = await act(id, 'accounting-review', 'approve', { subjectHash: HASH, comment: 'Konditionen geprüft' }, reviewer);
    expect(reviewed.status).toBe(200);
    expect(reviewed.body).toMatchObject({ currentStep: 'management-approval', assignee: { role: 'admin' } });
    const approved = await act(id, 'management-approval', 'approve', { subjectHash: HASH }, { ...admin, ifMatch: reviewed.headers.etag as string });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'completed', currentStep: null, completion: { outcome: 'approved', approvedHash: HASH, completedBy: 'root' } });
    const events = await bed.store.readStream(`workflows.instance-${id}`, { maxCount: 20 });
    expect(events.map((event) => event.type)).toEqual([
      'workflow.started',
      'workflow.step_assigned',
      'workflow.step_approved',
      'workflow.step_assigned',
      'workflow.step_approved',
      'workflow.completed',
    ]);
    expect(events.filter((event) => event.type === 'workflow.step_approved').map((event) => (event.data as wire.WorkflowStepApproved).subjectHash)).toEqual([HASH, HASH]);
    const completed = events[5]?.data as wire.WorkflowCompleted;
    expect(completed).toMatchObject({ outcome: 'approved', reason: 'all steps approved', subject: { kind: 'document', id: `doc-${id}` }, approvedHash: HASH, definitionVersion: 1 });
    for (const event of events) expect(wire.workflowsEventCatalogue[event.type as wire.WorkflowsEventType].schema.safeParse(event.data).success).toBe(true);
  });

  it('skips the approval of a small transaction and completes at once', async () => {
    const id = newId('small');
    const response = await start(id, { definitionKey: 'transaction-approval', subject: { kind: 'transaction', id: 'tx-1' }, facts: { amount: '120.00' } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'completed', steps: [{ name: 'approve', status: 'skipped' }], completion: { outcome: 'approved', reason: 'no step applies' } });
  });

  it('returns a rejected management approval to accounting', async () => {
    const id = newId('returned');
    expect((await start(id)).status).toBe(201);
    expect((await act(id, 'accounting-review', 'approve', { subjectHash: HASH }, reviewer)).status).toBe(200);
    const rejected = await act(id, 'management-approval', 'reject', { reason: 'Haftungsklausel prüfen' }, admin);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'running', currentStep: 'accounting-review', steps: [{ status: 'active' }, { status: 'waiting' }] });
  });

  it('reassigns a step to a user, who then may act', async () => {
    const id = newId('reassigned');
    expect((await start(id)).status).toBe(201);
    const reassigned = await act(id, 'accounting-review', 'reassign', { to: { userId: 'bob' }, comment: 'Vertretung' }, reviewer);
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.assignee).toEqual({ userId: 'bob' });
    expectProblem(await act(id, 'accounting-review', 'approve', { subjectHash: HASH }, reviewer), 403, 'NOT_ASSIGNEE');
    expect((await act(id, 'accounting-review', 'approve', { subjectHash: HASH }, approver)).status).toBe(200);
  });

  it('escalates an overdue step once, judged by the injected clock', async () => {
    const id = newId('overdue');
    bed.clock.set('2025-03-10T09:00:00.000Z');
    expect((await start(id, { definitionKey: 'transaction-approval', subject: { kind: 'transaction', id: 'tx-2' }, facts: { amount: '25000.00' } })).status).toBe(201);
    const early = await post('/escalations', { workflowIds: [id] }, approver);
    expect(early.body).toEqual({ now: '2025-03-10T09:00:00.000Z', results: [{ workflowId: id, outcome: 'nothing_due', streamVersion: 1 }] });
    bed.clock.set('2025-03-12T09:00:00.000Z');
    const due = await post('/escalations', { workflowIds: [id, 'never-started'] }, approver);
    expect(due.status).toBe(200);
    expect(due.body.results).toEqual([
      { workflowId: id, outcome: 'escalated', streamVersion: 2 },
      { workflowId: 'never-started', outcome: 'not_found', streamVersion: null },
    ]);
    bed.clock.set('2025-03-20T09:00:00.000Z');
    const later = await post('/escalations', { workflowIds: [id] }, approver);
    expect(later.body.results).toEqual([{ workflowId: id, outcome: 'nothing_due', streamVersion: 2 }]);
    const instance = await get(`/instances/${id}`);
    expect(instance.body).toMatchObject({ assignee: { role: 'admin' }, steps: [{ name: 'approve', escalated: true, dueAt: '2025-03-12T09:00:00.000Z' }] });
    const events = await bed.store.readStream(`workflows.instance-${id}`, { maxCount: 10 });
    expect(events.map((event) => event.type)).toEqual(['workflow.started', 'workflow.step_assigned', 'workflow.escalated']);
  });

  it('lets readers see an instance with its ETag', async () => {
    const response = await get(`/instances/${RUNNING}`, guest);
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('"1"');
    expect(response.body).toMatchObject({ workflowId: RUNNING, status: 'running', currentStep: 'accounting-review' });
  });
});

describe('bad input: every row a 4xx with its code', () => {
  const definition = domain.CONTRACT_REVIEW_DEFINITION;
  const step0 = definition.steps[0] as wire.WorkflowStep;
  const rows: [string, () => request.Test, number, string][] = [
    ['definition that is not a definition', () => publish({ key: 'x-1', steps: 'none' }), 400, 'VALIDATION_FAILED'],
    ['definition with a duration in months', () => publish({ ...definition, key: 'months', steps: [{ ...step0, dueDuration: 'P1M' }] }), 400, 'DUE_DURATION_INVALID'],
    ['definition with duplicate step names', () => publish({ ...definition, key: 'dupes', steps: [step0, step0] }), 400, 'STEP_NAMES_NOT_UNIQUE'],
    ['definition with an unknown role', () => publish({ ...definition, key: 'roles', steps: [{ ...step0, assignee: { role: 'ceo' } }] }), 400, 'VALIDATION_FAILED'],
    ['definition version already taken with other steps', () => publish({ ...definition, steps: [step0] }), 409, 'WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA'],
    ['definition version with a gap', () => publish({ ...definition, version: 5 }), 409, 'WORKFLOW_DEFINITION_VERSION_NOT_NEXT'],
    ['definition published by an approver', () => publish({ ...definition, key: 'nope' }, approver), 403, 'FORBIDDEN'],
    ['unknown definition', () => get('/definitions/no-such-flow'), 404, 'WORKFLOW_DEFINITION_NOT_FOUND'],
    ['unknown definition version', () => get('/definitions/contract-review/versions/9'), 404, 'WORKFLOW_DEFINITION_VERSION_NOT_FOUND'],
    ['start of an unknown definition', () => start(newId('x'), { definitionKey: 'no-such-flow' }), 404, 'WORKFLOW_DEFINITION_NOT_FOUND'],
    ['start again with another subject hash', () => start(RUNNING, { subjectHash: OTHER_HASH }), 409, 'WORKFLOW_EXISTS_WITH_DIFFERENT_DATA'],
    ['start without the amount the condition needs', () => start(newId('x'), { definitionKey: 'transaction-approval', subject: { kind: 'transaction', id: 't' }, facts: {} }), 422, 'CONDITION_FACT_MISSING'],
    ['start with a malformed subject hash', () => start(newId('x'), { subjectHash: 'abc' }), 400, 'VALIDATION_FAILED'],
    ['start by an accountant', () => start(newId('x'), {}, reviewer), 403, 'FORBIDDEN'],
    ['approving one’s own submission', () => act(RUNNING, 'accounting-review', 'approve', { subjectHash: HASH }, maker), 422, 'APPROVER_IS_SUBMITTER'],
    ['rejecting one’s own submission', () => act(RUNNING, 'accounting-review', 'reject', { reason: 'x' }, maker), 422, 'APPROVER_IS_SUBMITTER'],
    ['approving as someone who is not the assignee', () => act(RUNNING, 'accounting-review', 'approve', { subjectHash: HASH }, approver), 403, 'NOT_ASSIGNEE'],
    ['reassigning as someone who is not the assignee', () => act(RUNNING, 'accounting-review', 'reassign', { to: { role: 'approver' } }, approver), 403, 'NOT_ASSIGNEE'],
    ['reassigning to the maker', () => act(RUNNING, 'accounting-review', 'reassign', { to: { userId: 'alice' } }, reviewer), 422, 'ASSIGNEE_IS_SUBMITTER'],
    ['approving another version of the subject', () => act(RUNNING, 'accounting-review', 'approve', { subjectHash: OTHER_HASH }, reviewer), 409, 'SUBJECT_HASH_MISMATCH'],
    ['approving a step that is not current', () => act(RUNNING, 'management-approval', 'approve', { subjectHash: HASH }, admin), 409, 'STEP_NOT_ACTIVE'],
    ['approving an unknown step', () => act(RUNNING, 'legal', 'approve', { subjectHash: HASH }, reviewer), 404, 'STEP_NOT_FOUND'],
    ['reject without a reason', () => act(RUNNING, 'accounting-review', 'reject', {}, reviewer), 422, 'REASON_REQUIRED'],
    ['reject with a blank reason', () => act(RUNNING, 'accounting-review', 'reject', { reason: '  ' }, reviewer), 422, 'REASON_REQUIRED'],
    ['approving in a completed workflow', () => act(COMPLETED, 'management-approval', 'approve', { subjectHash: HASH }, admin), 409, 'WORKFLOW_COMPLETED'],
    ['rejecting in a completed workflow', () => act(COMPLETED, 'accounting-review', 'reject', { reason: 'again' }, { user: 'axel', role: 'accountant' }), 409, 'WORKFLOW_COMPLETED'],
    ['approving in an unknown workflow', () => act('no-such-workflow', 'accounting-review', 'approve', { subjectHash: HASH }, reviewer), 404, 'WORKFLOW_NOT_FOUND'],
    ['reading an unknown workflow', () => get('/instances/no-such-workflow'), 404, 'WORKFLOW_NOT_FOUND'],
    ['approving as a guest', () => act(RUNNING, 'accounting-review', 'approve', { subjectHash: HASH }, guest), 403, 'FORBIDDEN'],
    ['approving with a stale If-Match', () => act(RUNNING, 'accounting-review', 'approve', { subjectHash: HASH }, { ...reviewer, ifMatch: '"0"' }), 412, 'PRECONDITION_FAILED'],
    ['approving without an Idempotency-Key', () => act(RUNNING, 'accounting-review', 'approve', { subjectHash: HASH }, { ...reviewer, key: null }), 428, 'IDEMPOTENCY_KEY_REQUIRED'],
    ['escalating too many workflows at once', () => post('/escalations', { workflowIds: Array.from({ length: wire.ESCALATION_BATCH_MAX + 1 }, (_, i) => `w${i}`) }, approver), 400, 'VALIDATION_FAILED'],
    ['no credentials', () => get(`/instances/${RUNNING}`, {}), 401, 'UNAUTHENTICATED'],
  ];
  it.each(rows.map(([name, send, status, code]) => [name, status, code, send] as const))('%s → %i %s', async (_name, status, code, send) => {
    expectProblem(await send(), status, code);
  });

  it('leaves the running workflow untouched by all of the above', async () => {
    const current = await get(`/instances/${RUNNING}`);
    expect(current.headers.etag).toBe('"1"');
    expect(current.body).toMatchObject({ status: 'running', currentStep: 'accounting-review', assignee: { role: 'accountant' } });
  });
});

describe('OpenAPI', () => {
  it('describes every route with its permission and error codes', () => {
    const { paths } = workflowsOpenApi();
    expect(Object.keys(paths).sort()).toEqual([
      '/api/workflows/definitions',
      '/api/workflows/definitions/{key}',
      '/api/workflows/definitions/{key}/versions/{version}',
      '/api/workflows/escalations',
      '/api/workflows/instances',
      '/api/workflows/instances/{workflowId}',
      '/api/workflows/instances/{workflowId}/steps/{step}/approve',
      '/api/workflows/instances/{workflowId}/steps/{step}/reassign',
      '/api/workflows/instances/{workflowId}/steps/{step}/reject',
    ]);
    const approve = (paths['/api/workflows/instances/{workflowId}/steps/{step}/approve'] as { post: { description: string; responses: Record<string, { description: string }> } }).post;
    expect(approve.description).toContain('workflows:act');
    expect(approve.responses['403']?.description).toContain('NOT_ASSIGNEE');
    expect(approve.responses['409']?.description).toContain('WORKFLOW_COMPLETED');
    expect(approve.responses['422']?.description).toContain('APPROVER_IS_SUBMITTER');
  });
});
