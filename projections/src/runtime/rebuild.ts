import type { Knex } from 'knex';
import type { EventStore } from '@neuroerp/infra';
import { createTableSet, readActiveTableSet, readCheckpoint, setActive, type TableSet } from './control';
import type { ProjectionLogger } from './logger';
import type { Projection } from './projection';
import { PROJECTION_BATCH_SIZE_MAX, ProjectionRunner, type ApplyMode } from './runner';

/** Differing rows listed per table when a verification fails. */
export const VERIFY_DIFFERENCES_LISTED_MAX = 10;
/** Catch-up rounds before the switch; each round shortens the distance the switch transaction has to apply under lock. */
const CATCH_UP_ROUNDS_MAX = 3;

export interface TableComparison {
  table: string;
  liveRows: number;
  rebuiltRows: number;
  liveChecksum: string;
  rebuiltChecksum: string;
  /** Rows (as PostgreSQL row text) only in one of the two, at most VERIFY_DIFFERENCES_LISTED_MAX each. */
  onlyLive: string[];
  onlyRebuilt: string[];
}

export interface Verification {
  /** 'skipped' with --skip-verify, on a first build, or when the versions differ (their tables are not comparable). */
  outcome: 'equal' | 'different' | 'skipped';
  reason?: string;
  position: bigint | null;
  tables: TableComparison[];
}

export interface RebuildResult {
  rebuilt: TableSet;
  previous: TableSet | null;
  position: bigint;
  events: bigint;
  seconds: number;
  verification: Verification;
  switched: boolean;
}

export interface RebuildOptions {
  db: Knex;
  controlSchema: string;
  store: EventStore;
  projection: Projection;
  headPosition: () => Promise<bigint>;
  skipVerify?: boolean;
  /** Switch even when the verification found differences. */
  force?: boolean;
  batchSizeMax?: number;
  logger?: ProjectionLogger;
  onProgress?: (position: bigint, head: bigint) => void;
  /** Aborted: the build stops between batches, its tables are dropped, and the active table set stays. */
  signal?: AbortSignal;
}

/**
 * Builds a new table set of `projection` from position 0 while the active one keeps serving
 * (rebuild mode: the first failing event stops it, and the new tables are dropped), verifies it
 * against the active one at the same position, and switches `projection_active_versions` to
 * it in the transaction that verified it. Nothing but the new tables is written while
 * building: the runtime has no side effects to suppress.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, controlSchema, projection } = options;
  const runner = new ProjectionRunner({ db, controlSchema, store: options.store, projection, batchSizeMax: options.batchSizeMax, logger: options.logger });
  const previous = await readActiveTableSet(db, controlSchema, projection.name);
  const rebuilt = await createTableSet(db, controlSchema, projection, false);
  const startedAt = performance.now();
  try {
    const head = await options.headPosition();
    const { signal } = options;
    await runner.catchUp(rebuilt, { mode: 'rebuild', untilPosition: head, onProgress: (position) => options.onProgress?.(position, head), signal });
    // Each round aims at the head as it was when the round began, so that it ends even under a steady stream of appends.
    for (let round = 0; round < CATCH_UP_ROUNDS_MAX; round += 1) {
      const target = await options.headPosition();
      await runner.catchUp(rebuilt, { mode: 'rebuild', untilPosition: target, signal });
      // The live table set is caught up too (a server may not be running); its own runner would do the same.
      if (previous !== null && previous.version === projection.version) await runner.catchUp(previous, { mode: 'continuous', untilPosition: target, signal });
    }
    signal?.throwIfAborted();
  } catch (error) {
    await dropTableSet(db, controlSchema, rebuilt);
    throw error;
  }
  const seconds = (performance.now() - startedAt) / 1000;

  const result = await db.transaction(async (tx): Promise<RebuildResult> => {
    // Locks the active row first, in the same order as every continuous batch: live runners wait here until the switch commits.
    const active = await readActiveTableSet(tx, controlSchema, projection.name, 'update');
    // A fixed target: chasing the head while holding the lock would never end under steady appends.
    let position = await alignWithin(tx, controlSchema, runner, options.store, rebuilt, 'rebuild', await options.headPosition());
    let verification: Verification;
    if (active === null) {
      verification = { outcome: 'skipped', reason: 'no active table set to compare with', position, tables: [] };
    } else if (options.skipVerify === true) {
      verification = { outcome: 'skipped', reason: '--skip-verify', position, tables: [] };
    } else if (active.version !== projection.version) {
      verification = { outcome: 'skipped', reason: `the active table set has version ${active.version}, the rebuilt one ${projection.version}`, position, tables: [] };
    } else {
      const livePosition = (await readCheckpoint(tx, controlSchema, active, true)).position;
      // Bring both to the same position inside this transaction, whichever is behind.
      if (livePosition > position) position = await alignWithin(tx, controlSchema, runner, options.store, rebuilt, 'rebuild', livePosition);
      else if (livePosition < position) await alignWithin(tx, controlSchema, runner, options.store, active, 'continuous', position);
      verification = await compareTableSets(tx, projection, active, rebuilt, position);
    }
    const switched = verification.outcome !== 'different' || options.force === true;
    if (switched) await setActive(tx, controlSchema, rebuilt);
    const events = (await readCheckpoint(tx, controlSchema, rebuilt)).position;
    return { rebuilt, previous, position, events, seconds, verification, switched };
  });
  // A refused table set is not kept: its differences are in the result, and a new rebuild starts from 0 anyway.
  if (!result.switched) await dropTableSet(db, controlSchema, rebuilt);
  return result;
}

/** Applies the events after the table set's checkpoint up to `until` inside `tx`. */
async function alignWithin(
  tx: Knex.Transaction,
  controlSchema: string,
  runner: ProjectionRunner,
  store: EventStore,
  tableSet: TableSet,
  mode: ApplyMode,
  until: bigint,
): Promise<bigint> {
  let position = (await readCheckpoint(tx, controlSchema, tableSet, true)).position;
  for (;;) {
    if (position >= until) return position;
    const read = await store.readAll({ fromPosition: position === 0n ? 'start' : position, maxCount: PROJECTION_BATCH_SIZE_MAX });
    const events = read.filter((event) => event.globalPosition <= until);
    if (events.length === 0) return position;
    position = await runner.applyWithin(tx, tableSet, events, mode);
  }
}

