import { SEARCH_KINDS, SEARCH_LIMIT_MAX, SEARCH_QUERY_LENGTH_MAX, searchReadModel } from '@neuroerp/projections';
import { z } from '../http/zod';
import { defineRoute } from '../route';

/** The search read model (projections `searchProjection`, PostgreSQL full text). */
export const SEARCH = 'search';
/** Hits when `limit` is absent. */
export const SEARCH_LIMIT_DEFAULT = 20;

export const searchRoute = defineRoute({
  path: '/search',
  operationId: 'querySearch',
  summary: 'Full-text search over transactions, documents and accounts, best hits first.',
  tags: ['query: search'],
  permission: 'finance:read',
  reads: [SEARCH],
  query: z.object({
    q: z.string().min(1).max(SEARCH_QUERY_LENGTH_MAX).describe('Words; every one must match (case-insensitive, whole words).'),
    kind: z.enum(SEARCH_KINDS).optional(),
    limit: z
      .string()
      .refine((value) => /^[0-9]{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= SEARCH_LIMIT_MAX, {
        message: `expected an integer from 1 to ${SEARCH_LIMIT_MAX}`,
        params: { code: 'LIMIT_OUT_OF_RANGE' },
      })
      .transform(Number)
      .optional()
      .openapi({ type: 'string', description: `Hits, 1 to ${SEARCH_LIMIT_MAX}; default ${SEARCH_LIMIT_DEFAULT}.` }),
  }),
  response: z.object({
    items: z.array(
      z.object({
        kind: z.enum(SEARCH_KINDS),
        id: z.string(),
        title: z.string(),
        snippet: z.string().describe('Matched words between <mark> and </mark>.'),
        score: z.number(),
      }),
    ),
  }),
  async run(context) {
    const hits = await searchReadModel(context.db, context.controlSchema, context.query.q, { kind: context.query.kind, limit: context.query.limit ?? SEARCH_LIMIT_DEFAULT });
    return { items: hits.map((hit) => ({ kind: hit.kind, id: hit.id, title: hit.title, snippet: hit.snippet, score: hit.score })) };
  },
});
