import type { ledger as wire, RecordedEvent } from '@neuroerp/schemas';
import type { LedgerYear } from './ledger-year';

/** Test support for the interchange unit tests: a small fiscal year built by hand; never imported by production code. */

type Metadata = RecordedEvent['metadata'];

export function metadata(userId: string, recordedAt: string, causationId: string | null = null, role = 'accountant'): Metadata {
  return { actor: { userId, role }, correlationId: `c-${userId}`, causationId, occurredAt: recordedAt, requestId: null, recordedAt };
}

let position = 0n;

export function event(type: string, data: unknown, meta: Metadata): RecordedEvent {
  position += 1n;
  return { eventId: `e${position}`, streamId: 's', streamVersion: Number(position), globalPosition: position, type, schemaVersion: 1, data, metadata: meta, prevHash: '', hash: '' };
}

function line(accountNumber: string, side: 'debit' | 'credit', amountMinor: string, text: string | null = null): wire.PostedLine {
  return { accountNumber, side, amountMinor, currency: 'EUR', fxRate: null, dimensions: {}, text, companyAmountMinor: amountMinor, kind: 'entry' };
}

function posted(voucherNumber: number, transactionId: string, type: wire.TransactionType, postingDate: string, lines: wire.PostedLine[], extra: Partial<wire.TransactionPosted> = {}): wire.TransactionPosted {
  return {
    companyId: 'acme',
    fiscalYear: 2026,
    period: Number(postingDate.slice(5, 7)),
    voucherNumber,
    transactionId,
    type,
    documentDate: postingDate,
    postingDate,
    companyCurrency: 'EUR',
    description: `${type} ${voucherNumber}`,
    linkedDocumentIds: [],
    lines,
    postedBy: 'anna',
    postedAt: `${postingDate}T09:00:00.000Z`,
    approvedBy: null,
    reversesTransactionId: null,
    reason: null,
    postedUnderException: false,
    ...extra,
  };
}

/**
 * Fiscal year 2026 of `acme`: t1 a manual sales invoice on 2026-02-10 (with a document, "a;b" in its text), t2 a
 * large payment on 2026-02-27 approved by bert after a rejection, t3 booked by a process
 * manager on 2026-03-15 and reversed by t4 on 2026-03-31.
 */
export function sampleYear(): LedgerYear {
  const recorded = (posting: wire.TransactionPosted, meta: Metadata) => ({ posting, recordedAt: meta.recordedAt, metadata: meta, globalPosition: 1n });
  const t1 = posted(1, 't1', 'sales_invoice', '2026-02-10', [line('1200', 'debit', '11900', 'a;b "quoted"'), line('8400', 'credit', '11900')], { linkedDocumentIds: ['doc-1'] });
  const t2 = posted(2, 't2', 'payment', '2026-02-27', [line('1200', 'debit', '2000000'), line('1800', 'credit', '2000000')], { approvedBy: 'bert' });
  const t3 = posted(3, 't3', 'purchase_invoice', '2026-03-15', [line('4000', 'debit', '5000'), line('1600', 'credit', '5000')], { postedBy: 'system' });
  const t4 = posted(4, 't4', 'reversal', '2026-03-31', [line('4000', 'credit', '5000'), line('1600', 'debit', '5000')], { reversesTransactionId: 't3', reason: 'wrong supplier' });
  return {
    companyId: 'acme',
    year: 2026,
    settings: {
      companyId: 'acme',
      year: 2026,
      firstMonth: 1,
      startDate: '2026-01-01',
      endDate: '2026-12-31',
      companyCurrency: 'EUR',
      approvalThresholdMinor: '1000000',
      roundingAccountNumber: '2400',
      retainedEarningsAccountNumber: '0860',
      openingBalanceAccountNumber: '9000',
      openedBy: 'admin',
    },
    closed: null,
    accounts: [
      { accountNumber: '1200', name: 'Bank', type: 'asset', status: 'open', openedBy: 'admin', openedAt: '2026-01-01T00:00:00.000Z' },
      { accountNumber: '1600', name: 'Verbindlichkeiten', type: 'liability', status: 'open', openedBy: 'admin', openedAt: '2026-01-01T00:00:00.000Z' },
      { accountNumber: '1800', name: 'Privat', type: 'equity', status: 'open', openedBy: 'admin', openedAt: '2026-01-01T00:00:00.000Z' },
      { accountNumber: '4000', name: 'Material', type: 'expense', status: 'open', openedBy: 'admin', openedAt: '2026-01-01T00:00:00.000Z' },
      { accountNumber: '8400', name: 'Erlöse', type: 'revenue', status: 'blocked', openedBy: 'admin', openedAt: '2026-01-01T00:00:00.000Z' },
    ],
    postings: [
      recorded(t1, metadata('anna', '2026-02-11T08:00:00.000Z')),
      recorded(t2, metadata('anna', '2026-02-28T08:00:00.000Z')),
      recorded(t3, metadata('system', '2026-03-15T08:00:00.000Z', 'document-posted-42', 'admin')),
      recorded(t4, metadata('anna', '2026-04-01T08:00:00.000Z')),
    ],
    histories: new Map([
      ['t1', [event('ledger.transaction_drafted', { draftedBy: 'anna' }, metadata('anna', '2026-02-10T08:00:00.000Z')), event('ledger.transaction_submitted', { submittedBy: 'anna' }, metadata('anna', '2026-02-10T08:00:00.000Z'))]],
      [
        't2',
        [
          event('ledger.transaction_drafted', { draftedBy: 'anna' }, metadata('anna', '2026-02-26T08:00:00.000Z')),
          event('ledger.transaction_submitted', { submittedBy: 'anna' }, metadata('anna', '2026-02-26T08:00:00.000Z')),
          event('ledger.transaction_rejected', { rejectedBy: 'bert', reason: 'missing receipt' }, metadata('bert', '2026-02-26T10:00:00.000Z', null, 'approver')),
          event('ledger.transaction_submitted', { submittedBy: 'anna' }, metadata('anna', '2026-02-27T08:00:00.000Z')),
          event('ledger.transaction_approved', { approvedBy: 'bert', approvedHash: 'ab'.repeat(32) }, metadata('bert', '2026-02-27T09:00:00.000Z', null, 'approver')),
        ],
      ],
      [
        't3',
        [
          event('ledger.transaction_drafted', { draftedBy: 'system' }, metadata('system', '2026-03-15T07:00:00.000Z', 'document-posted-42', 'admin')),
          event('ledger.transaction_reversed', { reversalTransactionId: 't4', reason: 'wrong supplier', reversedBy: 'anna' }, metadata('anna', '2026-04-01T08:00:00.000Z')),
        ],
      ],
    ]),
  };
}

