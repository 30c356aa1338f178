import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import { ledgerOpenApi } from '../openapi';
import { ledgerRoutes } from './routes';
import { fiscalYearModel } from './streams';
import { ledgerTestBed, openCompany, twoLineDraft, uniqueSchema, type LedgerTestBed } from './test-support';

const schema = uniqueSchema('ledger_api');
const YEAR = 2025;
let bed: LedgerTestBed;

beforeAll(async () => {
  bed = await ledgerTestBed(schema);
  await openCompany(bed.commands, 'acme', YEAR);
});

afterAll(async () => {
  await bed?.close();
});

interface As {
  user?: string;
  role?: string;
  key?: string | null;
  ifMatch?: string;
}

const accountant = { user: 'alice', role: 'accountant' };
const approver = { user: 'bob', role: 'approver' };
const admin = { user: 'root', role: 'admin' };

function post(path: string, body: unknown, as: As = accountant): request.Test {
  let test = request(bed.app).post(`/api/finance${path}`).set('X-Test-User', as.user ?? 'alice').set('X-Test-Role', as.role ?? 'accountant');
  if (as.key !== null) test = test.set('Idempotency-Key', as.key ?? randomUUID());
  if (as.ifMatch !== undefined) test = test.set('If-Match', as.ifMatch);
  if (typeof body === 'string') return test.set('Content-Type', 'application/json').send(body);
  return test.send(body as object);
}

function get(path: string, as: As = accountant): request.Test {
  return request(bed.app).get(`/api/finance${path}`).set('X-Test-User', as.user ?? 'alice').set('X-Test-Role', as.role ?? 'accountant');
}

function expectProblem(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(typeof response.body.detail).toBe('string');
}

