import { UsageError } from './cli-errors';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { KafkaClients, kafkaTopics, type PostgresEventStore } from '@neuroerp/infra';
import { HttpProblemError, problem, requirePermission } from '@neuroerp/command-api';
import { PostgresLeaderLock } from './leader-lock';
import {
  allProjections,
  dropInactiveTableSet,
  KafkaProjectionSource,
  kafkaConsumerGroupId,
  listDeadLetters,
  migrateKafkaProjectionSource,
  migrateProjectionControl,
  rebuildProjection,
  openReadModelDatabase,
  ProjectionMetrics,
  ProjectionRunner,
  projectionStatus,
  readActiveTableSet,
  type Knex,
  type Projection,
  type ProjectionStatus,
  revealingPersonalData,
  type RevealPersonalData,
  type RunnerState,
} from '@neuroerp/projections';

/** Connections of the read-model pool: one per continuous runner plus a few for status and rebuilds. */
export const PROJECTION_POOL_SIZE_MAX = 12;

/** The schema of the projection control tables beside an event store schema; table sets are `<it>_<name>_v<version>_b<build>`. */
export function projectionControlSchema(eventStoreSchema: string): string {
  return `${eventStoreSchema}_rm`;
}

export interface ProjectionServiceOptions {
  connectionString: string;
  eventStoreSchema: string;
  store: PostgresEventStore;
  /** Decrypts personal data for the read models that hold it (see `revealingPersonalData`); required, so that no read model ever gets ciphertext. */
  reveal: RevealPersonalData;
  logger?: Logger;
  projections?: readonly Projection[];
  /**
   * Continuous runners consume the relay's Kafka topics instead of the store's subscription
   * (PROJECTION_SOURCE=kafka); rebuilds still read the event store. Absent: the event store.
   */
  kafka?: { brokers: readonly string[]; clientId: string; topicPrefix: string };
}

/**
 * The projections of one process: the read-model connection pool, the control schema, the
 * metrics and, once `startRunners()` ran, one continuous runner per projection.
 */
export class ProjectionService {
  readonly db: Knex;
  readonly controlSchema: string;
  readonly metrics = new ProjectionMetrics();
  readonly projections: readonly Projection[];
  private readonly runners: (ProjectionRunner | KafkaProjectionSource)[] = [];
  private readonly kafka: KafkaClients | null;
  private readonly rebuilds = new Map<string, { progress: RebuildProgress; done: Promise<void> }>();

  private constructor(
    readonly options: ProjectionServiceOptions,
    db: Knex,
  ) {
    this.db = db;
    this.controlSchema = projectionControlSchema(options.eventStoreSchema);
    this.projections = (options.projections ?? allProjections).map((projection) => revealingPersonalData(projection, options.reveal));
    this.kafka = options.kafka === undefined ? null : new KafkaClients({ brokers: options.kafka.brokers, clientId: options.kafka.clientId });
    if (this.projections.length + 2 > PROJECTION_POOL_SIZE_MAX) throw new Error('PROJECTION_POOL_SIZE_MAX is too small for the runners');
  }

  static async open(options: ProjectionServiceOptions): Promise<ProjectionService> {
    await migrateProjectionControl(options.connectionString, projectionControlSchema(options.eventStoreSchema));
    if (options.kafka !== undefined) await migrateKafkaProjectionSource(options.connectionString, projectionControlSchema(options.eventStoreSchema));
    const db = openReadModelDatabase(options.connectionString, PROJECTION_POOL_SIZE_MAX);
    return new ProjectionService(options, db);
  }

  /** The projection of this service by name (revealing personal data), or a UsageError listing the known ones. */
  projection(name: string): Projection {
    const projection = this.projections.find((candidate) => candidate.name === name);
    if (projection === undefined) throw new UsageError(`unknown projection ${name}; known: ${this.projections.map((known) => known.name).join(', ')}`);
    return projection;
  }

  headPosition = async (): Promise<bigint> => (await this.options.store.readHead()).position;

  /**
   * Starts one continuous runner per projection on the store's catch-up subscription, or on
   * Kafka (PROJECTION_SOURCE=kafka), and upgrades outdated read models in the background.
   */
  startRunners(): void {
    this.track(this.upgradeOutdated());
    for (const projection of this.projections) {
      if (this.kafka !== null && this.options.kafka !== undefined) {
        const source = new KafkaProjectionSource({
          db: this.db,
          controlSchema: this.controlSchema,
          projection,
          consumer: this.kafka.consumer(kafkaConsumerGroupId(projection)),
          topics: kafkaTopics(this.options.kafka.topicPrefix),
          metrics: this.metrics,
          logger: this.options.logger?.child({ component: 'projections', projection: projection.name, source: 'kafka' }),
          headPosition: this.headPosition,
        });
        source.start();
        this.runners.push(source);
        continue;
      }
      const runner = new ProjectionRunner({
        db: this.db,
        controlSchema: this.controlSchema,
        store: this.options.store,
        projection,
        metrics: this.metrics,
        logger: this.options.logger?.child({ component: 'projections', projection: projection.name }),
        headPosition: this.headPosition,
      });
      runner.start();
      this.runners.push(runner);
    }
  }

