import pg from 'pg';
import { migrateSchema, type SchemaMigration } from '../postgres-migrations';
import {
  IDEMPOTENCY_IN_PROGRESS_TIMEOUT_MS,
  IDEMPOTENCY_KEY_TTL_MS,
  type IdempotencyBeginResult,
  type IdempotencyStore,
  type StoredResponse,
} from './port';

export interface PostgresIdempotencyStoreOptions {
  connectionString: string;
  /** PostgreSQL schema of the `idempotency_keys` table (the event store's schema is fine). */
  schema: string;
  poolSizeMax?: number;
  ttlMs?: number;
  inProgressTimeoutMs?: number;
}

/** A claim that vanished between the upsert and the read (released meanwhile) is retried this often. */
const BEGIN_ATTEMPTS_MAX = 3;

const migrations: SchemaMigration[] = [
  {
    name: '0001_idempotency_keys',
    async up(db, s) {
      await db.raw(`
        create table "${s}".idempotency_keys (
          scope text not null,
          key text not null,
          fingerprint text not null,
          status integer,
          headers jsonb,
          body text,
          created_at timestamptz not null,
          expires_at timestamptz not null,
          primary key (scope, key)
        );
        create index idempotency_keys_expires_at on "${s}".idempotency_keys (expires_at);
      `);
    },
  },
];

/** Creates or upgrades the idempotency table in `schema` (knex migrations, own bookkeeping table). */
export async function migrateIdempotencyStore(connectionString: string, schema: string): Promise<void> {
  await migrateSchema(connectionString, schema, migrations, 'knex_migrations_idempotency');
}

/**
 * Idempotency keys in PostgreSQL, in the same database as the event store.
 *
 * Its connections commit with `synchronous_commit = off`: a key row is visible to every other
 * connection at once (that is what stops concurrent duplicates), only its flush to disk is
 * deferred by a few milliseconds. A crash can therefore forget the last keys; a retry is then
 * executed again, which the ledger's commands absorb because every create carries its id and
 * repeats are no-ops (or a specific "already" code). The event log itself keeps full
 * durability. This saves two fsyncs per command.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly table: string;
  private readonly ttlMs: number;
  private readonly inProgressTimeoutMs: number;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
    options: PostgresIdempotencyStoreOptions,
  ) {
    this.table = `"${schema}".idempotency_keys`;
    this.ttlMs = options.ttlMs ?? IDEMPOTENCY_KEY_TTL_MS;
    this.inProgressTimeoutMs = options.inProgressTimeoutMs ?? IDEMPOTENCY_IN_PROGRESS_TIMEOUT_MS;
  }

  static async connect(options: PostgresIdempotencyStoreOptions): Promise<PostgresIdempotencyStore> {
    await migrateIdempotencyStore(options.connectionString, options.schema);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSizeMax ?? 10,
      options: '-c synchronous_commit=off',
    });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => undefined);
    return new PostgresIdempotencyStore(pool, options.schema, options);
  }

  async begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBeginResult> {
    for (let attempt = 1; attempt <= BEGIN_ATTEMPTS_MAX; attempt += 1) {
      // Claims a new key, or takes over an expired or abandoned one; otherwise changes nothing.
      const claimed = await this.pool.query(
        `insert into ${this.table} as k (scope, key, fingerprint, created_at, expires_at)
         values ($1, $2, $3, now(), now() + $4 * interval '1 millisecond')
         on conflict (scope, key) do update
           set fingerprint = excluded.fingerprint, status = null, headers = null, body = null,
               created_at = excluded.created_at, expires_at = excluded.expires_at
           where k.expires_at <= now()
              or (k.status is null and k.created_at <= now() - $5 * interval '1 millisecond')
         returning 1`,
        [scope, key, fingerprint, this.ttlMs, this.inProgressTimeoutMs],
      );
      if (claimed.rowCount === 1) return { outcome: 'started' };
      const { rows } = await this.pool.query<{ fingerprint: string; status: number | null; headers: Record<string, string> | null; body: string | null }>(
        `select fingerprint, status, headers, body from ${this.table} where scope = $1 and key = $2`,
        [scope, key],
      );
      const row = rows[0];
      if (row === undefined) continue;
      if (row.status === null) return { outcome: 'in_progress', fingerprint: row.fingerprint };
      return {
        outcome: 'completed',
        fingerprint: row.fingerprint,
        response: { status: row.status, headers: row.headers ?? {}, body: row.body === null ? null : (JSON.parse(row.body) as unknown) },
      };
    }
    throw new Error(`idempotency key could not be claimed in ${BEGIN_ATTEMPTS_MAX} attempts`);
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.pool.query(`update ${this.table} set status = $3, headers = $4, body = $5 where scope = $1 and key = $2`, [
      scope,
      key,
      response.status,
      JSON.stringify(response.headers),
      response.body === undefined ? null : JSON.stringify(response.body),
    ]);
  }

  async release(scope: string, key: string): Promise<void> {
    await this.pool.query(`delete from ${this.table} where scope = $1 and key = $2 and status is null`, [scope, key]);
  }

  async purgeExpired(): Promise<number> {
    const result = await this.pool.query(`delete from ${this.table} where expires_at <= now()`);
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
