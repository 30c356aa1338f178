import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { documents, type ledger } from '@neuroerp/schemas';
import { deadLetterCount, newEvent, projectToHead, rebuildInSmallBatches } from '../read-model-test-support';
import { createProjectionTestContext, fiscalYearStream, postedEvent, testDatabaseUrl, type ProjectionTestContext } from '../test-support';
import { createSearchTables, PostgresSearchIndex } from './postgres-search-index';
import { describeSearchIndexContract } from './search-index.contract';
import { formatMinor, searchProjection, searchReadModel } from './search-projection';

describeSearchIndexContract('PostgreSQL full-text', async () => {
  const db: Knex = knex({ client: 'pg', connection: testDatabaseUrl(), pool: { min: 0, max: 2 } });
  const schema = `test_search_contract_${randomBytes(4).toString('hex')}`;
  await db.raw(`create schema "${schema}"`);
  await createSearchTables(db, schema);
  return {
    index: new PostgresSearchIndex({ db, schema }),
    dispose: async () => {
      await db.raw(`drop schema if exists "${schema}" cascade`);
      await db.destroy();
    },
  };
});

describe('search projection (PostgreSQL)', () => {
  let context: ProjectionTestContext;
  beforeAll(async () => {
    context = await createProjectionTestContext('projsearch');
  });
  afterAll(async () => {
    await context.dispose();
  });

  const search = (query: string, kind?: 'transaction' | 'document' | 'account') => searchReadModel(context.db, context.controlSchema, query, { kind, limit: 10 });
  const clerk = { userId: 'clerk-1' };

  it('indexes transactions, documents and accounts from events, follows updates and tombstones, and rebuilds equal', async () => {
    const opened: ledger.AccountOpened = { companyId: 'acme', accountNumber: '1200', name: 'Forderungen aus Lieferungen', type: 'asset', normalBalance: 'debit', currency: null, requiredDimensions: [], openedBy: 'admin' };
    await context.store.appendToStream('ledger.chart_of_accounts-acme', [newEvent('ledger.account_opened', opened, { userId: 'admin' })], { expectedVersion: 'no_stream' });
    const drafted: ledger.TransactionDrafted = {
      transactionId: 'tx-s1',
      companyId: 'acme',
      type: 'sales_invoice',
      documentDate: '2026-03-01',
      postingDate: '2026-03-01',
      description: 'Beratung Kunde AG',
      linkedDocumentIds: ['inv-s1'],
      lines: [
        { accountNumber: '1200', side: 'debit', amountMinor: '41050', currency: 'EUR', fxRate: null, dimensions: {}, text: null },
        { accountNumber: '8400', side: 'credit', amountMinor: '41050', currency: 'EUR', fxRate: null, dimensions: {}, text: 'Honorar' },
      ],
      draftedBy: clerk.userId,
    };
    await context.store.appendToStream('ledger.transaction-tx-s1', [newEvent('ledger.transaction_drafted', drafted, clerk)], { expectedVersion: 'no_stream' });
    const invoice = documents.exampleInvoiceContent;
    const at = '2026-03-01T10:00:00.000Z';
    await context.store.appendToStream(
      'documents.document-inv-s1',
      [
        newEvent('documents.document_created', { documentId: 'inv-s1', type: 'purchase_invoice', version: 1, content: invoice, metadata: { project: 'Apollo' }, createdBy: clerk.userId, createdAt: at }, clerk),
        newEvent('documents.document_updated', { documentId: 'inv-s1', version: 2, content: { ...invoice, invoiceNumber: 'RE-2025-0099' }, metadata: { project: 'Gemini' }, reason: 'number', updatedBy: clerk.userId, updatedAt: at }, clerk),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(
      'documents.document-memo-s1',
      [
        newEvent('documents.document_created', { documentId: 'memo-s1', type: 'other', version: 1, content: { title: 'Protokoll Apollo', text: 'vertraulich' }, metadata: {}, createdBy: clerk.userId, createdAt: at }, clerk),
        newEvent('documents.document_deleted', { documentId: 'memo-s1', reason: 'duplicate', deletedBy: clerk.userId, deletedAt: at }, clerk),
      ],
      { expectedVersion: 'no_stream' },
    );
    await projectToHead(context, [searchProjection]);

    expect(await search('Forderungen')).toEqual([expect.objectContaining({ kind: 'account', id: '1200', title: '1200 Forderungen aus Lieferungen' })]);
    expect((await search('Honorar'))[0]).toMatchObject({ kind: 'transaction', id: 'tx-s1', title: 'Beratung Kunde AG' });
    // Amounts are searchable in major units.
    expect((await search('410.50', 'transaction')).map((hit) => hit.id)).toEqual(['tx-s1']);
    // The purchase invoice: the updated number and metadata replace the old ones; its title names the seller.
    expect(await search('RE-2025-0099')).toEqual([expect.objectContaining({ kind: 'document', id: 'inv-s1', title: 'Invoice RE-2025-0099 · Valeo Demo GmbH' })]);
    expect(await search('Apollo')).toEqual([]);
    expect((await search('Gemini'))[0]?.snippet).toContain('<mark>Gemini</mark>');
    expect(await search('vertraulich')).toEqual([]);

    // Posting re-indexes the transaction under its voucher number.
    await context.store.appendToStream(
      fiscalYearStream('acme', 2026),
      [postedEvent({ companyId: 'acme', transactionId: 'tx-s1', voucherNumber: 7, postingDate: '2026-03-01', lines: [['1200', 'debit', '41050'], ['8400', 'credit', '41050']] })],
      { expectedVersion: 'no_stream' },
    );
    // An update in a later batch: the type comes from the projection's own table (a purchase invoice names the seller).
    await context.store.appendToStream(
      'documents.document-inv-s1',
      [newEvent('documents.document_updated', { documentId: 'inv-s1', version: 3, content: { ...invoice, invoiceNumber: 'RE-2025-0100' }, metadata: { project: 'Mercury' }, reason: 'number', updatedBy: clerk.userId, updatedAt: at }, clerk)],
      { expectedVersion: 1 },
    );
    await projectToHead(context, [searchProjection]);
    expect((await search('tx-s1', 'transaction'))[0]?.title).toBe('Voucher 7 · voucher 7');
    expect(await search('Mercury')).toEqual([expect.objectContaining({ id: 'inv-s1', title: 'Invoice RE-2025-0100 · Valeo Demo GmbH' })]);
    expect(await search('Gemini')).toEqual([]);
    expect(await deadLetterCount(context, 'search')).toBe(0);

    const rebuilt = await rebuildInSmallBatches(context, searchProjection);
    expect(rebuilt.verification.outcome).toBe('equal');
    expect(rebuilt.verification.tables.map((table) => [table.table, table.liveRows])).toEqual([
      ['search_entries', 3],
      ['search_document_types', 2],
    ]);
    expect(rebuilt.switched).toBe(true);
    expect((await search('Mercury')).map((hit) => hit.id)).toEqual(['inv-s1']);
  });

  it('formats minor units in major units of the currency', () => {
    expect([formatMinor('41050', 'EUR'), formatMinor('5', 'EUR'), formatMinor('-1999', 'USD'), formatMinor('500', 'JPY')]).toEqual(['410.50', '0.05', '-19.99', '500']);
  });
});
