export type AccountType = 'asset' | 'liability' | 'equity' | 'revenue' | 'expense';

/** What the query API knows of an account. */
export interface AccountInfo {
  accountNumber: string;
  /** Null when no chart-of-accounts read model exists (see `docs/query-api.md`). */
  name: string | null;
  type: AccountType;
  normalBalance: 'debit' | 'credit';
  /** `open`, `blocked`, `archived`; `unknown` without a chart read model. */
  status: string;
}

/**
 * The account type an SKR03 account number implies (DATEV's classes), used while no
 * chart-of-accounts read model exists. The ranges are the SKR03 account classes: 0 fixed
 * assets, long-term liabilities (06–07), capital (08), provisions (09); 1 cash, bank and
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

/**
 * The accounts among `accountNumbers`, classified by SKR03 number ranges: no projection
 * builds a chart-of-accounts read model yet, so names are null and status `unknown`.
 */
export function accountCatalogue(accountNumbers: readonly string[]): Map<string, AccountInfo> {
  const catalogue = new Map<string, AccountInfo>();
  for (const accountNumber of accountNumbers) {
    const type = skr03AccountType(accountNumber);
    catalogue.set(accountNumber, { accountNumber, name: null, type, normalBalance: normalBalanceOf(type), status: 'unknown' });
  }
  return catalogue;
}
