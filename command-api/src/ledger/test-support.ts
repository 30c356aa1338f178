import { randomBytes } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import pg from 'pg';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import { PostgresEventStore, PostgresIdempotencyStore } from '@neuroerp/infra';
import { problem } from '../app';
import { roles, type Role } from '../auth/permissions';
import type { CommandContext } from '../command-handling';
import { HttpProblemError, problemErrorHandler } from '../http/errors';
import { LedgerCommands } from './commands';
import { createLedgerCommandHandler } from './handler';
import { createLedgerRouter } from './routes';

/** Test support for the ledger's API and integration tests; never imported by production code. */

export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function uniqueSchema(purpose: string): string {
  return `test_${purpose}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/**
 * TEST ONLY: takes the actor from the `X-Test-User` and `X-Test-Role` headers, standing in for
 * the bearer-token authentication of the identity module.
 */
export const testActorFromHeaders: RequestHandler = (req, res, next) => {
  const userId = req.get('X-Test-User');
  const role = req.get('X-Test-Role');
  if (userId !== undefined && role !== undefined) {
    if (!(roles as readonly string[]).includes(role)) {
      next(new HttpProblemError(problem(401, 'UNAUTHENTICATED', 'unknown test role')));
      return;
    }
    res.locals.actor = { userId, role: role as Role };
  }
  next();
};

export interface LedgerTestBed {
  app: Express;
  store: PostgresEventStore;
  idempotencyStore: PostgresIdempotencyStore;
  commands: LedgerCommands;
  close(): Promise<void>;
}

/** The ledger routes as the server mounts them (pino-http, JSON bodies, the one error middleware), on a fresh schema. */
export async function ledgerTestBed(schema: string): Promise<LedgerTestBed> {
  const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
  const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString: testDatabaseUrl(), schema });
  const commands = new LedgerCommands(createLedgerCommandHandler(store));
  const app = express();
  app.use(pinoHttp({ logger: pino({ level: 'silent' }) }));
  app.use(express.json({ limit: 1024 * 1024 }));
  app.use(testActorFromHeaders);
  app.use(createLedgerRouter({ commands, idempotencyStore }));
  app.use((req, _res, next) => next(new HttpProblemError(problem(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`))));
  app.use(problemErrorHandler);
  return {
    app,
    store,
    idempotencyStore,
    commands,
    close: async () => {
      await idempotencyStore.close();
      await store.close();
      await dropSchema(schema);
    },
  };
}

export function context(userId: string, role: Role): CommandContext {
  return { actor: { userId, role }, correlationId: `test-${userId}`, requestId: null };
}

/** A company with the SKR03 demo chart and the fiscal year `year` opened. */
export async function openCompany(commands: LedgerCommands, companyId: string, year: number, approvalThreshold = '10000.00'): Promise<void> {
  const admin = context('setup-admin', 'admin');
  await commands.importChart(admin, { companyId, accounts: [...SKR03_DEMO_CHART] });
  await commands.openFiscalYear(admin, {
    companyId,
    year,
    companyCurrency: SKR03_DEMO_SETTINGS.companyCurrency,
    approvalThreshold,
    roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
    retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
    openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
  });
}

/** A balanced two-line EUR transaction body (bank against revenue). */
export function twoLineDraft(transactionId: string, companyId: string, postingDate: string, amount = '119.00') {
  return {
    transactionId,
    companyId,
    type: 'journal' as const,
    documentDate: postingDate,
    postingDate,
    description: `test ${transactionId}`,
    lines: [
      { accountNumber: '1200', side: 'debit' as const, amount, currency: 'EUR' },
      { accountNumber: '8400', side: 'credit' as const, amount, currency: 'EUR' },
    ],
  };
}

/** Two stores on one log: two server processes, each with its own connections and caches. */
export async function connectTwoStores(schema: string): Promise<PostgresEventStore[]> {
  return [
    await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema }),
    await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema }),
  ];
}

export async function closeStores(stores: readonly PostgresEventStore[], schema: string): Promise<void> {
  for (const store of stores) await store.close();
  await dropSchema(schema);
}