/** A column as index.xml declares it. */
export interface DeclaredColumn {
  name: string;
  kind: 'AlphaNumeric' | 'Numeric' | 'Date';
  accuracy: number;
  format: string | null;
}

/** The tables index.xml declares: file name, columns in declared order (primary key first), foreign keys. */
export function declaredTables(indexXml: string, parse: (xml: string) => unknown): { url: string; name: string; decimalSymbol: string; columns: DeclaredColumn[]; foreignKeys: { name: string; references: string }[] }[] {
  const document = parse(indexXml) as { DataSet: { Media: { Table: Record<string, unknown>[] } } };
  return document.DataSet.Media.Table.map((table) => {
    const variable = table.VariableLength as Record<string, Record<string, unknown>[] | undefined>;
    const column = (entry: Record<string, unknown>): DeclaredColumn => {
      if ('Numeric' in entry) {
        const numeric = entry.Numeric as { Accuracy?: string } | string;
        return { name: String(entry.Name), kind: 'Numeric', accuracy: typeof numeric === 'object' && numeric.Accuracy !== undefined ? Number(numeric.Accuracy) : 0, format: null };
      }
      if ('Date' in entry) return { name: String(entry.Name), kind: 'Date', accuracy: 0, format: String((entry.Date as { Format: string }).Format) };
      return { name: String(entry.Name), kind: 'AlphaNumeric', accuracy: 0, format: null };
    };
    return {
      url: String(table.URL),
      name: String(table.Name),
      decimalSymbol: String(table.DecimalSymbol),
      columns: [...(variable.VariablePrimaryKey ?? []), ...(variable.VariableColumn ?? [])].map(column),
      foreignKeys: (variable.ForeignKey ?? []).map((key) => ({ name: String(key.Name), references: String(key.References) })),
    };
  });
}

/** Why a value does not fit its declared column, or null when it does. */
export function valueProblem(value: string, column: DeclaredColumn): string | null {
  if (column.kind === 'Date' && value !== '' && !/^[0-9]{2}\.[0-9]{2}\.[0-9]{4}$/.test(value)) return `${column.name}: "${value}" is not ${column.format ?? ''}`;
  if (column.kind === 'Numeric') {
    const pattern = column.accuracy === 0 ? /^-?[0-9]+$/ : new RegExp(`^-?[0-9]+,[0-9]{${column.accuracy}}$`);
    if (!pattern.test(value)) return `${column.name}: "${value}" is not a number with ${column.accuracy} decimals after ','`;
  }
  return null;
}
