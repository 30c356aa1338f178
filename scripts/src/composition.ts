import path from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { PostgresEventStore, PostgresIdempotencyStore } from '@neuroerp/infra';
import {
  createDocumentsCommandHandler,
  createIdentityModule,
  createLedgerCommandHandler,
  createProcessManagerRuntime,
  createRedisClient,
  createWorkflowsCommandHandler,
  DEMO_USERS,
  DocumentCommands,
  ensureDemoUsers,
  LedgerCommands,
  loadSealKey,
  loadSigningKey,
  createInalterabilityReportRouter,
  createSealKeysRouter,
  PeriodSealer,
  PostgresProcessManagerStore,
  sealVerificationKeys,
  requirePermission,
  workflowEngineStarter,
  WorkflowCommands,
  type IdentityModule,
} from '@neuroerp/command-api';
import { workflows } from '@neuroerp/domains';
import { openReadModelDatabase } from '@neuroerp/projections';
import { MemoryResponseCache, RedisResponseCache } from '@neuroerp/query-api';
import type { ServerConfig } from './config';
import { DEMO_COMPANY_ID, seedDemoData } from './demo-data';
import { openFileStore } from './file-store';
import { EscalationScheduler } from './escalation-scheduler';
import { PostgresLeaderLock } from './leader-lock';
import { PROCESS_MANAGER_RESTART_DELAY_MS, ProcessManagerSupervisor } from './process-manager-supervisor';
import { createProjectionsRouter, ProjectionService } from './projections';
import { openPrivacy, privacyMetrics } from './privacy';
import { createServerApp } from './server';
import { serveUi } from './ui-static';

/**
 * The deployables of the production profile (issue 7), each `neuroerp start --role <role>`:
 * - `command-api`: authentication, the command routes, the process managers, the demo seed;
 * - `query-api`: authentication, the query routes, /api/stream, projection status, the dashboard;
 * - `projections`: the continuous projection runners, their status and metrics;
 * - `all`: everything in one process (the embedded default).
 * The relay is its own command (`neuroerp relay`).
 */
export const serverRoles = ['all', 'command-api', 'query-api', 'projections'] as const;
export type ServerRole = (typeof serverRoles)[number];

/** Connections of the query API's read-model pool. */
export const QUERY_POOL_SIZE_MAX = 10;
/** Who publishes the default workflow definitions at start-up. */
const SYSTEM_ACTOR = { userId: 'system', role: 'admin' } as const;

/** Registers a resource to release on shutdown; they are released last in, first out. */
export type OnShutdown = (name: string, release: () => Promise<void>) => void;

export interface Application {
  app: Express;
  eventStore: PostgresEventStore;
  identity: IdentityModule;
  projections: ProjectionService;
  workflowCommands: WorkflowCommands;
  processManagers: ProcessManagerSupervisor;
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
  /** The built dashboard (ui/dist) served at `/`; absent: no UI. */
  uiDistDir?: string;
  /** Which deployable this process is (production profile); default `all`, the embedded default's one process. */
  role?: ServerRole;
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
  const role = options.role ?? 'all';
  const serves = (part: Exclude<ServerRole, 'all'>) => role === 'all' || role === part;
  const eventStore = await PostgresEventStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
  onShutdown('close the event store', () => eventStore.close());
  // Demo ledger data only on a brand-new store (checked before anything else writes to it).
  const seedDemoLedger = options.seedDemoDataIfEmpty && (await eventStore.readAll({ fromPosition: 'start', maxCount: 1 })).length === 0;
  // Personal data is encrypted per data subject before it reaches the store (crypto-shredding: `neuroerp gdpr forget`).
  const privacy = await openPrivacy(config, connectionString);
  onShutdown('close the data-key store', () => privacy.close());
  const personalStore = privacy.protect(eventStore);
  const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
  onShutdown('close the idempotency-key store', () => idempotencyStore.close());
  // Closing a period seals it: Ed25519 over the chain head, a Merkle root and the closing balances (docs/adr/0006).
  const sealKey = await loadSealKey({ privateKeyPem: config.SEAL_PRIVATE_KEY_PEM, keysDir: path.join(config.DATA_DIR, 'keys') });
  logger.info({ kid: sealKey.key.kid, source: sealKey.source, file: sealKey.file }, 'period-seal signing key ready');
  const ledgerHandler = createLedgerCommandHandler(personalStore);
  const ledgerCommands = new LedgerCommands(ledgerHandler, {
    sealer: new PeriodSealer({ handler: ledgerHandler, store: eventStore, key: sealKey.key, readHead: () => eventStore.readHead() }),
  });
  const fileStore = await openFileStore(config);
  onShutdown('close the attachment store', () => fileStore.close());
  logger.info({ fileStore: fileStore.description }, 'attachment store ready');
  const documentCommands = new DocumentCommands(createDocumentsCommandHandler(personalStore), fileStore);
  const workflowCommands = new WorkflowCommands(createWorkflowsCommandHandler(personalStore));
  // The default definitions, published once (publishing the same steps again appends nothing).
  for (const definition of workflows.DEFAULT_WORKFLOW_DEFINITIONS) {
    await workflowCommands.publishDefinition({ actor: SYSTEM_ACTOR, correlationId: `startup-${definition.key}`, requestId: null }, definition);
  }

