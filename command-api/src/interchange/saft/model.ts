/**
 * SAF-T Financial (Norwegian schema v1.10, an implementation of the OECD Standard Audit File
 * for Tax) as NeuroERP reads and writes it: only the parts the ledger has a home for. Amounts
 * are integer minor units of the file's DefaultCurrencyCode; a balance is debit minus credit.
 */

export const SAFT_NAMESPACE = 'urn:StandardAuditFile-Taxation-Financial:NO';

/** Largest SAF-T file accepted (the HTTP route's body limit and the CLI's read limit). */
export const SAFT_FILE_BYTES_MAX = 50 * 1024 * 1024;

export interface SaftAccount {
  accountId: string;
  description: string;
  /** NS 4102 group ("19"), when the file gives one; used to guess the account type. */
  standardAccountId: string | null;
  /** Opening balance, debit minus credit; null when the file states none. */
  openingBalanceMinor: bigint | null;
  /** Closing balance as the file states it, debit minus credit; null when it states none. */
  closingBalanceMinor: bigint | null;
}

/** A customer or supplier: carried into the import report only (the ledger has no party concept). */
export interface SaftParty {
  id: string;
  name: string;
  registrationNumber: string | null;
  accountId: string | null;
}

export interface SaftLine {
  recordId: string;
  accountId: string;
  description: string;
  side: 'debit' | 'credit';
  /** Positive; null when the amount could not be read (reported, never guessed). */
  amountMinor: bigint | null;
  amountText: string;
  customerId: string | null;
  supplierId: string | null;
}

export interface SaftTransaction {
  journalId: string;
  transactionId: string;
  period: number | null;
  periodYear: number | null;
  transactionDate: string;
  systemEntryDate: string | null;
  glPostingDate: string | null;
  description: string;
  sourceId: string | null;
  lines: SaftLine[];
}

export interface SaftJournal {
  journalId: string;
  description: string;
  type: string;
}

export interface SaftHeader {
  companyName: string;
  registrationNumber: string;
  currency: string;
  /** First selected period, e.g. { year: 2015, month: 1 }. */
  selectionStart: { year: number; month: number };
  selectionEnd: { year: number; month: number };
  softwareId: string;
}

export interface SaftFile {
  header: SaftHeader;
  accounts: SaftAccount[];
  customers: SaftParty[];
  suppliers: SaftParty[];
  journals: SaftJournal[];
  transactions: SaftTransaction[];
}

/** The file is not SAF-T Financial as NeuroERP reads it (not XML, no header, no currency, ...). */
export class SaftFileError extends Error {
  readonly code = 'SAFT_FILE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SaftFileError';
  }
}
