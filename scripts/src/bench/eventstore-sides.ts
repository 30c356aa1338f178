import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { STREAM_DOES_NOT_EXIST, type Event as EmmettEvent } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore as EmmettStore } from '@event-driven-io/emmett-postgresql';
import { PostgresEventStore } from '@neuroerp/infra';
import type { NewEvent, NewEventMetadata } from '@neuroerp/schemas';
import { copyFromStdin, copyTextValue } from './pg-copy';

export type SideName = 'ours' | 'emmett' | 'raw';
export const SIDE_NAMES: readonly SideName[] = ['ours', 'emmett', 'raw'];

export const EVENT_TYPE = 'ledger.transaction_posted';
/** Connections of the emmett and raw pools: one per concurrent writer of the widest case. */
export const POOL_CONNECTIONS_MAX = 16;

/** A journal transaction as a ledger would record it: 200-odd bytes of JSON. */
export type LedgerTransactionPosted = {
  transactionId: string;
  postedOn: string;
  currency: string;
  description: string;
  lines: ({ account: string; debitMinor: string } | { account: string; creditMinor: string })[];
};

export function ledgerTransactionPosted(sequence: number): LedgerTransactionPosted {
  const amountMinor = String(1000 + (sequence % 900_000));
  return {
    transactionId: randomUUID(),
    postedOn: '2026-11-25',
    currency: 'EUR',
    description: `Invoice ${String(sequence % 1_000_000).padStart(6, '0')}`,
    lines: [
      { account: '6815', debitMinor: amountMinor },
      { account: '1600', creditMinor: amountMinor },
    ],
  };
}

export function eventMetadata(): NewEventMetadata {
  return {
    actor: { userId: 'user-bench-0001', role: 'accountant' },
    correlationId: randomUUID(),
    causationId: null,
    occurredAt: new Date().toISOString(),
    requestId: null,
  };
}

/** One contestant: the same operations, each done the way that side is meant to be used. */
export interface EventStoreSide {
  readonly name: SideName;
  /** Appends `count` events, as one append, to a stream that does not exist yet. */
  appendToNewStream(streamId: string, count: number, sequence: number): Promise<void>;
  /** Appends one event to a stream, expecting it to hold exactly `eventsBefore` events. */
  appendExpecting(streamId: string, eventsBefore: number, sequence: number): Promise<void>;
  /** Reads a whole stream of `eventCount` events; returns how many it got. */
  readStream(streamId: string, eventCount: number): Promise<number>;
  /** Rows in the side's events table and the distinct transactions (`xmin`) that wrote them. */
  writeStats(): Promise<{ events: number; transactions: number }>;
  /** Installs the process-wide `pg` settings this side runs with (see `PgTypeParsers`). */
  activate(): void;
  close(): Promise<void>;
}

/**
 * Emmett's dumbo replaces `pg`'s global type parsers (int8 as BigInt, JSON with a BigInt
 * reviver) on first use. `pg` is one module shared by every side, so without care ours and
 * raw would be measured with emmett's slower JSON parsing. Each side therefore runs with
 * the parsers it was built for; sides never run at the same time.
 */
const PARSED_TYPE_OIDS = [20, 114, 3802] as const;
type PgTypeParsers = [oid: number, parse: (value: string) => unknown][];

function capturePgTypeParsers(): PgTypeParsers {
  return PARSED_TYPE_OIDS.map((oid) => [oid, pg.types.getTypeParser(oid, 'text') as (value: string) => unknown]);
}

function installPgTypeParsers(parsers: PgTypeParsers): void {
  for (const [oid, parse] of parsers) pg.types.setTypeParser(oid, 'text', parse);
}

const defaultPgTypeParsers = capturePgTypeParsers();

/**
 * A pool for the bench's own connections. Idle connections are terminated when the scratch
 * database is dropped at the end; that must not crash the run (a connection lost during the
 * run fails the next query anyway, which does end the run).
 */
function benchPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

async function statsOf(pool: pg.Pool, table: string): Promise<{ events: number; transactions: number }> {
  const { rows } = await pool.query<{ events: number; transactions: number }>(
    `select count(*)::int as events, count(distinct xmin::text)::int as transactions from ${table}`,
  );
  const row = rows[0];
  if (!row) throw new Error(`no statistics for ${table}`);
  return row;
}

