import type { Request, RequestHandler, Response, Router } from 'express';
import type { Knex } from '@neuroerp/projections';
import type { CachedResponse, ResponseCache } from './cache/response-cache';
import { CSV_CONTENT_TYPE, setCsvHeaders } from './http/csv';
import { entityTag, matchesIfNoneMatch } from './http/etag';
import { handle, QueryProblemError } from './http/problem';
import { parseInput } from './http/validation';
import { AFTER_WAIT_MS_MAX, requireActiveReadModels, type ActiveReadModel, type WaitForPosition } from './read-models/positions';
import { querySchemaOf, type QueryActor, type QueryPermission, type QueryRoute } from './route';

/** What the routes are served with (built by `createQueryApiRouter` from its dependencies). */
export interface ServeEnvironment {
  db: Knex;
  controlSchema: string;
  companyId: string;
  cache: ResponseCache;
  clock: () => Date;
  waitForPosition: WaitForPosition;
  requirePermission: (permission: QueryPermission) => RequestHandler;
  headPosition?: () => Promise<bigint>;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** JSON with sorted keys and bigints as strings: equal requests give equal cache keys. */
function stableKey(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return item;
  });
}

type Answer = { kind: 'not-modified'; etag: string } | { kind: 'body'; etag: string; response: CachedResponse; cache: 'hit' | 'miss' };

/** 304 when the client holds the answer under this key, the cached answer when there is one, else null. */
async function knownAnswer(req: Request, cache: ResponseCache, key: string): Promise<Answer | null> {
  const etag = entityTag(key);
  if (matchesIfNoneMatch(req, etag)) return { kind: 'not-modified', etag };
  const cached = await cache.get(key);
  return cached === null ? null : { kind: 'body', etag, response: cached, cache: 'hit' };
}

/**
 * Mounts one route: permission → query validation (400 with a code) → `?after=` wait (503
 * PROJECTION_BEHIND) → the active read models and their change counts in one statement, the
 * cache key and ETag from them: a 304 on If-None-Match or a cached answer needs nothing more.
 * Otherwise, in one repeatable-read snapshot: the read models again (a rebuild may have switched
 * one meanwhile), the key from them, the query, and the answer cached under that key.
 */
export function mountRoute(router: Router, route: QueryRoute, env: ServeEnvironment): void {
  const querySchema = querySchemaOf(route);
  router.get(
    `/api/query${route.path}`,
    env.requirePermission(route.permission),
    handle(async (req: Request, res: Response) => {
      const query = parseInput('query', querySchema, req.query) as { companyId?: string; after?: bigint; format?: 'json' | 'csv' } & Record<string, unknown>;
      const params = route.params === undefined ? {} : (parseInput('params', route.params, req.params) as Record<string, unknown>);
      const actor = res.locals.actor as QueryActor | undefined;
      if (actor === undefined) throw new Error('query route reached without an authenticated actor: requirePermission must reject first');
      const companyId = query.companyId ?? env.companyId;
      const reads = [...route.reads, ...(route.optionalReads ?? [])];
      // A position the log has not reached is the client's mistake, not something to wait for.
      if (query.after !== undefined && env.headPosition !== undefined && query.after > (await env.headPosition())) {
        throw new QueryProblemError(400, 'POSITION_NOT_IN_LOG', `Position ${query.after} is beyond the end of the event log; pass a position a command answered with.`, {
          position: query.after.toString(),
        });
      }
      if (query.after !== undefined && !(await env.waitForPosition(route.reads, query.after, AFTER_WAIT_MS_MAX))) {
        throw new QueryProblemError(503, 'PROJECTION_BEHIND', `The read models ${route.reads.join(', ')} have not applied position ${query.after} within ${AFTER_WAIT_MS_MAX} ms.`, {
          position: query.after.toString(),
          headers: { 'Retry-After': '1' },
        });
      }
      const now = env.clock();
      const today = now.toISOString().slice(0, 10);
      const { after: _after, ...keyedQuery } = query;
      // A read model's content is keyed by its table set and change count: events it ignores keep the cached answer
      // (a draft does not touch the balances). Routes keyed by the head also show positions (the dashboard's lag).
      const keyedByHead = route.keyedByHead === true && env.headPosition !== undefined;
      const keyOf = async (readModels: Map<string, ActiveReadModel>): Promise<string> => {
        const versions = reads.map((name) => {
          const model = readModels.get(name);
          return [name, model?.schema ?? null, model?.changes ?? null, keyedByHead ? (model?.position ?? null) : null];
        });
        const head = keyedByHead ? await env.headPosition?.() : null;
        return stableKey([route.operationId, params, keyedQuery, companyId, today, versions, head, route.perActor === true ? actor : null]);
      };
      const answer =
        (await knownAnswer(req, env.cache, await keyOf(await requireActiveReadModels(env.db, env.controlSchema, route.reads, route.optionalReads)))) ??
        (await env.db.transaction(
          async (tx): Promise<Answer> => {
            const readModels = await requireActiveReadModels(tx, env.controlSchema, route.reads, route.optionalReads);
            const key = await keyOf(readModels);
            const known = await knownAnswer(req, env.cache, key);
            if (known !== null) return known;
            const body = await route.run({
              db: tx,
              controlSchema: env.controlSchema,
              query,
              params,
              companyId,
              actor,
              readModels,
              schemaOf: (name) => {
                const model = readModels.get(name);
                if (model === undefined) throw new Error(`route ${route.operationId} reads ${name} without declaring it`);
                return model.schema;
              },
              now,
              today,
              headPosition: env.headPosition,
            });
            const response: CachedResponse =
              query.format === 'csv' && route.csv !== undefined
                ? { contentType: CSV_CONTENT_TYPE, body: route.csv.render(body), filename: route.csv.filename(body, query) }
                : { contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body) };
            await env.cache.set(key, response);
            return { kind: 'body', etag: entityTag(key), response, cache: 'miss' };
          },
          { isolationLevel: 'repeatable read' },
        ));
      res.set('ETag', answer.etag);
      // Clients must revalidate: the answer changes whenever a projection advances.
      res.set('Cache-Control', 'private, no-cache');
      if (answer.kind === 'not-modified') {
        res.status(304).end();
        return;
      }
      res.set('X-Cache', `${answer.cache} (${env.cache.kind})`);
      if (answer.response.filename !== undefined) setCsvHeaders(res, answer.response.filename);
      else res.set('Content-Type', answer.response.contentType);
      res.status(200).send(answer.response.body);
    }),
  );
}
