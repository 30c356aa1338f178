import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_LENGTH_MAX } from '../http/idempotency';
import { commandResponseSchema } from '../ledger/views';
import { isWorkflowsErrorCode, WORKFLOWS_ERROR_STATUS } from './errors';
import { WORKFLOWS_BASE_PATH, workflowsRoutes, type WorkflowsRoute } from './routes';

/**
 * The OpenAPI 3.1 description of the /api/workflows routes, generated with zod-to-openapi from
 * the same zod schemas and route table the router validates with (like `documentsOpenApi`).
 */

extendZodWithOpenApi(z);

const problemRef = { $ref: '#/components/schemas/Problem' } as const;

function problemResponse(description: string): ResponseConfig {
  return { description, content: { 'application/problem+json': { schema: problemRef } } };
}

function workflowsRouteConfig(route: WorkflowsRoute): RouteConfig {
  const codesByStatus = new Map<number, string[]>();
  for (const code of route.errorCodes ?? []) {
    const status = isWorkflowsErrorCode(code) ? WORKFLOWS_ERROR_STATUS[code] : 422;
    codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ResponseConfig> = {
    '400': problemResponse('Invalid input: VALIDATION_FAILED (issues listed; a single domain-coded issue gives its code, e.g. DUE_DURATION_INVALID), MALFORMED_JSON.'),
    '401': problemResponse('UNAUTHENTICATED: no valid bearer token.'),
    '403': problemResponse(`FORBIDDEN: the role lacks the permission ${route.permission}${codesByStatus.has(403) ? `; ${(codesByStatus.get(403) ?? []).join(', ')}` : ''}.`),
    '503': problemResponse('STORE_UNAVAILABLE: the event store is not reachable; see Retry-After.'),
  };
  for (const [status, codes] of codesByStatus) {
    if (status !== 403) responses[String(status)] = problemResponse(codes.join(', '));
  }
  const headers: z.AnyZodObject[] = [];
  if (route.method === 'post') {
    responses['428'] = problemResponse(`IDEMPOTENCY_KEY_REQUIRED: the ${IDEMPOTENCY_KEY_HEADER} header is missing.`);
    headers.push(
      z.object({
        [IDEMPOTENCY_KEY_HEADER]: z.string().min(1).max(IDEMPOTENCY_KEY_LENGTH_MAX).describe('Required on every POST; the same key and request replay the first answer.'),
        'X-Correlation-Id': z.string().optional().describe('Recorded as correlationId in every event of the command; generated when absent.'),
      }),
    );
  }
  if (route.conditional === true) {
    responses['412'] = problemResponse('PRECONDITION_FAILED: If-Match does not match the current ETag of the instance.');
    headers.push(z.object({ 'If-Match': z.string().optional().describe('ETag of the instance from a GET; when present and stale the answer is 412.') }));
  }
  const schema = route.command ? commandResponseSchema.merge(route.response) : route.response;
  return {
    method: route.method,
    path: `${WORKFLOWS_BASE_PATH}${route.path}`.replace(/:([A-Za-z0-9]+)/g, '{$1}'),
    operationId: route.operationId,
    summary: route.summary,
    description: `Requires the permission \`${route.permission}\`.`,
    tags: ['workflows'],
    security: [{ bearerAuth: [] }],
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(headers.length > 0 ? { headers } : {}),
      ...(route.body ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    },
    responses: {
      [String(route.successStatus)]: {
        description: route.command ? 'Done: the written stream, its new version and global position, and the resource.' : 'The resource.',
        content: { 'application/json': { schema } },
      },
      ...(route.successStatus === 201 ? { '200': { description: 'A repeat of a command already carried out (nothing appended).', content: { 'application/json': { schema } } } } : {}),
      ...responses,
    },
  };
}

/** Paths of the workflows API (OpenAPI 3.1), from the same route table the router is built from. */
export function workflowsOpenApi(): { paths: Record<string, object> } {
  const registry = new OpenAPIRegistry();
  for (const route of workflowsRoutes) registry.registerPath(workflowsRouteConfig(route));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: 'workflows', version: '0' } });
  return { paths: (document.paths ?? {}) as Record<string, object> };
}