/** NeuroERP's PostgresEventStore: one instance, group commit, hash chain. */
export class OursSide implements EventStoreSide {
  readonly name = 'ours';

  private constructor(
    private readonly store: PostgresEventStore,
    private readonly statsPool: pg.Pool,
  ) {}

  static async open(connectionString: string): Promise<OursSide> {
    installPgTypeParsers(defaultPgTypeParsers);
    const store = await PostgresEventStore.connect({ connectionString, schema: 'event_store' });
    return new OursSide(store, benchPool(connectionString, 1));
  }

  private newEvent(sequence: number): NewEvent {
    return { eventId: randomUUID(), type: EVENT_TYPE, schemaVersion: 1, data: ledgerTransactionPosted(sequence), metadata: eventMetadata() };
  }

  async appendToNewStream(streamId: string, count: number, sequence: number): Promise<void> {
    const events = Array.from({ length: count }, (_, i) => this.newEvent(sequence + i));
    await this.store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
  }

  async appendExpecting(streamId: string, eventsBefore: number, sequence: number): Promise<void> {
    await this.store.appendToStream(streamId, [this.newEvent(sequence)], {
      expectedVersion: eventsBefore === 0 ? 'no_stream' : eventsBefore - 1,
    });
  }

  async readStream(streamId: string, eventCount: number): Promise<number> {
    return (await this.store.readStream(streamId, { maxCount: eventCount })).length;
  }

  writeStats(): Promise<{ events: number; transactions: number }> {
    return statsOf(this.statsPool, 'event_store.events');
  }

  activate(): void {
    installPgTypeParsers(defaultPgTypeParsers);
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.statsPool.end();
  }
}

type EmmettLedgerEvent = EmmettEvent<typeof EVENT_TYPE, LedgerTransactionPosted, NewEventMetadata>;

/** Emmett's PostgreSQL event store (`getPostgreSQLEventStore`) over a pool of 16 connections. */
export class EmmettSide implements EventStoreSide {
  readonly name = 'emmett';

  private constructor(
    private readonly store: EmmettStore,
    private readonly pool: pg.Pool,
    private readonly parsers: PgTypeParsers,
  ) {}

