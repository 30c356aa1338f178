import { z } from 'zod';

/** Exit code of a process whose configuration is invalid (1 is left for failures at run time). */
export const CONFIG_INVALID_EXIT_CODE = 2;

const port = (what: string, min: number) =>
  z.coerce
    .number({ invalid_type_error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .min(min, `${what} must be between ${min} and 65535`)
    .max(65_535, `${what} must be between ${min} and 65535`);

/** An empty variable (`PORT=`) means "not set", as it does for most tools. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const serverConfigObject = z.object({
  PORT: z
    .preprocess(unsetIfEmpty, port('a TCP port', 0).default(8080))
    .describe('TCP port the HTTP server listens on (all interfaces); 0 picks a free port. Default 8080.'),
  DATABASE_URL: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .url('must be a URL such as postgres://user:password@host:5432/database')
        .refine((url) => /^postgres(ql)?:\/\//.test(url), 'must start with postgres:// or postgresql://')
        .optional(),
    )
    .describe(
      'PostgreSQL connection URL of the event store (postgres://user:password@host:port/database). ' +
        'Default: unset, which starts the embedded PostgreSQL under DATA_DIR.',
    ),
  EMBEDDED_PG_PORT: z
    .preprocess(unsetIfEmpty, port('a TCP port', 1).default(5433))
    .describe('TCP port of the embedded PostgreSQL on 127.0.0.1; used only without DATABASE_URL. Default 5433.'),
  DATA_DIR: z
    .preprocess(unsetIfEmpty, z.string().default('./data'))
    .describe('Directory for local state; the embedded PostgreSQL cluster lives in DATA_DIR/pg. Relative to the working directory. Default ./data.'),
  LOG_LEVEL: z
    .preprocess(unsetIfEmpty, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .describe('Lowest level of the JSON log lines written to stdout (pino levels). Default info.'),
  EVENT_STORE_SCHEMA: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier (a-z, 0-9, _; at most 63 characters)')
        .default('event_store'),
    )
    .describe('PostgreSQL schema that holds the event store tables; created on start-up. Default event_store.'),
  JWT_PRIVATE_KEY_PEM: z
    .preprocess(unsetIfEmpty, z.string().startsWith('-----BEGIN', 'must be a PEM private key (-----BEGIN PRIVATE KEY-----...)').optional())
    .describe(
      'RSA private key (PEM, PKCS#8 or PKCS#1, at least 2048 bits; "\\n" escapes allowed) that signs access tokens (RS256). ' +
        'Default: unset, which generates a key on the first start and keeps it in DATA_DIR/keys (file mode 0600).',
    ),
  SEAL_PRIVATE_KEY_PEM: z
    .preprocess(unsetIfEmpty, z.string().startsWith('-----BEGIN', 'must be a PEM private key (-----BEGIN PRIVATE KEY-----...)').optional())
    .describe(
      'Ed25519 private key (PEM, PKCS#8; "\\n" escapes allowed) that signs period seals (docs/adr/0006-period-seals.md); its public key is published at /.well-known/neuroerp-seal-keys.json. ' +
        'Default: unset, which generates a key on first use and keeps it in DATA_DIR/keys/seal-ed25519.pem (file mode 0600).',
    ),
  JWT_ISSUER: z
    .preprocess(unsetIfEmpty, z.string().min(1).max(200).default('neuroerp'))
    .describe('The "iss" claim of issued access tokens, checked on every verification. Default neuroerp.'),
  ACCESS_TOKEN_TTL_SECONDS: z
    .preprocess(unsetIfEmpty, z.coerce.number().int().min(60).max(86_400).default(3600))
    .describe('Lifetime of an access token in seconds (60..86400). Default 3600 (1 hour).'),
  REFRESH_TOKEN_TTL_SECONDS: z
    .preprocess(unsetIfEmpty, z.coerce.number().int().min(300).max(90 * 86_400).default(604_800))
    .describe('Lifetime of a refresh token in seconds from its issue (each refresh issues a new one); must exceed ACCESS_TOKEN_TTL_SECONDS. Default 604800 (7 days).'),
  REDIS_URL: z
    .preprocess(
      unsetIfEmpty,
      z.string().url('must be a URL such as redis://host:6379').refine((url) => /^rediss?:\/\//.test(url), 'must start with redis:// or rediss://').optional(),
    )
    .describe('Redis URL (redis://host:6379) for rate-limit counters shared by all instances. Default: unset, counters in process memory.'),
  CORS_ORIGINS: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .default('')
        .transform((list) => list.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
        .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin must look like https://host[:port], without a path'))),
    )
    .describe('Comma-separated browser origins allowed by CORS (https://erp.example.com,http://localhost:5173). Default: none (no CORS headers).'),
  DEMO_USERS: z
    .preprocess(unsetIfEmpty, z.enum(['true', 'false']).optional())
    .describe(
      'true: create the demo accounts (admin, accountant, approver, auditor, user, guest; README) when no user exists. ' +
        'Default: true for the embedded PostgreSQL (no DATABASE_URL), false otherwise.',
    ),
  S3_BUCKET: z
    .preprocess(unsetIfEmpty, z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)').optional())
    .describe('S3 bucket for document attachments (content-addressed, <sha[0:2]>/<sha>). Default: unset, attachments are files under DATA_DIR/files.'),
  S3_ENDPOINT: z
    .preprocess(unsetIfEmpty, z.string().url('must be a URL such as http://localhost:9000').optional())
    .describe('Endpoint of an S3-compatible server (MinIO: http://localhost:9000); needs S3_BUCKET. Default: unset, AWS S3 of S3_REGION.'),
  S3_REGION: z
    .preprocess(unsetIfEmpty, z.string().min(1).max(50).default('us-east-1'))
    .describe('Region of the S3 bucket (MinIO accepts any). Default us-east-1.'),
  S3_ACCESS_KEY_ID: z
    .preprocess(unsetIfEmpty, z.string().min(1).max(200).optional())
    .describe('S3 access key id; set together with S3_SECRET_ACCESS_KEY. Default: unset, the AWS SDK default credential chain.'),
  S3_SECRET_ACCESS_KEY: z
    .preprocess(unsetIfEmpty, z.string().min(1).max(200).optional())
    .describe('S3 secret access key; set together with S3_ACCESS_KEY_ID. Default: unset, the AWS SDK default credential chain.'),
  S3_FORCE_PATH_STYLE: z
    .preprocess(unsetIfEmpty, z.enum(['true', 'false']).default('false'))
    .describe('true: address the bucket in the path (http://host/bucket/key), as MinIO needs; false: virtual-hosted style. Default false.'),
  BACKUP_DIR: z
    .preprocess(unsetIfEmpty, z.string().min(1).optional())
    .describe('Folder of `neuroerp backup` and `restore` (one sub-folder per backup). Default: DATA_DIR/backups; keep backups on another disk in production.'),
  BACKUP_S3_BUCKET: z
    .preprocess(unsetIfEmpty, z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)').optional())
    .describe(
      'S3 bucket of `neuroerp backup` and `restore` instead of a folder (object <BACKUP_S3_PREFIX><id>/...); reached with S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE. ' +
        'Excludes BACKUP_DIR. Default: unset, backups in a folder.',
    ),
  BACKUP_S3_PREFIX: z
    .preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9!_.*'()/-]{1,200}$/, 'must be 1..200 characters of an S3 key (letters, digits, / and !_.*\'()-)').default('backups/'))
    .describe('Key prefix of the backups in BACKUP_S3_BUCKET; a trailing / is added when missing. Default backups/.'),
  BACKUP_KEY: z
    .preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)').optional())
    .describe(
      'AES-256-GCM key of backups, 32 bytes in base64 (openssl rand -base64 32). ' +
        'Default: unset, which generates one on the first backup and keeps it in DATA_DIR/keys/backup.key (mode 0600); store a copy away from the data.',
    ),
  PRIVACY_MASTER_KEYS: z
    .preprocess(unsetIfEmpty, z.string().min(1).optional())
    .describe(
      'Master keys that wrap the per-subject data keys of personal data (AES-256-GCM), as JSON: [{"version":1,"key":"<openssl rand -base64 32>","createdAt":"<ISO time>"}]; the highest version wraps new keys, keep older ones until `neuroerp keys rotate` re-wrapped their data keys. ' +
        'Default: unset, which generates version 1 on the first start and keeps the ring in DATA_DIR/keys/privacy-master-keys.json (mode 0600); `keys rotate` adds versions there.',
    ),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .preprocess(unsetIfEmpty, z.string().url('must be a URL such as http://jaeger:4318').refine((url) => /^https?:\/\//.test(url), 'must start with http:// or https://').optional())
    .describe(
      'OTLP/HTTP endpoint of the trace collector (Jaeger, OpenTelemetry Collector: http://jaeger:4318); traces go to <it>/v1/traces. ' +
        'Default: unset, tracing off (spans are no-ops).',
    ),
  OTEL_SERVICE_NAME: z
    .preprocess(unsetIfEmpty, z.string().min(1).max(100).optional())
    .describe('service.name of the traces (neuroerp-command-api, ...). Default: neuroerp-<role>, or neuroerp.'),
  ELASTIC_APM_SERVER_URL: z
    .preprocess(unsetIfEmpty, z.string().url('must be a URL such as http://apm-server:8200').refine((url) => /^https?:\/\//.test(url), 'must start with http:// or https://').optional())
    .describe('Elastic APM server (http://apm-server:8200); set: elastic-apm-node is started. Default: unset, no APM agent.'),
  ELASTIC_APM_SECRET_TOKEN: z
    .preprocess(unsetIfEmpty, z.string().min(1).max(500).optional())
    .describe('Secret token of the Elastic APM server; used only with ELASTIC_APM_SERVER_URL. Default: unset (no token).'),
  KAFKA_BROKERS: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .transform((list) => list.split(',').map((broker) => broker.trim()).filter((broker) => broker !== ''))
        .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'each broker must look like host:port')).min(1, 'must name at least one broker'))
        .optional(),
    )
    .describe('Comma-separated Kafka bootstrap brokers (kafka-1:9092,kafka-2:9092) for `neuroerp relay` and PROJECTION_SOURCE=kafka. Default: unset, no Kafka.'),
  KAFKA_CLIENT_ID: z
    .preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1..100 letters, digits, dots, underscores or hyphens').default('neuroerp'))
    .describe('Kafka client id this process reports to the brokers (broker logs, quotas). Default neuroerp.'),
  KAFKA_TOPIC_PREFIX: z
    .preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, dots, underscores or hyphens').default('neuroerp'))
    .describe('Prefix of the per-context topics <prefix>.ledger, .documents, .workflows, .identity that the relay produces to and projections consume. Default neuroerp.'),
  PROJECTION_SOURCE: z
    .preprocess(unsetIfEmpty, z.enum(['eventstore', 'kafka']).default('eventstore'))
    .describe(
      'Where continuous projection runners read events: eventstore (the store\'s catch-up subscription) or kafka (the relay\'s topics; needs KAFKA_BROKERS and a running `neuroerp relay`). ' +
        'Rebuilds always read the event store. Default eventstore.',
    ),
});

/**
 * The environment of the `neuroerp` server process: the only place that reads
 * `process.env`. Every key says what it is, its unit and its default.
 */
export const serverConfigSchema = serverConfigObject.superRefine((config, context) => {
  if (config.DATABASE_URL === undefined && config.PORT === config.EMBEDDED_PG_PORT) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['EMBEDDED_PG_PORT'], message: 'must differ from PORT' });
  }
  if (config.S3_BUCKET === undefined && config.BACKUP_S3_BUCKET === undefined && (config.S3_ENDPOINT !== undefined || config.S3_ACCESS_KEY_ID !== undefined || config.S3_SECRET_ACCESS_KEY !== undefined)) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['S3_BUCKET'], message: 'is required when S3_ENDPOINT or S3 credentials are set (or BACKUP_S3_BUCKET)' });
  }
  if (config.BACKUP_S3_BUCKET !== undefined && config.BACKUP_DIR !== undefined) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['BACKUP_S3_BUCKET'], message: 'set either BACKUP_DIR (a folder) or BACKUP_S3_BUCKET (a bucket), not both' });
  }
  if ((config.S3_ACCESS_KEY_ID === undefined) !== (config.S3_SECRET_ACCESS_KEY === undefined)) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['S3_SECRET_ACCESS_KEY'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together' });
  }
  if (config.PROJECTION_SOURCE === 'kafka' && config.KAFKA_BROKERS === undefined) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['KAFKA_BROKERS'], message: 'is required when PROJECTION_SOURCE=kafka' });
  }
  if (config.REFRESH_TOKEN_TTL_SECONDS <= config.ACCESS_TOKEN_TTL_SECONDS) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['REFRESH_TOKEN_TTL_SECONDS'], message: 'must be greater than ACCESS_TOKEN_TTL_SECONDS' });
  }
});

/** The environment variables and their descriptions, for `--help`. */
export function serverConfigHelp(): string {
  const entries = Object.entries(serverConfigObject.shape);
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, schema]) => `  ${key.padEnd(width)}  ${schema.description ?? ''}`).join('\n');
}

export type ServerConfig = Readonly<z.infer<typeof serverConfigSchema>>;

/** Invalid configuration: one human-readable line per problem, no stack trace needed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment; pure, so that tests can pass their own. */
export function parseServerConfig(env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const result = serverConfigSchema.safeParse(env);
  if (!result.success) {
    // Values are not echoed: DATABASE_URL may carry a password.
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  return Object.freeze(result.data);
}

let loaded: ServerConfig | null = null;

/**
 * The server configuration from `process.env`, parsed once and frozen. Invalid
 * configuration ends the process with exit code 2 and one line per problem on stderr.
 */
export function loadServerConfig(): ServerConfig {
  if (loaded) return loaded;
  try {
    loaded = parseServerConfig(process.env);
    return loaded;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`neuroerp: ${error.message}\n`);
    process.exit(CONFIG_INVALID_EXIT_CODE);
  }
}
