import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { currencyScaleOf } from '@neuroerp/domains';
import { SaftFileError, type SaftAccount, type SaftFile, type SaftJournal, type SaftLine, type SaftParty, type SaftTransaction } from './model';

/** Elements that may repeat: always read as arrays, even when the file has one. */
const REPEATED = new Set(['Account', 'Customer', 'Supplier', 'Journal', 'Transaction', 'Line']);

type Node = Record<string, unknown>;

/** xs:decimal ("10000", "1234.5", "+0.50", "-3") in minor units of `scale`; null when it is not one or has more places than the currency. */
export function decimalToMinor(text: string, scale: number): bigint | null {
  const match = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(text.trim());
  if (match === null) return null;
  const [, sign, whole = '', rawFraction = ''] = match;
  if (whole === '' && rawFraction === '') return null;
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > scale) return null;
  const magnitude = BigInt((whole === '' ? '0' : whole) + fraction.padEnd(scale, '0'));
  return sign === '-' ? -magnitude : magnitude;
}

function text(node: unknown): string | null {
  if (node === undefined || node === null) return null;
  if (typeof node === 'string') return node.trim();
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return null;
}

function required(parent: Node, name: string, where: string): string {
  const value = text(parent[name]);
  if (value === null || value === '') throw new SaftFileError(`${where}: ${name} is missing.`);
  return value;
}

