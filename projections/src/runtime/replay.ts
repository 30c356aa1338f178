import type { Knex } from 'knex';
import { assertSchemaName, type EventStore } from '@neuroerp/infra';
import type { RecordedEvent } from '@neuroerp/schemas';
import { handlesEvent, type Projection } from './projection';
import { PROJECTION_BATCH_SIZE_MAX } from './runner';

export interface ReplayOptions {
  db: Knex;
  controlSchema: string;
  store: EventStore;
  projection: Projection;
  /** The new schema the copy is built in; it must not exist yet. */
  into: string;
  /** Events up to and including this position … */
  untilPosition?: bigint;
  /** … or every event recorded at or before this instant (ISO timestamp). Exactly one of the two. */
  untilRecordedAt?: string;
  onProgress?: (position: bigint) => void;
}

export interface ReplayInfo {
  schema: string;
  name: string;
  version: number;
  untilPosition: bigint | null;
  untilRecordedAt: string | null;
  /** The last position read. */
  position: bigint;
  /** Events applied. */
  events: bigint;
  createdAt: Date;
}

/**
 * Builds a copy of `projection` as of a position or a recorded time into its own schema, for
 * analysts: no checkpoint, no runner follows it, nothing else reads it. Like a rebuild it
 * stops (and drops the schema) at the first failing event. `--until <time>` scans the whole
 * log, because `recordedAt` follows commit order only approximately.
 */
export async function replayProjection(options: ReplayOptions): Promise<ReplayInfo> {
  const { db, controlSchema, store, projection, into } = options;
  if ((options.untilPosition === undefined) === (options.untilRecordedAt === undefined)) throw new Error('replay needs exactly one of untilPosition and untilRecordedAt');
  assertSchemaName(into);
  const untilTime = options.untilRecordedAt === undefined ? null : Date.parse(options.untilRecordedAt);
  if (untilTime !== null && Number.isNaN(untilTime)) throw new Error(`not an ISO timestamp: ${options.untilRecordedAt}`);
  await db.transaction(async (tx) => {
    await tx.raw(`create schema "${into}"`);
    await projection.createTables(tx, into);
  });
  let position = 0n;
  let events = 0n;
  try {
    for (;;) {
      if (options.untilPosition !== undefined && position >= options.untilPosition) break;
      const read = await store.readAll({ fromPosition: position === 0n ? 'start' : position, maxCount: PROJECTION_BATCH_SIZE_MAX });
      const last = read[read.length - 1];
      if (last === undefined) break;
      const inRange = (event: RecordedEvent) =>
        options.untilPosition !== undefined ? event.globalPosition <= options.untilPosition : Date.parse(event.metadata.recordedAt) <= (untilTime ?? 0);
      const batch = read.filter((event) => inRange(event) && handlesEvent(projection, event.type));
      if (batch.length > 0) await db.transaction((tx) => projection.apply(batch, { tx, schema: into }));
      events += BigInt(batch.length);
      position = options.untilPosition !== undefined && last.globalPosition > options.untilPosition ? options.untilPosition : last.globalPosition;
      options.onProgress?.(position);
    }
    await db.raw(
      `insert into "${controlSchema}".projection_replays (schema_name, name, version, until_position, until_recorded_at, position, events) values (?, ?, ?, ?, ?, ?, ?)`,
      [into, projection.name, projection.version, options.untilPosition?.toString() ?? null, options.untilRecordedAt ?? null, position.toString(), events.toString()],
    );
  } catch (error) {
    await db.raw(`drop schema if exists "${into}" cascade`);
    throw error;
  }
  const [info] = (await listReplays(db, controlSchema)).filter((replay) => replay.schema === into);
  if (info === undefined) throw new Error(`replay ${into} was not recorded`);
  return info;
}

export async function listReplays(db: Knex, controlSchema: string): Promise<ReplayInfo[]> {
  const result = await db.raw(`select * from "${controlSchema}".projection_replays order by created_at, schema_name`);
  return (
    result.rows as { schema_name: string; name: string; version: number; until_position: string | null; until_recorded_at: Date | null; position: string; events: string; created_at: Date }[]
  ).map((row) => ({
    schema: row.schema_name,
    name: row.name,
    version: row.version,
    untilPosition: row.until_position === null ? null : BigInt(row.until_position),
    untilRecordedAt: row.until_recorded_at?.toISOString() ?? null,
    position: BigInt(row.position),
    events: BigInt(row.events),
    createdAt: row.created_at,
  }));
}

/** Drops a replay's schema; only schemas recorded as replays can be dropped this way. Returns false when there is no such replay. */
export async function dropReplay(db: Knex, controlSchema: string, schema: string): Promise<boolean> {
  assertSchemaName(schema);
  return db.transaction(async (tx) => {
    const deleted = await tx.raw(`delete from "${controlSchema}".projection_replays where schema_name = ? returning schema_name`, [schema]);
    if ((deleted.rows as unknown[]).length === 0) return false;
    await tx.raw(`drop schema if exists "${schema}" cascade`);
    return true;
  });
}
