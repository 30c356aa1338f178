import { Router, type RequestHandler } from 'express';
import type { Knex } from '@neuroerp/projections';
import { MemoryResponseCache, type ResponseCache } from './cache/response-cache';
import { buildQueryApiOpenApiPaths } from './openapi';
import { controlTableWaitForPosition, type WaitForPosition } from './read-models/positions';
import type { QueryPermission } from './route';
import { queryRoutes } from './routes';
import { mountStream, ProjectionStream } from './routes/stream';
import { mountRoute } from './serve';

/** What the query routes read from and how they are guarded; built once by the composition root. */
export interface QueryApiOptions {
  /** A pool on the read-model database (projections `openReadModelDatabase`). Only read: every request runs in a repeatable-read transaction. */
  db: Knex;
  /** The projection control schema (projections `DEFAULT_CONTROL_SCHEMA`): active table sets are resolved through it per request. */
  controlSchema: string;
  /** The company whose books are read when a request names none (`?companyId=`). */
  companyId: string;
  /**
   * The permission middleware (command-api `requirePermission`, injected because query-api may
   * not import command-api): 401 without `res.locals.actor`, 403 when the role lacks the permission.
   */
  requirePermission: (permission: QueryPermission) => RequestHandler;
  /** The response cache (a `RedisResponseCache` over ioredis when REDIS_URL is set); default an in-memory LRU of 1,000 answers. */
  cache?: ResponseCache;
  /** The clock (default today's date for `asOf`); default `() => new Date()`. */
  clock?: () => Date;
  /** `?after=` read-your-writes; default projections `waitForPosition` (polls the checkpoints every 25 ms). */
  waitForPosition?: WaitForPosition;
  /** The event log's head position (event store `readHead`), for the dashboard's projection lag; absent: lag is null. */
  headPosition?: () => Promise<bigint>;
  /** `/api/stream` polling and heartbeat intervals (ms) and where poll failures are reported. */
  stream?: { pollMs?: number; heartbeatMs?: number; onError?: (error: unknown) => void };
}

/** `{}` serves no route (the server mounts the router before a read-model database is configured). */
export type QueryApiDependencies = QueryApiOptions | Record<string, never>;

function isConfigured(deps: QueryApiDependencies): deps is QueryApiOptions {
  return 'db' in deps && deps.db !== undefined;
}

/**
 * The query side's HTTP routes: GETs under `/api/query` over read models only (never the
 * event store; see docs/query-api.md) and the server-sent events of `/api/stream`.
 */
export function createQueryApiRouter(deps: QueryApiDependencies): Router {
  const router = Router();
  if (!isConfigured(deps)) return router;
  const environment = {
    db: deps.db,
    controlSchema: deps.controlSchema,
    companyId: deps.companyId,
    cache: deps.cache ?? new MemoryResponseCache(),
    clock: deps.clock ?? (() => new Date()),
    waitForPosition: deps.waitForPosition ?? controlTableWaitForPosition(deps.db, deps.controlSchema),
    requirePermission: deps.requirePermission,
    headPosition: deps.headPosition,
  };
  for (const route of queryRoutes) mountRoute(router, route, environment);
  const stream = new ProjectionStream({ db: deps.db, controlSchema: deps.controlSchema, ...deps.stream });
  mountStream(router, stream, deps.requirePermission('finance:read'));
  return router;
}

/** The OpenAPI 3.1 path items of {@link createQueryApiRouter}'s routes. */
export const queryApiOpenApiPaths: Record<string, object> = buildQueryApiOpenApiPaths(queryRoutes);
