import pg from 'pg';
import { GroupCommitQueue } from '../event-store/postgres/group-commit';
import { migrateSchema, type SchemaMigration } from '../postgres-migrations';
import { closePool, openPool } from '../postgres-pool';
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
/** Concurrent begins (and completes) are sent as one statement of at most this many keys. */
const KEYS_PER_STATEMENT_MAX = 256;
const QUEUED_KEYS_MAX = 100_000;

interface BeginRequest {
  scope: string;
  key: string;
  fingerprint: string;
}

interface CompleteRequest {
  scope: string;
  key: string;
  response: StoredResponse;
}

interface KeyRow {
  scope: string;
  key: string;
  fingerprint: string;
  status: number | null;
  headers: Record<string, string> | null;
  body: string | null;
}

const identity = (request: { scope: string; key: string }) => `${request.scope}\u0000${request.key}`;

/** Splits requests into the first of each key and the repeats (one statement must not touch a row twice). */
function firstPerKey<Request extends { scope: string; key: string }>(requests: readonly Request[]): { first: Request[]; repeats: Set<number> } {
  const seen = new Set<string>();
  const first: Request[] = [];
  const repeats = new Set<number>();
  requests.forEach((request, index) => {
    const id = identity(request);
    if (seen.has(id)) repeats.add(index);
    else {
      seen.add(id);
      first.push(request);
    }
  });
  return { first, repeats };
}

