import { createHash } from 'node:crypto';
import { formatMinor } from '@neuroerp/domains';
import { ledger as wire } from '@neuroerp/schemas';
import type { SaftAccount, SaftFile, SaftParty, SaftTransaction } from './model';

/**
 * Turns a parsed SAF-T file into the ledger's commands (pure: no I/O). Every id derives from
 * the file's ids, so importing the same file again yields the same commands, and the ledger's
 * idempotent creates make them change nothing. Nothing is ever "fixed": an unbalanced
 * transaction or an unknown account rejects the import; a stated closing balance that differs
 * from opening balance + movements is listed with both figures.
 */

/** The accounts the ledger needs besides the file's: where opening balances, year-end results and rounding go. */
export interface SaftSystemAccounts {
  openingBalanceAccountNumber: string;
  retainedEarningsAccountNumber: string;
  roundingAccountNumber: string;
}

/** Defaults outside the Norwegian standard chart's classes 1–8, so they never collide with a file's accounts. */
export const SAFT_DEFAULT_SYSTEM_ACCOUNTS: SaftSystemAccounts = Object.freeze({
  openingBalanceAccountNumber: '9990',
  retainedEarningsAccountNumber: '9991',
  roundingAccountNumber: '9992',
});

export type SaftRejectionCode =
  | 'UNBALANCED_TRANSACTION'
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_NUMBER_UNSUPPORTED'
  | 'AMOUNT_INVALID'
  | 'TOO_FEW_LINES'
  | 'DATE_INVALID'
  | 'DUPLICATE_TRANSACTION';

export interface SaftRejection {
  code: SaftRejectionCode;
  /** `account <id>` or `transaction <journal>/<id>`. */
  subject: string;
  detail: string;
}

/** An account whose stated closing balance is not its opening balance plus the file's movements. Balances are debit minus credit. */
export interface SaftClosingBalanceMismatch {
  accountId: string;
  openingBalance: string;
  movements: string;
  /** Opening balance + movements, as computed from the file. */
  computedClosingBalance: string;
  /** The closing balance the file states. */
  statedClosingBalance: string;
}

export interface SaftImportReport {
  companyId: string;
  file: { companyName: string; registrationNumber: string; softwareId: string; currency: string; selection: { from: string; to: string } };
  /** True when nothing was rejected: the import is (or, for a dry plan, would be) applied. */
  accepted: boolean;
  counts: { accounts: number; customers: number; suppliers: number; journals: number; transactions: number; lines: number };
  /** Sums over every transaction line of the file, in the file's currency. */
  totals: { debit: string; credit: string };
  rejections: SaftRejection[];
  closingBalanceMismatches: SaftClosingBalanceMismatch[];
  /** The opening-balance transaction; `balancingAmount` is what the opening-balance account took because the stated opening balances did not sum to zero. */
  openingBalance: { transactionId: string; postingDate: string; lines: number; balancingAmount: string } | null;
  /** Customers and suppliers as the file lists them. The ledger has no party concept: they are reported, not stored. */
  parties: { persisted: false; customers: SaftParty[]; suppliers: SaftParty[] };
  /** What the import did to the ledger; null when it was rejected. */
  applied: {
    accountsOpened: number;
    fiscalYearsOpened: number[];
    transactionsPosted: number;
    transactionsAlreadyPosted: number;
    /** Above the fiscal year's approval threshold: drafted and submitted, waiting for a second person's approval. */
    awaitingApproval: string[];
    eventsAppended: number;
  } | null;
}

export interface SaftImportPlan {
  report: SaftImportReport;
  /** Accounts to open (those not in the chart yet), including missing system accounts. */
  accountsToOpen: wire.AccountDefinition[];
  /** Every posting date the plan uses: the fiscal years they fall in must be open. */
  postingDates: string[];
  openingBalance: wire.DraftTransactionBody | null;
  transactions: wire.DraftTransactionBody[];
}

const ACCOUNT_NUMBER = /^[0-9]{3,10}$/;
const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const ID = /^[A-Za-z0-9_-]+$/;
const COMPANY_ID_IN_IDS_MAX = 40;

function validDate(date: string): boolean {
  const match = ISO_DATE.exec(date);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
}

/** The ledger id of a file's transaction: readable when the file's ids are id-safe, a hash of them otherwise. Never random. */
export function saftTransactionId(companyId: string, journalId: string, transactionId: string): string {
  const company = companyId.slice(0, COMPANY_ID_IN_IDS_MAX);
  const readable = `saft-${company}-${journalId}-${transactionId}`;
  if (ID.test(journalId) && ID.test(transactionId) && readable.length <= wire.ID_LENGTH_MAX) return readable;
  return `saft-${company}-h${shortHash(journalId, transactionId)}`;
}

export function saftOpeningBalanceTransactionId(companyId: string, postingDate: string): string {
  return `saft-${companyId.slice(0, COMPANY_ID_IN_IDS_MAX)}-opening-${postingDate}`;
}

