import { isDomainError } from '@neuroerp/domains';
import type { PostgresEventStore } from '@neuroerp/infra';
import { LedgerCommands } from './commands';
import { createLedgerCommandHandler } from './handler';
import { closeStores, connectTwoStores, context, openCompany, twoLineDraft, uniqueSchema } from './test-support';

/**
 * A draft does not read its (normally new) transaction stream before deciding (expectNew):
 * a repeat in another process, whose cache does not hold the stream, must still be answered
 * from the stream as it is — nothing appended for the same data, a refusal for other data.
 */

const schema = uniqueSchema('draft_repeat');
let stores: PostgresEventStore[] = [];

beforeAll(async () => {
  stores = await connectTwoStores(schema);
});

afterAll(async () => {
  await closeStores(stores, schema);
});

it('answers a repeated draft from another process from the stream, not from the assumed empty state', async () => {
  const [storeA, storeB] = stores as [PostgresEventStore, PostgresEventStore];
  const first = new LedgerCommands(createLedgerCommandHandler(storeA));
  const second = new LedgerCommands(createLedgerCommandHandler(storeB));
  await openCompany(first, 'repeat', 2025);
  const maker = context('maker', 'accountant');
  const draft = twoLineDraft('repeat-tx-1', 'repeat', '2025-01-10');

  const created = await first.draftTransaction(maker, draft, { submit: true });
  expect(created.appended).toBe(2);

  const repeated = await second.draftTransaction(maker, draft, { submit: true });
  expect(repeated.appended).toBe(0);
  expect(repeated.streamVersion).toBe(created.streamVersion);
  expect(repeated.resource).toEqual(created.resource);

  const other = await second
    .draftTransaction(maker, { ...draft, description: 'something else' }, { submit: true })
    .then(() => 'drafted', (error: unknown) => (isDomainError(error) ? error.code : String(error)));
  expect(other).toBe('TRANSACTION_EXISTS_WITH_DIFFERENT_DATA');

  const events = await storeA.readStream('ledger.transaction-repeat-tx-1', { maxCount: 100 });
  expect(events.map((event) => event.type)).toEqual(['ledger.transaction_drafted', 'ledger.transaction_submitted']);
});