  static async open(connectionString: string): Promise<EmmettSide> {
    const pool = benchPool(connectionString, POOL_CONNECTIONS_MAX);
    const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { connectionString, pool } });
    const parsers = capturePgTypeParsers();
    // Its schema is created here, not lazily by the first measured append.
    await store.schema.migrate();
    installPgTypeParsers(defaultPgTypeParsers);
    return new EmmettSide(store, pool, parsers);
  }

  private newEvent(sequence: number): EmmettLedgerEvent {
    return { type: EVENT_TYPE, data: ledgerTransactionPosted(sequence), metadata: eventMetadata() };
  }

  async appendToNewStream(streamId: string, count: number, sequence: number): Promise<void> {
    const events = Array.from({ length: count }, (_, i) => this.newEvent(sequence + i));
    await this.store.appendToStream(streamId, events, { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
  }

  async appendExpecting(streamId: string, eventsBefore: number, sequence: number): Promise<void> {
    // Emmett's stream versions count events: a stream holding n events is at version n.
    await this.store.appendToStream(streamId, [this.newEvent(sequence)], { expectedStreamVersion: BigInt(eventsBefore) });
  }

  async readStream(streamId: string): Promise<number> {
    return (await this.store.readStream(streamId)).events.length;
  }

  writeStats(): Promise<{ events: number; transactions: number }> {
    return statsOf(this.pool, 'emt_messages');
  }

  activate(): void {
    installPgTypeParsers(this.parsers);
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.pool.end();
  }
}

/**
 * The raw-database baseline: plain `pg`, a minimal events table, single-row INSERTs with
 * autocommit. An append of several events is several INSERTs in one transaction; the bulk
 * references (`bulkUnnest`, `bulkCopy`) show what one statement per batch can do.
 */
export class RawSide implements EventStoreSide {
  readonly name = 'raw';

  private constructor(private readonly pool: pg.Pool) {}

  static async open(connectionString: string): Promise<RawSide> {
    installPgTypeParsers(defaultPgTypeParsers);
    const pool = benchPool(connectionString, POOL_CONNECTIONS_MAX);
    await pool.query(`
      create table events (
        id bigserial primary key,
        stream_id text not null,
        version bigint not null,
        type text not null,
        data jsonb not null,
        unique (stream_id, version)
      )`);
    return new RawSide(pool);
  }

  private insert(queryable: pg.Pool | pg.PoolClient, streamId: string, version: number, sequence: number): Promise<unknown> {
    return queryable.query('insert into events (stream_id, version, type, data) values ($1, $2, $3, $4)', [
      streamId,
      version,
      EVENT_TYPE,
      JSON.stringify(ledgerTransactionPosted(sequence)),
    ]);
  }

  async appendToNewStream(streamId: string, count: number, sequence: number): Promise<void> {
    if (count === 1) {
      await this.insert(this.pool, streamId, 0, sequence);
      return;
    }
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      for (let i = 0; i < count; i += 1) await this.insert(client, streamId, i, sequence + i);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  }

  async appendExpecting(streamId: string, eventsBefore: number, sequence: number): Promise<void> {
    // The unique (stream_id, version) constraint is the optimistic concurrency check.
    await this.insert(this.pool, streamId, eventsBefore, sequence);
  }

  /** One multi-row `INSERT ... SELECT FROM unnest(...)` per batch, autocommit. */
  async bulkUnnest(streamId: string, count: number, sequence: number): Promise<void> {
    const data = Array.from({ length: count }, (_, i) => JSON.stringify(ledgerTransactionPosted(sequence + i)));
    await this.pool.query(
      `insert into events (stream_id, version, type, data)
       select $1, v - 1, $2, d from unnest($3::jsonb[]) with ordinality as t(d, v)`,
      [streamId, EVENT_TYPE, data],
    );
  }

  /** One `COPY events FROM STDIN` per batch (text format), autocommit. */
  async bulkCopy(streamId: string, count: number, sequence: number): Promise<void> {
    const stream = copyTextValue(streamId);
    let rows = '';
    for (let i = 0; i < count; i += 1) {
      rows += `${stream}\t${i}\t${EVENT_TYPE}\t${copyTextValue(JSON.stringify(ledgerTransactionPosted(sequence + i)))}\n`;
    }
    const client = await this.pool.connect();
    try {
      await copyFromStdin(client, 'copy events (stream_id, version, type, data) from stdin', rows);
    } finally {
      client.release();
    }
  }

  async readStream(streamId: string): Promise<number> {
    const { rows } = await this.pool.query('select id, stream_id, version, type, data from events where stream_id = $1 order by version', [
      streamId,
    ]);
    return rows.length;
  }

  writeStats(): Promise<{ events: number; transactions: number }> {
    return statsOf(this.pool, 'events');
  }

  activate(): void {
    installPgTypeParsers(defaultPgTypeParsers);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Scratch databases, one per side, created fresh for a run and dropped after it. */
export class ScratchDatabases {
  private readonly created: string[] = [];

  private constructor(
    private readonly admin: pg.Client,
    private readonly baseUrl: string,
  ) {}

  static async connect(baseUrl: string): Promise<ScratchDatabases> {
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    return new ScratchDatabases(admin, baseUrl);
  }

  /** Creates `neuroerp_bench_<side>_<pid>` and returns its connection string. */
  async create(side: SideName): Promise<string> {
    const name = `neuroerp_bench_${side}_${process.pid}`;
    await this.admin.query(`drop database if exists "${name}" with (force)`);
    await this.admin.query(`create database "${name}"`);
    this.created.push(name);
    const url = new URL(this.baseUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Writes dirty pages out so that no side pays for a checkpoint started by the one before. */
  async checkpoint(): Promise<void> {
    await this.admin.query('checkpoint');
  }

  async serverDescription(): Promise<string> {
    const { rows } = await this.admin.query<{ version: string; fsync: string; synchronous_commit: string }>(
      `select split_part(version(), ' ', 2) as version, current_setting('fsync') as fsync,
              current_setting('synchronous_commit') as synchronous_commit`,
    );
    const row = rows[0];
    return row ? `PostgreSQL ${row.version}, fsync=${row.fsync}, synchronous_commit=${row.synchronous_commit}` : 'PostgreSQL (unknown)';
  }

  async dropAll(): Promise<void> {
    while (this.created.length > 0) {
      const name = this.created.pop() as string;
      await this.admin.query(`drop database if exists "${name}" with (force)`);
    }
  }

  async close(): Promise<void> {
    await this.dropAll();
    await this.admin.end();
  }
}
