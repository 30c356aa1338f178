import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { LocalFileStore, PostgresEventStore, PostgresIdempotencyStore } from '@neuroerp/infra';
import { problem } from '../app';
import { HttpProblemError, problemErrorHandler } from '../http/errors';
import { createSecurityMiddleware } from '../http/security';
import { dropSchema, testActorFromHeaders, testDatabaseUrl } from '../ledger/test-support';
import { DocumentCommands } from './commands';
import { createDocumentsRouter } from './routes';
import { createDocumentsCommandHandler } from './streams';

/** Test support for the documents API tests; never imported by production code. */

export interface DocumentsTestBed {
  app: Express;
  store: PostgresEventStore;
  files: LocalFileStore;
  commands: DocumentCommands;
  close(): Promise<void>;
}

/** The documents routes as the server mounts them (security headers, JSON bodies, the one error middleware) on a fresh schema and a temporary file directory. */
export async function documentsTestBed(schema: string): Promise<DocumentsTestBed> {
  const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
  const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString: testDatabaseUrl(), schema });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-documents-'));
  const files = await LocalFileStore.open(dir);
  const commands = new DocumentCommands(createDocumentsCommandHandler(store), files);
  const app = express();
  app.use(pinoHttp({ logger: pino({ level: 'silent' }) }));
  app.use(createSecurityMiddleware());
  app.use(express.json({ limit: 1024 * 1024 }));
  app.use(testActorFromHeaders);
  app.use(createDocumentsRouter({ commands, idempotencyStore }));
  app.use((req, _res, next) => next(new HttpProblemError(problem(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`))));
  app.use(problemErrorHandler);
  return {
    app,
    store,
    files,
    commands,
    close: async () => {
      await idempotencyStore.close();
      await store.close();
      await files.close();
      await rm(dir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
}
