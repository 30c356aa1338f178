import { strict as assert } from 'node:assert';
import path from 'node:path';
import type { Command } from 'commander';
import {
  EMBEDDED_PG_IMMEDIATE_STOP_TIMEOUT_MS,
  EMBEDDED_PG_STOP_TIMEOUT_MS,
  PostgresEventStore,
  PostgresIdempotencyStore,
  startEmbeddedPostgres,
} from '@neuroerp/infra';
import { createLedgerCommandHandler, LedgerCommands } from '@neuroerp/command-api';
import { createDocumentsCommandHandler, DocumentCommands } from '@neuroerp/command-api';
import { openFileStore } from '../file-store';
import { seedDemoData } from '../demo-data';
import { createIdentityModule, createRedisClient, ensureDemoUsers, loadSigningKey } from '@neuroerp/command-api';
import { loadServerConfig, serverConfigHelp } from '../config';
import { createProjectionsRouter, ProjectionService } from '../projections';
import {
  closeServer,
  createLogger,
  createServerApp,
  GracefulShutdown,
  HTTP_DRAIN_TIMEOUT_MS,
  listen,
  serverUrl,
  SHUTDOWN_TIMEOUT_MS,
} from '../server';

export function register(program: Command): void {
  program
    .command('start')
    .description('Start the server: the HTTP APIs on PORT, the event store on DATABASE_URL or, without it, on an embedded PostgreSQL.')
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`)
    .action((_options: unknown, command: Command) => start(command.parent?.version() ?? 'unknown'));
}

async function start(version: string): Promise<void> {
  // A shutdown must be able to wait for every step before it gives up.
  assert.ok(SHUTDOWN_TIMEOUT_MS > HTTP_DRAIN_TIMEOUT_MS + EMBEDDED_PG_STOP_TIMEOUT_MS + EMBEDDED_PG_IMMEDIATE_STOP_TIMEOUT_MS);
  const config = loadServerConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const shutdown = new GracefulShutdown(logger);
  shutdown.listen();
  const startedAt = performance.now();
  try {
    let connectionString = config.DATABASE_URL;
    if (connectionString === undefined) {
      const pgLogger = logger.child({ component: 'embedded-postgres' });
      const embedded = await startEmbeddedPostgres({
        databaseDir: path.join(config.DATA_DIR, 'pg'),
        port: config.EMBEDDED_PG_PORT,
        onLog: (line, severity) => (severity === 'warning' ? pgLogger.warn(line) : pgLogger.debug(line)),
      });
      shutdown.add('stop embedded PostgreSQL', () => embedded.stop());
      logger.info(
        { databaseDir: embedded.databaseDir, port: embedded.port, createdCluster: embedded.createdCluster, startupMs: embedded.startupMs },
        'embedded PostgreSQL started',
      );
      connectionString = embedded.connectionString;
    }
    const eventStore = await PostgresEventStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
    shutdown.add('close the event store', () => eventStore.close());
    // Demo ledger data only on a brand-new embedded store (checked before anything else writes to it).
    const seedDemoLedger = config.DATABASE_URL === undefined && (await eventStore.readAll({ fromPosition: 'start', maxCount: 1 })).length === 0;
    const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
    shutdown.add('close the idempotency-key store', () => idempotencyStore.close());
    const ledgerCommands = new LedgerCommands(createLedgerCommandHandler(eventStore));
    const fileStore = await openFileStore(config);
    shutdown.add('close the attachment store', () => fileStore.close());
    logger.info({ fileStore: fileStore.description }, 'attachment store ready');
    const documentCommands = new DocumentCommands(createDocumentsCommandHandler(eventStore), fileStore);

    const signing = await loadSigningKey({ privateKeyPem: config.JWT_PRIVATE_KEY_PEM, keysDir: path.join(config.DATA_DIR, 'keys') });
    logger.info({ kid: signing.key.kid, source: signing.source, file: signing.file }, 'access-token signing key ready');
    const redis = config.REDIS_URL === undefined ? null : createRedisClient(config.REDIS_URL);
    if (redis) shutdown.add('close the Redis connection', async () => void (await redis.quit()));
    const identity = createIdentityModule({
      eventStore,
      signingKey: signing.key,
      issuer: config.JWT_ISSUER,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
      rateLimits: { redis },
    });
    // Demo accounts only where nobody else can reach them by default: the embedded profile, or when asked for.
    if (config.DEMO_USERS === 'true' || (config.DEMO_USERS === undefined && config.DATABASE_URL === undefined)) {
      const created = await ensureDemoUsers(identity.service);
      if (created.length > 0) logger.warn({ usernames: created }, 'demo accounts created with the public demo passwords from the README');
    }

    if (seedDemoLedger) {
      const summary = await seedDemoData(eventStore);
      logger.info(summary, 'demo ledger data seeded into the new embedded store');
    }

    // Read models follow the store continuously; shutdown (last in, first out) stops them after HTTP and before the store.
    const projections = await ProjectionService.open({ connectionString, eventStoreSchema: config.EVENT_STORE_SCHEMA, store: eventStore, logger });
    shutdown.add('stop the projections', () => projections.close());
    projections.startRunners();

    const app = createServerApp({
      eventStore,
      logger,
      version,
      security: { corsOrigins: config.CORS_ORIGINS },
      identity,
      ledger: { commands: ledgerCommands, idempotencyStore },
      documents: { commands: documentCommands, idempotencyStore },
      projections: { router: createProjectionsRouter(projections), metrics: projections.metrics.registry },
    });
    const server = await listen(app, config.PORT);
    shutdown.add('stop accepting HTTP requests', () => closeServer(server));
    logger.info(
      { url: serverUrl(server), eventStore: config.DATABASE_URL === undefined ? 'embedded' : 'DATABASE_URL', rateLimits: redis ? 'redis' : 'memory', startupMs: Math.round(performance.now() - startedAt) },
      `NeuroERP listening on ${serverUrl(server)}`,
    );
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await shutdown.run(1);
    return;
  }
  shutdown.startupComplete();
}
