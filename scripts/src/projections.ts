import { UsageError } from './cli-errors';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { PostgresEventStore } from '@neuroerp/infra';
import { requirePermission } from '@neuroerp/command-api';
import {
  ledgerProjections,
  migrateProjectionControl,
  openReadModelDatabase,
  ProjectionMetrics,
  ProjectionRunner,
  projectionStatus,
  type Knex,
  type Projection,
  type ProjectionStatus,
  type RunnerState,
} from '@neuroerp/projections';

/** Connections of the read-model pool: one per continuous runner plus a few for status and queries. */
export const PROJECTION_POOL_SIZE_MAX = 8;

/** The schema of the projection control tables beside an event store schema; table sets are `<it>_<name>_v<version>_b<build>`. */
export function projectionControlSchema(eventStoreSchema: string): string {
  return `${eventStoreSchema}_rm`;
}

export function projectionByName(name: string): Projection {
  const projection = ledgerProjections.find((candidate) => candidate.name === name);
  if (projection === undefined) throw new UsageError(`unknown projection ${name}; known: ${ledgerProjections.map((known) => known.name).join(', ')}`);
  return projection;
}

export interface ProjectionServiceOptions {
  connectionString: string;
  eventStoreSchema: string;
  store: PostgresEventStore;
  logger?: Logger;
  projections?: readonly Projection[];
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
  private readonly runners: ProjectionRunner[] = [];

  private constructor(
    readonly options: ProjectionServiceOptions,
    db: Knex,
  ) {
    this.db = db;
    this.controlSchema = projectionControlSchema(options.eventStoreSchema);
    this.projections = options.projections ?? ledgerProjections;
    if (this.projections.length + 2 > PROJECTION_POOL_SIZE_MAX) throw new Error('PROJECTION_POOL_SIZE_MAX is too small for the runners');
  }

  static async open(options: ProjectionServiceOptions): Promise<ProjectionService> {
    await migrateProjectionControl(options.connectionString, projectionControlSchema(options.eventStoreSchema));
    const db = openReadModelDatabase(options.connectionString, PROJECTION_POOL_SIZE_MAX);
    return new ProjectionService(options, db);
  }

  headPosition = async (): Promise<bigint> => (await this.options.store.readHead()).position;

  /** Starts one continuous runner per projection on the store's catch-up subscription. */
  startRunners(): void {
    for (const projection of this.projections) {
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

  /** Stops the runners (each finishes its batch) and closes the pool. */
  async close(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.db.destroy();
  }
}

/** `GET /api/projections`: status per projection; needs finance:read, like the read models it describes. */
export function createProjectionsRouter(service: ProjectionService): Router {
  const router = express.Router();
  router.get('/api/projections', requirePermission('finance:read'), async (_req, res, next) => {
    try {
      res.json({ projections: await service.status() });
    } catch (error) {
      next(error);
    }
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
};
