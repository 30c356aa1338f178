import { strict as assert } from 'node:assert';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { EMBEDDED_PG_IMMEDIATE_STOP_TIMEOUT_MS, EMBEDDED_PG_STOP_TIMEOUT_MS, startEmbeddedPostgres } from '@neuroerp/infra';
import { composeApplication, serverRoles, type ServerRole } from '../composition';
import { CONFIG_INVALID_EXIT_CODE, loadServerConfig, serverConfigHelp } from '../config';
import { startTelemetry } from '../telemetry';
import {
  closeServer,
  createLogger,
  GracefulShutdown,
  HTTP_DRAIN_TIMEOUT_MS,
  listen,
  serverUrl,
  SHUTDOWN_TIMEOUT_MS,
} from '../server';

export function register(program: Command): void {
  program
    .command('start')
    .description('Start the server: the HTTP APIs on PORT, the event store on DATABASE_URL or, without it, on an embedded PostgreSQL.')
    .addOption(
      new Option('--role <role>', 'which deployable to run: all (one process, the default), command-api, query-api or projections')
        .choices([...serverRoles])
        .default('all'),
    )
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { role: ServerRole }, command: Command) => start(command.parent?.version() ?? 'unknown', options.role));
}

async function start(version: string, role: ServerRole): Promise<void> {
  // A shutdown must be able to wait for every step before it gives up.
  assert.ok(SHUTDOWN_TIMEOUT_MS > HTTP_DRAIN_TIMEOUT_MS + EMBEDDED_PG_STOP_TIMEOUT_MS + EMBEDDED_PG_IMMEDIATE_STOP_TIMEOUT_MS);
  const config = loadServerConfig();
  if (role !== 'all' && config.DATABASE_URL === undefined) {
    // Separate deployables share one database; an embedded PostgreSQL per process would split the log.
    process.stderr.write(`neuroerp: --role ${role} needs DATABASE_URL (only --role all starts an embedded PostgreSQL)\n`);
    process.exit(CONFIG_INVALID_EXIT_CODE);
  }
  // First, so that the APM agent and the tracer see the HTTP server and the pools created below.
  const telemetry = startTelemetry(config, { role, version });
  const logger = createLogger(config.LOG_LEVEL);
  const shutdown = new GracefulShutdown(logger);
  shutdown.listen();
  // Registered first, so it runs last: the spans of the shutdown itself are flushed too.
  shutdown.add('flush the traces', () => telemetry.shutdown());
  const startedAt = performance.now();
  try {
    let connectionString = config.DATABASE_URL;
    if (connectionString === undefined) {
      const pgLogger = logger.child({ component: 'embedded-postgres' });
      const embedded = await startEmbeddedPostgres({
        databaseDir: path.join(config.DATA_DIR, 'pg'),
        port: config.EMBEDDED_PG_PORT,
        onLog: (line, severity) => (severity === 'warning' ? pgLogger.warn(line) : pgLogger.debug(line)),
      });
      shutdown.add('stop embedded PostgreSQL', () => embedded.stop());
      logger.info(
        { databaseDir: embedded.databaseDir, port: embedded.port, createdCluster: embedded.createdCluster, startupMs: embedded.startupMs },
        'embedded PostgreSQL started',
      );
      connectionString = embedded.connectionString;
    }
    const { app } = await composeApplication({
      config,
      connectionString,
      logger,
      version,
      onShutdown: (name, release) => shutdown.add(name, release),
      seedDemoDataIfEmpty: config.DATABASE_URL === undefined,
      role,
      // The dashboard built by `npm run build -w ui` (npm start builds it); this file is scripts/{src,dist}/commands/.
      uiDistDir: path.resolve(__dirname, '..', '..', '..', 'ui', 'dist'),
    });
    const server = await listen(app, config.PORT);
    shutdown.add('stop accepting HTTP requests', () => closeServer(server));
    logger.info(
      { url: serverUrl(server), role, eventStore: config.DATABASE_URL === undefined ? 'embedded' : 'DATABASE_URL', rateLimits: config.REDIS_URL === undefined ? 'memory' : 'redis', startupMs: Math.round(performance.now() - startedAt) },
      `NeuroERP listening on ${serverUrl(server)}`,
    );
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await shutdown.run(1);
    return;
  }
  shutdown.startupComplete();
}