function beginResult(row: KeyRow): IdempotencyBeginResult {
  if (row.status === null) return { outcome: 'in_progress', fingerprint: row.fingerprint };
  return {
    outcome: 'completed',
    fingerprint: row.fingerprint,
    response: { status: row.status, headers: row.headers ?? {}, body: row.body === null ? null : (JSON.parse(row.body) as unknown) },
  };
}

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
 *
 * Concurrent calls are group-committed: the begins that arrive while a begin statement is in
 * flight are claimed together by the next one (one multi-row upsert, plus one read of the keys
 * that were already taken), and likewise the completes. Each key is still claimed or read
 * exactly as a single call would; a key that appears twice in one group is handled after the
 * others, so that the repeat sees the first one's claim.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly table: string;
  private readonly ttlMs: number;
  private readonly inProgressTimeoutMs: number;
  private readonly begins: GroupCommitQueue<BeginRequest, IdempotencyBeginResult>;
  private readonly completes: GroupCommitQueue<CompleteRequest, undefined>;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
    options: PostgresIdempotencyStoreOptions,
  ) {
    this.table = `"${schema}".idempotency_keys`;
    this.ttlMs = options.ttlMs ?? IDEMPOTENCY_KEY_TTL_MS;
    this.inProgressTimeoutMs = options.inProgressTimeoutMs ?? IDEMPOTENCY_IN_PROGRESS_TIMEOUT_MS;
    const limits = { requestsPerBatchMax: KEYS_PER_STATEMENT_MAX, windowMs: 0, queueLengthMax: QUEUED_KEYS_MAX };
    this.begins = new GroupCommitQueue((requests) => this.beginMany(requests), limits);
    this.completes = new GroupCommitQueue((requests) => this.completeMany(requests), limits);
  }

  static async connect(options: PostgresIdempotencyStoreOptions): Promise<PostgresIdempotencyStore> {
    await migrateIdempotencyStore(options.connectionString, options.schema);
    const pool = openPool({
      connectionString: options.connectionString,
      max: options.poolSizeMax ?? 10,
      options: '-c synchronous_commit=off',
    });
    return new PostgresIdempotencyStore(pool, options.schema, options);
  }

  begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBeginResult> {
    return this.begins.submit({ scope, key, fingerprint });
  }

  complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    return this.completes.submit({ scope, key, response });
  }

  /** Claims new (or expired, or abandoned) keys in one statement; reads the others in a second. */
  private async beginMany(requests: BeginRequest[]): Promise<IdempotencyBeginResult[]> {
    if (requests.length === 1) return [await this.beginOne(requests[0] as BeginRequest)];
    const { first, repeats } = firstPerKey(requests);
    const claimed = await this.pool.query<{ scope: string; key: string }>(
      `insert into ${this.table} as k (scope, key, fingerprint, created_at, expires_at)
       select scope, key, fingerprint, now(), now() + $4 * interval '1 millisecond'
         from unnest($1::text[], $2::text[], $3::text[]) as input(scope, key, fingerprint)
       on conflict (scope, key) do update
         set fingerprint = excluded.fingerprint, status = null, headers = null, body = null,
             created_at = excluded.created_at, expires_at = excluded.expires_at
         where k.expires_at <= now()
            or (k.status is null and k.created_at <= now() - $5 * interval '1 millisecond')
       returning k.scope, k.key`,
      [first.map((request) => request.scope), first.map((request) => request.key), first.map((request) => request.fingerprint), this.ttlMs, this.inProgressTimeoutMs],
    );
    const started = new Set(claimed.rows.map(identity));
    const taken = first.filter((request) => !started.has(identity(request)));
    const existing = new Map<string, KeyRow>();
    if (taken.length > 0) {
      const { rows } = await this.pool.query<KeyRow>(
        `select k.scope, k.key, k.fingerprint, k.status, k.headers, k.body
           from ${this.table} k join unnest($1::text[], $2::text[]) as input(scope, key) on k.scope = input.scope and k.key = input.key`,
        [taken.map((request) => request.scope), taken.map((request) => request.key)],
      );
      for (const row of rows) existing.set(identity(row), row);
    }
    const results: IdempotencyBeginResult[] = [];
    for (const [index, request] of requests.entries()) {
      const id = identity(request);
      const row = existing.get(id);
      if (repeats.has(index)) results.push(await this.beginOne(request));
      else if (started.has(id)) results.push({ outcome: 'started' });
      else if (row !== undefined) results.push(beginResult(row));
      // Released between the upsert and the read: claim it again.
      else results.push(await this.beginOne(request));
    }
    return results;
  }

  private async beginOne({ scope, key, fingerprint }: BeginRequest): Promise<IdempotencyBeginResult> {
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
      const { rows } = await this.pool.query<KeyRow>(`select scope, key, fingerprint, status, headers, body from ${this.table} where scope = $1 and key = $2`, [scope, key]);
      const row = rows[0];
      if (row !== undefined) return beginResult(row);
    }
    throw new Error(`idempotency key could not be claimed in ${BEGIN_ATTEMPTS_MAX} attempts`);
  }

  /** Records the responses in one statement (repeats of a key in a second one, in order). */
  private async completeMany(requests: CompleteRequest[]): Promise<undefined[]> {
    let remaining = requests;
    while (remaining.length > 0) {
      const { first, repeats } = firstPerKey(remaining);
      await this.pool.query(
        `update ${this.table} as k set status = input.status, headers = input.headers::jsonb, body = input.body
           from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) as input(scope, key, status, headers, body)
          where k.scope = input.scope and k.key = input.key`,
        [
          first.map((request) => request.scope),
          first.map((request) => request.key),
          first.map((request) => request.response.status),
          first.map((request) => JSON.stringify(request.response.headers)),
          first.map((request) => (request.response.body === undefined ? null : JSON.stringify(request.response.body))),
        ],
      );
      remaining = remaining.filter((_request, index) => repeats.has(index));
    }
    return requests.map(() => undefined);
  }

  async release(scope: string, key: string): Promise<void> {
    await this.pool.query(`delete from ${this.table} where scope = $1 and key = $2 and status is null`, [scope, key]);
  }

  async purgeExpired(): Promise<number> {
    const result = await this.pool.query(`delete from ${this.table} where expires_at <= now()`);
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    await closePool(this.pool);
  }
}
