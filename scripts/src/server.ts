import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import pino, { type LevelWithSilent, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { commandApiOpenApiPaths, createCommandApiRouter, problem, sendProblem, type CommandApiDependencies, type ProblemDetails } from '@neuroerp/command-api';
import { createSecurityMiddleware, rejectDeepJson, type IdentityModule, type SecurityOptions } from '@neuroerp/command-api';
import { createLedgerRouter, ledgerOpenApi, problemFromError, type LedgerRouterOptions } from '@neuroerp/command-api';
import { createDocumentsRouter, documentsOpenApi, type DocumentsRouterOptions } from '@neuroerp/command-api';
import { createWorkflowsRouter, workflowsOpenApi, type WorkflowsRouterOptions } from '@neuroerp/command-api';
import { createInterchangeRouter, type InterchangeRouterOptions } from '@neuroerp/command-api';
import { createQueryApiRouter, queryApiOpenApiPaths, type QueryApiOptions } from '@neuroerp/query-api';
import { createDemoUsersRouter, demoUsersOpenApiPaths } from './demo-users-route';
import { logMixin, telemetryMiddleware } from './telemetry';
import { projectionsOpenApiPaths } from './projections';

/** Largest accepted request body. Commands are small; one event may be up to 1 MiB (EVENT_SIZE_BYTES_MAX). */
export const REQUEST_BODY_BYTES_MAX = 1024 * 1024;
/** A request that takes longer is cut off by Node's HTTP server. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long shutdown lets open requests finish before closing their connections. */
export const HTTP_DRAIN_TIMEOUT_MS = 10_000;
/**
 * How long an idle keep-alive connection stays open: longer than the idle timeouts of the
 * proxies and load balancers in front (nginx and most cloud balancers: 60 s). With Node's 5 s
 * default, a client or proxy that reuses a connection just as the server closes it gets
 * ECONNRESET (the soak bench saw one in 20,000 requests) or a 502.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** After a signal the process exits within this, whatever hangs (embedded PostgreSQL may take up to 35 s to stop). */
export const SHUTDOWN_TIMEOUT_MS = 50_000;
/** Accepted client-supplied request ids; anything else gets a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const HTTP_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ServerDependencies {
  eventStore: CommandApiDependencies['eventStore'];
  logger: Logger;
  /** The application version shown in the OpenAPI document. */
  version: string;
  readyTimeoutMs?: number;
  /** Security headers, CORS origins, JSON-only bodies; applied to every route. */
  security?: SecurityOptions;
  /** Authentication, users and rate limits (command-api `createIdentityModule`); absent: no `/api/auth`, `/api/users`. */
  identity?: IdentityModule;
  /** The ledger command API under /api/finance (command-api `createLedgerRouter`); absent: not mounted. */
  ledger?: LedgerRouterOptions;
  /** The documents API under /api/documents (command-api `createDocumentsRouter`); absent: not mounted. */
  documents?: DocumentsRouterOptions;
  /**
   * An authentication middleware mounted instead of `identity.middleware` (it sets
   * `res.locals.actor`): the bench verifies tokens without rate limits, API tests inject an actor.
   */
  authenticate?: RequestHandler;
  /** The workflow API under /api/workflows (command-api `createWorkflowsRouter`); absent: not mounted. */
  workflows?: WorkflowsRouterOptions;
  /** The query API under /api/query and /api/stream (query-api `createQueryApiRouter`); absent: not mounted. */
  query?: QueryApiOptions;
  /** `POST /api/finance/import/saft` (command-api `createInterchangeRouter`); absent: not mounted. */
  interchange?: InterchangeRouterOptions;
  /** Period seals: the public keys at /.well-known/neuroerp-seal-keys.json and the inalterability report (command-api). */
  seals?: { keys: RequestHandler; report: RequestHandler };
  /** `GET /api/auth/demo-users` for the login page (only where DEMO_USERS is enabled). */
  demoUsers?: boolean;
  /** Serves the built dashboard at `/` (scripts `serveUi`); absent: no UI. */
  ui?: RequestHandler;
  /** `GET /api/projections` and the projection metrics (scripts `ProjectionService`); absent: not mounted. */
  projections?: { router: RequestHandler; metrics: Registry };
  /** Further metrics served at /metrics (e.g. the privacy master key's age). */
  metrics?: readonly Registry[];
}

/** An expected HTTP failure, mapped by the error middleware like every other error. */
class HttpProblemError extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail);
    this.name = 'HttpProblemError';
  }
}

/**
 * The NeuroERP HTTP application: the command and query routers plus the operational
 * routes (`/metrics`, `/api/docs`), JSON request logs, request metrics, and one error
 * middleware that answers every failure with RFC 7807 problem+json.
 */
