import { STATUS_CODES } from 'node:http';
import { Router, type Response } from 'express';
import type { EventStore } from '@neuroerp/infra';
// Types only: `req.log`, the request's logger that pino-http puts on every request.
import type {} from 'pino-http';

/** How long `/ready` waits for the event store to answer. */
export const READY_TIMEOUT_MS_DEFAULT = 2_000;
/** What `/ready` tells a client to wait before asking again when not ready. */
export const READY_RETRY_AFTER_SECONDS = 5;

/** RFC 7807 problem details, with NeuroERP's stable machine-readable `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  [member: string]: unknown;
}

/** Builds a problem whose type is `about:blank`: the title is the HTTP status phrase, `code` says what exactly went wrong. */
export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail, ...extra };
}

/** Writes a problem as `application/problem+json`. */
export function sendProblem(res: Response, body: ProblemDetails): void {
  res.status(body.status).type('application/problem+json').json(body);
}

export interface CommandApiDependencies {
  /** Only what the routes use so far: readiness asks the event store to answer. */
  eventStore: Pick<EventStore, 'ping'>;
  readyTimeoutMs?: number;
}

/**
 * The command side's HTTP routes. For now: the probes, since the event store is the
 * command side's dependency. `/health` says the process runs; `/ready` says it can serve
 * (the event store answers within the timeout).
 */
export function createCommandApiRouter(deps: CommandApiDependencies): Router {
  const readyTimeoutMs = deps.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/ready', async (req, res) => {
    const failure = await pingWithin(deps.eventStore, readyTimeoutMs);
    if (failure === null) {
      res.json({ status: 'ready' });
      return;
    }
    req.log?.warn({ reason: failure }, 'not ready: the event store does not answer');
    res.set('Retry-After', String(READY_RETRY_AFTER_SECONDS));
    sendProblem(res, problem(503, 'NOT_READY', 'The event store is not reachable.', { instance: req.originalUrl }));
  });

  return router;
}

/** null when the store answered in time, else why not (for the log, never the client). */
async function pingWithin(store: Pick<EventStore, 'ping'>, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      store.ping().then(
        () => null,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The OpenAPI 3.1 path items of {@link createCommandApiRouter}'s routes. */
export const commandApiOpenApiPaths = {
  '/health': {
    get: {
      operationId: 'getHealth',
      summary: 'Liveness: the process runs.',
      tags: ['operations'],
      responses: {
        '200': {
          description: 'The process is alive.',
          content: { 'application/json': { schema: statusSchema('ok') } },
        },
      },
    },
  },
  '/ready': {
    get: {
      operationId: 'getReady',
      summary: 'Readiness: the event store answers within the timeout.',
      tags: ['operations'],
      responses: {
        '200': {
          description: 'Ready to serve.',
          content: { 'application/json': { schema: statusSchema('ready') } },
        },
        '503': {
          description: `Not ready (code NOT_READY); retry after ${READY_RETRY_AFTER_SECONDS} seconds.`,
          headers: { 'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer' } } },
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  },
} as const;

function statusSchema(status: string) {
  return {
    type: 'object',
    required: ['status'],
    properties: { status: { const: status } },
    additionalProperties: false,
  } as const;
}
