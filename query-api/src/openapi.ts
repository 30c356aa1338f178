import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from './http/zod';
import { commonParameters, formatParameter } from './http/parameters';
import { openApiPath, type QueryRoute } from './route';

const problemRef = { $ref: '#/components/schemas/Problem' } as const;

function problemResponse(description: string): ResponseConfig {
  return { description, content: { 'application/problem+json': { schema: problemRef } } };
}

const VALIDATION_CODES = [
  'VALIDATION_FAILED',
  'UNKNOWN_PARAMETER',
  'INVALID_DATE',
  'INVALID_INSTANT',
  'INVALID_MONTH',
  'INVALID_AMOUNT',
  'INVALID_POSITION',
  'INVALID_RANGE',
  'INVALID_ACCOUNT_NUMBER',
  'INVALID_COMPANY_ID',
  'INVALID_CURSOR',
  'LIMIT_OUT_OF_RANGE',
];

function routeConfig(route: QueryRoute): RouteConfig {
  const query = route.query.extend({ ...commonParameters, ...(route.csv !== undefined ? { format: formatParameter } : {}) });
  const success: ResponseConfig = {
    description: 'The answer. `ETag` changes when a read model it reads advances; `X-Cache` says whether the response cache answered.',
    headers: z.object({ ETag: z.string(), 'X-Cache': z.string().optional() }),
    content: {
      'application/json': { schema: route.response },
      ...(route.csv !== undefined ? { 'text/csv': { schema: z.string().describe('RFC 4180 CSV with a header line (format=csv); Content-Disposition names the file.') } } : {}),
    },
  };
  const notFound = route.errorCodes?.filter((code) => code.endsWith('_NOT_FOUND')) ?? [];
  return {
    method: 'get',
    path: openApiPath(route),
    operationId: route.operationId,
    summary: route.summary,
    description: `Requires the permission \`${route.permission}\`. Reads the read models ${route.reads.map((name) => `\`${name}\``).join(', ')}.`,
    tags: route.tags,
    security: [{ bearerAuth: [] }],
    request: {
      query,
      ...(route.params !== undefined ? { params: route.params } : {}),
      headers: z.object({ 'If-None-Match': z.string().optional().describe('An ETag of an earlier answer: 304 when still current.') }),
    },
    responses: {
      '200': success,
      '304': { description: 'Not modified: the `If-None-Match` ETag is current.' },
      '400': problemResponse(`Invalid query: one of ${[...VALIDATION_CODES, ...(route.errorCodes ?? []).filter((code) => !code.endsWith('_NOT_FOUND'))].join(', ')} (every issue listed in \`issues\`).`),
      '401': problemResponse('UNAUTHENTICATED: no valid bearer token.'),
      '403': problemResponse(`FORBIDDEN: the role lacks the permission ${route.permission}.`),
      ...(notFound.length > 0 ? { '404': problemResponse(notFound.join(', ')) } : {}),
      '503': problemResponse('READ_MODEL_NOT_READY (a read model has no active table set yet) or PROJECTION_BEHIND (`after` not reached within 5 s); see Retry-After.'),
    },
  };
}

/** The OpenAPI 3.1 path items of the query routes and `/api/stream`, from the same route table the router serves. */
export function buildQueryApiOpenApiPaths(routes: readonly QueryRoute[]): Record<string, object> {
  const registry = new OpenAPIRegistry();
  for (const route of routes) registry.registerPath(routeConfig(route));
  registry.registerPath({
    method: 'get',
    path: '/api/stream',
    operationId: 'streamProjectionEvents',
    summary: 'Server-sent events: `projection` with `{ name, position }` whenever a read model advances (and once per read model on connect).',
    description: 'Requires the permission `finance:read`. Heartbeat comments every 15 s.',
    tags: ['query: stream'],
    security: [{ bearerAuth: [] }],
    responses: {
      '200': { description: 'An endless text/event-stream.', content: { 'text/event-stream': { schema: z.string() } } },
      '401': problemResponse('UNAUTHENTICATED: no valid bearer token.'),
      '403': problemResponse('FORBIDDEN: the role lacks the permission finance:read.'),
      '503': problemResponse('TOO_MANY_STREAMS: the server holds its maximum of open streams.'),
    },
  });
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: 'query', version: '0' } });
  return (document.paths ?? {}) as Record<string, object>;
}