  const signing = await loadSigningKey({ privateKeyPem: config.JWT_PRIVATE_KEY_PEM, keysDir: path.join(config.DATA_DIR, 'keys') });
  logger.info({ kid: signing.key.kid, source: signing.source, file: signing.file }, 'access-token signing key ready');
  const redis = config.REDIS_URL === undefined ? null : createRedisClient(config.REDIS_URL);
  if (redis) onShutdown('close the Redis connection', async () => void (await redis.quit()));
  const identity = createIdentityModule({
    eventStore: personalStore,
    signingKey: signing.key,
    issuer: config.JWT_ISSUER,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    rateLimits: { redis },
    ...options.identityOverrides,
  });
  // Demo accounts only where nobody else can reach them by default: the embedded profile, or when asked for.
  const demoUsers = config.DEMO_USERS === 'true' || (config.DEMO_USERS === undefined && config.DATABASE_URL === undefined);
  if (demoUsers) {
    const created = await ensureDemoUsers(identity.service);
    if (created.length > 0) logger.warn({ usernames: created }, 'demo accounts created with the public demo passwords from the README');
    // The embedded default prints its demo logins at every start (public passwords; DEMO_USERS=false turns them off).
    logger.warn({ logins: DEMO_USERS.map((demo) => `${demo.username} / ${demo.password}`) }, 'demo users enabled: log in with one of these');
  }

  // Read models follow the store continuously; shutdown (last in, first out) stops them after HTTP and before the store.
  const projections = await ProjectionService.open({
    connectionString,
    eventStoreSchema: config.EVENT_STORE_SCHEMA,
    store: eventStore,
    reveal: (events) => privacy.cipher.reveal(events),
    logger,
    ...(config.PROJECTION_SOURCE === 'kafka' && config.KAFKA_BROKERS !== undefined
      ? { kafka: { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, topicPrefix: config.KAFKA_TOPIC_PREFIX } }
      : {}),
  });
  onShutdown('stop the projections', () => projections.close());
  if (serves('projections')) projections.startRunners();

  // Process managers: invoice → transaction, transaction ↔ approval workflow; restarted from their checkpoint after a crash.
  const processManagerStore = await PostgresProcessManagerStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA });
  onShutdown('close the process-manager store', () => processManagerStore.close());
  const processManagers = new ProcessManagerSupervisor(
    () => createProcessManagerRuntime({ store: personalStore, persistence: processManagerStore, workflows: workflowEngineStarter(personalStore) }),
    logger.child({ component: 'process-managers' }),
    PROCESS_MANAGER_RESTART_DELAY_MS,
    new PostgresLeaderLock(connectionString, `${config.EVENT_STORE_SCHEMA}.process-managers`),
  );
  if (serves('command-api')) {
    await processManagers.start();
    onShutdown('stop the process managers', () => processManagers.stop());
    // Overdue approval steps escalate once a minute (a no-op on replicas whose read model shows none due).
    const escalations = new EscalationScheduler({ db: projections.db, controlSchema: projections.controlSchema, commands: workflowCommands, logger: logger.child({ component: 'escalations' }) });
    escalations.start();
    onShutdown('stop the escalation scheduler', () => escalations.stop());
  }

  if (seedDemoLedger && serves('command-api')) {
    const summary = await seedDemoData({ store: personalStore, ledger: ledgerCommands, documents: documentCommands, workflows: workflowCommands, users: identity.service.directory });
    logger.info(summary, 'demo data seeded into the new embedded store');
    await settleAfterSeed(processManagers, logger);
  }

  const queryDb = openReadModelDatabase(connectionString, QUERY_POOL_SIZE_MAX);
  onShutdown('close the query pool', () => queryDb.destroy());

  const commandSide = serves('command-api')
    ? {
        ledger: { commands: ledgerCommands, idempotencyStore },
        documents: { commands: documentCommands, idempotencyStore },
        workflows: { commands: workflowCommands, idempotencyStore },
        interchange: { commands: ledgerCommands },
        seals: {
          keys: createSealKeysRouter({ keys: [sealKey.key] }),
          report: createInalterabilityReportRouter({ store: eventStore, keys: sealVerificationKeys([sealKey.key]), readHead: () => eventStore.readHead() }),
        },
        demoUsers,
      }
    : {};
  const querySide = serves('query-api')
    ? {
        query: {
          db: queryDb,
          controlSchema: projections.controlSchema,
          companyId: DEMO_COMPANY_ID,
          requirePermission,
          cache: redis === null ? new MemoryResponseCache() : new RedisResponseCache(redis),
          headPosition: projections.headPosition,
          stream: { onError: (error: unknown) => logger.warn({ err: error }, 'the projection stream could not poll the checkpoints') },
        },
        ...(options.uiDistDir === undefined ? {} : { ui: serveUi(options.uiDistDir) }),
      }
    : {};
  const app = createServerApp({
    eventStore,
    logger,
    version: options.version,
    security: { corsOrigins: config.CORS_ORIGINS },
    identity,
    ...commandSide,
    ...querySide,
    ...(serves('projections') || serves('query-api') ? { projections: { router: createProjectionsRouter(projections), metrics: projections.metrics.registry } } : {}),
    metrics: [privacyMetrics(privacy)],
  });
  return { app, eventStore, identity, projections, workflowCommands, processManagers };
}

/** How long the first start waits for the process managers to react to the demo data. */
const DEMO_SETTLE_WAIT_MS = 30_000;

/**
 * The process managers book the demo's posted invoices asynchronously. The first start waits
 * until they are idle (bounded), so that the first look at the ledger shows the whole demo and
 * nothing posts behind the first user's back; past the bound it serves and they finish later.
 */
async function settleAfterSeed(processManagers: ProcessManagerSupervisor, logger: Logger): Promise<void> {
  const runtime = processManagers.runtime;
  if (runtime === null) return;
  await runtime.settle(DEMO_SETTLE_WAIT_MS).then(
    () => logger.info({ position: runtime.position?.toString() ?? null }, 'the process managers caught up with the demo data'),
    (error: unknown) => logger.warn({ err: error }, 'the process managers have not caught up with the demo data yet; they go on in the background'),
  );
}
