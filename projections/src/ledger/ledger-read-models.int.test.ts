import { createProjectionTestContext, fiscalYearStream, postedEvent, type ProjectionTestContext } from '../test-support';
import { resolveRunnableTableSet } from '../runtime/control';
import type { Projection } from '../runtime/projection';
import { rebuildProjection } from '../runtime/rebuild';
import { dropReplay, listReplays, replayProjection } from '../runtime/replay';
import { ProjectionRunner } from '../runtime/runner';
import { accountBalancesAsOf, accountBalancesProjection, trialBalanceAsOf } from './account-balances';
import { auditLogEntries, auditLogProjection } from './audit-log';
import { reconcileTrialBalances } from './reconcile';
import { generalLedgerLines, generalLedgerProjection, trialBalanceAsKnownAt } from './general-ledger';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projledger');
});
afterAll(async () => {
  await context.dispose();
});

/** Runs every ledger projection up to the head (what the continuous runners do, synchronously). */
async function project(projections: readonly Projection[] = [accountBalancesProjection, generalLedgerProjection, auditLogProjection]): Promise<void> {
  for (const projection of projections) {
    const tableSet = await resolveRunnableTableSet(context.db, context.controlSchema, projection);
    if (tableSet === null) throw new Error(`${projection.name}: no runnable table set`);
    await new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection }).catchUp(tableSet, { mode: 'continuous' });
  }
}

async function recordedAtOf(transactionId: string): Promise<string> {
  const events = await context.store.readAll({ fromPosition: 'start', maxCount: 1_000 });
  const event = events.find((candidate) => (candidate.data as { transactionId?: string }).transactionId === transactionId);
  if (event === undefined) throw new Error(`no event for ${transactionId}`);
  return event.metadata.recordedAt;
}

const tb = (rows: { accountNumber: string; balanceMinor: bigint }[]) => Object.fromEntries(rows.map((row) => [row.accountNumber, row.balanceMinor]));

