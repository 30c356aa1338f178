import express, { type Express } from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { PostgresEventStore, PostgresIdempotencyStore } from '@neuroerp/infra';
import { problem } from '../app';
import { HttpProblemError, problemErrorHandler } from '../http/errors';
import { createSecurityMiddleware } from '../http/security';
import { dropSchema, testActorFromHeaders, testDatabaseUrl } from '../ledger/test-support';
import { WorkflowCommands } from './commands';
import { createWorkflowsRouter } from './routes';
import { createWorkflowsCommandHandler } from './streams';

/** Test support for the workflows API tests; never imported by production code. */

/** A clock the test moves by hand, shared by the command handler (event `now`) and the escalations. */
export interface TestClock {
  now(): Date;
  set(instant: string): void;
}

export function testClock(start: string): TestClock {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set: (instant) => {
      current = new Date(instant);
    },
  };
}

export interface WorkflowsTestBed {
  app: Express;
  store: PostgresEventStore;
  commands: WorkflowCommands;
  clock: TestClock;
  close(): Promise<void>;
}

/** The workflows routes as the server mounts them (security headers, JSON bodies, the one error middleware) on a fresh schema. */
export async function workflowsTestBed(schema: string, start = '2025-03-10T09:00:00.000Z'): Promise<WorkflowsTestBed> {
  const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
  const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString: testDatabaseUrl(), schema });
  const clock = testClock(start);
  const commands = new WorkflowCommands(createWorkflowsCommandHandler(store, { clock: clock.now }), { clock: clock.now });
  const app = express();
  app.use(pinoHttp({ logger: pino({ level: 'silent' }) }));
  app.use(createSecurityMiddleware());
  app.use(express.json({ limit: 1024 * 1024 }));
  app.use(testActorFromHeaders);
  app.use(createWorkflowsRouter({ commands, idempotencyStore }));
  app.use((req, _res, next) => next(new HttpProblemError(problem(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`))));
  app.use(problemErrorHandler);
  return {
    app,
    store,
    commands,
    clock,
    close: async () => {
      await idempotencyStore.close();
      await store.close();
      await dropSchema(schema);
    },
  };
}
