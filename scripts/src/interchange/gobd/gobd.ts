import { XMLBuilder } from 'fast-xml-parser';
import { formatMinor } from '@neuroerp/domains';
import type { RecordedEvent, ledger as wire } from '@neuroerp/schemas';
import { csv } from '../csv';
import type { LedgerYear } from '../ledger-year';

/**
 * GoBD data access (Z3, "Datenträgerüberlassung"): the fiscal year as CSV tables plus an
 * `index.xml` in the GDPdU "Beschreibungsstandard" that tax auditors' tools (IDEA) read.
 * Values follow the declaration in index.xml: ';' between columns, '"' around texts that
 * need it, ',' as decimal symbol without digit grouping, dates as DD.MM.YYYY.
 */

export const GOBD_COLUMN_DELIMITER = ';';
export const GOBD_DATE_FORMAT = 'DD.MM.YYYY';
/** The DTD the Beschreibungsstandard names; auditors' tools ship it, the export refers to it. */
export const GDPDU_DTD = 'gdpdu-01-09-2004.dtd';

export type GobdColumnType = { kind: 'alphanumeric' } | { kind: 'numeric'; accuracy: number } | { kind: 'date' };

export interface GobdColumn {
  name: string;
  description: string;
  type: GobdColumnType;
}

export interface GobdTable {
  /** The file name inside the export folder. */
  url: string;
  name: string;
  description: string;
  /** Primary-key columns come first in the file, in this order, then `columns`. */
  primaryKey: GobdColumn[];
  columns: GobdColumn[];
  foreignKeys: { column: string; references: string }[];
  rows: string[][];
}

const text = (name: string, description: string): GobdColumn => ({ name, description, type: { kind: 'alphanumeric' } });
const date = (name: string, description: string): GobdColumn => ({ name, description, type: { kind: 'date' } });
const number = (name: string, description: string, accuracy = 0): GobdColumn => ({ name, description, type: { kind: 'numeric', accuracy } });

/** "2026-03-31" → "31.03.2026". */
export function gobdDate(isoDate: string): string {
  return `${isoDate.slice(8, 10)}.${isoDate.slice(5, 7)}.${isoDate.slice(0, 4)}`;
}

/** Minor units as a decimal with ',' ("-1250" EUR → "-12,50"). */
export function gobdAmount(minor: bigint, currency: string): string {
  return formatMinor(minor, currency).replace('.', ',');
}

/** Every table's column names in file order. */
export function gobdColumnNames(table: Pick<GobdTable, 'primaryKey' | 'columns'>): string[] {
  return [...table.primaryKey, ...table.columns].map((column) => column.name);
}

interface ActorSeen {
  role: string;
  firstSeen: string;
  lastSeen: string;
  events: number;
}

function journalTable(year: LedgerYear): GobdTable {
  const currency = year.settings.companyCurrency;
  const rows = year.postings.flatMap(({ posting, recordedAt }) =>
    posting.lines.map((line, index) => [
      posting.transactionId,
      String(index + 1),
      String(posting.voucherNumber),
      gobdDate(posting.postingDate),
      gobdDate(posting.documentDate),
      recordedAt,
      posting.type,
      line.accountNumber,
      line.side === 'debit' ? gobdAmount(BigInt(line.companyAmountMinor), currency) : '0,00',
      line.side === 'credit' ? gobdAmount(BigInt(line.companyAmountMinor), currency) : '0,00',
      line.currency,
      formatMinor(BigInt(line.amountMinor), line.currency).replace('.', ','),
      posting.description ?? '',
      line.text ?? '',
      posting.postedBy,
      posting.approvedBy ?? '',
      posting.reversesTransactionId ?? '',
    ]),
  );
  return {
    url: 'journal.csv',
    name: 'journal',
    description: `Buchungsjournal ${year.year}: every posted line (company currency ${currency})`,
    primaryKey: [text('transaction_id', 'Transaction id'), number('line_number', 'Line number within the transaction')],
    columns: [
      number('voucher_number', 'Gapless voucher number of the fiscal year (Belegnummer)'),
      date('posting_date', 'Posting date (Buchungsdatum)'),
      date('document_date', 'Document date (Belegdatum)'),
      text('recorded_at', 'When the posting was recorded (Erfassungszeitpunkt, ISO 8601 UTC)'),
      text('transaction_type', 'Transaction type'),
      text('account_number', 'Account (Konto)'),
      number('debit', `Debit in ${currency} (Soll)`, 2),
      number('credit', `Credit in ${currency} (Haben)`, 2),
      text('currency', 'Currency of the original amount'),
      number('amount_in_currency', 'Original amount in its currency', 2),
      text('description', 'Posting text (Buchungstext)'),
      text('line_text', 'Line text'),
      text('posted_by', 'User who posted'),
      text('approved_by', 'User who approved, if approval was needed'),
      text('reverses_transaction_id', 'The transaction this one reverses (Storno)'),
    ],
    foreignKeys: [
      { column: 'account_number', references: 'accounts' },
      { column: 'posted_by', references: 'users' },
    ],
    rows,
  };
}