/**
 * The account type from the Norwegian standard chart (NS 4102) class of the standard account
 * (or of the account number): 1 assets, 20 equity, 2 liabilities, 3 revenue, 4–7 expenses,
 * 80 financial income, 8 otherwise financial expenses and taxes, 9 NeuroERP's system accounts
 * (equity). SAF-T states no type; the trial balance does not depend on it.
 */
export function saftAccountType(account: Pick<SaftAccount, 'accountId' | 'standardAccountId'>): wire.AccountType {
  const code = account.standardAccountId !== null && /^[0-9]+$/.test(account.standardAccountId) ? account.standardAccountId : account.accountId;
  if (code.startsWith('20')) return 'equity';
  if (code.startsWith('80')) return 'revenue';
  switch (code[0]) {
    case '1':
      return 'asset';
    case '2':
      return 'liability';
    case '3':
      return 'revenue';
    case '9':
      return 'equity';
    default:
      return 'expense';
  }
}

const SYSTEM_ACCOUNT_NAMES: Record<keyof SaftSystemAccounts, string> = {
  openingBalanceAccountNumber: 'Opening balances (SAF-T import)',
  retainedEarningsAccountNumber: 'Retained earnings (SAF-T import)',
  roundingAccountNumber: 'Rounding differences (SAF-T import)',
};

function truncate(value: string, length: number): string {
  return value.length <= length ? value : value.slice(0, length);
}

export interface SaftPlanInput {
  file: SaftFile;
  companyId: string;
  /** Account numbers already in the company's chart. */
  existingAccountNumbers: ReadonlySet<string>;
  /** The system accounts of the fiscal year(s) (the existing year's settings, or those the import will open it with). */
  systemAccounts: SaftSystemAccounts;
}

