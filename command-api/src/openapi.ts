import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DOCUMENTS_BASE_PATH, documentsRoutes, type DocumentsRoute } from './documents/routes';
import { domainErrorStatus, LEDGER_ERROR_STATUS } from './http/errors';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_LENGTH_MAX } from './http/idempotency';
import { ledgerRoutes, type LedgerRoute } from './ledger/routes';
import { commandResponseSchema } from './ledger/views';

/**
 * The OpenAPI 3.1 description of the /api/finance routes, generated with zod-to-openapi from
 * the same zod schemas and route table that the router validates with. The server merges it
 * with the hand-written operational paths and serves it at /api/openapi.json and /api/docs.
 */

// zod-to-openapi reads its metadata through `.openapi()` on every schema, including the ones
// the schemas package built before this module loaded (it patches the shared prototype).
extendZodWithOpenApi(z);

const problemRef = { $ref: '#/components/schemas/Problem' } as const;

function problemResponse(description: string): ResponseConfig {
  return { description, content: { 'application/problem+json': { schema: problemRef } } };
}

/** The status codes a route may answer with besides success, and what they mean. */
function errorResponses(route: LedgerRoute): Record<string, ResponseConfig> {
  const codesByStatus = new Map<number, string[]>();
  for (const code of route.errorCodes ?? []) {
    const status = (LEDGER_ERROR_STATUS as Record<string, number>)[code] ?? 404;
    codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
  }
  const codes = (status: number, fixed: string[]) => [...fixed, ...(codesByStatus.get(status) ?? [])].join(', ');
  const responses: Record<string, ResponseConfig> = {
    '400': problemResponse(`Invalid input: ${codes(400, ['VALIDATION_FAILED (issues listed; a single domain-coded issue gives its code, e.g. AMOUNT_PRECISION_EXCEEDED)', 'MALFORMED_JSON'])}.`),
    '401': problemResponse('UNAUTHENTICATED: no valid bearer token.'),
    '403': problemResponse(`FORBIDDEN: the role lacks the permission ${route.permission}${codesByStatus.has(403) ? `; ${codes(403, [])}` : ''}.`),
    '503': problemResponse('STORE_UNAVAILABLE: the event store is not reachable; see Retry-After.'),
  };
  if (codesByStatus.has(404)) responses['404'] = problemResponse(`Not found: ${codes(404, [])}.`);
  if (route.method === 'post') {
    responses['409'] = problemResponse(`Conflict: ${codes(409, ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_PROGRESS', 'CONCURRENCY_CONFLICT'])}.`);
    responses['422'] = problemResponse(`A business rule refuses the command: ${codes(422, [])}.`);
    responses['428'] = problemResponse(`IDEMPOTENCY_KEY_REQUIRED: the ${IDEMPOTENCY_KEY_HEADER} header is missing.`);
    if (route.conditional) responses['412'] = problemResponse('PRECONDITION_FAILED: If-Match does not match the current ETag.');
  }
  return responses;
}

function toOpenApiPath(expressPath: string): string {
  return `/api/finance${expressPath}`.replace(/:([A-Za-z]+)/g, '{$1}');
}

function routeConfig(route: LedgerRoute): RouteConfig {
  const headers: z.ZodTypeAny[] = [];
  if (route.method === 'post') {
    headers.push(
      z.object({
        [IDEMPOTENCY_KEY_HEADER]: z
          .string()
          .min(1)
          .max(IDEMPOTENCY_KEY_LENGTH_MAX)
          .describe('Required on every POST. The same key with the same body replays the first answer (Idempotent-Replayed: true); with another body it is 409 IDEMPOTENCY_KEY_REUSED. Kept 24 h.'),
        'X-Correlation-Id': z.string().optional().describe('Recorded as correlationId in every event of the command; generated when absent.'),
      }),
    );
  }
  if (route.conditional) headers.push(z.object({ 'If-Match': z.string().optional().describe('ETag from a GET; when present and stale the answer is 412 PRECONDITION_FAILED.') }));
  const success = route.method === 'post' ? commandResponseSchema.merge(route.response) : route.response;
  const successHeaders = z.object({ ETag: z.string().describe('Entity tag of the resource after the command.') });
  return {
    method: route.method,
    path: toOpenApiPath(route.path),
    operationId: route.operationId,
    summary: route.summary,
    description: `Requires the permission \`${route.permission}\`.`,
    tags: ['finance'],
    security: [{ bearerAuth: [] }],
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(headers.length > 0 ? { headers: headers.length === 1 ? (headers[0] as z.AnyZodObject) : headers } : {}),
      ...(route.body ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    },
    responses: {
      [String(route.successStatus)]: {
        description: route.method === 'post' ? 'Done: the written stream, its new version and global position, and the resource.' : 'The resource.',
        headers: successHeaders,
        content: { 'application/json': { schema: success } },
      },
      ...(route.successStatus === 201 ? { '200': { description: 'A repeat of a command already carried out (nothing appended).', content: { 'application/json': { schema: success } } } } : {}),
      ...errorResponses(route),
    },
  };
}