function expectCommandResponse(response: request.Response, status: number): void {
  expect(response.status).toBe(status);
  expect(typeof response.body.streamId).toBe('string');
  expect(Number.isInteger(response.body.streamVersion)).toBe(true);
  expect(response.body.position).toMatch(/^[1-9][0-9]*$/);
  expect(response.headers.etag).toMatch(/^"/);
}

let sequence = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(sequence += 1)}`;

async function draftSubmitted(amount = '119.00', postingDate = `${YEAR}-03-10`): Promise<string> {
  const id = newId('tx');
  const response = await post('/transactions', { ...twoLineDraft(id, 'acme', postingDate, amount), submit: true });
  expect(response.status).toBe(201);
  return id;
}

describe('chart of accounts routes', () => {
  it('opens an account (201), repeats it idempotently (200, nothing appended) and serves it with the chart version as ETag', async () => {
    const body = { companyId: 'acme', accountNumber: '4650', name: 'Bewirtungskosten', type: 'expense', currency: 'EUR' };
    const opened = await post('/accounts', body);
    expectCommandResponse(opened, 201);
    expect(opened.body).toMatchObject({ accountNumber: '4650', status: 'open', normalBalance: 'debit' });
    expect(opened.headers.location).toBe('/api/finance/accounts/4650?companyId=acme');
    const again = await post('/accounts', body);
    expectCommandResponse(again, 200);
    expect(again.body.streamVersion).toBe(opened.body.streamVersion);
    const fetched = await get('/accounts/4650?companyId=acme');
    expect(fetched.status).toBe(200);
    expect(fetched.headers.etag).toBe(`"${opened.body.streamVersion}"`);
    expect(fetched.body).toMatchObject({ companyId: 'acme', accountNumber: '4650', name: 'Bewirtungskosten' });
  });

  it('imports a chart in one append and skips identical accounts', async () => {
    const first = await post('/accounts/import', { companyId: 'beta', accounts: [{ accountNumber: '1000', name: 'Kasse', type: 'asset', currency: 'EUR' }] });
    expectCommandResponse(first, 201);
    expect(first.body).toMatchObject({ accountsOpened: 1, accountCount: 1 });
    const second = await post('/accounts/import', {
      companyId: 'beta',
      accounts: [
        { accountNumber: '1000', name: 'Kasse', type: 'asset', currency: 'EUR' },
        { accountNumber: '1200', name: 'Bank', type: 'asset', currency: 'EUR' },
      ],
    });
    expectCommandResponse(second, 201);
    expect(second.body).toMatchObject({ accountsOpened: 1, accountCount: 2 });
  });

  it('blocks, unblocks and archives with If-Match; a stale ETag is 412 PRECONDITION_FAILED', async () => {
    await post('/accounts', { companyId: 'acme', accountNumber: '4660', name: 'Reisekosten', type: 'expense', currency: 'EUR' });
    const { headers } = await get('/accounts/4660?companyId=acme');
    const blocked = await post('/accounts/4660/block', { companyId: 'acme', reason: 'audit' }, { ...accountant, ifMatch: headers.etag });
    expectCommandResponse(blocked, 200);
    expect(blocked.body.status).toBe('blocked');
    expectProblem(await post('/accounts/4660/unblock', { companyId: 'acme' }, { ...accountant, ifMatch: headers.etag }), 412, 'PRECONDITION_FAILED');
    const unblocked = await post('/accounts/4660/unblock', { companyId: 'acme' }, { ...accountant, ifMatch: blocked.headers.etag });
    expect(unblocked.body.status).toBe('open');
    const archived = await post('/accounts/4660/archive', { companyId: 'acme' });
    expect(archived.body.status).toBe('archived');
    expectProblem(await post('/accounts/4660/block', { companyId: 'acme', reason: 'again' }), 422, 'ACCOUNT_ARCHIVED');
  });

  it('GET of an unknown account is 404 ACCOUNT_NOT_FOUND', async () => {
    expectProblem(await get('/accounts/5999?companyId=acme'), 404, 'ACCOUNT_NOT_FOUND');
  });
});

describe('fiscal year and period routes', () => {
  const settings = {
    companyCurrency: 'EUR',
    approvalThreshold: '5000.00',
    roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
    retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
    openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
  };

  it('opens a year with settings (201) and serves it with its stream version as ETag', async () => {
    const opened = await post('/fiscal-years', { companyId: 'gamma', year: YEAR, ...settings });
    expectCommandResponse(opened, 201);
    expect(opened.body).toMatchObject({ year: YEAR, approvalThreshold: '5000.00', status: 'open', lastVoucherNumber: 0 });
    expect(opened.body.periods).toHaveLength(12);
    const fetched = await get(`/fiscal-years/${YEAR}?companyId=gamma`);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.etag).toBe('"0"');
    expectProblem(await post('/fiscal-years', { companyId: 'gamma', year: YEAR, ...settings, approvalThreshold: '1.00' }), 409, 'FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA');
    expectProblem(await get(`/fiscal-years/${YEAR + 5}?companyId=gamma`), 404, 'FISCAL_YEAR_NOT_FOUND');
  });

  it('soft-locks a period, lets an admin grant a posting exception, reopens and closes in order', async () => {
    await post('/fiscal-years', { companyId: 'delta', year: YEAR, ...settings });
    const locked = await post(`/fiscal-years/${YEAR}/periods/2/soft-lock`, { companyId: 'delta' });
    expectCommandResponse(locked, 200);
    expect(locked.body.periods[1].status).toBe('soft_locked');
    const until = new Date(Date.now() + 24 * 3600_000).toISOString();
    expectProblem(await post(`/fiscal-years/${YEAR}/periods/2/posting-exceptions`, { companyId: 'delta', grantee: 'alice', until, reason: 'late invoice' }), 403, 'FORBIDDEN');
    const granted = await post(`/fiscal-years/${YEAR}/periods/2/posting-exceptions`, { companyId: 'delta', grantee: 'alice', until, reason: 'late invoice' }, admin);
    expectCommandResponse(granted, 200);
    expect(granted.body.periods[1].exceptions).toEqual([{ grantee: 'alice', until, reason: 'late invoice', grantedBy: 'root' }]);
    const reopened = await post(`/fiscal-years/${YEAR}/periods/2/reopen`, { companyId: 'delta' }, { ...accountant, ifMatch: granted.headers.etag });
    expect(reopened.body.periods[1].status).toBe('open');
    expectProblem(await post(`/fiscal-years/${YEAR}/periods/2/close`, { companyId: 'delta' }), 422, 'PERIOD_CLOSE_OUT_OF_ORDER');
    const closed = await post(`/fiscal-years/${YEAR}/periods/1/close`, { companyId: 'delta' });
    expect(closed.body.periods[0].status).toBe('closed');
  });

  it('year-end close refuses while periods are open, and posting opening balances needs a closed previous year', async () => {
    await post('/fiscal-years', { companyId: 'epsilon', year: YEAR, ...settings });
    const closing = { companyId: 'epsilon', balances: [], closingTransactionId: 'close-1', openingBalanceTransactionId: 'open-1' };
    expectProblem(await post(`/fiscal-years/${YEAR}/close`, closing), 422, 'FISCAL_YEAR_HAS_OPEN_PERIODS');
    await post('/fiscal-years', { companyId: 'epsilon', year: YEAR + 1, ...settings });
    expectProblem(await post(`/fiscal-years/${YEAR + 1}/opening-balances`, { companyId: 'epsilon' }), 422, 'PREVIOUS_FISCAL_YEAR_NOT_CLOSED');
  });

  it('closes all periods, closes the year and posts the opening balances of the next', async () => {
    await post('/accounts/import', { companyId: 'zeta', accounts: [
      { accountNumber: '0860', name: 'Gewinnvortrag', type: 'equity', currency: 'EUR' },
      { accountNumber: '9000', name: 'Saldenvorträge', type: 'equity', currency: 'EUR' },
      { accountNumber: '4999', name: 'Rundung', type: 'expense', currency: 'EUR' },
      { accountNumber: '1200', name: 'Bank', type: 'asset', currency: 'EUR' },
      { accountNumber: '8400', name: 'Erlöse', type: 'revenue', currency: 'EUR' },
    ] });
    await post('/fiscal-years', { companyId: 'zeta', year: YEAR, ...settings });
    await post('/fiscal-years', { companyId: 'zeta', year: YEAR + 1, ...settings });
    const id = newId('zeta');
    await post('/transactions', { ...twoLineDraft(id, 'zeta', `${YEAR}-05-05`, '100.00'), post: true });
    for (let period = 1; period <= 12; period += 1) await post(`/fiscal-years/${YEAR}/periods/${period}/close`, { companyId: 'zeta' });
    const closed = await post(`/fiscal-years/${YEAR}/close`, {
      companyId: 'zeta',
      balances: [
        { accountNumber: '1200', balance: '100.00' },
        { accountNumber: '8400', balance: '-100.00' },
      ],
      closingTransactionId: 'zeta-closing',
      openingBalanceTransactionId: 'zeta-opening',
    });
    expectCommandResponse(closed, 200);
    expect(closed.body.status).toBe('closed');
    const opening = await post(`/fiscal-years/${YEAR + 1}/opening-balances`, { companyId: 'zeta' });
    expectCommandResponse(opening, 200);
    expect(opening.body.lastVoucherNumber).toBe(1);
  });
});

describe('transaction routes', () => {
  it('drafts (201), submits with If-Match, lets the approval workflow approve above the threshold, posts with a voucher number and serves it', async () => {
    const id = newId('tx');
    const drafted = await post('/transactions', twoLineDraft(id, 'acme', `${YEAR}-02-14`, '20000.00'));
    expectCommandResponse(drafted, 201);
    expect(drafted.body).toMatchObject({ transactionId: id, status: 'draft', draftedBy: 'alice', streamVersion: 0 });
    expect(drafted.body.lines[0]).toMatchObject({ accountNumber: '1200', side: 'debit', amount: '20000.00', currency: 'EUR' });
    const fetched = await get(`/transactions/${id}`);
    expect(fetched.headers.etag).toBe('"0"');
    const submitted = await post(`/transactions/${id}/submit`, {}, { ...accountant, ifMatch: fetched.headers.etag });
    expectCommandResponse(submitted, 200);
    expect(submitted.body.status).toBe('submitted');
    expectProblem(await post(`/transactions/${id}/post`, {}), 422, 'APPROVAL_REQUIRED');
    // Above the threshold nobody approves directly: the workflow's process manager does, on the workflow's completion.
    expectProblem(await post(`/transactions/${id}/approve`, {}, approver), 409, 'APPROVAL_THROUGH_WORKFLOW');
    const approved = await bed.commands.approveTransaction({ actor: { userId: 'bob', role: 'approver' }, correlationId: 'workflow-completion', requestId: null }, id, undefined, { through: 'workflow' });
    expect(approved.resource).toMatchObject({ status: 'approved', approvedBy: 'bob' });
    const posted = await post(`/transactions/${id}/post`, {}, { ...accountant, ifMatch: (await get(`/transactions/${id}`)).headers.etag });
    expectCommandResponse(posted, 200);
    expect(posted.body.streamId).toBe(`ledger.fiscal_year-acme-${YEAR}`);
    expect(posted.body).toMatchObject({ status: 'posted', posting: { period: 2, voucherNumber: expect.any(Number) } });
    expect(posted.headers.etag).toBe('"2-posted"');
    const after = await get(`/transactions/${id}`);
    expect(after.body.status).toBe('posted');
    expect(after.headers.etag).toBe('"2-posted"');
    expectProblem(await post(`/transactions/${id}/post`, {}), 409, 'TRANSACTION_ALREADY_POSTED');
  });

  it('drafts, submits and posts in one request below the threshold', async () => {
    const id = newId('tx');
    const response = await post('/transactions', { ...twoLineDraft(id, 'acme', `${YEAR}-04-01`), post: true });
    expectCommandResponse(response, 201);
    expect(response.body).toMatchObject({ status: 'posted', submittedBy: 'alice', approvedBy: null });
    expect(response.body.streamId).toBe(`ledger.fiscal_year-acme-${YEAR}`);
  });

  it('reverses a posted transaction once, into an open period', async () => {
    const id = newId('tx');
    await post('/transactions', { ...twoLineDraft(id, 'acme', `${YEAR}-05-02`), post: true });
    const reversal = { reversalTransactionId: `${id}-rev`, postingDate: `${YEAR}-05-20`, reason: 'duplicate invoice' };
    const reversed = await post(`/transactions/${id}/reverse`, reversal);
    expectCommandResponse(reversed, 200);
    expect(reversed.body.reversal).toMatchObject({ reversalTransactionId: `${id}-rev`, reason: 'duplicate invoice', reversedBy: 'alice' });
    const reversalTransaction = await bed.commands.reader.load(fiscalYearModel, `ledger.fiscal_year-acme-${YEAR}`);
    expect(reversalTransaction.state.year.posted.get(`${id}-rev`)).toMatchObject({ type: 'reversal', reversesTransactionId: id });
    expectProblem(await post(`/transactions/${id}/reverse`, { ...reversal, reversalTransactionId: `${id}-rev2` }), 409, 'TRANSACTION_ALREADY_REVERSED');
  });

  it('rejects a submitted transaction back to draft with the reason; it is resubmitted and approved with the hash of its draft', async () => {
    const id = newId('tx');
    await post('/transactions', { ...twoLineDraft(id, 'acme', `${YEAR}-02-20`, '3000.00'), submit: true });
    const rejected = await post(`/transactions/${id}/reject`, { reason: 'wrong revenue account' }, approver);
    expectCommandResponse(rejected, 200);
    expect(rejected.body).toMatchObject({ status: 'draft', submittedBy: null, rejection: { rejectedBy: 'bob', reason: 'wrong revenue account' } });
    const events = await bed.store.readStream(`ledger.transaction-${id}`, { maxCount: 10 });
    expect(events.map((event) => event.type)).toEqual(['ledger.transaction_drafted', 'ledger.transaction_submitted', 'ledger.transaction_rejected']);
    expect(events[2]?.data).toEqual({ transactionId: id, rejectedBy: 'bob', reason: 'wrong revenue account' });
    expect(events[2]?.metadata.reason).toBe('wrong revenue account');
    expectProblem(await post(`/transactions/${id}/approve`, {}, approver), 422, 'TRANSACTION_NOT_SUBMITTED');

    await post(`/transactions/${id}/submit`, {});
    const { draftHash } = (await get(`/transactions/${id}`)).body as { draftHash: string };
    expect(draftHash).toMatch(/^[0-9a-f]{64}$/);
    expectProblem(await post(`/transactions/${id}/approve`, { approvedHash: 'f'.repeat(64) }, approver), 422, 'APPROVED_HASH_MISMATCH');
    const approved = await post(`/transactions/${id}/approve`, { approvedHash: draftHash }, approver);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: 'bob', approvedHash: draftHash, rejection: { reason: 'wrong revenue account' } });
    const [, , , , approvedEvent] = await bed.store.readStream(`ledger.transaction-${id}`, { maxCount: 10 });
    expect(approvedEvent?.data).toEqual({ transactionId: id, approvedBy: 'bob', approvedHash: draftHash });
  });

  it('an approval without a hash records the hash of the draft as it is', async () => {
    const id = await draftSubmitted('40000.00');
    const approved = await post(`/transactions/${id}/approve`, {}, approver);
    expect(approved.body.approvedHash).toBe(approved.body.draftHash);
  });

  it('GET of an unknown transaction is 404 TRANSACTION_NOT_FOUND', async () => {
    expectProblem(await get('/transactions/nope'), 404, 'TRANSACTION_NOT_FOUND');
  });

  it('records actor, correlation id and request id in the event metadata', async () => {
    const id = newId('tx');
    await post('/transactions', twoLineDraft(id, 'acme', `${YEAR}-03-03`)).set('X-Correlation-Id', 'corr-42').set('X-Request-Id', 'req-42');
    const [event] = await bed.store.readStream(`ledger.transaction-${id}`, { maxCount: 1 });
    expect(event?.metadata).toMatchObject({ actor: { userId: 'alice', role: 'accountant' }, correlationId: 'corr-42', causationId: null });
    expect(typeof event?.metadata.requestId).toBe('string');
    expect(event?.metadata.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('idempotency keys', () => {
  it('replays the stored answer for the same key and payload, without executing again', async () => {
    const id = newId('tx');
    const key = randomUUID();
    const first = await post('/transactions', twoLineDraft(id, 'acme', `${YEAR}-03-04`), { ...accountant, key });
    expect(first.status).toBe(201);
    const replayed = await post('/transactions', twoLineDraft(id, 'acme', `${YEAR}-03-04`), { ...accountant, key });
    expect(replayed.status).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(first.body);
    expect(replayed.headers.etag).toBe(first.headers.etag);
    const events = await bed.store.readStream(`ledger.transaction-${id}`, { maxCount: 10 });
    expect(events).toHaveLength(1);
  });

  it('replays a 4xx answer too, and scopes keys per user', async () => {
    const key = randomUUID();
    const body = twoLineDraft(newId('tx'), 'acme', `${YEAR}-03-04`, '10.00');
    body.lines[1] = { ...body.lines[1], amount: '9.99' } as (typeof body.lines)[1];
    expectProblem(await post('/transactions', body, { ...accountant, key }), 422, 'UNBALANCED_TRANSACTION');
    const again = await post('/transactions', body, { ...accountant, key });
    expectProblem(again, 422, 'UNBALANCED_TRANSACTION');
    expect(again.headers['idempotent-replayed']).toBe('true');
    const otherUser = await post('/transactions', body, { user: 'carol', role: 'accountant', key });
    expect(otherUser.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_PROGRESS to a concurrent duplicate', async () => {
    const key = randomUUID();
    const body = { ...twoLineDraft(newId('tx'), 'acme', `${YEAR}-03-05`), post: true };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('/transactions', body, { ...accountant, key })));
    const statuses = answers.map((answer) => (answer.status === 409 ? answer.body.code : answer.status));
    expect(statuses.filter((status) => status === 201 || status === 200).length).toBeGreaterThanOrEqual(1);
    for (const status of statuses) expect([201, 200, 'IDEMPOTENCY_KEY_IN_PROGRESS']).toContain(status);
  });
});

describe('bad input: every row is a 4xx with its code, never a 500', () => {
  const closedYear = YEAR - 1;

  beforeAll(async () => {
    await openCompany(bed.commands, 'closedco', closedYear);
    await post(`/fiscal-years/${closedYear}/periods/1/close`, { companyId: 'closedco' });
  });

  const draft = (changes: Record<string, unknown> = {}) => ({ ...twoLineDraft(newId('bad'), 'acme', `${YEAR}-03-01`), ...changes });
  const withLine = (index: number, changes: Record<string, unknown>) => {
    const body = draft();
    body.lines = body.lines.map((line, at) => (at === index ? { ...line, ...changes } : line)) as typeof body.lines;
    return body;
  };

  type Row = [string, () => Promise<request.Response>, number, string];
  const rows: Row[] = [
    ['malformed JSON', () => post('/transactions', '{"transactionId": '), 400, 'MALFORMED_JSON'],
    ['a body that is not an object', () => post('/transactions', '[1,2]'), 400, 'VALIDATION_FAILED'],
    ['wrong types (lines is a string)', () => post('/transactions', draft({ lines: 'many' })), 400, 'VALIDATION_FAILED'],
    ['a float for money', () => post('/transactions', withLine(0, { amount: 119.0 })), 400, 'VALIDATION_FAILED'],
    ['excess precision for EUR', () => post('/transactions', withLine(0, { amount: '1.005' })), 400, 'AMOUNT_PRECISION_EXCEEDED'],
    ['an unknown currency', () => post('/transactions', withLine(0, { currency: 'XXX' })), 400, 'CURRENCY_UNKNOWN'],
    ['an impossible date', () => post('/transactions', draft({ postingDate: `${YEAR}-02-30` })), 400, 'DATE_INVALID'],
    ['a single line', () => post('/transactions', draft({ lines: [draft().lines[0]] })), 400, 'TOO_FEW_LINES'],
    ['an id with a slash', () => post('/transactions', draft({ transactionId: 'a/b' })), 400, 'VALIDATION_FAILED'],
    ['an unknown account', () => post('/transactions', withLine(0, { accountNumber: '5999' })), 404, 'ACCOUNT_NOT_FOUND'],
    ['unbalanced entries', () => post('/transactions', withLine(0, { amount: '120.00' })), 422, 'UNBALANCED_TRANSACTION'],
    ['a reserved transaction type', () => post('/transactions', draft({ type: 'reversal' })), 422, 'TRANSACTION_TYPE_RESERVED'],
    [
      'posting into a closed period',
      () => post('/transactions', { ...twoLineDraft(newId('bad'), 'closedco', `${closedYear}-01-15`), post: true }),
      422,
      'PERIOD_CLOSED',
    ],
    ['posting into a year never opened', () => post('/transactions', { ...draft({ postingDate: '2031-01-15', documentDate: '2031-01-15' }), post: true }), 422, 'FISCAL_YEAR_NOT_OPEN'],
    [
      'maker = checker',
      async () => {
        const id = await draftSubmitted('500.00');
        return post(`/transactions/${id}/approve`, {}, { user: 'alice', role: 'admin' });
      },
      422,
      'APPROVER_IS_SUBMITTER',
    ],
    ['a direct approval above the approval threshold', async () => post(`/transactions/${await draftSubmitted('50000.00')}/approve`, {}, approver), 409, 'APPROVAL_THROUGH_WORKFLOW'],
    ['missing Idempotency-Key', () => post('/transactions', draft(), { ...accountant, key: null }), 428, 'IDEMPOTENCY_KEY_REQUIRED'],
    ['an Idempotency-Key with spaces', () => post('/transactions', draft(), { ...accountant, key: 'a key' }), 400, 'IDEMPOTENCY_KEY_INVALID'],
    [
      'key reuse with a different payload',
      async () => {
        const key = randomUUID();
        await post('/transactions', draft(), { ...accountant, key });
        return post('/transactions', draft(), { ...accountant, key });
      },
      409,
      'IDEMPOTENCY_KEY_REUSED',
    ],
    [
      'If-Match mismatch',
      async () => {
        const id = newId('bad');
        await post('/transactions', { ...twoLineDraft(id, 'acme', `${YEAR}-03-01`) });
        return post(`/transactions/${id}/submit`, {}, { ...accountant, ifMatch: '"7"' });
      },
      412,
      'PRECONDITION_FAILED',
    ],
    ['wrong role (guest drafting)', () => post('/transactions', draft(), { user: 'gus', role: 'guest' }), 403, 'FORBIDDEN'],
    ['wrong role (accountant approving)', async () => post(`/transactions/${await draftSubmitted()}/approve`, {}), 403, 'FORBIDDEN'],
    ['post: true without finance:post', () => post('/transactions', draft({ post: true }), { user: 'ulla', role: 'user' }), 403, 'FORBIDDEN'],
    ['no actor at all', () => request(bed.app).post('/api/finance/transactions').set('Idempotency-Key', randomUUID()).send(draft()), 401, 'UNAUTHENTICATED'],
    ['submitting an unknown transaction', () => post('/transactions/ghost/submit', {}), 404, 'TRANSACTION_NOT_FOUND'],
    ['posting a draft that was not submitted', async () => {
      const id = newId('bad');
      await post('/transactions', twoLineDraft(id, 'acme', `${YEAR}-03-01`));
      return post(`/transactions/${id}/post`, {});
    }, 422, 'TRANSACTION_NOT_SUBMITTED'],
    [
      'rejecting one\'s own submission',
      async () => post(`/transactions/${await draftSubmitted('50000.00')}/reject`, { reason: 'no' }, { user: 'alice', role: 'admin' }),
      422,
      'APPROVER_IS_SUBMITTER',
    ],
    ['rejecting without a reason', async () => post(`/transactions/${await draftSubmitted()}/reject`, { reason: '  ' }, approver), 400, 'VALIDATION_FAILED'],
    ['rejecting as an accountant', async () => post(`/transactions/${await draftSubmitted()}/reject`, { reason: 'no' }), 403, 'FORBIDDEN'],
    [
      'rejecting a posted transaction',
      async () => {
        const id = newId('bad');
        await post('/transactions', { ...twoLineDraft(id, 'acme', `${YEAR}-03-01`), post: true });
        return post(`/transactions/${id}/reject`, { reason: 'too late' }, approver);
      },
      409,
      'TRANSACTION_ALREADY_POSTED',
    ],
    ['an approved hash that is not a SHA-256', async () => post(`/transactions/${await draftSubmitted()}/approve`, { approvedHash: 'abc' }, approver), 400, 'VALIDATION_FAILED'],
    ['a period number out of range', () => post(`/fiscal-years/${YEAR}/periods/13/close`, { companyId: 'acme' }), 400, 'VALIDATION_FAILED'],
    ['a year that is not a number', () => post('/fiscal-years/abc/periods/1/close', { companyId: 'acme' }), 400, 'VALIDATION_FAILED'],
    ['GET without companyId', () => get('/accounts/1200'), 400, 'VALIDATION_FAILED'],
    ['reversing an unposted transaction', async () => post(`/transactions/${await draftSubmitted()}/reverse`, { reversalTransactionId: newId('r'), postingDate: `${YEAR}-03-20`, reason: 'x' }), 422, 'TRANSACTION_NOT_POSTED'],
    ['a negative approval threshold', () => post('/fiscal-years', { companyId: 'neg', year: YEAR, companyCurrency: 'EUR', approvalThreshold: '-1.00', roundingAccountNumber: '4999', retainedEarningsAccountNumber: '0860', openingBalanceAccountNumber: '9000' }), 400, 'AMOUNT_NOT_POSITIVE'],
  ];

  it.each(rows.map(([name, send, status, code]) => [`${name} → ${status} ${code}`, send, status, code] as Row))('%s', async (_name, send, status, code) => {
    const response = await send();
    expectProblem(response, status, code);
    expect(response.status).toBeLessThan(500);
  });

  it('a validation failure lists its issues with paths and codes', async () => {
    const body = draft();
    body.lines = [{ ...body.lines[0], amount: '1.005' }, { ...body.lines[1], currency: 'XXX' }] as typeof body.lines;
    const response = await post('/transactions', body);
    expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(response.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ location: 'body', path: 'lines.0.amount', code: 'AMOUNT_PRECISION_EXCEEDED' }),
        expect.objectContaining({ location: 'body', path: 'lines.1.currency', code: 'CURRENCY_UNKNOWN' }),
      ]),
    );
  });
});

describe('OpenAPI', () => {
  it('describes every ledger route with its operation, parameters and body from the zod schemas', () => {
    const { paths, components } = ledgerOpenApi();
    for (const route of ledgerRoutes) {
      const path = `/api/finance${route.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = (paths[path] as Record<string, { operationId: string; responses: Record<string, unknown> }>)[route.method];
      expect(operation?.operationId).toBe(route.operationId);
      expect(Object.keys(operation?.responses ?? {})).toContain(String(route.successStatus));
    }
    const draft = (paths['/api/finance/transactions'] as { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } } }).post;
    expect(Object.keys(draft.requestBody.content['application/json']?.schema.properties ?? {})).toEqual(expect.arrayContaining(['transactionId', 'lines', 'submit', 'post']));
    expect(components.securitySchemes).toHaveProperty('bearerAuth');
  });
});
