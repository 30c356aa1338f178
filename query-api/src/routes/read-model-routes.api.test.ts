import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { allProjections, createTableSet, dropInactiveTableSet, readActiveTableSet, setActive, transactionsProjection } from '@neuroerp/projections';
import { documents } from '@neuroerp/schemas';
import { newEvent, post, queryTestBed, type QueryTestBed } from '../test-support';

let bed: QueryTestBed;
const get = (path: string, role = 'guest') => request(bed.app).get(`/api/query${path}`).set('X-Test-User', `${role}-1`).set('X-Test-Role', role);

// Users of the users read model (user ids are UUIDs); `admin-1` and `system` are not users: their names are null.
const maker = { userId: randomUUID(), role: 'accountant' };
const checker = { userId: randomUUID(), role: 'approver' };
const clerk = { userId: randomUUID(), role: 'user' };
const clerk2 = { userId: randomUUID(), role: 'user' };
const admin = { userId: 'admin-1', role: 'admin' };
const system = { userId: 'system', role: 'admin' };

function drafted(transactionId: string, description: string, amountMinor: string, postingDate = '2026-03-02') {
  return newEvent(
    'ledger.transaction_drafted',
    {
      transactionId,
      companyId: 'qa',
      type: 'sales_invoice',
      documentDate: postingDate,
      postingDate,
      description,
      linkedDocumentIds: [],
      lines: [
        { accountNumber: '1400', side: 'debit', amountMinor, currency: 'EUR', fxRate: null, dimensions: {}, text: null },
        { accountNumber: '8400', side: 'credit', amountMinor, currency: 'EUR', fxRate: null, dimensions: {}, text: null },
      ],
      draftedBy: maker.userId,
    },
    maker,
  );
}

beforeAll(async () => {
  bed = await queryTestBed('qmodels');
  await bed.store.appendToStream(
    'ledger.transaction-tx-a',
    [
      drafted('tx-a', 'Consulting Müller GmbH', '119000'),
      newEvent('ledger.transaction_submitted', { transactionId: 'tx-a', submittedBy: maker.userId }, maker),
      newEvent('ledger.transaction_approved', { transactionId: 'tx-a', approvedBy: checker.userId, approvedHash: 'ab'.repeat(32), comment: 'fine' }, checker, 'req-approve-a'),
    ],
    { expectedVersion: 'no_stream' },
  );
  await post(bed.store, [{ transactionId: 'tx-a', voucherNumber: 1, postingDate: '2026-03-02', description: 'Consulting Müller GmbH', lines: [['1400', 'debit', '119000'], ['8400', 'credit', '119000']] }], maker.userId);
  // Submitted by a process on the maker's behalf: the history's actor is `system`.
  await bed.store.appendToStream('ledger.transaction-tx-b', [drafted('tx-b', 'Software licence', '5000', '2026-03-05'), newEvent('ledger.transaction_submitted', { transactionId: 'tx-b', submittedBy: maker.userId }, system)], {
    expectedVersion: 'no_stream',
  });
  await bed.store.appendToStream('ledger.transaction-tx-c', [drafted('tx-c', 'Draft only', '700', '2026-03-07')], { expectedVersion: 'no_stream' });
  const created = (documentId: string, type: documents.DocumentType, content: Record<string, unknown>) =>
    newEvent('documents.document_created', { documentId, type, version: 1, content, metadata: { source: 'upload' }, createdBy: clerk.userId, createdAt: '2026-03-01T10:00:00.000Z' }, clerk);
  await bed.store.appendToStream(
    'documents.document-inv-1',
    [
      created('inv-1', 'sales_invoice', documents.exampleInvoiceContent),
      newEvent('documents.document_updated', { documentId: 'inv-1', version: 2, content: { ...documents.exampleInvoiceContent, invoiceNumber: 'RE-2025-0001-K' }, metadata: { source: 'upload' }, reason: 'typo', updatedBy: clerk2.userId, updatedAt: '2026-03-02T09:00:00.000Z' }, clerk2),
    ],
    { expectedVersion: 'no_stream' },
  );
  await bed.store.appendToStream(
    'documents.document-memo-1',
    [created('memo-1', 'other', documents.exampleOtherContent), newEvent('documents.document_deleted', { documentId: 'memo-1', reason: 'duplicate', deletedBy: clerk.userId, deletedAt: '2026-03-05T12:00:00.000Z' }, clerk)],
    { expectedVersion: 'no_stream' },
  );
  const passwordHash = `scrypt$16384$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`;
  const users = [
    ['carol', 'auditor', randomUUID()],
    ['alice', 'accountant', randomUUID()],
    ['mia', 'accountant', maker.userId],
    ['chris', 'approver', checker.userId],
    ['clara', 'user', clerk.userId],
    ['claus', 'user', clerk2.userId],
  ] as const;
  for (const [username, role, userId] of users) {
    await bed.store.appendToStream(`identity.user-${userId}`, [newEvent('identity.user_created', { userId, username, displayName: null, role, passwordHash, createdBy: admin.userId, createdAt: '2026-01-01T08:00:00.000Z' }, admin)], {
      expectedVersion: 'no_stream',
    });
  }
  await bed.store.appendToStream(
    'ledger.chart_of_accounts-qa',
    [
      newEvent('ledger.account_opened', { companyId: 'qa', accountNumber: '1400', name: 'Forderungen aus Lieferungen und Leistungen', type: 'asset', normalBalance: 'debit', currency: null, requiredDimensions: [], openedBy: admin.userId }, admin),
    ],
    { expectedVersion: 'no_stream' },
  );
  await bed.project(allProjections);
});
afterAll(async () => {
  await bed?.close();
});

