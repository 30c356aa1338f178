import { randomBytes, randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { dropSchemasWithPrefix, PostgresEventStore } from '@neuroerp/infra';
import { ledgerProjections, migrateProjectionControl, openReadModelDatabase, ProjectionRunner, resolveRunnableTableSet, type Knex, type Projection } from '@neuroerp/projections';
import type { ledger, NewEvent } from '@neuroerp/schemas';
import { createQueryApiRouter, type QueryApiOptions } from './app';
import type { QueryPermission } from './route';

/** Test support for the query API's API tests; never imported by production code. */

export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * The command API's role table for the permissions the query API uses (query-api may not import
 * command-api; the composition root injects the real `requirePermission`).
 */
const rolePermissions: Record<string, readonly QueryPermission[]> = {
  admin: ['finance:read', 'documents:read', 'workflows:read', 'audit:read', 'users:read'],
  user: ['finance:read', 'documents:read', 'workflows:read'],
  guest: ['finance:read', 'documents:read', 'workflows:read'],
  accountant: ['finance:read', 'documents:read', 'workflows:read'],
  approver: ['finance:read', 'documents:read', 'workflows:read'],
  auditor: ['finance:read', 'documents:read', 'workflows:read', 'audit:read', 'users:read'],
};

/** TEST ONLY: the actor from `X-Test-User` / `X-Test-Role`, standing in for bearer-token authentication. */
export const testActorFromHeaders: RequestHandler = (req, res, next) => {
  const userId = req.get('X-Test-User');
  const role = req.get('X-Test-Role');
  if (userId !== undefined && role !== undefined) res.locals.actor = { userId, role };
  next();
};

/** Behaves like command-api's `requirePermission`: 401 UNAUTHENTICATED, 403 FORBIDDEN. */
export function testRequirePermission(permission: QueryPermission): RequestHandler {
  return (req, res, next) => {
    const actor = res.locals.actor as { role: string } | undefined;
    const answer = (status: number, code: string) =>
      res.status(status).type('application/problem+json').json({ type: 'about:blank', title: code, status, code, detail: code, instance: req.originalUrl });
    if (actor === undefined) return void answer(401, 'UNAUTHENTICATED');
    if (!(rolePermissions[actor.role] ?? []).includes(permission)) return void answer(403, 'FORBIDDEN');
    next();
  };
}

export interface QueryTestBed {
  app: Express;
  store: PostgresEventStore;
  db: Knex;
  controlSchema: string;
  /** Runs the given projections (default: the ledger ones) up to the head, as the continuous runners would. */
  project(projections?: readonly Projection[]): Promise<void>;
  headPosition(): Promise<bigint>;
  close(): Promise<void>;
}

/** A fresh event store and control schema, the query router as the server mounts it, and a way to run the projections. */
export async function queryTestBed(purpose: string, options: Partial<QueryApiOptions> = {}): Promise<QueryTestBed> {
  const connectionString = testDatabaseUrl();
  const schema = `test_${purpose}_${randomBytes(4).toString('hex')}`;
  const controlSchema = `${schema}_p`;
  const store = await PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 100 });
  await migrateProjectionControl(connectionString, controlSchema);
  const db = openReadModelDatabase(connectionString, 5);
  const app = express();
  app.use(testActorFromHeaders);
  app.use(createQueryApiRouter({ db, controlSchema, companyId: 'qa', requirePermission: testRequirePermission, headPosition: async () => (await store.readHead()).position, ...options }));
  app.use(((error, _req, res, _next) => {
    res.status(500).json({ code: 'INTERNAL', detail: String(error) });
  }) as express.ErrorRequestHandler);
  return {
    app,
    store,
    db,
    controlSchema,
    project: async (projections = ledgerProjections) => {
      for (const projection of projections) {
        const tableSet = await resolveRunnableTableSet(db, controlSchema, projection);
        if (tableSet === null) throw new Error(`${projection.name}: no runnable table set`);
        await new ProjectionRunner({ db, controlSchema, store, projection }).catchUp(tableSet, { mode: 'continuous' });
      }
    },
    headPosition: async () => (await store.readHead()).position,
    close: async () => {
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
  description?: string;
  /** [accountNumber, side, amountMinor, line text?] in EUR. */
  lines: readonly (readonly [string, 'debit' | 'credit', string] | readonly [string, 'debit' | 'credit', string, string])[];
  reversesTransactionId?: string | null;
}

/** A valid `ledger.transaction_posted` event (company currency EUR), as the fiscal-year decider emits it. */
export function postedEvent(input: PostingInput, actorUserId = 'accountant-1'): NewEvent<ledger.TransactionPosted> {
  const postingDate = input.postingDate;
  const data: ledger.TransactionPosted = {
    companyId: input.companyId ?? 'qa',
    fiscalYear: Number(postingDate.slice(0, 4)),
    period: Number(postingDate.slice(5, 7)),
    voucherNumber: input.voucherNumber,
    transactionId: input.transactionId ?? randomUUID(),
    type: 'journal',
    documentDate: input.documentDate ?? postingDate,
    postingDate,
    companyCurrency: 'EUR',
    description: input.description ?? `voucher ${input.voucherNumber}`,
    linkedDocumentIds: [],
    lines: input.lines.map(([accountNumber, side, amountMinor, text]) => ({
      accountNumber,
      side,
      amountMinor,
      currency: 'EUR',
      fxRate: null,
      dimensions: {},
      text: text ?? null,
      companyAmountMinor: amountMinor,
      kind: 'entry' as const,
    })),
    postedBy: actorUserId,
    postedAt: `${postingDate}T12:00:00.000Z`,
    approvedBy: null,
    reversesTransactionId: input.reversesTransactionId ?? null,
    reason: input.reversesTransactionId ? 'wrong amount' : null,
    postedUnderException: false,
  };
  return {
    eventId: randomUUID(),
    type: 'ledger.transaction_posted',
    schemaVersion: 1,
    data,
    metadata: { actor: { userId: actorUserId, role: 'accountant' }, correlationId: randomUUID(), causationId: null, occurredAt: new Date().toISOString(), requestId: `req-${input.voucherNumber}` },
  };
}

/** A new event of any type (schema version 1), as a command handler would append it. */
export function newEvent<Data>(type: string, data: Data, actor: { userId: string; role: string }, requestId = `req-${randomUUID().slice(0, 8)}`): NewEvent<Data> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: { actor, correlationId: randomUUID(), causationId: null, occurredAt: new Date().toISOString(), requestId },
  };
}

export function fiscalYearStream(companyId = 'qa', year = 2026): string {
  return `ledger.fiscal_year-${companyId}-${year}`;
}

/** Appends postings to the company's fiscal-year stream (any expected version). */
export async function post(store: PostgresEventStore, postings: readonly PostingInput[], actorUserId?: string): Promise<void> {
  await store.appendToStream(fiscalYearStream(postings[0]?.companyId ?? 'qa'), postings.map((posting) => postedEvent(posting, actorUserId)), { expectedVersion: 'any' });
}
