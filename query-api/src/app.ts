import { Router } from 'express';

/**
 * What the query side's routes read from. Empty until the first read model lands: the
 * read store, search index and cache ports are added here as their routes are.
 */
export type QueryApiDependencies = Record<string, never>;

/**
 * The query side's HTTP routes: reads over read models only (never the event store).
 * It serves no route yet; the composition root mounts it so that routes added here are
 * served, logged, measured and error-mapped like every other.
 */
export function createQueryApiRouter(_deps: QueryApiDependencies): Router {
  return Router();
}

/** The OpenAPI 3.1 path items of {@link createQueryApiRouter}'s routes. */
export const queryApiOpenApiPaths = {} as const;