describe('read-model query routes', () => {
  it('transactions: filters by status, amount and text; pages newest posting date first', async () => {
    const ids = async (query: string) => (await get(`/transactions?${query}`).expect(200)).body.items.map((item: { transactionId: string }) => item.transactionId);
    expect(await ids('')).toEqual(['tx-c', 'tx-b', 'tx-a']);
    expect(await ids('status=submitted')).toEqual(['tx-b']);
    expect(await ids('minAmount=10&maxAmount=1190.00')).toEqual(['tx-b', 'tx-a']);
    expect(await ids('text=licence')).toEqual(['tx-b']);
    // Another company's books hold none of them.
    expect(await ids('companyId=other-company')).toEqual([]);
    const first = await get('/transactions?limit=2').expect(200);
    const second = await get(`/transactions?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect([...first.body.items, ...second.body.items].map((item: { transactionId: string }) => item.transactionId)).toEqual(['tx-c', 'tx-b', 'tx-a']);
    expect(second.body.nextCursor).toBeNull();
    expect(first.body.items[1]).toMatchObject({ status: 'submitted', amount: '50.00', draftedBy: maker.userId, draftedByName: 'mia', submittedBy: maker.userId, submittedByName: 'mia', approvedBy: null, approvedByName: null });
    expect(first.body.items[0]).toMatchObject({ transactionId: 'tx-c', draftedByName: 'mia', submittedByName: null, postedByName: null });
    expect(second.body.items[0]).toMatchObject({ transactionId: 'tx-a', approvedBy: checker.userId, approvedByName: 'chris', postedBy: maker.userId, postedByName: 'mia' });
  });

  it('transaction detail: lines, approvals and the complete event history; 404 with a code for an unknown id', async () => {
    const response = await get('/transactions/tx-a').expect(200);
    expect(response.body).toMatchObject({ status: 'posted', voucherNumber: 1, amount: '1190.00', approvedBy: checker.userId, approvedByName: 'chris', draftedByName: 'mia', postedByName: 'mia' });
    // Account names from the chart of accounts; 8400 is not in it.
    expect(response.body.lines.map((line: { accountNumber: string; accountName: string | null }) => [line.accountNumber, line.accountName])).toEqual([
      ['1400', 'Forderungen aus Lieferungen und Leistungen'],
      ['8400', null],
    ]);
    expect(response.body.approvals).toEqual([{ by: checker.userId, byName: 'chris', at: expect.any(String), comment: 'fine', approvedHash: 'ab'.repeat(32), position: '3' }]);
    expect(response.body.history.map((entry: { type: string; position: string; actor: { userId: string; role: string; username: string | null } }) => [entry.type, entry.position, entry.actor])).toEqual([
      ['ledger.transaction_drafted', '1', { userId: maker.userId, role: 'accountant', username: 'mia' }],
      ['ledger.transaction_submitted', '2', { userId: maker.userId, role: 'accountant', username: 'mia' }],
      ['ledger.transaction_approved', '3', { userId: checker.userId, role: 'approver', username: 'chris' }],
      ['ledger.transaction_posted', '4', { userId: maker.userId, role: 'accountant', username: 'mia' }],
    ]);
    // An actor that is no user (`system`): username null.
    expect((await get('/transactions/tx-b').expect(200)).body.history[1].actor).toEqual({ userId: 'system', role: 'admin', username: null });
    expect(response.body.history[2]).toMatchObject({ requestId: 'req-approve-a', streamId: 'ledger.transaction-tx-a', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await get('/transactions/nope').expect(404)).body.code).toBe('TRANSACTION_NOT_FOUND');
  });

  it('the dashboard counts submitted transactions as open approvals once the transactions read model exists', async () => {
    expect((await get('/dashboard?month=2026-03').expect(200)).body).toMatchObject({ openApprovals: 1, kpis: { receivables: '1190.00', revenue: '1190.00' } });
  });

  it('documents: deleted ones are not listed; detail has versions; 404 for an unknown id', async () => {
    const list = await get('/documents').expect(200);
    expect(list.body.items.map((item: { documentId: string; version: number }) => [item.documentId, item.version])).toEqual([['inv-1', 2]]);
    expect(list.body.items[0]).toMatchObject({ updatedBy: clerk2.userId, updatedByName: 'claus' });
    const detail = await get('/documents/inv-1').expect(200);
    expect(detail.body.content.invoiceNumber).toBe('RE-2025-0001-K');
    expect(detail.body).toMatchObject({ createdBy: clerk.userId, createdByName: 'clara', updatedByName: 'claus' });
    expect(detail.body.versions.map((version: { version: number; by: string; byName: string | null; reason: string | null }) => [version.version, version.by, version.byName, version.reason])).toEqual([
      [1, clerk.userId, 'clara', null],
      [2, clerk2.userId, 'claus', 'typo'],
    ]);
    expect((await get('/documents/memo-1').expect(200)).body).toMatchObject({ status: 'deleted', updatedBy: clerk.userId, updatedByName: 'clara' });
    expect((await get('/documents/none').expect(404)).body.code).toBe('DOCUMENT_NOT_FOUND');
  });

  it('search: full text over transactions and documents, filtered by kind', async () => {
    const response = await get('/search?q=licence').expect(200);
    expect(response.body.items.map((item: { kind: string; id: string }) => [item.kind, item.id])).toEqual([['transaction', 'tx-b']]);
    expect(response.body.items[0].snippet).toContain('<mark>');
    expect((await get('/search?q=licence&kind=document').expect(200)).body.items).toEqual([]);
    expect((await get('/search?q=licence&limit=101').expect(400)).body.code).toBe('LIMIT_OUT_OF_RANGE');
    expect((await get('/search').expect(400)).body.code).toBe('VALIDATION_FAILED');
  });

  it('users: auditors may list them, guests may not (403)', async () => {
    const response = await get('/users', 'auditor').expect(200);
    expect(response.body.items.map((user: { username: string; role: string }) => [user.username, user.role])).toEqual([
      ['alice', 'accountant'],
      ['carol', 'auditor'],
      ['chris', 'approver'],
      ['clara', 'user'],
      ['claus', 'user'],
      ['mia', 'accountant'],
    ]);
    expect(JSON.stringify(response.body)).not.toContain('scrypt');
    expect((await get('/users', 'guest').expect(403)).body.code).toBe('FORBIDDEN');
    expect((await get('/users', 'accountant').expect(403)).body.code).toBe('FORBIDDEN');
  });

  it('audit log: the user name of each actor (null for an actor that is no user), also in the CSV', async () => {
    const approved = await get('/audit-log?type=ledger.transaction_approved').expect(200);
    expect(approved.body.items).toEqual([expect.objectContaining({ actor: { userId: checker.userId, role: 'approver' }, actorName: 'chris' })]);
    const created = await get('/audit-log?type=identity.user_created&limit=1').expect(200);
    expect(created.body.items[0]).toMatchObject({ actor: { userId: 'admin-1', role: 'admin' }, actorName: null });
    const csv = await get('/audit-log?type=ledger.transaction_approved&format=csv').expect(200);
    expect(csv.text.split('\r\n')[1]).toContain(`,${checker.userId},chris,approver,req-approve-a,`);
  });
  it("does not read a table set of another version than this code's (an upgrade is building it): 503 where it is required, absent where optional", async () => {
    const current = await readActiveTableSet(bed.db, bed.controlSchema, 'transactions');
    expect(current?.version).toBe(transactionsProjection.version);
    // What a database upgraded from the previous release shows until the new version is built.
    const older = await createTableSet(bed.db, bed.controlSchema, { ...transactionsProjection, version: transactionsProjection.version - 1 }, true);
    try {
      const refused = await get('/transactions').expect(503);
      expect(refused.body).toMatchObject({ code: 'READ_MODEL_NOT_READY', readModels: ['transactions'] });
      expect(refused.headers['retry-after']).toBe('1');
      expect((await get('/dashboard?month=2026-03').expect(200)).body).toMatchObject({ openApprovals: null, kpis: { revenue: '1190.00' } });
    } finally {
      await bed.db.transaction((tx) => setActive(tx, bed.controlSchema, current!));
      await dropInactiveTableSet(bed.db, bed.controlSchema, older);
    }
    expect((await get('/dashboard?month=2026-03').expect(200)).body.openApprovals).toBe(1);
  });
});