  async status(): Promise<ProjectionStatus[]> {
    const states = new Map<string, RunnerState>(this.runners.map((runner) => [runner.projection.name, runner.state]));
    return projectionStatus(this.db, this.controlSchema, this.options.store, this.projections, await this.headPosition(), states);
  }

  /**
   * Builds the code's version of every projection whose active table set has an older one (a
   * release changed its tables), as `projections rebuild` does, and switches to it; the runner,
   * waiting meanwhile, goes on with the new one (the query API reads only its own version, so
   * routes that need this read model answer 503 READ_MODEL_NOT_READY until then). One process
   * builds each projection (an advisory lock per projection); the others' runners pick up the
   * switch, and the old version's table set is dropped. Failures and a stop meanwhile (the
   * half-built tables are dropped) are logged and shown in the rebuild progress; the next
   * start tries again.
   */
  async upgradeOutdated(): Promise<void> {
    for (const projection of this.projections) {
      if (this.closing.signal.aborted) return;
      const active = await readActiveTableSet(this.db, this.controlSchema, projection.name);
      if (active === null || active.version >= projection.version) continue;
      const lock = new PostgresLeaderLock(this.options.connectionString, `${this.controlSchema}.upgrade.${projection.name}`);
      if (!(await lock.tryAcquire())) continue;
      try {
        // Another process may have switched between the first look and the lock.
        const current = await readActiveTableSet(this.db, this.controlSchema, projection.name);
        if (current === null || current.version >= projection.version) continue;
        this.options.logger?.warn(
          { projection: projection.name, from: current.version, to: projection.version },
          'a read model has a new version: building it from the event log; queries that need it answer 503 until the switch',
        );
        await this.rebuild(projection.name).done;
        // The replaced table set has the old version: this code never reads it again.
        const switched = await readActiveTableSet(this.db, this.controlSchema, projection.name);
        if (switched !== null && switched.version === projection.version) {
          await dropInactiveTableSet(this.db, this.controlSchema, current);
          this.options.logger?.info({ projection: projection.name, dropped: current.schema }, 'the table set of the old version was dropped');
        }
      } finally {
        await lock.release();
      }
    }
  }

  /**
   * Starts a rebuild of one projection in the background (build from 0, verify, switch) and
   * returns its progress record, which `rebuildProgress` keeps updating. One rebuild per
   * projection at a time: asking again while one runs returns the running one.
   */
  startRebuild(name: string): RebuildProgress {
    return this.rebuild(name).progress;
  }

  private rebuild(name: string): { progress: RebuildProgress; done: Promise<void> } {
    const projection = this.projection(name);
    const running = this.rebuilds.get(name);
    if (running?.progress.state === 'running') return running;
    const progress: RebuildProgress = { name, state: 'running', position: '0', head: '0', startedAt: new Date().toISOString(), finishedAt: null, switched: null, error: null };
    const done = rebuildProjection({
      db: this.db,
      controlSchema: this.controlSchema,
      store: this.options.store,
      projection,
      headPosition: this.headPosition,
      onProgress: (position, head) => {
        progress.position = position.toString();
        progress.head = head.toString();
      },
      signal: this.closing.signal,
    }).then(
      (result) => {
        Object.assign(progress, { state: 'succeeded', position: result.position.toString(), finishedAt: new Date().toISOString(), switched: result.switched });
        this.options.logger?.info({ projection: name, events: result.events.toString(), seconds: result.seconds, switched: result.switched }, 'projection rebuilt');
      },
      (error: unknown) => {
        Object.assign(progress, { state: 'failed', finishedAt: new Date().toISOString(), error: error instanceof Error ? error.message : String(error) });
        this.options.logger?.error({ err: error, projection: name }, 'projection rebuild failed');
      },
    );
    const rebuild = { progress, done };
    this.rebuilds.set(name, rebuild);
    this.track(done);
    return rebuild;
  }

  rebuildProgress(name: string): RebuildProgress | null {
    return this.rebuilds.get(name)?.progress ?? null;
  }

  private readonly pendingRebuilds = new Set<Promise<void>>();
  /** Aborted by `close`: rebuilds and upgrades stop between batches. */
  private readonly closing = new AbortController();

  /** Keeps a background task until it settles, so that `close` waits for it; its failure is logged. */
  private track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.options.logger?.error({ err: error }, 'a background task of the projections failed'));
    this.pendingRebuilds.add(tracked);
    void tracked.finally(() => this.pendingRebuilds.delete(tracked));
  }

  /** Stops the runners (each finishes its batch) and running rebuilds (their new tables are dropped), and closes the pool. */
  async close(): Promise<void> {
    this.closing.abort(new Error('the projections are stopping'));
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await Promise.all(this.pendingRebuilds);
    await this.db.destroy();
  }
}