/** Paths and components of the finance command API (OpenAPI 3.1). */
export function ledgerOpenApi(): { paths: Record<string, object>; components: Record<string, Record<string, object>> } {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const route of ledgerRoutes) registry.registerPath(routeConfig(route));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'finance', version: '0' },
  });
  return {
    paths: (document.paths ?? {}) as Record<string, object>,
    components: (document.components ?? {}) as Record<string, Record<string, object>>,
  };
}

// ---- documents ------------------------------------------------------------------------------

function documentsRouteConfig(route: DocumentsRoute): RouteConfig {
  const codesByStatus = new Map<number, string[]>();
  for (const code of route.errorCodes ?? []) {
    const status = domainErrorStatus(code);
    codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ResponseConfig> = {
    '400': problemResponse(`Invalid input: VALIDATION_FAILED (issues listed; a single domain-coded issue gives its code)${codesByStatus.has(400) ? `, ${(codesByStatus.get(400) ?? []).join(', ')}` : ''}.`),
    '401': problemResponse('UNAUTHENTICATED: no valid bearer token.'),
    '403': problemResponse(`FORBIDDEN: the role lacks the permission ${route.permission}.`),
    '503': problemResponse('STORE_UNAVAILABLE: the event store is not reachable; see Retry-After.'),
  };
  for (const [status, codes] of codesByStatus) {
    if (status !== 400) responses[String(status)] = problemResponse(codes.join(', '));
  }
  const headers: z.AnyZodObject[] = [];
  if (route.method === 'post') {
    responses['428'] = problemResponse(`IDEMPOTENCY_KEY_REQUIRED: the ${IDEMPOTENCY_KEY_HEADER} header is missing.`);
    headers.push(z.object({ [IDEMPOTENCY_KEY_HEADER]: z.string().min(1).max(IDEMPOTENCY_KEY_LENGTH_MAX).describe('Required on every POST; the same key and request replay the first answer.') }));
  }
  if (route.conditional !== undefined) {
    responses['412'] = problemResponse('PRECONDITION_FAILED: If-Match does not match the current ETag.');
    if (route.conditional === 'required') responses['428'] = problemResponse('IF_MATCH_REQUIRED: send If-Match with the ETag of the version you changed.');
    headers.push(z.object({ 'If-Match': z.string().optional().describe(`ETag from a GET${route.conditional === 'required' ? '; required' : ''}.`) }));
  }
  const body = route.multipart
    ? { required: true, content: { 'multipart/form-data': { schema: z.object({ file: z.string().describe('The file (binary): PDF, XML, PNG or JPEG; its leading bytes must match its declared type.') }) } } }
    : route.body
      ? { required: true, content: { 'application/json': { schema: route.body } } }
      : undefined;
  const success =
    route.response === undefined
      ? { description: 'The file, verified against its recorded SHA-256 (Repr-Digest header).', content: { 'application/octet-stream': { schema: z.string().describe('binary') } } }
      : {
          description: route.method === 'get' ? 'The resource.' : 'Done: the written stream, its new version and global position, and the document.',
          content: { 'application/json': { schema: route.method === 'get' ? route.response : commandResponseSchema.merge(route.response as z.AnyZodObject) } },
        };
  return {
    method: route.method,
    path: `${DOCUMENTS_BASE_PATH}${route.path === '/' ? '' : route.path}`.replace(/:([A-Za-z0-9]+)/g, '{$1}'),
    operationId: route.operationId,
    summary: route.summary,
    description: `Requires the permission \`${route.permission}\`.`,
    tags: ['documents'],
    security: [{ bearerAuth: [] }],
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(headers.length > 0 ? { headers } : {}),
      ...(body ? { body } : {}),
    },
    responses: { [String(route.successStatus)]: success, ...responses },
  };
}

/** Paths of the documents API (OpenAPI 3.1), from the same route table the router is built from. */
export function documentsOpenApi(): { paths: Record<string, object> } {
  const registry = new OpenAPIRegistry();
  for (const route of documentsRoutes) registry.registerPath(documentsRouteConfig(route));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: 'documents', version: '0' } });
  return { paths: (document.paths ?? {}) as Record<string, object> };
}