/** Row counts and order-independent checksums of every table of both table sets, plus up to N differing rows. */
export async function compareTableSets(db: Knex, projection: Projection, live: TableSet, rebuilt: TableSet, position: bigint): Promise<Verification> {
  const tables: TableComparison[] = [];
  for (const table of projection.tables) {
    const [liveSum, rebuiltSum] = [await tableChecksum(db, live.schema, table.name), await tableChecksum(db, rebuilt.schema, table.name)];
    const comparison: TableComparison = {
      table: table.name,
      liveRows: liveSum.rows,
      rebuiltRows: rebuiltSum.rows,
      liveChecksum: liveSum.checksum,
      rebuiltChecksum: rebuiltSum.checksum,
      onlyLive: [],
      onlyRebuilt: [],
    };
    if (liveSum.rows !== rebuiltSum.rows || liveSum.checksum !== rebuiltSum.checksum) {
      comparison.onlyLive = await rowsOnlyIn(db, live.schema, rebuilt.schema, table.name);
      comparison.onlyRebuilt = await rowsOnlyIn(db, rebuilt.schema, live.schema, table.name);
    }
    tables.push(comparison);
  }
  const equal = tables.every((table) => table.liveRows === table.rebuiltRows && table.liveChecksum === table.rebuiltChecksum);
  return { outcome: equal ? 'equal' : 'different', position, tables };
}

/** Count and the sum of 60-bit prefixes of each row's md5: independent of row order and of physical layout. */
export async function tableChecksum(db: Knex, schema: string, table: string): Promise<{ rows: number; checksum: string }> {
  const result = await db.raw(
    `select count(*)::int as rows, coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0)::text as checksum from "${schema}"."${table}" t`,
  );
  const row = (result.rows as { rows: number; checksum: string }[])[0];
  if (row === undefined) throw new Error('checksum query returned no row');
  return row;
}

async function rowsOnlyIn(db: Knex, schema: string, otherSchema: string, table: string): Promise<string[]> {
  const result = await db.raw(
    `select t::text as row from (select * from "${schema}"."${table}" except select * from "${otherSchema}"."${table}") t limit ${VERIFY_DIFFERENCES_LISTED_MAX}`,
  );
  return (result.rows as { row: string }[]).map((row) => row.row);
}

/** Drops a table set that never became active (a failed rebuild). */
async function dropTableSet(db: Knex, controlSchema: string, tableSet: TableSet): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.raw(`drop schema if exists "${tableSet.schema}" cascade`);
    await tx.raw(`delete from "${controlSchema}".projection_checkpoints where name = ? and version = ? and build = ?`, [tableSet.name, tableSet.version, tableSet.build]);
  });
}

/**
 * Drops a table set that is no longer active, such as the one a rebuild replaced (after
 * `gdpr forget` it still holds the forgotten plaintext). Refuses the active table set.
 */
export async function dropInactiveTableSet(db: Knex, controlSchema: string, tableSet: TableSet): Promise<void> {
  const active = await readActiveTableSet(db, controlSchema, tableSet.name);
  if (active !== null && active.version === tableSet.version && active.build === tableSet.build) {
    throw new Error(`${tableSet.schema} is the active table set of ${tableSet.name}; only replaced ones can be dropped`);
  }
  await dropTableSet(db, controlSchema, tableSet);
}
