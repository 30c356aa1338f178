import knex, { type Knex } from 'knex';
import { assertSchemaName, migrateSchema, type SchemaMigration } from '@neuroerp/infra';
import type { Projection } from './projection';

/**
 * The control tables of the projection runtime, in one schema (default `projections`):
 * - `projection_checkpoints`: one row per table set (name, version, build) with its position;
 * - `projection_active_versions`: per projection, the table set queries read;
 * - `projection_dead_letters`: events continuous mode could not apply.
 */
const migrations: readonly SchemaMigration[] = [
  {
    name: '0001_projection_control',
    async up(db, schema) {
      await db.raw(`
        create table "${schema}".projection_checkpoints (
          name text not null,
          version integer not null,
          build integer not null,
          schema_name text not null unique,
          position bigint not null default 0,
          state text not null check (state in ('building', 'live', 'retired')),
          updated_at timestamptz not null default now(),
          primary key (name, version, build)
        );
        create table "${schema}".projection_active_versions (
          name text primary key,
          version integer not null,
          build integer not null,
          schema_name text not null,
          switched_at timestamptz not null default now()
        );
        create table "${schema}".projection_dead_letters (
          id bigserial primary key,
          name text not null,
          version integer not null,
          build integer not null,
          position bigint not null,
          event_id text not null,
          event_type text not null,
          error text not null,
          created_at timestamptz not null default now(),
          retried_at timestamptz,
          resolved boolean not null default false,
          unique (name, version, build, position)
        );
      `);
    },
  },
  {
    name: '0002_projection_replays',
    async up(db, schema) {
      await db.raw(`
        create table "${schema}".projection_replays (
          schema_name text primary key,
          name text not null,
          version integer not null,
          until_position bigint,
          until_recorded_at timestamptz,
          position bigint not null,
          events bigint not null,
          created_at timestamptz not null default now()
        );
      `);
    },
  },
  {
    name: '0003_projection_changes',
    async up(db, schema) {
      // How many times a table set's tables changed: a key for cached answers that events the
      // projection ignores do not invalidate (the position moves with every event).
      await db.raw(`alter table "${schema}".projection_checkpoints add column changes bigint not null default 0`);
    },
  },
];

export const DEFAULT_CONTROL_SCHEMA = 'projections';
/** Longest error text stored with a dead letter. */
const DEAD_LETTER_ERROR_LENGTH_MAX = 4_000;

export async function migrateProjectionControl(connectionString: string, controlSchema: string): Promise<void> {
  await migrateSchema(connectionString, controlSchema, migrations, 'knex_migrations_projections');
}

/** One build of a projection's tables: a schema of its own plus a checkpoint row. */
export interface TableSet {
  name: string;
  version: number;
  build: number;
  schema: string;
}

export interface CheckpointRow extends TableSet {
  position: bigint;
  /** Batches that changed the tables (applied events the projection handles); events it ignores do not count. */
  changes: bigint;
  state: 'building' | 'live' | 'retired';
  updatedAt: Date;
}

export function tableSetSchema(controlSchema: string, name: string, version: number, build: number): string {
  const schema = `${controlSchema}_${name}_v${version}_b${build}`;
  assertSchemaName(schema);
  return schema;
}

interface RawCheckpoint {
  name: string;
  version: number;
  build: number;
  schema_name: string;
  position: string;
  changes: string;
  state: CheckpointRow['state'];
  updated_at: Date;
}

function toCheckpoint(row: RawCheckpoint): CheckpointRow {
  return {
    name: row.name,
    version: row.version,
    build: row.build,
    schema: row.schema_name,
    position: BigInt(row.position),
    changes: BigInt(row.changes),
    state: row.state,
    updatedAt: row.updated_at,
  };
}

/** The active table set of a projection (what queries read), or null before its first build. */
export async function readActiveTableSet(db: Knex, controlSchema: string, name: string, lock?: 'share' | 'update'): Promise<TableSet | null> {
  const suffix = lock === undefined ? '' : ` for ${lock}`;
  const result = await db.raw(`select name, version, build, schema_name from "${controlSchema}".projection_active_versions where name = ?${suffix}`, [name]);
  const row = (result.rows as { name: string; version: number; build: number; schema_name: string }[])[0];
  return row === undefined ? null : { name: row.name, version: row.version, build: row.build, schema: row.schema_name };
}

