import path from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { PostgresEventStore, PostgresIdempotencyStore } from '@neuroerp/infra';
import {
  createDocumentsCommandHandler,
  createIdentityModule,
  createLedgerCommandHandler,
  createRedisClient,
  DocumentCommands,
  ensureDemoUsers,
  LedgerCommands,
  loadSigningKey,
  type IdentityModule,
} from '@neuroerp/command-api';
import type { ServerConfig } from './config';
import { seedDemoData } from './demo-data';
import { openFileStore } from './file-store';
import { createProjectionsRouter, ProjectionService } from './projections';
import { createServerApp } from './server';

/** Registers a resource to release on shutdown; they are released last in, first out. */
export type OnShutdown = (name: string, release: () => Promise<void>) => void;

export interface Application {
  app: Express;
  eventStore: PostgresEventStore;
  identity: IdentityModule;
  projections: ProjectionService;
}

export interface ComposeOptions {
  config: ServerConfig;
  /** The PostgreSQL of the event store, the read models and the idempotency keys. */
  connectionString: string;
  logger: Logger;
  version: string;
  onShutdown: OnShutdown;
  /** Seed the demo ledger when the store is brand new (the embedded profile). */
  seedDemoDataIfEmpty: boolean;
  /** Overrides for tests (a cheap password-hash cost, generous rate limits). */
  identityOverrides?: Partial<Parameters<typeof createIdentityModule>[0]>;
}

/**
 * The composition root: every adapter chosen from configuration and injected into the
 * command API, the query API and the projection runtime. `neuroerp start` serves what
 * this returns; tests compose the very same application against a schema of their own.
 */
export async function composeApplication(options: ComposeOptions): Promise<Application> {
  const { config, connectionString, logger, onShutdown } = options;
  const eventStore = await PostgresEventStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
  onShutdown('close the event store', () => eventStore.close());
  // Demo ledger data only on a brand-new store (checked before anything else writes to it).
  const seedDemoLedger = options.seedDemoDataIfEmpty && (await eventStore.readAll({ fromPosition: 'start', maxCount: 1 })).length === 0;
  const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
  onShutdown('close the idempotency-key store', () => idempotencyStore.close());
  const ledgerCommands = new LedgerCommands(createLedgerCommandHandler(eventStore));
  const fileStore = await openFileStore(config);
  onShutdown('close the attachment store', () => fileStore.close());
  logger.info({ fileStore: fileStore.description }, 'attachment store ready');
  const documentCommands = new DocumentCommands(createDocumentsCommandHandler(eventStore), fileStore);

  const signing = await loadSigningKey({ privateKeyPem: config.JWT_PRIVATE_KEY_PEM, keysDir: path.join(config.DATA_DIR, 'keys') });
  logger.info({ kid: signing.key.kid, source: signing.source, file: signing.file }, 'access-token signing key ready');
  const redis = config.REDIS_URL === undefined ? null : createRedisClient(config.REDIS_URL);
  if (redis) onShutdown('close the Redis connection', async () => void (await redis.quit()));
  const identity = createIdentityModule({
    eventStore,
    signingKey: signing.key,
    issuer: config.JWT_ISSUER,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    rateLimits: { redis },
    ...options.identityOverrides,
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
  onShutdown('stop the projections', () => projections.close());
  projections.startRunners();

  const app = createServerApp({
    eventStore,
    logger,
    version: options.version,
    security: { corsOrigins: config.CORS_ORIGINS },
    identity,
    ledger: { commands: ledgerCommands, idempotencyStore },
    documents: { commands: documentCommands, idempotencyStore },
    projections: { router: createProjectionsRouter(projections), metrics: projections.metrics.registry },
  });
  return { app, eventStore, identity, projections };
}
