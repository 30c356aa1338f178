import { chartAccounts, chartOfAccountsProjection } from '@neuroerp/projections';
import type { RouteContext } from '../route';

/** The chart-of-accounts read model (projections `chartOfAccountsProjection`): account names, types and status. */
export const CHART_OF_ACCOUNTS = chartOfAccountsProjection.name;

export type AccountType = 'asset' | 'liability' | 'equity' | 'revenue' | 'expense';
export const ACCOUNT_STATUSES = ['open', 'blocked', 'archived', 'unknown'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** What the query API knows of an account. */
export interface AccountInfo {
  accountNumber: string;
  /** Null for a number missing from the chart (or while the chart read model is not built). */
  name: string | null;
  type: AccountType;
  normalBalance: 'debit' | 'credit';
  /** From the chart; `unknown` for a number missing from it. */
  status: AccountStatus;
}

/**
 * The account type an SKR03 account number implies (DATEV's classes): the fallback for an
 * account number the chart of accounts does not hold (or while its read model is not built).
 * The ranges are the SKR03 account classes: 0 fixed assets, long-term liabilities (06–07), capital (08), provisions (09); 1 cash, bank and
 * receivables up to input VAT (10–15), payables and other liabilities incl. output VAT
 * (16–177x), VAT prepayments (178x–179x), private accounts (18–19); 2 non-operating expenses
 * (20–24) and income (25–29); 3–6 purchases and operating expenses; 7 inventories; 8 revenue;
 * 9 carried-forward balances.
 */
export function skr03AccountType(accountNumber: string): AccountType {
  const head = Number(accountNumber.padEnd(4, '0').slice(0, 4));
  if (head < 600) return 'asset';
  if (head < 800) return 'liability';
  if (head < 900) return 'equity';
  if (head < 1000) return 'liability';
  if (head < 1600) return 'asset';
  if (head < 1780) return 'liability';
  if (head < 1800) return 'asset';
  if (head < 2000) return 'equity';
  if (head < 2500) return 'expense';
  if (head < 3000) return 'revenue';
  if (head < 7000) return 'expense';
  if (head < 8000) return 'asset';
  if (head < 9000) return 'revenue';
  return 'equity';
}

export function normalBalanceOf(type: AccountType): 'debit' | 'credit' {
  return type === 'asset' || type === 'expense' ? 'debit' : 'credit';
}

/** A number the chart does not hold: the type guessed from the SKR03 classes, no name, status `unknown`. */
export function guessedAccount(accountNumber: string): AccountInfo {
  const type = skr03AccountType(accountNumber);
  return { accountNumber, name: null, type, normalBalance: normalBalanceOf(type), status: 'unknown' };
}

/**
 * The accounts of the request's company, keyed by account number, in one query: from the
 * chart of accounts (name, type, normal balance, status) when its read model is built, else
 * (and for numbers missing from the chart) {@link guessedAccount}. `accountNumbers`: those
 * accounts (every one is in the answer); `all`: every account of the chart, in number order.
 * Routes that use it list `CHART_OF_ACCOUNTS` in their `optionalReads`.
 */
export async function accountCatalogue(
  context: Pick<RouteContext<unknown, unknown>, 'db' | 'controlSchema' | 'companyId' | 'readModels'>,
  accountNumbers: readonly string[] | 'all',
): Promise<Map<string, AccountInfo>> {
  const wanted = accountNumbers === 'all' ? undefined : [...new Set(accountNumbers)];
  const chart = context.readModels.has(CHART_OF_ACCOUNTS) && wanted?.length !== 0 ? await chartAccounts(context.db, context.controlSchema, context.companyId, wanted) : [];
  const catalogue = new Map<string, AccountInfo>(
    chart.map((account) => [account.accountNumber, { accountNumber: account.accountNumber, name: account.name, type: account.type, normalBalance: account.normalBalance, status: account.status }]),
  );
  for (const accountNumber of wanted ?? []) if (!catalogue.has(accountNumber)) catalogue.set(accountNumber, guessedAccount(accountNumber));
  return catalogue;
}

/** The catalogue entry of an account number (the guess when the catalogue lacks it). */
export function accountOf(catalogue: ReadonlyMap<string, AccountInfo>, accountNumber: string): AccountInfo {
  return catalogue.get(accountNumber) ?? guessedAccount(accountNumber);
}