function accountsTable(year: LedgerYear): GobdTable {
  const currency = year.settings.companyCurrency;
  const balances = new Map<string, bigint>();
  for (const { posting } of year.postings) {
    for (const line of posting.lines) {
      const signed = line.side === 'debit' ? BigInt(line.companyAmountMinor) : -BigInt(line.companyAmountMinor);
      balances.set(line.accountNumber, (balances.get(line.accountNumber) ?? 0n) + signed);
    }
  }
  return {
    url: 'accounts.csv',
    name: 'accounts',
    description: `Kontenplan with the balance of ${year.year} (debit minus credit, ${currency})`,
    primaryKey: [text('account_number', 'Account number')],
    columns: [
      text('name', 'Account name'),
      text('type', 'asset, liability, equity, revenue or expense'),
      text('status', 'open, blocked or archived'),
      text('opened_by', 'User who opened the account'),
      text('opened_at', 'When the account was opened (ISO 8601 UTC)'),
      number('balance', `Balance of the fiscal year, debit minus credit, ${currency}`, 2),
    ],
    foreignKeys: [],
    rows: year.accounts.map((account) => [account.accountNumber, account.name, account.type, account.status, account.openedBy, account.openedAt, gobdAmount(balances.get(account.accountNumber) ?? 0n, currency)]),
  };
}

function documentsTable(year: LedgerYear): GobdTable {
  const rows = year.postings.flatMap(({ posting }) => posting.linkedDocumentIds.map((documentId) => [documentId, posting.transactionId, String(posting.voucherNumber), gobdDate(posting.documentDate)]));
  return {
    url: 'documents.csv',
    name: 'documents',
    description: 'Belegindex: the documents (invoices, receipts) each posting links to',
    primaryKey: [text('document_id', 'Document id in the document store'), text('transaction_id', 'Posting transaction id')],
    columns: [number('voucher_number', 'Voucher number of the posting'), date('document_date', 'Document date of the posting')],
    foreignKeys: [],
    rows,
  };
}

function approvalsTable(year: LedgerYear): GobdTable {
  const rows: string[][] = [];
  for (const { posting } of year.postings) {
    const events = year.histories.get(posting.transactionId) ?? [];
    let sequence = 0;
    for (const event of events) {
      const action = approvalAction(event);
      if (action === null) continue;
      sequence += 1;
      rows.push([posting.transactionId, String(sequence), action.action, action.userId, event.metadata.actor.role, event.metadata.recordedAt, action.reason, action.hash]);
    }
  }
  return {
    url: 'approvals.csv',
    name: 'approvals',
    description: 'Four-eyes trail of every posted transaction: submitted, approved, rejected, reversed',
    primaryKey: [text('transaction_id', 'Transaction id'), number('sequence', 'Order of the step within the transaction')],
    columns: [
      text('action', 'submitted, approved, rejected or reversed'),
      text('user_id', 'Acting user'),
      text('role', 'Role the user acted in'),
      text('recorded_at', 'When the step was recorded (ISO 8601 UTC)'),
      text('reason', 'Reason given (rejection, reversal)'),
      text('approved_hash', 'SHA-256 of the draft the approver saw'),
    ],
    foreignKeys: [{ column: 'user_id', references: 'users' }],
    rows,
  };
}

function approvalAction(event: RecordedEvent): { action: string; userId: string; reason: string; hash: string } | null {
  switch (event.type) {
    case 'ledger.transaction_submitted':
      return { action: 'submitted', userId: (event.data as wire.TransactionSubmitted).submittedBy, reason: '', hash: '' };
    case 'ledger.transaction_approved': {
      const data = event.data as wire.TransactionApproved;
      return { action: 'approved', userId: data.approvedBy, reason: '', hash: data.approvedHash ?? '' };
    }
    case 'ledger.transaction_rejected': {
      const data = event.data as wire.TransactionRejected;
      return { action: 'rejected', userId: data.rejectedBy, reason: data.reason, hash: '' };
    }
    case 'ledger.transaction_reversed': {
      const data = event.data as wire.TransactionReversed;
      return { action: 'reversed', userId: data.reversedBy, reason: data.reason, hash: '' };
    }
    default:
      return null;
  }
}

