import { isDomainError } from '@neuroerp/domains';
import type { PostgresEventStore } from '@neuroerp/infra';
import type { ledger as wire } from '@neuroerp/schemas';
import { LedgerCommands } from './commands';
import { createLedgerCommandHandler } from './handler';
import { closeStores, connectTwoStores, context, openCompany, twoLineDraft, uniqueSchema } from './test-support';

/**
 * Postings race a period close through the real command handler and the real PostgreSQL
 * event store. Two handlers on two store connections play two server processes, so both the
 * in-process pipeline and the cross-process version conflicts (re-read, re-decide) are at work.
 * Whatever the interleaving: nothing is posted into the period after it closed, and voucher
 * numbers are gapless 1..n.
 */

const RUNS = 5;
const POSTS_PER_RUN = 30;
const YEAR = 2025;
const schema = uniqueSchema('period_race');
let stores: PostgresEventStore[] = [];

beforeAll(async () => {
  stores = await connectTwoStores(schema);
});

afterAll(async () => {
  await closeStores(stores, schema);
});

it.each(Array.from({ length: RUNS }, (_, run) => [run + 1]))('run %i: posts racing a close of their period', async (run) => {
  const [storeA, storeB] = stores as [PostgresEventStore, PostgresEventStore];
  const both = [new LedgerCommands(createLedgerCommandHandler(storeA)), new LedgerCommands(createLedgerCommandHandler(storeB))];
  const processes = (index: number) => both[index % 2] as LedgerCommands;
  const companyId = `race${run}`;
  await openCompany(processes(0), companyId, YEAR);
  const maker = context('maker', 'accountant');
  const ids = Array.from({ length: POSTS_PER_RUN }, (_, index) => `${companyId}-tx-${index}`);
  for (const [index, id] of ids.entries()) {
    await processes(index).draftTransaction(maker, twoLineDraft(id, companyId, `${YEAR}-01-${String((index % 28) + 1).padStart(2, '0')}`), { submit: true });
  }

  // The close is started after a run-dependent number of posts so that it lands at different points.
  const closeAfter = Math.floor((POSTS_PER_RUN * (run - 1)) / (RUNS - 1));
  const outcomes: Promise<'posted' | string>[] = [];
  let close: Promise<unknown> = Promise.resolve();
  for (const [index, id] of ids.entries()) {
    if (index === closeAfter) close = processes(index + 1).closePeriod(context('closer', 'accountant'), { companyId, year: YEAR, period: 1 }, undefined);
    outcomes.push(
      processes(index).postTransaction(maker, id, undefined).then(
        () => 'posted',
        (error: unknown) => (isDomainError(error) ? error.code : (error as { code?: string }).code ?? String(error)),
      ),
    );
  }
  if (closeAfter >= POSTS_PER_RUN) close = processes(0).closePeriod(context('closer', 'accountant'), { companyId, year: YEAR, period: 1 }, undefined);
  const results = await Promise.all(outcomes);
  await close;

  for (const result of results) expect(['posted', 'PERIOD_CLOSED']).toContain(result);
  const events = await storeA.readStream(`ledger.fiscal_year-${companyId}-${YEAR}`, { maxCount: 1000 });
  const closedAt = events.find((event) => event.type === 'ledger.period_closed')?.streamVersion;
  expect(closedAt).toBeDefined();
  const postings = events.filter((event) => event.type === 'ledger.transaction_posted').map((event) => ({ version: event.streamVersion, data: event.data as wire.TransactionPosted }));
  // Nothing lies in the closed period that was posted after the close.
  expect(postings.filter((posting) => posting.data.period === 1 && posting.version > (closedAt as number))).toEqual([]);
  // Gapless vouchers 1..n, each transaction at most once, and every "posted" answer is in the log.
  expect(postings.map((posting) => posting.data.voucherNumber)).toEqual(postings.map((_, index) => index + 1));
  expect(new Set(postings.map((posting) => posting.data.transactionId)).size).toBe(postings.length);
  expect(postings.length).toBe(results.filter((result) => result === 'posted').length);
});
