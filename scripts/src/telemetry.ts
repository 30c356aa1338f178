import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { RequestHandler } from 'express';
import type { ServerConfig } from './config';

/**
 * Telemetry of one deployable: OpenTelemetry traces exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, the Elastic APM agent when ELASTIC_APM_SERVER_URL is
 * set, and a pino mixin that puts the active trace and correlation ids on every log line.
 * Without either variable nothing is started: the spans in command-api, infra and
 * projections (`@opentelemetry/api`) stay no-ops that cost next to nothing.
 */

/** Spans queued for export at most; beyond it the newest are dropped rather than memory growing. */
export const TRACE_EXPORT_QUEUE_SPANS_MAX = 2048;
/** Spans per OTLP request. */
export const TRACE_EXPORT_BATCH_SPANS_MAX = 512;
/** How long shutdown waits for the last spans to be exported. */
export const TRACE_EXPORT_TIMEOUT_MS = 5_000;
/** Accepted client-supplied correlation ids (as request ids in server.ts); anything else gets a fresh UUID. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

export type TelemetryConfig = Pick<ServerConfig, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'ELASTIC_APM_SERVER_URL' | 'ELASTIC_APM_SECRET_TOKEN'>;

export interface TelemetryOptions {
  /** The deployable (`command-api`, `projections`, ...); names the service unless OTEL_SERVICE_NAME is set. */
  role?: string;
  version: string;
}

export interface Telemetry {
  /** OpenTelemetry traces are exported. */
  readonly tracing: boolean;
  /** The Elastic APM agent runs. */
  readonly apm: boolean;
  readonly serviceName: string;
  /** Flushes the spans still queued and stops the exporters; register it as a shutdown step. */
  shutdown(): Promise<void>;
}

/** The part of elastic-apm-node's agent this module uses (the package is loaded only when configured). */
interface ApmAgent {
  start(options: { serviceName: string; serviceVersion: string; serverUrl: string; secretToken?: string; captureBody?: 'off' | 'errors' | 'transactions' | 'all' }): ApmAgent;
  flush(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * Starts what the configuration asks for and nothing else. Call it first in a process, before
 * the HTTP server and the database pools are created, so that the APM agent sees them.
 */
export function startTelemetry(config: TelemetryConfig, options: TelemetryOptions): Telemetry {
  const serviceName = config.OTEL_SERVICE_NAME ?? (options.role === undefined || options.role === 'all' ? 'neuroerp' : `neuroerp-${options.role}`);
  let provider: NodeTracerProvider | null = null;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) {
    const exporter = new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: TRACE_EXPORT_TIMEOUT_MS });
    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: options.version }),
      spanProcessors: [
        new BatchSpanProcessor(exporter, {
          maxQueueSize: TRACE_EXPORT_QUEUE_SPANS_MAX,
          maxExportBatchSize: TRACE_EXPORT_BATCH_SPANS_MAX,
          exportTimeoutMillis: TRACE_EXPORT_TIMEOUT_MS,
        }),
      ],
    });
    // Global tracer provider, AsyncLocalStorage context manager and the W3C trace-context propagator.
    provider.register();
  }
  let apm: ApmAgent | null = null;
  if (config.ELASTIC_APM_SERVER_URL !== undefined) {
    // Loaded only when configured: requiring the agent already patches modules.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const agent = require('elastic-apm-node') as ApmAgent;
    apm = agent.start({
      serviceName,
      serviceVersion: options.version,
      serverUrl: config.ELASTIC_APM_SERVER_URL,
      ...(config.ELASTIC_APM_SECRET_TOKEN === undefined ? {} : { secretToken: config.ELASTIC_APM_SECRET_TOKEN }),
      // Request bodies carry passwords and personal data.
      captureBody: 'off',
    });
  }
  const tracerProvider = provider;
  const apmAgent = apm;
  return {
    tracing: tracerProvider !== null,
    apm: apmAgent !== null,
    serviceName,
    async shutdown() {
      if (tracerProvider !== null) {
        await tracerProvider.shutdown();
        trace.disable();
        context.disable();
        propagation.disable();
      }
      if (apmAgent !== null) await apmAgent.destroy();
    },
  };
}

const correlation = new AsyncLocalStorage<string>();

/** Runs `work` with `correlationId` as the correlation id of every log line written meanwhile. */
export function withCorrelationId<T>(correlationId: string, work: () => T): T {
  return correlation.run(correlationId, work);
}

/** The correlation id of the running request or job, if any. */
export function currentCorrelationId(): string | undefined {
  return correlation.getStore();
}

/** What the mixin adds to a log line (ECS-style names, so that ELK and Jaeger join on them). */
export interface LogCorrelation {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
  correlation_id?: string;
}

/**
 * pino `mixin`: the active span's trace and span ids and the correlation id, on every line
 * written while they are active (`pino({ mixin: logMixin })`). Empty outside a span and a request.
 */
export function logMixin(): LogCorrelation {
  const fields: LogCorrelation = {};
  const span = trace.getActiveSpan();
  const spanContext = span?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
    fields.trace_flags = `0${spanContext.traceFlags.toString(16)}`.slice(-2);
  }
  const correlationId = correlation.getStore();
  if (correlationId !== undefined) fields.correlation_id = correlationId;
  return fields;
}


/**
 * Express middleware: continues an incoming W3C `traceparent` in a server span per request,
 * fixes the request's correlation id (a valid X-Correlation-Id, else a fresh UUID, written back
 * into the request so that the routes record the same one) and runs the rest of the request
 * inside both. Mount it after the body parsers: their stream callbacks lose the async context.
 */
export function telemetryMiddleware(): RequestHandler {
  return (req, res, next) => {
    const supplied = req.headers['x-correlation-id'];
    const correlationId = typeof supplied === 'string' && CORRELATION_ID.test(supplied) ? supplied : randomUUID();
    req.headers['x-correlation-id'] = correlationId;
    const parent = propagation.extract(context.active(), req.headers);
    const span = trace.getTracer('@neuroerp/scripts').startSpan(`HTTP ${req.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path, 'neuroerp.correlation_id': correlationId } }, parent);
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}` : undefined;
      if (route !== undefined) {
        span.setAttribute('http.route', route);
        span.updateName(`HTTP ${req.method} ${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    withCorrelationId(correlationId, () => context.with(trace.setSpan(parent, span), next));
  };
}
