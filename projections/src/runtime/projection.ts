import type { Knex } from 'knex';
import type { RecordedEvent } from '@neuroerp/schemas';

/** What `apply` gets besides the events: the open transaction and the schema of the table set it writes. */
export interface ApplyContext {
  /** The transaction that also writes the checkpoint; every write of `apply` goes through it. */
  tx: Knex.Transaction;
  /** The PostgreSQL schema holding this build of the projection's tables (e.g. `projections_general_ledger_v1_b2`). */
  schema: string;
}

/** A table of a read model, as the rebuild verification compares it. */
export interface ReadModelTable {
  name: string;
  /** A unique ordering (the primary key columns), so that the checksum is deterministic. */
  orderBy: readonly string[];
}

/**
 * A projection (STYLE.md, Marten): turns recorded events into read-model rows. Its writes and
 * its checkpoint commit in one PostgreSQL transaction, so re-delivery is harmless. A changed
 * projection bumps `version`: its tables are rebuilt from position 0 into a new table set and
 * switched atomically. Every column must be a function of the events (no `now()`), so that a
 * rebuild can be verified row by row against the live tables.
 */
export interface Projection {
  /** Lower-case identifier, part of schema names: /^[a-z][a-z0-9_]{0,30}$/. */
  name: string;
  version: number;
  /** Event types this projection reads; `'*'` means every event. Other events only move the checkpoint. */
  handles: readonly string[];
  /** The tables of one table set, for verification and status. */
  tables: readonly ReadModelTable[];
  /** Creates the tables of one table set in `schema` (which exists and is empty). */
  createTables(tx: Knex.Transaction, schema: string): Promise<void>;
  /** Applies events (in position order, all handled, all after the checkpoint). Throws on a bad event. */
  apply(events: readonly RecordedEvent[], context: ApplyContext): Promise<void>;
}

export const PROJECTION_NAME = /^[a-z][a-z0-9_]{0,30}$/;

export function handlesEvent(projection: Projection, type: string): boolean {
  return projection.handles.includes('*') || projection.handles.includes(type);
}

/** Checks a projection's static shape once, at registration. */
export function assertProjection(projection: Projection): void {
  if (!PROJECTION_NAME.test(projection.name)) throw new Error(`invalid projection name: ${projection.name}`);
  if (!Number.isInteger(projection.version) || projection.version < 1) throw new Error(`${projection.name}: version must be a positive integer`);
  if (projection.handles.length === 0) throw new Error(`${projection.name}: handles no event type`);
  for (const table of projection.tables) {
    if (table.orderBy.length === 0) throw new Error(`${projection.name}.${table.name}: orderBy is empty`);
  }
}
