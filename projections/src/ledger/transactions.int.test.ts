import type { ledger } from '@neuroerp/schemas';
import { deadLetterCount, newEvent, projectToHead, rebuildInSmallBatches } from '../read-model-test-support';
import { createProjectionTestContext, fiscalYearStream, postedEvent, type ProjectionTestContext } from '../test-support';
import { activeSchema } from '../runtime/control';
import { getTransaction, listTransactions, transactionsProjection, type TransactionSummary } from './transactions';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projtx');
});
afterAll(async () => {
  await context.dispose();
});

const APPROVED_HASH = 'ab'.repeat(32);
const maker = { userId: 'maker-1', role: 'accountant' };
const checker = { userId: 'checker-1', role: 'approver' };
const stream = (transactionId: string) => `ledger.transaction-${transactionId}`;

function drafted(transactionId: string, lines: [string, 'debit' | 'credit', string, string, string | null][], extra: Partial<ledger.TransactionDrafted> = {}) {
  const data: ledger.TransactionDrafted = {
    transactionId,
    companyId: 'acme',
    type: 'sales_invoice',
    documentDate: '2026-03-01',
    postingDate: '2026-03-02',
    description: `Invoice for ${transactionId}`,
    linkedDocumentIds: [],
    lines: lines.map(([accountNumber, side, amountMinor, currency, fxRate]) => ({ accountNumber, side, amountMinor, currency, fxRate, dimensions: {}, text: null })),
    draftedBy: maker.userId,
    ...extra,
  };
  return newEvent('ledger.transaction_drafted', data, maker);
}

const project = () => projectToHead(context, [transactionsProjection]);
const list = (query: Omit<Parameters<typeof listTransactions>[2], 'limit' | 'companyId'> & { limit?: number; companyId?: string }) =>
  listTransactions(context.db, context.controlSchema, { limit: 50, companyId: 'acme', ...query }).then((page) => page.items.map((item: TransactionSummary) => item.transactionId));

