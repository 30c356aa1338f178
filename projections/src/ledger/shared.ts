import type { Knex } from 'knex';
import { ledger, type RecordedEvent } from '@neuroerp/schemas';

/** Rows per multi-row INSERT, well below PostgreSQL's 65,535 bind parameters for our widest table. */
export const INSERT_ROWS_MAX = 1_000;
/** Largest page a read-model query returns. */
export const QUERY_PAGE_SIZE_MAX = 1_000;

export const TRANSACTION_POSTED = 'ledger.transaction_posted';

/** Parses the data of a `ledger.transaction_posted` event; a malformed one throws (and is dead-lettered in continuous mode). */
export function parsePosted(event: RecordedEvent): ledger.TransactionPosted {
  if (event.schemaVersion !== 1) throw new Error(`${event.type}: unsupported schemaVersion ${event.schemaVersion}`);
  return ledger.transactionPostedSchema.parse(event.data);
}

/** Splits rows into multi-row INSERT sized chunks. */
export function* chunks<Row>(rows: readonly Row[]): Generator<Row[]> {
  for (let start = 0; start < rows.length; start += INSERT_ROWS_MAX) yield rows.slice(start, start + INSERT_ROWS_MAX);
}

export function assertPageSize(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > QUERY_PAGE_SIZE_MAX) throw new Error(`page size must be 1..${QUERY_PAGE_SIZE_MAX}, got ${limit}`);
}

/** A trial-balance row in company currency: sums of debits and credits and debit minus credit, all minor units. */
export interface TrialBalanceRow {
  accountNumber: string;
  debitMinor: bigint;
  creditMinor: bigint;
  balanceMinor: bigint;
}

export interface TrialBalance {
  companyId: string;
  postingDate: string;
  /** Null: as known now (everything recorded). */
  knownAt: string | null;
  rows: TrialBalanceRow[];
  debitTotalMinor: bigint;
  creditTotalMinor: bigint;
}

export function toTrialBalance(
  companyId: string,
  postingDate: string,
  knownAt: string | null,
  raw: readonly { account_number: string; debit_minor: string; credit_minor: string }[],
): TrialBalance {
  const rows = raw.map((row) => {
    const debitMinor = BigInt(row.debit_minor);
    const creditMinor = BigInt(row.credit_minor);
    return { accountNumber: row.account_number, debitMinor, creditMinor, balanceMinor: debitMinor - creditMinor };
  });
  return {
    companyId,
    postingDate,
    knownAt,
    rows,
    debitTotalMinor: rows.reduce((sum, row) => sum + row.debitMinor, 0n),
    creditTotalMinor: rows.reduce((sum, row) => sum + row.creditMinor, 0n),
  };
}

/**
 * Inserts rows (objects keyed by column name) with one bind parameter: the rows as JSON, expanded
 * by `jsonb_populate_recordset` into the table's row type. Far faster than a parameter per value.
 * `conflict` is the statement's ON CONFLICT clause.
 */
export async function insertRows(tx: Knex.Transaction, schema: string, table: string, rows: readonly object[], conflict: string): Promise<void> {
  for (const chunk of chunks(rows)) {
    await tx.raw(`insert into "${schema}"."${table}" select * from jsonb_populate_recordset(null::"${schema}"."${table}", ?::jsonb) ${conflict}`, [JSON.stringify(chunk)]);
  }
}
