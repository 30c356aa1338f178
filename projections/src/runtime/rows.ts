import type { Knex } from 'knex';
import { chunks } from '../ledger/shared';

/**
 * Writes rows (objects keyed by column name) with one bind parameter per chunk: the rows as
 * JSON, expanded by `jsonb_populate_recordset` into the table's row type. Unlike the ledger's
 * `insertRows` it names the columns, so tables may have generated columns (search vectors).
 * `conflict` is the statement's ON CONFLICT clause.
 */
export async function writeRows(tx: Knex.Transaction, schema: string, table: string, columns: readonly string[], rows: readonly object[], conflict: string): Promise<void> {
  const list = columns.map((column) => `"${column}"`).join(', ');
  for (const chunk of chunks(rows)) {
    await tx.raw(`insert into "${schema}"."${table}" (${list}) select ${list} from jsonb_populate_recordset(null::"${schema}"."${table}", ?::jsonb) ${conflict}`, [
      JSON.stringify(chunk),
    ]);
  }
}

/** `on conflict (<key>) do update set` every column but the key: for rows folded in memory from their current state. */
export function replaceOnConflict(key: readonly string[], columns: readonly string[]): string {
  const sets = columns.filter((column) => !key.includes(column)).map((column) => `"${column}" = excluded."${column}"`);
  return `on conflict (${key.map((column) => `"${column}"`).join(', ')}) do update set ${sets.join(', ')}`;
}

/** A keyset page: the items and the key of the last one when more may follow. */
export interface Page<Item, Cursor> {
  items: Item[];
  /** Pass as `after` to get the next page; null on the last page. */
  next: Cursor | null;
}

/** A select-list item reading a timestamptz column back as the ISO instant events carry (UTC, milliseconds). */
export function isoInstant(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`;
}