interface PlanNode {
  'Node Type': string;
  Plans?: PlanNode[];
}

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes(node: PlanNode | undefined): PlanNode[] {
  return node === undefined ? [] : [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

describe('transactions read model', () => {
  it('follows a transaction from draft through rejection, approval, posting and a pending then posted reversal, with its full history', async () => {
    const fy = fiscalYearStream('acme', 2026);
    await context.store.appendToStream(
      stream('tx-a'),
      [
        drafted('tx-a', [['1200', 'debit', '11900', 'EUR', null], ['8400', 'credit', '10000', 'EUR', null], ['1776', 'credit', '1900', 'EUR', null]], { linkedDocumentIds: ['doc-1'], description: 'Consulting Müller GmbH' }),
        newEvent('ledger.transaction_submitted', { transactionId: 'tx-a', submittedBy: maker.userId }, maker),
        newEvent('ledger.transaction_rejected', { transactionId: 'tx-a', rejectedBy: checker.userId, reason: 'wrong tax code' }, checker),
        newEvent('ledger.transaction_submitted', { transactionId: 'tx-a', submittedBy: maker.userId }, maker),
        newEvent('ledger.transaction_approved', { transactionId: 'tx-a', approvedBy: checker.userId, approvedHash: APPROVED_HASH, comment: 'ok now' }, checker, { requestId: 'req-approve-a' }),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(stream('tx-b'), [drafted('tx-b', [['1200', 'debit', '5000', 'USD', '0.9'], ['8400', 'credit', '5000', 'USD', '0.9']], { type: 'journal' })], {
      expectedVersion: 'no_stream',
    });
    await context.store.appendToStream(
      stream('tx-c'),
      [drafted('tx-c', [['4900', 'debit', '300', 'EUR', null], ['1600', 'credit', '300', 'EUR', null]], { type: 'purchase_invoice', postingDate: '2026-03-05' }), newEvent('ledger.transaction_submitted', { transactionId: 'tx-c', submittedBy: maker.userId }, maker)],
      { expectedVersion: 'no_stream' },
    );
    const posting = postedEvent({ companyId: 'acme', transactionId: 'tx-a', voucherNumber: 1, postingDate: '2026-03-02', documentDate: '2026-03-01', lines: [['1200', 'debit', '11900'], ['8400', 'credit', '10000'], ['1776', 'credit', '1900']], linkedDocumentIds: ['doc-1'] }, maker.userId);
    posting.data.type = 'sales_invoice';
    posting.data.description = 'Consulting Müller GmbH';
    posting.data.approvedBy = checker.userId;
    await context.store.appendToStream(fy, [posting], { expectedVersion: 'no_stream' });
    // Posted without a draft (as opening balances are).
    await context.store.appendToStream(fy, [postedEvent({ companyId: 'acme', transactionId: 'tx-open', voucherNumber: 2, postingDate: '2026-01-01', lines: [['0800', 'credit', '100000'], ['1200', 'debit', '100000']] })], { expectedVersion: 0 });
    await context.store.appendToStream(
      stream('tx-a'),
      [newEvent('ledger.transaction_reversed', { transactionId: 'tx-a', reversalTransactionId: 'tx-a-rev', reversalPostingDate: '2026-03-31', reason: 'wrong customer', reversedBy: maker.userId }, maker)],
      { expectedVersion: 4 },
    );
    await project();

    const pending = await getTransaction(context.db, context.controlSchema, 'tx-a');
    expect(pending).toMatchObject({ status: 'posted', reversalTransactionId: 'tx-a-rev', reversalReason: 'wrong customer', voucherNumber: 1 });

    const reversal = postedEvent({ companyId: 'acme', transactionId: 'tx-a-rev', voucherNumber: 3, postingDate: '2026-03-31', reversesTransactionId: 'tx-a', lines: [['1200', 'credit', '11900'], ['8400', 'debit', '10000'], ['1776', 'debit', '1900']] }, maker.userId);
    reversal.data.type = 'reversal';
    await context.store.appendToStream(fy, [reversal], { expectedVersion: 1 });
    await project();

    const a = await getTransaction(context.db, context.controlSchema, 'tx-a');
    expect(a).toMatchObject({
      transactionId: 'tx-a',
      companyId: 'acme',
      type: 'sales_invoice',
      status: 'reversed',
      documentDate: '2026-03-01',
      postingDate: '2026-03-02',
      description: 'Consulting Müller GmbH',
      amountMinor: 11900n,
      currency: 'EUR',
      fiscalYear: 2026,
      voucherNumber: 1,
      draftedBy: maker.userId,
      submittedBy: maker.userId,
      approvedBy: checker.userId,
      postedBy: maker.userId,
      linkedDocumentIds: ['doc-1'],
      reversesTransactionId: null,
      reversalTransactionId: 'tx-a-rev',
      reversalReason: 'wrong customer',
      updatedPosition: await context.headPosition(),
    });
    expect(a?.lines).toHaveLength(3);
    expect(a?.lines[0]).toMatchObject({ accountNumber: '1200', companyAmountMinor: '11900', kind: 'entry' });
    expect(a?.approvals).toEqual([{ by: checker.userId, at: expect.any(String), comment: 'ok now', approvedHash: APPROVED_HASH, position: 5n }]);
    expect(a?.history.map((entry) => [entry.type, entry.streamId, entry.streamVersion])).toEqual([
      ['ledger.transaction_drafted', stream('tx-a'), 0],
      ['ledger.transaction_submitted', stream('tx-a'), 1],
      ['ledger.transaction_rejected', stream('tx-a'), 2],
      ['ledger.transaction_submitted', stream('tx-a'), 3],
      ['ledger.transaction_approved', stream('tx-a'), 4],
      ['ledger.transaction_posted', fy, 0],
      ['ledger.transaction_reversed', stream('tx-a'), 5],
      ['ledger.transaction_posted', fy, 2],
    ]);
    expect(a?.history[2]).toMatchObject({ reason: 'wrong tax code', actor: checker });
    expect(a?.history[4]).toMatchObject({ requestId: 'req-approve-a', position: 5n, causationId: null });
    expect(a?.history[6]?.reason).toBe('wrong customer');
    expect(a?.history[7]?.hash).toMatch(/^[0-9a-f]{64}$/);
    const events = await context.store.readAll({ fromPosition: 'start', maxCount: 100 });
    expect(a?.history.map((entry) => entry.hash)).toEqual(events.filter((event) => a?.history.some((entry) => entry.position === event.globalPosition)).map((event) => event.hash));
    expect(a?.history[0]?.correlationId).toBe(events[0]?.metadata.correlationId);

    expect(await getTransaction(context.db, context.controlSchema, 'tx-a-rev')).toMatchObject({ status: 'posted', type: 'reversal', reversesTransactionId: 'tx-a', amountMinor: 11900n, voucherNumber: 3, draftedBy: null });
    // A draft in a foreign currency has no company amount before posting.
    expect(await getTransaction(context.db, context.controlSchema, 'tx-b')).toMatchObject({ status: 'draft', amountMinor: null, currency: null, type: 'journal' });
    expect(await getTransaction(context.db, context.controlSchema, 'tx-c')).toMatchObject({ status: 'submitted', amountMinor: 300n, currency: 'EUR' });
    expect(await getTransaction(context.db, context.controlSchema, 'tx-open')).toMatchObject({ status: 'posted', amountMinor: 100000n, postingDate: '2026-01-01' });
    expect(await getTransaction(context.db, context.controlSchema, 'nope')).toBeNull();
    expect(await deadLetterCount(context, 'transactions')).toBe(0);
  });

  it('lists with indexed filters, newest posting date first, and pages by keyset without gaps or repeats', async () => {
    expect(await list({})).toEqual(['tx-a-rev', 'tx-c', 'tx-b', 'tx-a', 'tx-open']);
    expect(await list({ status: 'submitted' })).toEqual(['tx-c']);
    expect(await list({ status: 'reversed' })).toEqual(['tx-a']);
    expect(await list({ type: 'reversal' })).toEqual(['tx-a-rev']);
    expect(await list({ fromPostingDate: '2026-03-02', toPostingDate: '2026-03-05' })).toEqual(['tx-c', 'tx-b', 'tx-a']);
    expect(await list({ minAmountMinor: 300n, maxAmountMinor: 11900n })).toEqual(['tx-a-rev', 'tx-c', 'tx-a']);
    expect(await list({ text: 'müller' })).toEqual(['tx-a']);
    expect(await list({ text: 'tx-c' })).toEqual(['tx-c']);

    const seen: string[] = [];
    let after: Parameters<typeof listTransactions>[2]['after'];
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await listTransactions(context.db, context.controlSchema, { companyId: 'acme', limit: 2, after });
      seen.push(...page.items.map((item) => item.transactionId));
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toEqual(['tx-a-rev', 'tx-c', 'tx-b', 'tx-a', 'tx-open']);
    await expect(listTransactions(context.db, context.controlSchema, { companyId: 'acme', limit: 0 })).rejects.toThrow(/page size/);
  });

  it("lists one company's transactions only, read in posting-date order from the index (no sort of the whole table per page)", async () => {
    await context.store.appendToStream(stream('tx-globex'), [drafted('tx-globex', [['1200', 'debit', '700', 'EUR', null], ['8400', 'credit', '700', 'EUR', null]], { companyId: 'globex' })], {
      expectedVersion: 'no_stream',
    });
    await project();
    expect(await list({})).toEqual(['tx-a-rev', 'tx-c', 'tx-b', 'tx-a', 'tx-open']);
    expect(await list({ companyId: 'globex' })).toEqual(['tx-globex']);
    expect(await list({ companyId: 'nobody' })).toEqual([]);
    // The counts per company and status (the dashboard's open approvals) agree with the rows they count; no zero rows.
    const schema = await activeSchema(context.db, context.controlSchema, 'transactions');
    const counted = await context.db.raw(`select company_id, status, transactions::int as n from "${schema}".transaction_counts order by 1, 2`);
    const grouped = await context.db.raw(`select company_id, status, count(*)::int as n from "${schema}".transactions group by 1, 2 order by 1, 2`);
    expect(counted.rows).toEqual(grouped.rows);
    expect(counted.rows).toContainEqual({ company_id: 'acme', status: 'submitted', n: 1 });

    const statements: { sql: string; bindings: unknown[] }[] = [];
    const capture = (query: { sql: string; bindings?: unknown[] }) => statements.push({ sql: query.sql, bindings: query.bindings ?? [] });
    context.db.on('query', capture);
    try {
      await list({ limit: 2 });
    } finally {
      context.db.off('query', capture);
    }
    const listing = statements.find((statement) => statement.sql.includes('.transactions where'));
    expect(listing).toBeDefined();
    // The table is tiny, so the planner would scan it anyway; without sequential scans a plan that needs a sort still shows it.
    const plan = await context.db.transaction(async (tx) => {
      await tx.raw('set local enable_seqscan = off');
      // knex reports the native form ($1, $2, … in order); raw takes ? placeholders.
      const explained = await tx.raw(`explain (format json) ${(listing?.sql ?? '').replace(/\$\d+/g, '?')}`, (listing?.bindings ?? []) as never[]);
      return (explained.rows as { 'QUERY PLAN': { Plan: PlanNode }[] }[])[0]?.['QUERY PLAN'][0]?.Plan;
    });
    const nodes = planNodes(plan);
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(nodes).toContainEqual(expect.objectContaining({ 'Index Name': expect.stringMatching(/posting_date/), 'Scan Direction': 'Backward' }));
  });

  it('re-delivery changes nothing, and a rebuild in batches of two equals the live tables', async () => {
    const before = await getTransaction(context.db, context.controlSchema, 'tx-a');
    const events = await context.store.readAll({ fromPosition: 'start', maxCount: 100 });
    const schema = (await context.db.raw(`select schema_name from "${context.controlSchema}".projection_active_versions where name = 'transactions'`)).rows[0].schema_name as string;
    await context.db.transaction((tx) => transactionsProjection.apply(events, { tx, schema }));
    expect(await getTransaction(context.db, context.controlSchema, 'tx-a')).toEqual(before);

    const rebuilt = await rebuildInSmallBatches(context, transactionsProjection);
    expect(rebuilt.verification.outcome).toBe('equal');
    expect(rebuilt.switched).toBe(true);
    expect(rebuilt.verification.tables.map((table) => [table.table, table.liveRows])).toEqual([
      ['transactions', 6],
      ['transaction_history', 14],
      ['transaction_approvals', 1],
      ['transaction_counts', 5],
    ]);
    expect(await getTransaction(context.db, context.controlSchema, 'tx-a')).toEqual(before);
  });
});