export function planSaftImport(input: SaftPlanInput): SaftImportPlan {
  const { file, companyId, existingAccountNumbers, systemAccounts } = input;
  const currency = file.header.currency;
  const rejections: SaftRejection[] = [];
  const fileAccountIds = new Set<string>();
  for (const account of file.accounts) {
    fileAccountIds.add(account.accountId);
    if (!ACCOUNT_NUMBER.test(account.accountId)) {
      rejections.push({ code: 'ACCOUNT_NUMBER_UNSUPPORTED', subject: `account ${account.accountId}`, detail: 'NeuroERP account numbers are 3 to 10 digits.' });
    }
  }
  const known = (accountId: string) => ACCOUNT_NUMBER.test(accountId) && (fileAccountIds.has(accountId) || existingAccountNumbers.has(accountId));

  // ---- totals, movements and per-transaction checks ------------------------------------
  let debitMinor = 0n;
  let creditMinor = 0n;
  let lineCount = 0;
  const movementsMinor = new Map<string, bigint>();
  const transactions: wire.DraftTransactionBody[] = [];
  const seenIds = new Set<string>();
  for (const transaction of file.transactions) {
    const subject = `transaction ${transaction.journalId}/${transaction.transactionId}`;
    const before = rejections.length;
    let debit = 0n;
    let credit = 0n;
    for (const line of transaction.lines) {
      lineCount += 1;
      if (line.amountMinor === null) {
        rejections.push({ code: 'AMOUNT_INVALID', subject, detail: `Line ${line.recordId}: "${line.amountText}" is not a positive ${currency} amount.` });
        continue;
      }
      if (line.side === 'debit') debit += line.amountMinor;
      else credit += line.amountMinor;
      const signed = line.side === 'debit' ? line.amountMinor : -line.amountMinor;
      movementsMinor.set(line.accountId, (movementsMinor.get(line.accountId) ?? 0n) + signed);
      if (!known(line.accountId)) {
        rejections.push({ code: 'ACCOUNT_NOT_FOUND', subject, detail: `Line ${line.recordId}: account ${line.accountId} is neither in the file's GeneralLedgerAccounts nor in the company's chart.` });
      }
    }
    debitMinor += debit;
    creditMinor += credit;
    if (transaction.lines.length < 2) rejections.push({ code: 'TOO_FEW_LINES', subject, detail: 'A transaction needs at least two lines.' });
    if (debit !== credit) {
      rejections.push({ code: 'UNBALANCED_TRANSACTION', subject, detail: `Debit ${formatMinor(debit, currency)} ≠ credit ${formatMinor(credit, currency)} ${currency}.` });
    }
    if (!validDate(transaction.transactionDate)) rejections.push({ code: 'DATE_INVALID', subject, detail: `TransactionDate "${transaction.transactionDate}" is not a calendar day.` });
    const transactionId = saftTransactionId(companyId, transaction.journalId, transaction.transactionId);
    if (seenIds.has(transactionId)) rejections.push({ code: 'DUPLICATE_TRANSACTION', subject, detail: 'The file lists this journal and transaction id twice.' });
    seenIds.add(transactionId);
    if (rejections.length === before) transactions.push(draftBody(companyId, transactionId, transaction, currency));
  }

  // ---- opening balances and the closing-balance check -----------------------------------
  const mismatches: SaftClosingBalanceMismatch[] = [];
  const openingMinor = new Map<string, bigint>();
  for (const account of file.accounts) {
    const opening = account.openingBalanceMinor ?? 0n;
    if (opening !== 0n) openingMinor.set(account.accountId, (openingMinor.get(account.accountId) ?? 0n) + opening);
    if (account.closingBalanceMinor === null) continue;
    const movements = movementsMinor.get(account.accountId) ?? 0n;
    const computed = opening + movements;
    if (computed !== account.closingBalanceMinor) {
      mismatches.push({
        accountId: account.accountId,
        openingBalance: formatMinor(opening, currency),
        movements: formatMinor(movements, currency),
        computedClosingBalance: formatMinor(computed, currency),
        statedClosingBalance: formatMinor(account.closingBalanceMinor, currency),
      });
    }
  }
  const openingDate = `${file.header.selectionStart.year}-${String(file.header.selectionStart.month).padStart(2, '0')}-01`;
  let openingBalance: wire.DraftTransactionBody | null = null;
  let openingReport: SaftImportReport['openingBalance'] = null;
  if (openingMinor.size > 0) {
    const sum = [...openingMinor.values()].reduce((total, value) => total + value, 0n);
    const balancing = -sum;
    if (balancing !== 0n) openingMinor.set(systemAccounts.openingBalanceAccountNumber, (openingMinor.get(systemAccounts.openingBalanceAccountNumber) ?? 0n) + balancing);
    const lines = [...openingMinor.entries()]
      .filter(([, value]) => value !== 0n)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([accountNumber, value]) => ({
        accountNumber,
        side: value > 0n ? ('debit' as const) : ('credit' as const),
        amount: formatMinor(value > 0n ? value : -value, currency),
        currency,
      }));
    if (lines.length >= 2) {
      const transactionId = saftOpeningBalanceTransactionId(companyId, openingDate);
      openingBalance = { transactionId, companyId, type: 'opening_balance', documentDate: openingDate, postingDate: openingDate, description: 'Opening balances (SAF-T import)', lines };
      openingReport = { transactionId, postingDate: openingDate, lines: lines.length, balancingAmount: formatMinor(balancing, currency) };
    }
  }

  // ---- accounts to open -------------------------------------------------------------------
  const accountsToOpen: wire.AccountDefinition[] = file.accounts
    .filter((account) => ACCOUNT_NUMBER.test(account.accountId) && !existingAccountNumbers.has(account.accountId))
    .map((account) => ({
      accountNumber: account.accountId,
      name: truncate(account.description === '' ? `Account ${account.accountId}` : account.description, 200),
      type: saftAccountType(account),
      currency: null,
    }));
  for (const key of Object.keys(SYSTEM_ACCOUNT_NAMES) as (keyof SaftSystemAccounts)[]) {
    const accountNumber = systemAccounts[key];
    if (fileAccountIds.has(accountNumber) || existingAccountNumbers.has(accountNumber) || accountsToOpen.some((account) => account.accountNumber === accountNumber)) continue;
    accountsToOpen.push({ accountNumber, name: SYSTEM_ACCOUNT_NAMES[key], type: 'equity', currency: null });
  }

  const { selectionStart, selectionEnd } = file.header;
  const report: SaftImportReport = {
    companyId,
    file: {
      companyName: file.header.companyName,
      registrationNumber: file.header.registrationNumber,
      softwareId: file.header.softwareId,
      currency,
      selection: { from: `${selectionStart.year}-${String(selectionStart.month).padStart(2, '0')}`, to: `${selectionEnd.year}-${String(selectionEnd.month).padStart(2, '0')}` },
    },
    accepted: rejections.length === 0,
    counts: {
      accounts: file.accounts.length,
      customers: file.customers.length,
      suppliers: file.suppliers.length,
      journals: file.journals.length,
      transactions: file.transactions.length,
      lines: lineCount,
    },
    totals: { debit: formatMinor(debitMinor, currency), credit: formatMinor(creditMinor, currency) },
    rejections,
    closingBalanceMismatches: mismatches,
    openingBalance: openingReport,
    parties: { persisted: false, customers: file.customers, suppliers: file.suppliers },
    applied: null,
  };
  const postingDates = [...new Set([...(openingBalance === null ? [] : [openingBalance.postingDate]), ...transactions.map((body) => body.postingDate)])].sort();
  return { report, accountsToOpen, postingDates, openingBalance, transactions };
}

function draftBody(companyId: string, transactionId: string, transaction: SaftTransaction, currency: string): wire.DraftTransactionBody {
  return {
    transactionId,
    companyId,
    type: 'journal',
    documentDate: transaction.transactionDate,
    postingDate: transaction.transactionDate,
    description: truncate(transaction.description, wire.TEXT_LENGTH_MAX),
    lines: transaction.lines.map((line) => ({
      accountNumber: line.accountId,
      side: line.side,
      amount: formatMinor(line.amountMinor ?? 0n, currency),
      currency,
      ...(line.description === '' ? {} : { text: truncate(line.description, wire.TEXT_LENGTH_MAX) }),
    })),
  };
}