export function createServerApp(deps: ServerDependencies): Express {
  const app = express();
  app.disable('x-powered-by');

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests from arrival to the end of the response, by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_DURATION_BUCKETS_SECONDS,
    registers: [metrics],
  });

  app.use(
    pinoHttp<IncomingMessage, ServerResponse, never>({
      logger: deps.logger,
      genReqId: (req, res) => {
        const supplied = req.headers['x-request-id'];
        const id = typeof supplied === 'string' && REQUEST_ID.test(supplied) ? supplied : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // `?access_token=` (the event stream's token, QUERY_TOKEN_PATHS) never reaches a log line.
      serializers: { req: redactQueryToken },
      // Probes and scrapes arrive every few seconds; a failing readiness probe logs itself.
      autoLogging: { ignore: (req) => req.method === 'GET' && ['/health', '/ready', '/metrics'].includes(req.url ?? '') },
      customLogLevel: (_req, res, error): LevelWithSilent => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(measureDuration(httpDuration));
  app.use(createSecurityMiddleware(deps.security));
  // After the body parser, which loses the async context: continue an incoming traceparent, fix the correlation id.
  app.use(express.json({ limit: REQUEST_BODY_BYTES_MAX }), rejectDeepJson, telemetryMiddleware());
  if (deps.identity) app.use(deps.identity.middleware);
  if (deps.authenticate) app.use(deps.authenticate);

  app.use(createCommandApiRouter({ eventStore: deps.eventStore, readyTimeoutMs: deps.readyTimeoutMs }));
  if (deps.ledger) app.use(createLedgerRouter(deps.ledger));
  if (deps.documents) app.use(createDocumentsRouter(deps.documents));
  if (deps.workflows) app.use(createWorkflowsRouter(deps.workflows));
  if (deps.interchange) app.use(createInterchangeRouter(deps.interchange));
  if (deps.seals) app.use(deps.seals.keys, deps.seals.report);
  if (deps.demoUsers === true) app.use(createDemoUsersRouter());
  if (deps.query) app.use(createQueryApiRouter(deps.query));
  if (deps.projections) app.use(deps.projections.router);
  if (deps.identity) app.use(deps.identity.router);

  app.get('/metrics', async (_req, res) => {
    const more = [...(deps.projections ? [deps.projections.metrics] : []), ...(deps.metrics ?? [])];
    const texts = await Promise.all(more.map((registry) => registry.metrics()));
    res.type(metrics.contentType).send([await metrics.metrics(), ...texts].join('\n'));
  });

  // One document, two addresses: /api/openapi.json for tools, /api/docs as before.
  const openApi = openApiDocument(deps.version, {
    ledger: deps.ledger !== undefined,
    projections: deps.projections !== undefined,
    documents: deps.documents !== undefined,
    workflows: deps.workflows !== undefined,
    query: deps.query !== undefined,
    demoUsers: deps.demoUsers === true,
  });
  app.get(['/api/openapi.json', '/api/docs'], (_req, res) => {
    res.json(openApi);
  });
  if (deps.ui) app.use(deps.ui);

  app.use((req, _res, next) => {
    next(new HttpProblemError(problem(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`)));
  });
  app.use(problemErrorHandler);
  return app;
}

/** A serialized request (pino-http) with the access token of its URL and query replaced. */
export function redactQueryToken<Serialized extends { url?: string; query?: Record<string, unknown> }>(req: Serialized): Serialized {
  const url = req.url?.replace(/([?&]access_token=)[^&]*/g, '$1[Redacted]');
  const query = req.query !== undefined && 'access_token' in req.query ? { ...req.query, access_token: '[Redacted]' } : req.query;
  return { ...req, url, query };
}

/** Labels by the matched route pattern, never the raw path, so that the number of series stays bounded. */
function measureDuration(histogram: Histogram<'method' | 'route' | 'status_code'>): RequestHandler {
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}` : 'unmatched';
      end({ method: req.method, route, status_code: String(res.statusCode) });
    });
    next();
  };
}

/** The one place where errors become HTTP answers. */
const problemErrorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    // Too late for a problem document; let express end the connection.
    next(error);
    return;
  }
  const { problem: body, headers } = error instanceof HttpProblemError ? { problem: error.problem, headers: {} } : problemFromError(error);
  for (const [name, value] of Object.entries(headers)) res.set(name, value);
  if (body.status >= 500) req.log.error({ err: error }, 'request failed unexpectedly');
  sendProblem(res, { ...body, instance: req.originalUrl });
};

/** The OpenAPI 3.1 document of exactly the routes this app serves. */
export function openApiDocument(
  version: string,
  mounted: { ledger: boolean; projections?: boolean; documents?: boolean; workflows?: boolean; query?: boolean; demoUsers?: boolean } = { ledger: false },
) {
  const ledger = mounted.ledger ? ledgerOpenApi() : { paths: {}, components: {} };
  const operationalPaths = {
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics: process defaults and http_request_duration_seconds.',
        tags: ['operations'],
        responses: { '200': { description: 'Metrics in the Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'getOpenApiJson',
        summary: 'This OpenAPI document (the same as /api/docs).',
        tags: ['operations'],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/api/docs': {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI document.',
        tags: ['operations'],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  const projectionPaths = mounted.projections === true ? projectionsOpenApiPaths : {};
  const documentPaths = mounted.documents === true ? documentsOpenApi().paths : {};
  const workflowPaths = mounted.workflows === true ? workflowsOpenApi().paths : {};
  const queryPaths = mounted.query === true ? queryApiOpenApiPaths : {};
  const demoUserPaths = mounted.demoUsers === true ? demoUsersOpenApiPaths : {};
  const parts: Record<string, object>[] = [commandApiOpenApiPaths, ledger.paths, documentPaths, workflowPaths, queryPaths, operationalPaths, projectionPaths, demoUserPaths];
  const paths: Record<string, object> = {};
  for (const part of parts) {
    for (const [path, item] of Object.entries(part)) {
      if (path in paths) throw new Error(`two routers describe the OpenAPI path ${path}`);
      paths[path] = item;
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'VALEO NeuroERP API', version, description: 'Event-sourced ERP backend. Every failure is RFC 7807 problem+json with a stable `code`.' },
    paths,
    components: {
      ...ledger.components,
      schemas: {
        ...ledger.components.schemas,
        Problem: {
          type: 'object',
          description: 'RFC 7807 problem details with the stable machine-readable `code`.',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string', format: 'uri-reference' },
            title: { type: 'string' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
            detail: { type: 'string' },
            instance: { type: 'string' },
          },
        },
      },
    },
  };
}

/** JSON log lines with the trace, span and correlation ids of the work they belong to (ELK-ready). */
export function createLogger(level: string): Logger {
  return pino({ name: 'neuroerp', level, redact: ['req.headers.authorization', 'req.headers.cookie'], mixin: logMixin });
}

/** Listens on all interfaces; resolves with the server once it accepts connections. */
export function listen(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function serverUrl(server: Server): string {
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

/** Stops accepting connections, lets open requests finish, then closes what remains. */
export function closeServer(server: Server, drainTimeoutMs = HTTP_DRAIN_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Graceful shutdown on SIGINT/SIGTERM: runs the registered steps in reverse order of
 * registration (stop accepting → close the store → stop PostgreSQL), then exits 0, or 1
 * if a step failed or the whole took longer than {@link SHUTDOWN_TIMEOUT_MS}. A signal
 * during start-up waits until start-up is over. Repeated signals (a terminal's Ctrl-C
 * reaches npm and node alike, and npm forwards it) do not cut the shutdown short.
 */
export class GracefulShutdown {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private signal: NodeJS.Signals | null = null;
  private startupDone = false;
  private running: Promise<void> | null = null;
  /** An uncaught error happened: the exit code is 1 even if a signal had started a clean shutdown. */
  private crashed = false;

  constructor(
    private readonly logger: Logger,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  listen(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.signal) {
        this.logger.info({ signal }, 'shutdown already in progress');
        return;
      }
      this.signal = signal;
      if (this.startupDone) void this.run(0);
      else this.logger.info({ signal }, 'shutdown requested during start-up; it follows once start-up is over');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Node would exit 1 with only a stack trace on stderr; log the cause and shut down in order instead.
    const onCrash = (error: unknown, origin: string): void => {
      this.logger.fatal({ err: error, origin }, 'unexpected error; shutting down');
      this.crashed = true;
      void this.run(1);
    };
    process.on('uncaughtException', (error, origin) => onCrash(error, origin));
    process.on('unhandledRejection', (reason) => onCrash(reason, 'unhandledRejection'));
  }

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** Start-up is over: shut down now if a signal arrived meanwhile. */
  startupComplete(): void {
    this.startupDone = true;
    if (this.signal) void this.run(0);
  }

  /** Runs every step (a failing step does not stop the others), then exits. */
  run(exitCode: number): Promise<void> {
    this.running ??= (async () => {
      const deadline = setTimeout(() => {
        this.logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown did not finish in time');
        this.exit(1);
      }, SHUTDOWN_TIMEOUT_MS);
      this.logger.info({ signal: this.signal }, 'shutting down');
      let code = exitCode;
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
          this.logger.info({ step: step.name }, 'shutdown step done');
        } catch (error) {
          code = 1;
          this.logger.error({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(deadline);
      if (this.crashed) code = 1;
      this.logger.info({ exitCode: code }, 'stopped');
      this.exit(code);
    })();
    return this.running;
  }
}