function child(parent: Node, name: string): Node | null {
  const value = parent[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : null;
}

function children(parent: Node | null, name: string): Node[] {
  const value = parent?.[name];
  return Array.isArray(value) ? (value.filter((item) => typeof item === 'object' && item !== null) as Node[]) : [];
}

function optionalNumber(parent: Node, name: string): number | null {
  const value = text(parent[name]);
  return value === null || !/^[0-9]+$/.test(value) ? null : Number(value);
}

/** Debit minus credit from a pair of `<OpeningDebitBalance>` / `<OpeningCreditBalance>` elements; null when neither is present. */
function balance(node: Node, prefix: 'Opening' | 'Closing', scale: number, where: string): bigint | null {
  const debit = text(node[`${prefix}DebitBalance`]);
  const credit = text(node[`${prefix}CreditBalance`]);
  if (debit === null && credit === null) return null;
  const parse = (value: string | null): bigint => {
    if (value === null) return 0n;
    const minor = decimalToMinor(value, scale);
    if (minor === null) throw new SaftFileError(`${where}: ${prefix} balance "${value}" is not an amount with at most ${scale} decimal places.`);
    return minor;
  };
  return parse(debit) - parse(credit);
}

function party(node: Node, idElement: 'CustomerID' | 'SupplierID'): SaftParty {
  const id = required(node, idElement, idElement === 'CustomerID' ? 'Customer' : 'Supplier');
  return { id, name: text(node.Name) ?? '', registrationNumber: text(node.RegistrationNumber), accountId: text(node.AccountID) };
}

function line(node: Node, scale: number, where: string): SaftLine {
  const recordId = required(node, 'RecordID', where);
  const debit = child(node, 'DebitAmount');
  const credit = child(node, 'CreditAmount');
  const amountNode = debit ?? credit;
  const amountText = amountNode === null ? '' : (text(amountNode.Amount) ?? '');
  const amountMinor = decimalToMinor(amountText, scale);
  return {
    recordId,
    accountId: required(node, 'AccountID', `${where} line ${recordId}`),
    description: text(node.Description) ?? '',
    side: debit !== null ? 'debit' : 'credit',
    amountMinor: amountNode === null || amountMinor === null || amountMinor <= 0n ? null : amountMinor,
    amountText,
    customerId: text(node.CustomerID),
    supplierId: text(node.SupplierID),
  };
}

/**
 * Reads a SAF-T Financial file. Throws SaftFileError when it is not well-formed XML or lacks
 * what every import needs (header, currency, selection); line-level problems (an amount that
 * cannot be read) are kept on the line for the import report instead.
 */
export function parseSaft(xml: string): SaftFile {
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) throw new SaftFileError(`Not well-formed XML: ${wellFormed.err.msg} (line ${wellFormed.err.line}).`);
  const parser = new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: true,
    parseTagValue: false,
    ignoreDeclaration: true,
    isArray: (name) => REPEATED.has(name),
  });
  const document = parser.parse(xml) as Node;
  const auditFile = child(document, 'AuditFile');
  if (auditFile === null) throw new SaftFileError('The root element is not AuditFile.');
  const header = child(auditFile, 'Header');
  if (header === null) throw new SaftFileError('The Header is missing.');
  const company = child(header, 'Company') ?? {};
  const currency = required(header, 'DefaultCurrencyCode', 'Header');
  let scale: number;
  try {
    scale = currencyScaleOf(currency);
  } catch {
    throw new SaftFileError(`Header: DefaultCurrencyCode ${currency} is not a known ISO 4217 currency.`);
  }
  const selection = child(header, 'SelectionCriteria');
  const selectionStartYear = selection === null ? null : optionalNumber(selection, 'PeriodStartYear');
  const selectionEndYear = selection === null ? null : optionalNumber(selection, 'PeriodEndYear');
  const startDate = selection === null ? null : text(selection.SelectionStartDate);
  const endDate = selection === null ? null : text(selection.SelectionEndDate);
  const selectionStart =
    selectionStartYear !== null && selection !== null
      ? { year: selectionStartYear, month: optionalNumber(selection, 'PeriodStart') ?? 1 }
      : startDate !== null
        ? { year: Number(startDate.slice(0, 4)), month: Number(startDate.slice(5, 7)) }
        : null;
  const selectionEnd =
    selectionEndYear !== null && selection !== null
      ? { year: selectionEndYear, month: optionalNumber(selection, 'PeriodEnd') ?? 12 }
      : endDate !== null
        ? { year: Number(endDate.slice(0, 4)), month: Number(endDate.slice(5, 7)) }
        : selectionStart;
  if (selectionStart === null || selectionEnd === null) throw new SaftFileError('Header: SelectionCriteria gives no period or date range.');

  const masterFiles = child(auditFile, 'MasterFiles');
  const accounts: SaftAccount[] = children(child(masterFiles ?? {}, 'GeneralLedgerAccounts'), 'Account').map((node) => {
    const accountId = required(node, 'AccountID', 'Account');
    return {
      accountId,
      description: text(node.AccountDescription) ?? '',
      standardAccountId: text(node.StandardAccountID) ?? text(node.GroupingCode),
      openingBalanceMinor: balance(node, 'Opening', scale, `Account ${accountId}`),
      closingBalanceMinor: balance(node, 'Closing', scale, `Account ${accountId}`),
    };
  });
  const customers = children(child(masterFiles ?? {}, 'Customers'), 'Customer').map((node) => party(node, 'CustomerID'));
  const suppliers = children(child(masterFiles ?? {}, 'Suppliers'), 'Supplier').map((node) => party(node, 'SupplierID'));

  const entries = child(auditFile, 'GeneralLedgerEntries');
  const journals: SaftJournal[] = [];
  const transactions: SaftTransaction[] = [];
  for (const journal of children(entries, 'Journal')) {
    const journalId = required(journal, 'JournalID', 'Journal');
    journals.push({ journalId, description: text(journal.Description) ?? '', type: text(journal.Type) ?? '' });
    for (const transaction of children(journal, 'Transaction')) {
      const transactionId = required(transaction, 'TransactionID', `Journal ${journalId} transaction`);
      const where = `Journal ${journalId} transaction ${transactionId}`;
      transactions.push({
        journalId,
        transactionId,
        period: optionalNumber(transaction, 'Period'),
        periodYear: optionalNumber(transaction, 'PeriodYear'),
        transactionDate: required(transaction, 'TransactionDate', where),
        systemEntryDate: text(transaction.SystemEntryDate),
        glPostingDate: text(transaction.GLPostingDate),
        description: text(transaction.Description) ?? '',
        sourceId: text(transaction.SourceID),
        lines: children(transaction, 'Line').map((node) => line(node, scale, where)),
      });
    }
  }
  return {
    header: {
      companyName: text(company.Name) ?? '',
      registrationNumber: text(company.RegistrationNumber) ?? '',
      currency,
      selectionStart,
      selectionEnd,
      softwareId: text(header.SoftwareID) ?? '',
    },
    accounts,
    customers,
    suppliers,
    journals,
    transactions,
  };
}
