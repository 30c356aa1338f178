import { XMLBuilder } from 'fast-xml-parser';
import { formatMinor } from '@neuroerp/domains';
import type { ledger as wire } from '@neuroerp/schemas';
import { SAFT_NAMESPACE } from './model';

/**
 * Writes SAF-T Financial (Norwegian schema v1.10) from the ledger's postings (pure). The
 * selection is a range of months inside one fiscal year. An account's opening balance is
 * everything posted to it before the range plus the fiscal year's opening-balance
 * transaction; the range's other postings are the GeneralLedgerEntries, one journal per
 * transaction type; the closing balance is opening + movements. So importing the file again
 * reproduces the trial balance exactly.
 */

export interface YearMonth {
  year: number;
  month: number;
}

export interface SaftExportInput {
  companyId: string;
  company: { name: string; registrationNumber: string; city: string; postalCode: string; contactFirstName: string; contactLastName: string };
  currency: string;
  from: YearMonth;
  to: YearMonth;
  /** YYYY-MM-DD */
  createdDate: string;
  software: { companyName: string; id: string; version: string };
  userId: string;
  accounts: readonly { accountNumber: string; name: string }[];
  /** All postings of the fiscal year the range lies in. */
  postings: readonly wire.TransactionPosted[];
}

export interface SaftExportSummary {
  accounts: number;
  transactions: number;
  lines: number;
  totalDebit: string;
  totalCredit: string;
}

const TEXT_MAX = 256;

/** SAF-T journal types are at most 9 characters. */
const JOURNAL_TYPES: Record<wire.TransactionType, string> = {
  journal: 'GL',
  sales_invoice: 'SI',
  purchase_invoice: 'PI',
  payment: 'PAY',
  opening_balance: 'OB',
  reversal: 'REV',
  fx_revaluation: 'FX',
  closing: 'CLOSE',
};

function monthStart(month: YearMonth): string {
  return `${month.year}-${String(month.month).padStart(2, '0')}-01`;
}

function monthEnd(month: YearMonth): string {
  const last = new Date(Date.UTC(month.year, month.month, 0)).getUTCDate();
  return `${month.year}-${String(month.month).padStart(2, '0')}-${String(last).padStart(2, '0')}`;
}

/** A non-empty text of at most `max` characters (the XSD's SAFshorttext 18, middle1 35, middle2 70, longtext 256). */
function text(value: string | null | undefined, fallback: string, max = TEXT_MAX): string {
  const trimmed = (value ?? '').trim();
  return (trimmed === '' ? fallback : trimmed).slice(0, max);
}

function signedLine(line: wire.PostedLine): bigint {
  return line.side === 'debit' ? BigInt(line.companyAmountMinor) : -BigInt(line.companyAmountMinor);
}

/** The postings a SAF-T export of the range lists as transactions: in the range, not the opening balances. */
export function saftMovementPostings(postings: readonly wire.TransactionPosted[], from: YearMonth, to: YearMonth): wire.TransactionPosted[] {
  const [start, end] = [monthStart(from), monthEnd(to)];
  return postings
    .filter((posting) => posting.type !== 'opening_balance' && posting.postingDate >= start && posting.postingDate <= end)
    .sort((a, b) => a.voucherNumber - b.voucherNumber);
}

