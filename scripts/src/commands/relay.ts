import type { Command } from 'commander';
import express from 'express';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { KafkaClients, KafkaRelay, migrateRelayCheckpoints, PostgresRelayCheckpointStore, relaySchemaName, type RelayMetricsSink } from '@neuroerp/infra';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp } from '../config';
import { openEventStore } from '../event-store-connection';
import { closeServer, createLogger, GracefulShutdown, listen, serverUrl } from '../server';

/** Longest a readiness probe waits for one dependency before it reports it as down. */
export const RELAY_READY_CHECK_TIMEOUT_MS = 3_000;

export function register(program: Command): void {
  program
    .command('relay')
    .description('Relay the event store\'s global log to Kafka (one topic per bounded context, at least once), with /health, /ready and /metrics on PORT.')
    .addHelpText('after', `\nEnvironment (KAFKA_BROKERS is required):\n${serverConfigHelp()}`)
    .action(() => relay());
}

/** The relay's Prometheus metrics behind the callback interface infra exposes. */
export function relayMetrics(registry: Registry): RelayMetricsSink {
  const registers = [registry];
  const events = new Counter({ name: 'relay_events_total', help: 'Events the broker acknowledged, per topic.', labelNames: ['topic'] as const, registers });
  const failures = new Counter({ name: 'relay_batch_failures_total', help: 'Batches that failed to send or checkpoint and were retried from the checkpoint.', registers });
  const lag = new Gauge({ name: 'relay_lag_events', help: 'Head position of the event store minus the relay checkpoint, in events.', registers });
  const checkpoint = new Gauge({ name: 'relay_checkpoint_position', help: 'Global position of the last event the broker acknowledged.', registers });
  return {
    eventsRelayed: (topic, count) => events.inc({ topic }, count),
    batchFailed: () => failures.inc(),
    lagEvents: (value) => lag.set(value),
    checkpoint: (position) => checkpoint.set(Number(position)),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function relay(): Promise<void> {
  const config = loadServerConfig();
  if (config.KAFKA_BROKERS === undefined) throw new UsageError('KAFKA_BROKERS is not set: the relay needs at least one Kafka broker (host:port)');
  const logger = createLogger(config.LOG_LEVEL).child({ component: 'relay' });
  const shutdown = new GracefulShutdown(logger);
  shutdown.listen();
  try {
    const opened = await openEventStore(config);
    shutdown.add('close the event store', () => opened.close());
    const schema = relaySchemaName(config.EVENT_STORE_SCHEMA);
    await migrateRelayCheckpoints(opened.connectionString, schema);
    const checkpoints = new PostgresRelayCheckpointStore(opened.connectionString, schema);
    shutdown.add('close the checkpoint pool', () => checkpoints.close());

    const kafka = new KafkaClients({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID });
    await kafka.ensureTopics(config.KAFKA_TOPIC_PREFIX);
    const producer = kafka.producer();
    await producer.connect();
    shutdown.add('disconnect the Kafka producer', () => producer.disconnect());

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const relayer = new KafkaRelay({
      store: opened.store,
      producer,
      checkpoints,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      headPosition: async () => (await opened.store.readHead()).position,
      metrics: relayMetrics(registry),
      logger,
    });

    const app = express();
    app.disable('x-powered-by');
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok', relay: relayer.state });
    });
    app.get('/ready', async (_req, res) => {
      const checks = await Promise.allSettled([
        withTimeout(opened.store.ping(), RELAY_READY_CHECK_TIMEOUT_MS),
        withTimeout(checkpoints.ping(), RELAY_READY_CHECK_TIMEOUT_MS),
        withTimeout(kafka.ping(), RELAY_READY_CHECK_TIMEOUT_MS),
      ]);
      const [store, checkpoint, broker] = checks.map((check) => (check.status === 'fulfilled' ? 'up' : 'down'));
      const ready = checks.every((check) => check.status === 'fulfilled') && relayer.state === 'running';
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', relay: relayer.state, checks: { eventStore: store, checkpoints: checkpoint, kafka: broker } });
    });
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });

    relayer.start();
    shutdown.add('stop the relay', () => relayer.stop());
    const server = await listen(app, config.PORT);
    shutdown.add('stop accepting HTTP requests', () => closeServer(server));
    logger.info({ url: serverUrl(server), eventStore: opened.location, brokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX }, 'relay running');
  } catch (error) {
    logger.fatal({ err: error }, 'relay start-up failed');
    await shutdown.run(1);
    return;
  }
  shutdown.startupComplete();
}