describe('ledger read models', () => {
  it('given postings: daily balances, as-of trial balance, general ledger lines and the audit log', async () => {
    await context.store.appendToStream(
      fiscalYearStream('spec'),
      [
        postedEvent({ companyId: 'spec', transactionId: 'tx-1', voucherNumber: 1, postingDate: '2026-01-10', documentDate: '2026-01-09', lines: [['1200', 'debit', '11900'], ['8400', 'credit', '10000'], ['1776', 'credit', '1900']], linkedDocumentIds: ['doc-1'] }),
        postedEvent({ companyId: 'spec', transactionId: 'tx-2', voucherNumber: 2, postingDate: '2026-01-10', lines: [['1200', 'debit', '500'], ['8400', 'credit', '500']] }),
        postedEvent({ companyId: 'spec', transactionId: 'tx-3', voucherNumber: 3, postingDate: '2026-02-01', lines: [['1000', 'debit', '2000'], ['1200', 'credit', '2000']] }, 'clerk-7'),
      ],
      { expectedVersion: 'no_stream' },
    );
    await project();

    expect(await accountBalancesAsOf(context.db, context.controlSchema, { companyId: 'spec', asOfPostingDate: '2026-01-31' })).toEqual([
      { accountNumber: '1200', currency: 'EUR', debitMinor: 12400n, creditMinor: 0n, companyDebitMinor: 12400n, companyCreditMinor: 0n },
      { accountNumber: '1776', currency: 'EUR', debitMinor: 0n, creditMinor: 1900n, companyDebitMinor: 0n, companyCreditMinor: 1900n },
      { accountNumber: '8400', currency: 'EUR', debitMinor: 0n, creditMinor: 10500n, companyDebitMinor: 0n, companyCreditMinor: 10500n },
    ]);
    const february = await trialBalanceAsOf(context.db, context.controlSchema, { companyId: 'spec', postingDate: '2026-02-28' });
    expect(tb(february.rows)).toEqual({ '1000': 2000n, '1200': 10400n, '1776': -1900n, '8400': -10500n });
    expect(february.debitTotalMinor).toBe(february.creditTotalMinor);
    expect(await trialBalanceAsKnownAt(context.db, context.controlSchema, { companyId: 'spec', postingDate: '2026-02-28', knownAt: null })).toEqual(february);

    const lines = await generalLedgerLines(context.db, context.controlSchema, { companyId: 'spec', accountNumber: '1200', limit: 10 });
    expect(lines.map((line) => [line.voucherNumber, line.side, line.amountMinor, line.postingDate])).toEqual([
      [1, 'debit', 11900n, '2026-01-10'],
      [2, 'debit', 500n, '2026-01-10'],
      [3, 'credit', 2000n, '2026-02-01'],
    ]);
    expect(lines[0]).toMatchObject({ transactionId: 'tx-1', documentDate: '2026-01-09', linkedDocumentIds: ['doc-1'], actorUserId: 'accountant-1', position: 1n });
    expect(lines[2]?.actorUserId).toBe('clerk-7');

    const audit = await auditLogEntries(context.db, context.controlSchema, { limit: 10 });
    expect(audit).toHaveLength(3);
    expect(audit[2]).toMatchObject({ position: 3n, streamId: 'ledger.fiscal_year-spec-2026', streamVersion: 2, eventType: 'ledger.transaction_posted', actor: { userId: 'clerk-7', role: 'accountant' }, requestId: 'req-3' });
    expect(audit[2]?.prevHash).toBe(audit[1]?.hash);
  });

  it('bi-temporal trial balance: 31 March as known on a date between a back-dated posting and a later reversal', async () => {
    const stream = fiscalYearStream('bitemp');
    await context.store.appendToStream(stream, [postedEvent({ companyId: 'bitemp', transactionId: 'sale', voucherNumber: 1, postingDate: '2026-03-15', lines: [['1200', 'debit', '1000'], ['8400', 'credit', '1000']] })], { expectedVersion: 'no_stream' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Back-dated: recorded after the sale, posted into March.
    await context.store.appendToStream(stream, [postedEvent({ companyId: 'bitemp', transactionId: 'late-fee', voucherNumber: 2, postingDate: '2026-03-20', lines: [['4900', 'debit', '300'], ['1600', 'credit', '300']] })], { expectedVersion: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The sale is reversed later, dated 31 March.
    await context.store.appendToStream(
      stream,
      [postedEvent({ companyId: 'bitemp', transactionId: 'sale-reversal', voucherNumber: 3, postingDate: '2026-03-31', reversesTransactionId: 'sale', lines: [['1200', 'credit', '1000'], ['8400', 'debit', '1000']] })],
      { expectedVersion: 1 },
    );
    await project();
    const saleRecorded = await recordedAtOf('sale');
    const feeRecorded = await recordedAtOf('late-fee');
    const reversalRecorded = await recordedAtOf('sale-reversal');
    expect(saleRecorded < feeRecorded && feeRecorded < reversalRecorded).toBe(true);

    const asOf = (knownAt: string | null) => trialBalanceAsKnownAt(context.db, context.controlSchema, { companyId: 'bitemp', postingDate: '2026-03-31', knownAt });
    expect(tb((await asOf(saleRecorded)).rows)).toEqual({ '1200': 1000n, '8400': -1000n });
    expect(tb((await asOf(feeRecorded)).rows)).toEqual({ '1200': 1000n, '8400': -1000n, '1600': -300n, '4900': 300n });
    expect(tb((await asOf(null)).rows)).toEqual({ '1200': 0n, '8400': 0n, '1600': -300n, '4900': 300n });
    // As of 20 March, the reversal (dated 31 March) is not in, whenever asked.
    const march20 = await trialBalanceAsKnownAt(context.db, context.controlSchema, { companyId: 'bitemp', postingDate: '2026-03-20', knownAt: null });
    expect(tb(march20.rows)).toEqual({ '1200': 1000n, '8400': -1000n, '1600': -300n, '4900': 300n });
    // The cheap daily-balance path agrees with the ledger-line path when asked "as known now".
    expect(tb((await trialBalanceAsOf(context.db, context.controlSchema, { companyId: 'bitemp', postingDate: '2026-03-31' })).rows)).toEqual(tb((await asOf(null)).rows));
  });

  it('rebuild verifies against the live tables at the same position, lists differences and switches only when equal or forced', async () => {
    const rebuild = (extra: { force?: boolean } = {}) =>
      rebuildProjection({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: accountBalancesProjection, headPosition: context.headPosition, batchSizeMax: 2, ...extra });
    const first = await rebuild();
    expect(first.verification.outcome).toBe('equal');
    expect(first.switched).toBe(true);
    expect(first.verification.tables[0]?.liveRows).toBeGreaterThan(0);
    expect(first.previous?.build).toBe(1);
    expect(first.rebuilt.build).toBe(2);

    // Corrupt the live table set: the next rebuild finds it and refuses to switch.
    await context.db.raw(`update "${first.rebuilt.schema}".account_balances_daily set debit_minor = debit_minor + 1 where company_id = 'spec' and account_number = '1000'`);
    const refused = await rebuild();
    expect(refused.verification.outcome).toBe('different');
    expect(refused.switched).toBe(false);
    const table = refused.verification.tables[0];
    expect(table?.onlyLive).toHaveLength(1);
    expect(table?.onlyLive[0]).toContain('2001');
    expect(table?.onlyRebuilt[0]).toContain('2000');
    const forced = await rebuild({ force: true });
    expect(forced.switched).toBe(true);
    expect((await trialBalanceAsOf(context.db, context.controlSchema, { companyId: 'spec', postingDate: '2026-12-31' })).rows.find((row) => row.accountNumber === '1000')?.debitMinor).toBe(2000n);
  });

  it('reconciliation finds no difference between read models and events, then reports a tampered row (and corrects nothing)', async () => {
    const clean = await reconcileTrialBalances(context.db, context.controlSchema, context.store, '2026-12-31');
    expect(clean.map((report) => [report.readModel, report.position, report.differences])).toEqual([
      ['account_balances', await context.headPosition(), []],
      ['general_ledger', await context.headPosition(), []],
    ]);
    expect(clean[0]?.accountsCompared).toBeGreaterThan(5);
    const schema = (await context.db.raw(`select schema_name from "${context.controlSchema}".projection_active_versions where name = 'general_ledger'`)).rows[0].schema_name as string;
    await context.db.raw(`update "${schema}".ledger_lines set company_amount_minor = 1 where company_id = 'spec' and account_number = '1776'`);
    const tampered = await reconcileTrialBalances(context.db, context.controlSchema, context.store, '2026-12-31');
    expect(tampered[0]?.differences).toEqual([]);
    expect(tampered[1]?.differences).toEqual([
      { companyId: 'spec', accountNumber: '1776', readModelDebitMinor: 0n, readModelCreditMinor: 1n, eventsDebitMinor: 0n, eventsCreditMinor: 1900n },
    ]);
    expect((await reconcileTrialBalances(context.db, context.controlSchema, context.store, '2026-12-31'))[1]?.differences).toHaveLength(1);
  });

  it('replays a copy as of a position and as of a recorded time into a named schema; lists and drops them', async () => {
    const events = await context.store.readAll({ fromPosition: 'start', maxCount: 1_000 });
    const fee = events.find((event) => (event.data as { transactionId?: string }).transactionId === 'late-fee');
    if (fee === undefined) throw new Error('no late-fee event');
    const base = { db: context.db, controlSchema: context.controlSchema, store: context.store, projection: generalLedgerProjection };
    const byPosition = await replayProjection({ ...base, into: `${context.schema}_asof_pos`, untilPosition: fee.globalPosition });
    expect(byPosition).toMatchObject({ position: fee.globalPosition, events: fee.globalPosition, untilRecordedAt: null });
    const rows = await context.db.raw(`select count(*)::int as n, max(position)::text as last from "${context.schema}_asof_pos".ledger_lines`);
    expect(rows.rows).toEqual([{ n: 2 * Number(fee.globalPosition) + 1, last: fee.globalPosition.toString() }]);

    const byTime = await replayProjection({ ...base, into: `${context.schema}_asof_time`, untilRecordedAt: fee.metadata.recordedAt });
    expect(byTime.events).toBe(fee.globalPosition);
    await expect(replayProjection({ ...base, into: `${context.schema}_asof_time`, untilPosition: 1n })).rejects.toThrow(/already exists/);

    expect((await listReplays(context.db, context.controlSchema)).map((replay) => replay.schema)).toEqual([`${context.schema}_asof_pos`, `${context.schema}_asof_time`]);
    expect(await dropReplay(context.db, context.controlSchema, `${context.schema}_asof_pos`)).toBe(true);
    expect(await dropReplay(context.db, context.controlSchema, `${context.schema}_asof_pos`)).toBe(false);
    const left = await context.db.raw(`select count(*)::int as n from pg_namespace where nspname = ?`, [`${context.schema}_asof_pos`]);
    expect(left.rows).toEqual([{ n: 0 }]);
  });
});
