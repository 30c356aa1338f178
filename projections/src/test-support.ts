import { randomBytes, randomUUID } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { dropSchemasWithPrefix, PostgresEventStore } from '@neuroerp/infra';
import type { ledger, NewEvent } from '@neuroerp/schemas';
import { migrateProjectionControl } from './runtime/control';

/** The PostgreSQL server integration tests use: TEST_DATABASE_URL, else the machine's local server. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface ProjectionTestContext {
  connectionString: string;
  /** Event store schema; also the prefix of the control schema and every table set schema. */
  schema: string;
  controlSchema: string;
  store: PostgresEventStore;
  db: Knex;
  headPosition(): Promise<bigint>;
  dispose(): Promise<void>;
}

/** A fresh event store and projection control schema, unique to one test file, dropped by `dispose`. */
export async function createProjectionTestContext(purpose: string): Promise<ProjectionTestContext> {
  const connectionString = testDatabaseUrl();
  const schema = `test_${purpose}_${randomBytes(4).toString('hex')}`;
  const controlSchema = `${schema}_p`;
  const store = await PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 100 });
  await migrateProjectionControl(connectionString, controlSchema);
  const db = knex({ client: 'pg', connection: connectionString, pool: { min: 0, max: 5 } });
  return {
    connectionString,
    schema,
    controlSchema,
    store,
    db,
    headPosition: async () => (await store.readHead()).position,
    dispose: async () => {
      await store.close();
      await db.destroy();
      await dropSchemasWithPrefix(schema, connectionString);
    },
  };
}

export interface PostingInput {
  companyId?: string;
  transactionId?: string;
  voucherNumber: number;
  postingDate: string;
  documentDate?: string;
  /** [accountNumber, side, amountMinor] in EUR. */
  lines: readonly [string, 'debit' | 'credit', string][];
  reversesTransactionId?: string | null;
  linkedDocumentIds?: string[];
}

/** A valid `ledger.transaction_posted` event (company currency EUR) as the fiscal-year decider would emit it. */
export function postedEvent(input: PostingInput, actorUserId = 'accountant-1'): NewEvent<ledger.TransactionPosted> {
  const postingDate = input.postingDate;
  const data: ledger.TransactionPosted = {
    companyId: input.companyId ?? 'acme',
    fiscalYear: Number(postingDate.slice(0, 4)),
    period: Number(postingDate.slice(5, 7)),
    voucherNumber: input.voucherNumber,
    transactionId: input.transactionId ?? randomUUID(),
    type: 'journal',
    documentDate: input.documentDate ?? postingDate,
    postingDate,
    companyCurrency: 'EUR',
    description: `voucher ${input.voucherNumber}`,
    linkedDocumentIds: input.linkedDocumentIds ?? [],
    lines: input.lines.map(([accountNumber, side, amountMinor]) => ({
      accountNumber,
      side,
      amountMinor,
      currency: 'EUR',
      fxRate: null,
      dimensions: {},
      text: null,
      companyAmountMinor: amountMinor,
      kind: 'entry' as const,
    })),
    postedBy: actorUserId,
    postedAt: `${postingDate}T12:00:00.000Z`,
    approvedBy: null,
    reversesTransactionId: input.reversesTransactionId ?? null,
    reason: input.reversesTransactionId ? 'wrong account' : null,
    postedUnderException: false,
  };
  return {
    eventId: randomUUID(),
    type: 'ledger.transaction_posted',
    schemaVersion: 1,
    data,
    metadata: {
      actor: { userId: actorUserId, role: 'accountant' },
      correlationId: randomUUID(),
      causationId: null,
      occurredAt: new Date().toISOString(),
      requestId: `req-${input.voucherNumber}`,
    },
  };
}

export function fiscalYearStream(companyId = 'acme', year = 2026): string {
  return `ledger.fiscal_year-${companyId}-${year}`;
}