/** The schema queries read for `name`; throws a clear error before the projection's first build. */
export async function activeSchema(db: Knex, controlSchema: string, name: string): Promise<string> {
  const active = await readActiveTableSet(db, controlSchema, name);
  if (active === null) throw new Error(`projection ${name} has no active table set yet`);
  return active.schema;
}

export async function readCheckpoint(db: Knex, controlSchema: string, tableSet: TableSet, lock = false): Promise<CheckpointRow> {
  const result = await db.raw(
    `select * from "${controlSchema}".projection_checkpoints where name = ? and version = ? and build = ?${lock ? ' for update' : ''}`,
    [tableSet.name, tableSet.version, tableSet.build],
  );
  const row = (result.rows as RawCheckpoint[])[0];
  if (row === undefined) throw new Error(`no checkpoint for ${tableSet.schema}`);
  return toCheckpoint(row);
}

export async function listCheckpoints(db: Knex, controlSchema: string): Promise<CheckpointRow[]> {
  const result = await db.raw(`select * from "${controlSchema}".projection_checkpoints order by name, version, build`);
  return (result.rows as RawCheckpoint[]).map(toCheckpoint);
}

/** Moves the checkpoint to `position`; `changed`: this transaction also changed the tables (counted in `changes`). */
export async function writeCheckpoint(tx: Knex.Transaction, controlSchema: string, tableSet: TableSet, position: bigint, changed: boolean): Promise<void> {
  await tx.raw(
    `update "${controlSchema}".projection_checkpoints set position = ?, changes = changes + ?, updated_at = now() where name = ? and version = ? and build = ?`,
    [position.toString(), changed ? 1 : 0, tableSet.name, tableSet.version, tableSet.build],
  );
}

/** Counts a change of the tables that does not move the checkpoint (a retried dead letter, Kafka events beyond a gap). */
export async function countChange(tx: Knex.Transaction, controlSchema: string, tableSet: TableSet): Promise<void> {
  await tx.raw(`update "${controlSchema}".projection_checkpoints set changes = changes + 1 where name = ? and version = ? and build = ?`, [
    tableSet.name,
    tableSet.version,
    tableSet.build,
  ]);
}

/**
 * Creates a fresh table set (next build number of `projection.version`): its schema, its
 * tables and its checkpoint at 0, in one transaction. `activate` also makes it the active one
 * (used for the very first build, when nothing serves yet).
 */
export async function createTableSet(db: Knex, controlSchema: string, projection: Projection, activate: boolean): Promise<TableSet> {
  return db.transaction(async (tx) => {
    // Serializes concurrent creators of the same projection on the advisory lock of its name.
    await tx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`${controlSchema}.${projection.name}`]);
    const result = await tx.raw(`select coalesce(max(build), 0) as build from "${controlSchema}".projection_checkpoints where name = ? and version = ?`, [
      projection.name,
      projection.version,
    ]);
    const build = Number((result.rows as { build: number }[])[0]?.build ?? 0) + 1;
    const schema = tableSetSchema(controlSchema, projection.name, projection.version, build);
    await tx.raw(`create schema "${schema}"`);
    await projection.createTables(tx, schema);
    await tx.raw(`insert into "${controlSchema}".projection_checkpoints (name, version, build, schema_name, position, state) values (?, ?, ?, ?, 0, ?)`, [
      projection.name,
      projection.version,
      build,
      schema,
      activate ? 'live' : 'building',
    ]);
    const tableSet = { name: projection.name, version: projection.version, build, schema };
    if (activate) await setActive(tx, controlSchema, tableSet);
    return tableSet;
  });
}

