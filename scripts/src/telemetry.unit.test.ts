import { Writable } from 'node:stream';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { CommandHandler } from '@neuroerp/command-api';
import type { EventStore } from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';
import { parseServerConfig } from './config';
import express from 'express';
import request from 'supertest';
import { logMixin, startTelemetry, telemetryMiddleware, withCorrelationId } from './telemetry';

/** A pino logger with the mixin whose lines are collected as objects. */
function collectingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ mixin: logMixin }, sink), lines };
}

function resetOpenTelemetry(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

afterEach(resetOpenTelemetry);

describe('startTelemetry', () => {
  it('starts nothing without OTEL_EXPORTER_OTLP_ENDPOINT and ELASTIC_APM_SERVER_URL', async () => {
    const telemetry = startTelemetry(parseServerConfig({}), { role: 'command-api', version: '0.0.0' });
    expect(telemetry).toMatchObject({ tracing: false, apm: false, serviceName: 'neuroerp-command-api' });
    // No SDK registered: spans are the API's no-ops, with an invalid (all-zero) context.
    const span = trace.getTracer('test').startSpan('nothing');
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe('00000000000000000000000000000000');
    span.end();
    await telemetry.shutdown();
  });

  it('registers a recording tracer provider when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const telemetry = startTelemetry(parseServerConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'erp-test' }), { version: '0.0.0' });
    expect(telemetry).toMatchObject({ tracing: true, apm: false, serviceName: 'erp-test' });
    const tracer = trace.getTracer('test');
    // Not ended: nothing is exported to the (absent) collector.
    const span = tracer.startSpan('recording');
    expect(span.isRecording()).toBe(true);
    await telemetry.shutdown();
    expect(trace.getTracer('test').startSpan('after shutdown').isRecording()).toBe(false);
  });

  it('rejects an endpoint that is not a URL', () => {
    expect(() => parseServerConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => parseServerConfig({ ELASTIC_APM_SERVER_URL: 'apm' })).toThrow(/ELASTIC_APM_SERVER_URL/);
  });
});

describe('logMixin', () => {
  it('adds nothing outside a span and a correlation scope', () => {
    const { logger, lines } = collectingLogger();
    logger.info('plain');
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[0]).not.toHaveProperty('correlation_id');
  });

  it('adds the trace and span ids of the active span and the correlation id', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    const { logger, lines } = collectingLogger();
    const ids = withCorrelationId('corr-42', () =>
      trace.getTracer('test').startActiveSpan('command', (span) => {
        logger.info('inside');
        span.end();
        return span.spanContext();
      }),
    );
    logger.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId, trace_flags: '01', correlation_id: 'corr-42' });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(lines[1]).not.toHaveProperty('correlation_id');
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['command']);
  });
});

describe('command tracing', () => {
  /** A store that records appends; the command below never reads (it expects a new stream). */
  function recordingStore(): { store: EventStore; appended: NewEvent[] } {
    const appended: NewEvent[] = [];
    const store = {
      appendToStream: (_streamId: string, events: readonly NewEvent[]) => {
        appended.push(...events);
        return Promise.resolve({ nextExpectedVersion: events.length - 1, position: BigInt(appended.length) });
      },
      readStream: () => Promise.resolve([]),
    } as unknown as EventStore;
    return { store, appended };
  }

  const runCommand = (store: EventStore) =>
    new CommandHandler({ store, schemaVersionOf: () => 1 }).handle(
      {
        name: 'OpenThing',
        stream: { streamId: 'test.thing-1', model: { name: 'test.thing', initialState: () => null, evolve: (state: null) => state } },
        expectNew: true,
        decide: () => [{ type: 'test.thing_opened', data: {} }],
      },
      { actor: { userId: 'u1', role: 'admin' }, correlationId: 'corr-7', requestId: null },
    );

  it('writes no traceparent while tracing is off', async () => {
    const { store, appended } = recordingStore();
    await runCommand(store);
    expect(appended[0]?.metadata).not.toHaveProperty('traceparent');
  });

  it("records a span per command and carries its trace context into the events' metadata", async () => {
    const exporter = new InMemorySpanExporter();
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    const { store, appended } = recordingStore();
    await runCommand(store);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('command OpenThing');
    expect(span?.attributes).toMatchObject({ 'neuroerp.command.type': 'OpenThing', 'neuroerp.stream.id': 'test.thing-1', 'neuroerp.command.outcome': 'appended', 'neuroerp.correlation_id': 'corr-7' });
    const { traceId, spanId } = span?.spanContext() ?? {};
    expect(appended[0]?.metadata.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });
});

describe('telemetryMiddleware', () => {
  it('continues an incoming traceparent in a server span and logs with the trace and correlation ids', async () => {
    const exporter = new InMemorySpanExporter();
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    const { logger, lines } = collectingLogger();
    const app = express();
    app.use(express.json(), telemetryMiddleware());
    app.post('/api/things', (req, res) => {
      logger.info('handling');
      res.status(201).json({ correlationId: req.get('X-Correlation-Id') });
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const answer = await request(app).post('/api/things').set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`).set('X-Correlation-Id', 'corr-9').send({ a: 1 });
    expect(answer.body).toEqual({ correlationId: 'corr-9' });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('HTTP POST /api/things');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.attributes).toMatchObject({ 'http.response.status_code': 201, 'http.route': '/api/things' });
    expect(lines[0]).toMatchObject({ msg: 'handling', trace_id: traceId, span_id: span?.spanContext().spanId, correlation_id: 'corr-9' });
  });

  it('generates a correlation id when none (or an invalid one) is sent', async () => {
    const app = express();
    app.use(telemetryMiddleware());
    app.get('/x', (req, res) => void res.json({ correlationId: req.get('X-Correlation-Id') }));
    const answer = await request(app).get('/x').set('X-Correlation-Id', 'bad id with spaces');
    expect(answer.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
