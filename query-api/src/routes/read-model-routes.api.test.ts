import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { allProjections } from '@neuroerp/projections';
import { documents } from '@neuroerp/schemas';
import { newEvent, post, queryTestBed, type QueryTestBed } from '../test-support';

let bed: QueryTestBed;
const get = (path: string, role = 'guest') => request(bed.app).get(`/api/query${path}`).set('X-Test-User', `${role}-1`).set('X-Test-Role', role);

const maker = { userId: 'maker-1', role: 'accountant' };
const checker = { userId: 'checker-1', role: 'approver' };
const admin = { userId: 'admin-1', role: 'admin' };

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
  await bed.store.appendToStream('ledger.transaction-tx-b', [drafted('tx-b', 'Software licence', '5000', '2026-03-05'), newEvent('ledger.transaction_submitted', { transactionId: 'tx-b', submittedBy: maker.userId }, maker)], {
    expectedVersion: 'no_stream',
  });
  await bed.store.appendToStream('ledger.transaction-tx-c', [drafted('tx-c', 'Draft only', '700', '2026-03-07')], { expectedVersion: 'no_stream' });
  const clerk = { userId: 'clerk-1', role: 'user' };
  const created = (documentId: string, type: documents.DocumentType, content: Record<string, unknown>) =>
    newEvent('documents.document_created', { documentId, type, version: 1, content, metadata: { source: 'upload' }, createdBy: clerk.userId, createdAt: '2026-03-01T10:00:00.000Z' }, clerk);
  await bed.store.appendToStream(
    'documents.document-inv-1',
    [
      created('inv-1', 'sales_invoice', documents.exampleInvoiceContent),
      newEvent('documents.document_updated', { documentId: 'inv-1', version: 2, content: { ...documents.exampleInvoiceContent, invoiceNumber: 'RE-2025-0001-K' }, metadata: { source: 'upload' }, reason: 'typo', updatedBy: 'clerk-2', updatedAt: '2026-03-02T09:00:00.000Z' }, { userId: 'clerk-2', role: 'user' }),
    ],
    { expectedVersion: 'no_stream' },
  );
  await bed.store.appendToStream(
    'documents.document-memo-1',
    [created('memo-1', 'other', documents.exampleOtherContent), newEvent('documents.document_deleted', { documentId: 'memo-1', reason: 'duplicate', deletedBy: 'clerk-1', deletedAt: '2026-03-05T12:00:00.000Z' }, clerk)],
    { expectedVersion: 'no_stream' },
  );
  const passwordHash = `scrypt$16384$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`;
  for (const [username, role] of [['carol', 'auditor'], ['alice', 'accountant']] as const) {
    const userId = randomUUID();
    await bed.store.appendToStream(`identity.user-${userId}`, [newEvent('identity.user_created', { userId, username, displayName: null, role, passwordHash, createdBy: admin.userId, createdAt: '2026-01-01T08:00:00.000Z' }, admin)], {
      expectedVersion: 'no_stream',
    });
  }
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
    const first = await get('/transactions?limit=2').expect(200);
    const second = await get(`/transactions?limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect([...first.body.items, ...second.body.items].map((item: { transactionId: string }) => item.transactionId)).toEqual(['tx-c', 'tx-b', 'tx-a']);
    expect(second.body.nextCursor).toBeNull();
    expect(first.body.items[1]).toMatchObject({ status: 'submitted', amount: '50.00', submittedBy: 'maker-1' });
  });

  it('transaction detail: lines, approvals and the complete event history; 404 with a code for an unknown id', async () => {
    const response = await get('/transactions/tx-a').expect(200);
    expect(response.body).toMatchObject({ status: 'posted', voucherNumber: 1, amount: '1190.00', approvedBy: 'checker-1' });
    expect(response.body.lines).toHaveLength(2);
    expect(response.body.approvals).toEqual([{ by: 'checker-1', at: expect.any(String), comment: 'fine', approvedHash: 'ab'.repeat(32), position: '3' }]);
    expect(response.body.history.map((entry: { type: string; position: string; actor: { userId: string } }) => [entry.type, entry.position, entry.actor.userId])).toEqual([
      ['ledger.transaction_drafted', '1', 'maker-1'],
      ['ledger.transaction_submitted', '2', 'maker-1'],
      ['ledger.transaction_approved', '3', 'checker-1'],
      ['ledger.transaction_posted', '4', 'maker-1'],
    ]);
    expect(response.body.history[2]).toMatchObject({ requestId: 'req-approve-a', streamId: 'ledger.transaction-tx-a', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await get('/transactions/nope').expect(404)).body.code).toBe('TRANSACTION_NOT_FOUND');
  });

  it('the dashboard counts submitted transactions as open approvals once the transactions read model exists', async () => {
    expect((await get('/dashboard?month=2026-03').expect(200)).body).toMatchObject({ openApprovals: 1, kpis: { receivables: '1190.00', revenue: '1190.00' } });
  });

  it('documents: deleted ones are not listed; detail has versions; 404 for an unknown id', async () => {
    const list = await get('/documents').expect(200);
    expect(list.body.items.map((item: { documentId: string; version: number }) => [item.documentId, item.version])).toEqual([['inv-1', 2]]);
    const detail = await get('/documents/inv-1').expect(200);
    expect(detail.body.content.invoiceNumber).toBe('RE-2025-0001-K');
    expect(detail.body.versions.map((version: { version: number; by: string; reason: string | null }) => [version.version, version.by, version.reason])).toEqual([
      [1, 'clerk-1', null],
      [2, 'clerk-2', 'typo'],
    ]);
    expect((await get('/documents/memo-1').expect(200)).body.status).toBe('deleted');
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
    ]);
    expect(JSON.stringify(response.body)).not.toContain('scrypt');
    expect((await get('/users', 'guest').expect(403)).body.code).toBe('FORBIDDEN');
    expect((await get('/users', 'accountant').expect(403)).body.code).toBe('FORBIDDEN');
  });
});