/** Makes `tableSet` the one queries read; the previous active one is marked retired. Call inside the switch transaction. */
export async function setActive(tx: Knex.Transaction, controlSchema: string, tableSet: TableSet): Promise<void> {
  await tx.raw(
    `update "${controlSchema}".projection_checkpoints set state = 'retired' where (name, version, build) in
       (select name, version, build from "${controlSchema}".projection_active_versions where name = ?)`,
    [tableSet.name],
  );
  await tx.raw(
    `insert into "${controlSchema}".projection_active_versions (name, version, build, schema_name, switched_at) values (?, ?, ?, ?, now())
     on conflict (name) do update set version = excluded.version, build = excluded.build, schema_name = excluded.schema_name, switched_at = now()`,
    [tableSet.name, tableSet.version, tableSet.build, tableSet.schema],
  );
  await tx.raw(`update "${controlSchema}".projection_checkpoints set state = 'live' where name = ? and version = ? and build = ?`, [
    tableSet.name,
    tableSet.version,
    tableSet.build,
  ]);
}

/**
 * The table set the continuous runner of `projection` writes: the active one when its version
 * is the code's version; a new first build when there is none; null when the active table set
 * has another version (it keeps serving until `projections rebuild` switches).
 */
export async function resolveRunnableTableSet(db: Knex, controlSchema: string, projection: Projection): Promise<TableSet | null> {
  const active = await readActiveTableSet(db, controlSchema, projection.name);
  if (active === null) {
    try {
      return await createTableSet(db, controlSchema, projection, true);
    } catch (error) {
      // Another process created the first build meanwhile: the unique active row / schema says so.
      const retry = await readActiveTableSet(db, controlSchema, projection.name);
      if (retry === null) throw error;
      return retry.version === projection.version ? retry : null;
    }
  }
  return active.version === projection.version ? active : null;
}

export interface DeadLetter {
  id: string;
  name: string;
  version: number;
  build: number;
  position: bigint;
  eventId: string;
  eventType: string;
  error: string;
  createdAt: Date;
  retriedAt: Date | null;
  resolved: boolean;
}

export async function insertDeadLetter(
  tx: Knex.Transaction,
  controlSchema: string,
  tableSet: TableSet,
  event: { globalPosition: bigint; eventId: string; type: string },
  error: unknown,
): Promise<void> {
  const text = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, DEAD_LETTER_ERROR_LENGTH_MAX);
  await tx.raw(
    `insert into "${controlSchema}".projection_dead_letters (name, version, build, position, event_id, event_type, error) values (?, ?, ?, ?, ?, ?, ?)
     on conflict (name, version, build, position) do update set error = excluded.error, resolved = false`,
    [tableSet.name, tableSet.version, tableSet.build, event.globalPosition.toString(), event.eventId, event.type, text],
  );
}

export async function listDeadLetters(db: Knex, controlSchema: string, filter: { name?: string; includeResolved?: boolean; limit: number }): Promise<DeadLetter[]> {
  const conditions: string[] = [];
  const bindings: (string | number)[] = [];
  if (filter.name !== undefined) {
    conditions.push('name = ?');
    bindings.push(filter.name);
  }
  if (filter.includeResolved !== true) conditions.push('not resolved');
  const where = conditions.length === 0 ? '' : `where ${conditions.join(' and ')}`;
  const result = await db.raw(`select * from "${controlSchema}".projection_dead_letters ${where} order by id limit ?`, [...bindings, filter.limit]);
  return (
    result.rows as {
      id: string;
      name: string;
      version: number;
      build: number;
      position: string;
      event_id: string;
      event_type: string;
      error: string;
      created_at: Date;
      retried_at: Date | null;
      resolved: boolean;
    }[]
  ).map((row) => ({
    id: String(row.id),
    name: row.name,
    version: row.version,
    build: row.build,
    position: BigInt(row.position),
    eventId: row.event_id,
    eventType: row.event_type,
    error: row.error,
    createdAt: row.created_at,
    retriedAt: row.retried_at,
    resolved: row.resolved,
  }));
}

export async function countUnresolvedDeadLetters(db: Knex, controlSchema: string): Promise<Map<string, number>> {
  const result = await db.raw(`select name, count(*)::int as n from "${controlSchema}".projection_dead_letters where not resolved group by name`);
  return new Map((result.rows as { name: string; n: number }[]).map((row) => [row.name, row.n]));
}

/** A knex pool on the read-model database (scripts compose with it without depending on knex themselves). */
export function openReadModelDatabase(connectionString: string, poolSizeMax: number): Knex {
  return knex({ client: 'pg', connection: connectionString, pool: { min: 0, max: poolSizeMax } });
}