/** Everyone who appears as an actor of the year's postings or their transactions' histories, or as a poster. */
function usersTable(year: LedgerYear, referenced: readonly string[]): GobdTable {
  const seen = new Map<string, ActorSeen>();
  const note = (userId: string, role: string, at: string) => {
    const entry = seen.get(userId);
    if (entry === undefined) seen.set(userId, { role, firstSeen: at, lastSeen: at, events: 1 });
    else {
      entry.events += 1;
      if (at < entry.firstSeen) entry.firstSeen = at;
      if (at > entry.lastSeen) entry.lastSeen = at;
      if (!entry.role.split(',').includes(role)) entry.role = `${entry.role},${role}`;
    }
  };
  for (const { metadata } of year.postings) note(metadata.actor.userId, metadata.actor.role, metadata.recordedAt);
  for (const events of year.histories.values()) for (const event of events) note(event.metadata.actor.userId, event.metadata.actor.role, event.metadata.recordedAt);
  for (const userId of referenced) if (!seen.has(userId)) seen.set(userId, { role: '', firstSeen: '', lastSeen: '', events: 0 });
  return {
    url: 'users.csv',
    name: 'users',
    description: 'Users and system actors that recorded or approved the year\'s postings',
    primaryKey: [text('user_id', 'User id (system: process managers and the ledger itself)')],
    columns: [
      text('roles', 'Roles the user acted in, comma-separated'),
      text('first_seen', 'First recorded action (ISO 8601 UTC)'),
      text('last_seen', 'Last recorded action (ISO 8601 UTC)'),
      number('events', 'Number of recorded events by the user'),
    ],
    foreignKeys: [],
    rows: [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([userId, entry]) => [userId, entry.role, entry.firstSeen, entry.lastSeen, String(entry.events)]),
  };
}

/** The five tables of the export. Every user a foreign key names is in the users table. */
export function gobdTables(year: LedgerYear): GobdTable[] {
  const journal = journalTable(year);
  const approvals = approvalsTable(year);
  const postedBy = journal.rows.map((row) => row[gobdColumnNames(journal).indexOf('posted_by')] ?? '');
  const approvers = approvals.rows.map((row) => row[gobdColumnNames(approvals).indexOf('user_id')] ?? '');
  return [journal, accountsTable(year), documentsTable(year), usersTable(year, [...postedBy, ...approvers]), approvals];
}

export function gobdTableCsv(table: GobdTable): string {
  // No header line: the Beschreibungsstandard declares the columns in index.xml.
  return csv(null, table.rows, GOBD_COLUMN_DELIMITER);
}

function columnXml(column: GobdColumn): Record<string, unknown> {
  const type =
    column.type.kind === 'numeric'
      ? { Numeric: column.type.accuracy > 0 ? { Accuracy: column.type.accuracy } : '' }
      : column.type.kind === 'date'
        ? { Date: { Format: GOBD_DATE_FORMAT } }
        : { AlphaNumeric: '' };
  return { Name: column.name, Description: column.description, ...type };
}

export interface GobdSupplier {
  name: string;
  location: string;
  comment: string;
}

/** index.xml: DataSet / Version / DataSupplier / Media / Table per file, in the order the GDPdU DTD requires. */
export function gobdIndexXml(year: LedgerYear, tables: readonly GobdTable[], supplier: GobdSupplier): string {
  const from = gobdDate(year.settings.startDate);
  const to = gobdDate(year.settings.endDate);
  const document = {
    DataSet: {
      Version: '1.0',
      DataSupplier: { Name: supplier.name, Location: supplier.location, Comment: supplier.comment },
      Media: {
        Name: `${year.companyId} fiscal year ${year.year}`,
        Table: tables.map((table) => ({
          URL: table.url,
          Name: table.name,
          Description: table.description,
          Validity: { Range: { From: from, To: to }, Format: GOBD_DATE_FORMAT },
          DecimalSymbol: ',',
          DigitGroupingSymbol: '.',
          VariableLength: {
            ColumnDelimiter: GOBD_COLUMN_DELIMITER,
            RecordDelimiter: '&#13;&#10;',
            TextEncapsulator: '"',
            VariablePrimaryKey: table.primaryKey.map(columnXml),
            VariableColumn: table.columns.map(columnXml),
            ...(table.foreignKeys.length === 0 ? {} : { ForeignKey: table.foreignKeys.map((key) => ({ Name: key.column, References: key.references })) }),
          },
        })),
      },
    },
  };
  const builder = new XMLBuilder({ format: true, indentBy: '  ', processEntities: true, suppressEmptyNode: true });
  const body = (builder.build(document) as string).replace(/&amp;#13;&amp;#10;/g, '&#13;&#10;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE DataSet SYSTEM "${GDPDU_DTD}">\n${body}`;
}
