/* eslint-disable @typescript-eslint/no-explicit-any -- the route table erases the parameter and body types of each route; defineRoute keeps them typed where routes are written. */
import type { Knex } from '@neuroerp/projections';
import type { ActiveReadModel } from './read-models/positions';
import { QueryProblemError } from './http/problem';
import { commonParameters, formatParameter } from './http/parameters';
import { z } from './http/zod';

/** The permissions query routes require (named as the command API names them). */
export type QueryPermission = 'finance:read' | 'documents:read' | 'workflows:read' | 'audit:read' | 'users:read';

/** The authenticated caller the authentication middleware puts on `res.locals.actor`. */
export interface QueryActor {
  userId: string;
  role: string;
}

/** What a route's `run` gets: one read-only snapshot of the read models and the parsed request. */
export interface RouteContext<Query, Params> {
  /** A repeatable-read transaction: the checkpoint positions and every row come from one snapshot. */
  db: Knex;
  controlSchema: string;
  query: Query;
  params: Params;
  companyId: string;
  actor: QueryActor;
  /** Active table sets of the read models the route reads (required and optional ones that exist). */
  readModels: ReadonlyMap<string, ActiveReadModel>;
  /** The schema of a required read model of this route. */
  schemaOf(name: string): string;
  /** The clock's instant when the request arrived, and its UTC date (the default `asOf`). */
  now: Date;
  today: string;
  /** The event log's head position, when the composition root provides it. */
  headPosition?: () => Promise<bigint>;
}

type CommonQuery = { companyId?: string; after?: bigint; format?: 'json' | 'csv' };

/** One GET route of the query API: the same table builds the router and the OpenAPI paths. */
export interface QueryRoute<Query = any, Params = any, Body = any> {
  /** Express path below `/api/query` (`/accounts/:accountNumber/statement`). */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  permission: QueryPermission;
  /** Read models that must exist (503 READ_MODEL_NOT_READY otherwise); their positions key the cache and ETag. */
  reads: readonly string[];
  /** Read models used when they exist (their positions key the cache too). */
  optionalReads?: readonly string[];
  /** Route-specific query parameters (the common ones are added); unknown parameters are 400 UNKNOWN_PARAMETER. */
  query: z.AnyZodObject;
  /** Cross-field checks of the query (`from <= to`), as a zod superRefine. */
  refine?: (query: any, ctx: z.RefinementCtx) => void;
  params?: z.AnyZodObject;
  response: z.ZodTypeAny;
  /** Present when the route answers `format=csv`. */
  csv?: { filename(body: Body, query: Query): string; render(body: Body): string };
  /** True when the answer uses the event log's head position (projection lag); the head is then part of the cache key. */
  keyedByHead?: boolean;
  /** True when the answer depends on who asks (the inbox); the caller is then part of the cache key. */
  perActor?: boolean;
  /** Extra error codes the route may answer, for the OpenAPI description. */
  errorCodes?: readonly string[];
  run(context: RouteContext<Query & CommonQuery, Params>): Promise<Body>;
}

/** Builds a typed route and erases its types for the route table. */
export function defineRoute<Query extends z.AnyZodObject, Params extends z.AnyZodObject = z.ZodObject<Record<string, never>>, Body = unknown>(
  route: Omit<QueryRoute<z.infer<Query>, z.infer<Params>, Body>, 'query' | 'params'> & { query: Query; params?: Params },
): QueryRoute {
  return route as QueryRoute;
}

/** The full query schema of a route: its own parameters, the common ones, `format` when it has CSV; strict. */
export function querySchemaOf(route: QueryRoute): z.ZodTypeAny {
  const object = route.query.extend({ ...commonParameters, ...(route.csv !== undefined ? { format: formatParameter } : {}) }).strict();
  return route.refine === undefined ? object : object.superRefine(route.refine);
}

/** The route's path in OpenAPI form. */
export function openApiPath(route: QueryRoute): string {
  return `/api/query${route.path}`.replace(/:([A-Za-z0-9]+)/g, '{$1}');
}

export function notFound(what: string, id: string): QueryProblemError {
  return new QueryProblemError(404, `${what.toUpperCase()}_NOT_FOUND`, `No ${what.toLowerCase().replace(/_/g, ' ')} ${id}.`);
}
