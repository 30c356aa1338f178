import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from '@neuroerp/infra';
import { DEMO_COMPANY_ID, demoTransactionPlan, seedDemoData } from './demo-data';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_seed_${randomBytes(4).toString('hex')}`;
let store: PostgresEventStore;

beforeAll(async () => {
  store = await PostgresEventStore.connect({ connectionString, schema });
});

afterAll(async () => {
  await store?.close();
  const client = new pg.Client({ connectionString });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
});

it('plans about fifty transactions in the months so far, a few left open', () => {
  const plan = demoTransactionPlan(2025, new Date('2025-09-15T12:00:00Z'));
  expect(plan.length).toBe(50);
  expect(plan.every(({ body }) => body.postingDate < '2025-09-15')).toBe(true);
  expect(plan.filter(({ finalState }) => finalState !== 'posted').length).toBe(5);
  expect(demoTransactionPlan(2025, new Date('2025-01-02T00:00:00Z')).every(({ body }) => body.postingDate === '2025-01-01')).toBe(true);
});

it('seeds the demo company once: a second run adds nothing, vouchers are gapless', async () => {
  const today = new Date('2025-09-15T12:00:00Z');
  const first = await seedDemoData(store, { today });
  expect(first).toMatchObject({ companyId: DEMO_COMPANY_ID, year: 2025, posted: 45, awaiting: 5 });
  expect(first.eventsAppended).toBeGreaterThan(100);
  const second = await seedDemoData(store, { today });
  expect(second.eventsAppended).toBe(0);
  const events = await store.readStream(`ledger.fiscal_year-${DEMO_COMPANY_ID}-2025`, { maxCount: 1000 });
  const vouchers = events.filter((event) => event.type === 'ledger.transaction_posted').map((event) => (event.data as { voucherNumber: number }).voucherNumber);
  expect(vouchers).toEqual(Array.from({ length: 45 }, (_, index) => index + 1));
});