export function buildSaft(input: SaftExportInput): { xml: string; summary: SaftExportSummary } {
  const { currency } = input;
  const start = monthStart(input.from);
  const amount = (minor: bigint) => formatMinor(minor, currency);
  const opening = new Map<string, bigint>();
  for (const posting of input.postings) {
    if (posting.type !== 'opening_balance' && posting.postingDate >= start) continue;
    for (const line of posting.lines) opening.set(line.accountNumber, (opening.get(line.accountNumber) ?? 0n) + signedLine(line));
  }
  const movements = saftMovementPostings(input.postings, input.from, input.to);
  const closing = new Map(opening);
  let totalDebit = 0n;
  let totalCredit = 0n;
  let lineCount = 0;
  for (const posting of movements) {
    for (const line of posting.lines) {
      closing.set(line.accountNumber, (closing.get(line.accountNumber) ?? 0n) + signedLine(line));
      if (line.side === 'debit') totalDebit += BigInt(line.companyAmountMinor);
      else totalCredit += BigInt(line.companyAmountMinor);
      lineCount += 1;
    }
  }
  const balance = (prefix: 'Opening' | 'Closing', value: bigint) =>
    value < 0n ? { [`${prefix}CreditBalance`]: amount(-value) } : { [`${prefix}DebitBalance`]: amount(value) };

  const byType = new Map<wire.TransactionType, wire.TransactionPosted[]>();
  for (const posting of movements) byType.set(posting.type, [...(byType.get(posting.type) ?? []), posting]);

  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    AuditFile: {
      '@_xmlns': SAFT_NAMESPACE,
      Header: {
        AuditFileVersion: '1.0',
        AuditFileCountry: 'NO',
        AuditFileDateCreated: input.createdDate,
        SoftwareCompanyName: text(input.software.companyName, 'NeuroERP', 70),
        SoftwareID: text(input.software.id, 'NeuroERP'),
        SoftwareVersion: text(input.software.version, '0', 18),
        Company: {
          RegistrationNumber: text(input.company.registrationNumber, input.companyId, 35),
          Name: text(input.company.name, input.companyId, 70),
          Address: { City: text(input.company.city, '-', 35), PostalCode: text(input.company.postalCode, '-', 18) },
          Contact: { ContactPerson: { FirstName: text(input.company.contactFirstName, '-', 35), LastName: text(input.company.contactLastName, '-', 70) } },
        },
        DefaultCurrencyCode: currency,
        SelectionCriteria: { PeriodStart: input.from.month, PeriodStartYear: input.from.year, PeriodEnd: input.to.month, PeriodEndYear: input.to.year },
        TaxAccountingBasis: 'A',
        UserID: text(input.userId, 'system', 35),
      },
      MasterFiles: {
        GeneralLedgerAccounts: {
          Account: input.accounts.map((account) => ({
            AccountID: account.accountNumber,
            AccountDescription: text(account.name, account.accountNumber),
            AccountType: 'GL',
            ...balance('Opening', opening.get(account.accountNumber) ?? 0n),
            ...balance('Closing', closing.get(account.accountNumber) ?? 0n),
          })),
        },
      },
      GeneralLedgerEntries: {
        NumberOfEntries: movements.length,
        TotalDebit: amount(totalDebit),
        TotalCredit: amount(totalCredit),
        Journal: [...byType.entries()].map(([type, postings]) => ({
          JournalID: type,
          Description: `NeuroERP ${type.replace(/_/g, ' ')} transactions`,
          Type: JOURNAL_TYPES[type],
          Transaction: postings.map((posting) => ({
            TransactionID: `${posting.fiscalYear}-${posting.voucherNumber}`,
            Period: Number(posting.postingDate.slice(5, 7)),
            PeriodYear: Number(posting.postingDate.slice(0, 4)),
            TransactionDate: posting.postingDate,
            SourceID: text(posting.postedBy, 'system', 35),
            TransactionType: posting.type === 'journal' ? 'Normal' : posting.type,
            Description: text(posting.description, `Voucher ${posting.voucherNumber}`),
            SystemEntryDate: posting.postedAt.slice(0, 10),
            GLPostingDate: posting.postedAt.slice(0, 10),
            Line: posting.lines.map((line, index) => ({
              RecordID: String(index + 1),
              AccountID: line.accountNumber,
              Description: text(line.text, text(posting.description, `Voucher ${posting.voucherNumber}`)),
              [line.side === 'debit' ? 'DebitAmount' : 'CreditAmount']: { Amount: amount(BigInt(line.companyAmountMinor)) },
            })),
          })),
        })),
      },
    },
  };
  const builder = new XMLBuilder({ ignoreAttributes: false, format: true, indentBy: '  ', suppressEmptyNode: true });
  const xml = builder.build(document) as string;
  return {
    xml,
    summary: { accounts: input.accounts.length, transactions: movements.length, lines: lineCount, totalDebit: amount(totalDebit), totalCredit: amount(totalCredit) },
  };
}
