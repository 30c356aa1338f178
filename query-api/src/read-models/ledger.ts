import type { Knex } from '@neuroerp/projections';
import { accountBalancesProjection, generalLedgerProjection, auditLogProjection } from '@neuroerp/projections';

/** Names of the ledger read models the routes read (resolved through the control table). */
export const ACCOUNT_BALANCES = accountBalancesProjection.name;
export const GENERAL_LEDGER = generalLedgerProjection.name;
export const AUDIT_LOG = auditLogProjection.name;

/** Currency used to format amounts of a company that has posted nothing yet. */
export const CURRENCY_FALLBACK = 'EUR';

/** Most rows a CSV export or an in-memory report reads; a larger one is 400 EXPORT_TOO_LARGE (narrow the filters). */
export const EXPORT_ROWS_MAX = 100_000;

/** The company currency of `companyId` as recorded on its daily balances. */
export async function companyCurrency(db: Knex, balancesSchema: string, companyId: string): Promise<string> {
  const result = await db.raw(`select company_currency from "${balancesSchema}".account_balances_daily where company_id = ? limit 1`, [companyId]);
  return (result.rows as { company_currency: string }[])[0]?.company_currency ?? CURRENCY_FALLBACK;
}

/** Debit and credit sums (company currency, minor units) per account. */
export interface AccountSums {
  accountNumber: string;
  debitMinor: bigint;
  creditMinor: bigint;
}

/** Sums per account of the daily balances with `from <= posting_date <= to` (either bound optional). */
export async function accountSums(db: Knex, balancesSchema: string, query: { companyId: string; from?: string; to?: string }): Promise<AccountSums[]> {
  const result = await db.raw(
    `select account_number, sum(company_debit_minor)::text as d, sum(company_credit_minor)::text as c
       from "${balancesSchema}".account_balances_daily
      where company_id = ? and (?::date is null or posting_date >= ?::date) and (?::date is null or posting_date <= ?::date)
      group by account_number order by account_number`,
    [query.companyId, query.from ?? null, query.from ?? null, query.to ?? null, query.to ?? null],
  );
  return (result.rows as { account_number: string; d: string; c: string }[]).map((row) => ({ accountNumber: row.account_number, debitMinor: BigInt(row.d), creditMinor: BigInt(row.c) }));
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