/** Unresolved dead letters listed by `GET /api/projections/dead-letters`, newest first. */
export const DEAD_LETTERS_SHOWN_MAX = 100;

/** A rebuild started over HTTP, as `GET /api/projections` and the rebuild routes show it. */
export interface RebuildProgress {
  name: string;
  state: 'running' | 'succeeded' | 'failed';
  /** Position the new table set has reached, and the head it aims at (decimal strings). */
  position: string;
  head: string;
  startedAt: string;
  finishedAt: string | null;
  /** Whether the verified build became the active one. */
  switched: boolean | null;
  error: string | null;
}

/**
 * `GET /api/projections`: status per projection with the latest rebuild (finance:read, like
 * the read models it describes); `POST /api/projections/:name/rebuild` starts a rebuild
 * (projections:manage) and answers 202 with its progress; `GET .../rebuild` polls it.
 */
export function createProjectionsRouter(service: ProjectionService): Router {
  const router = express.Router();
  const known = (name: string) => service.projections.some((projection) => projection.name === name);
  const notFound = (name: string) => new HttpProblemError(problem(404, 'PROJECTION_NOT_FOUND', `There is no projection named ${name}.`));
  router.get('/api/projections', requirePermission('finance:read'), async (_req, res, next) => {
    try {
      const statuses = await service.status();
      res.json({ projections: statuses.map((status) => ({ ...status, rebuild: service.rebuildProgress(status.name) })) });
    } catch (error) {
      next(error);
    }
  });
  router.get('/api/projections/dead-letters', requirePermission('finance:read'), async (_req, res, next) => {
    try {
      const letters = await listDeadLetters(service.db, service.controlSchema, { limit: DEAD_LETTERS_SHOWN_MAX });
      res.json({
        items: letters.map((letter) => ({
          id: letter.id,
          projection: letter.name,
          position: letter.position.toString(),
          eventId: letter.eventId,
          eventType: letter.eventType,
          error: letter.error,
          failedAt: letter.createdAt.toISOString(),
        })),
      });
    } catch (error) {
      next(error);
    }
  });
  router.post('/api/projections/:name/rebuild', requirePermission('projections:manage'), (req, res, next) => {
    const name = String(req.params.name);
    if (!known(name)) return next(notFound(name));
    res.status(202).location(`/api/projections/${name}/rebuild`).json(service.startRebuild(name));
  });
  router.get('/api/projections/:name/rebuild', requirePermission('finance:read'), (req, res, next) => {
    const name = String(req.params.name);
    if (!known(name)) return next(notFound(name));
    const progress = service.rebuildProgress(name);
    if (progress === null) return next(new HttpProblemError(problem(404, 'REBUILD_NOT_FOUND', `No rebuild of ${name} was started since the server started.`)));
    res.json(progress);
  });
  return router;
}

export const projectionsOpenApiPaths = {
  '/api/projections': {
    get: {
      operationId: 'getProjectionStatus',
      summary: 'Status per projection: active table set, position, lag in events and seconds, state, unresolved dead letters. Needs finance:read.',
      tags: ['operations'],
      security: [{ bearerAuth: [] }],
      responses: {
        '200': { description: 'One entry per projection; positions are decimal strings.', content: { 'application/json': { schema: { type: 'object' } } } },
        '401': { description: 'No valid access token.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        '403': { description: 'The role lacks finance:read.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
  },
  '/api/projections/dead-letters': {
    get: {
      operationId: 'listProjectionDeadLetters',
      summary: `Unresolved dead letters (events a projection could not apply), at most ${100}. Needs finance:read.`,
      tags: ['operations'],
      security: [{ bearerAuth: [] }],
      responses: { '200': { description: '{ items: [{ id, projection, position, eventId, eventType, error, failedAt }] }', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/api/projections/{name}/rebuild': {
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    post: {
      operationId: 'startProjectionRebuild',
      summary: 'Start a rebuild of the projection (build from 0, verify, atomic switch) in the background. Needs projections:manage.',
      tags: ['operations'],
      security: [{ bearerAuth: [] }],
      responses: {
        '202': { description: 'The rebuild runs; poll the GET of this path.', content: { 'application/json': { schema: { type: 'object' } } } },
        '403': { description: 'The role lacks projections:manage.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        '404': { description: 'PROJECTION_NOT_FOUND.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
    get: {
      operationId: 'getProjectionRebuild',
      summary: 'Progress of the latest rebuild started over HTTP: state, position, head. Needs finance:read.',
      tags: ['operations'],
      security: [{ bearerAuth: [] }],
      responses: {
        '200': { description: 'Progress (positions are decimal strings).', content: { 'application/json': { schema: { type: 'object' } } } },
        '404': { description: 'PROJECTION_NOT_FOUND or REBUILD_NOT_FOUND.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
  },
};
