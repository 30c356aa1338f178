import { DomainError, formatMinor } from '@neuroerp/domains';
import { documents as documentsWire, ledger as wire } from '@neuroerp/schemas';
import type { DocumentCommands } from '../documents/commands';
import type { LedgerCommands } from '../ledger/commands';
import { deterministicUuid, type ProcessManager, type Reaction } from './runtime';
import { transactionSize } from './transaction-size';

/**
 * Invoice → journal transaction (issue 4): books a posted sales or purchase invoice.
 *
 * - `documents.document_posted` of an invoice → DraftTransaction + SubmitTransaction (one
 *   append) of the matching transaction, linked to the document (`linkedDocumentIds`), then
 *   LinkTransaction on the document, so that the document shows its `transactionId`.
 *   The transaction id is derived from the posted event's id: a redelivery drafts the same one.
 * - `ledger.transaction_submitted` of a transaction this process manager drafted (its document
 *   names it as its transaction), at or below the approval threshold → PostTransaction.
 * - `ledger.transaction_approved` of such a transaction → PostTransaction (above the threshold,
 *   the approval workflow approves it; see transaction-approval.ts).
 *
 * Lines (SKR03 by default, `InvoiceAccounts`):
 * - sales: debit receivables (1400) gross, credit revenue (8400) net, credit output VAT per
 *   tax rate (19 %: 1776, 7 %: 1771);
 * - purchase: debit the expense account (the posting's `expenseAccountNumber`, else 3400) net,
 *   debit input VAT per tax rate (19 %: 1576, 7 %: 1571), credit payables (1600) gross.
 * A negative amount (a credit note) books on the other side; zero amounts are left out. A tax
 * rate without a VAT account is refused with INVOICE_TAX_RATE_UNMAPPED. Amounts are in the
 * invoice currency without a rate: an invoice in a foreign currency drafts, but posting it
 * is refused (FX_RATE_REQUIRED) until rates come with the document.
 */

export interface InvoiceAccounts {
  receivable: string;
  revenue: string;
  payable: string;
  expense: string;
  /** Output VAT account per tax rate in percent, rates written without trailing zeros ("19", "7"). */
  outputVat: Readonly<Record<string, string>>;
  inputVat: Readonly<Record<string, string>>;
}

export const SKR03_INVOICE_ACCOUNTS: InvoiceAccounts = Object.freeze({
  receivable: '1400',
  revenue: '8400',
  payable: '1600',
  expense: '3400',
  outputVat: Object.freeze({ '19': '1776', '7': '1771' }),
  inputVat: Object.freeze({ '19': '1576', '7': '1571' }),
});

export const INVOICE_TO_TRANSACTION = 'invoice-to-transaction';

/** The id of the transaction that books the invoice posted by event `postedEventId`. */
export function invoiceTransactionId(postedEventId: string): string {
  return `inv-${deterministicUuid(`invoice-transaction/${postedEventId}`)}`;
}

/** "19.00" → "19", "7" → "7": the key of the VAT account tables. */
function rateKey(rate: string): string {
  return rate.includes('.') ? rate.replace(/0+$/, '').replace(/\.$/, '') : rate;
}

function minorOf(amount: string, currency: string): bigint {
  const minor = documentsWire.toMinorUnits(amount, currency);
  if (minor === null) throw new Error(`invoice amount ${amount} ${currency} passed content validation but is not a decimal`);
  return minor;
}

/** The journal lines of an invoice; exported for its unit test. */
export function invoiceLines(type: 'sales_invoice' | 'purchase_invoice', invoice: documentsWire.InvoiceContent, accounts: InvoiceAccounts, expenseAccountNumber: string | null): wire.TransactionLineInput[] {
  const currency = invoice.currency;
  const taxByRate = new Map<string, bigint>();
  for (const line of invoice.lines) {
    const key = rateKey(line.taxRate);
    taxByRate.set(key, (taxByRate.get(key) ?? 0n) + minorOf(line.taxAmount, currency));
  }
  const sales = type === 'sales_invoice';
  const vatAccounts = sales ? accounts.outputVat : accounts.inputVat;
  const entries: { accountNumber: string; side: wire.Side; minor: bigint; text: string }[] = [
    sales
      ? { accountNumber: accounts.receivable, side: 'debit', minor: minorOf(invoice.grossTotal, currency), text: `Invoice ${invoice.invoiceNumber}: gross` }
      : { accountNumber: expenseAccountNumber ?? accounts.expense, side: 'debit', minor: minorOf(invoice.netTotal, currency), text: `Invoice ${invoice.invoiceNumber}: net` },
  ];
  if (sales) entries.push({ accountNumber: accounts.revenue, side: 'credit', minor: minorOf(invoice.netTotal, currency), text: `Invoice ${invoice.invoiceNumber}: net` });
  for (const [rate, minor] of taxByRate) {
    if (minor === 0n) continue;
    const accountNumber = vatAccounts[rate];
    if (accountNumber === undefined) {
      throw new DomainError('INVOICE_TAX_RATE_UNMAPPED', `No ${sales ? 'output' : 'input'} VAT account for the tax rate ${rate} %.`, { taxRate: rate });
    }
    entries.push({ accountNumber, side: sales ? 'credit' : 'debit', minor, text: `Invoice ${invoice.invoiceNumber}: VAT ${rate} %` });
  }
  if (!sales) entries.push({ accountNumber: accounts.payable, side: 'credit', minor: minorOf(invoice.grossTotal, currency), text: `Invoice ${invoice.invoiceNumber}: gross` });
  return entries
    .filter((entry) => entry.minor !== 0n)
    .map((entry) => ({
      accountNumber: entry.accountNumber,
      side: entry.minor > 0n ? entry.side : entry.side === 'debit' ? 'credit' : 'debit',
      amount: formatMinor(entry.minor > 0n ? entry.minor : -entry.minor, currency),
      currency,
      text: entry.text.slice(0, wire.TEXT_LENGTH_MAX),
    }));
}

export interface InvoiceToTransactionOptions {
  ledger: LedgerCommands;
  documents: DocumentCommands;
  accounts?: InvoiceAccounts;
}

export function invoiceToTransaction(options: InvoiceToTransactionOptions): ProcessManager {
  const accounts = options.accounts ?? SKR03_INVOICE_ACCOUNTS;

  /** The transaction, when this process manager drafted it: its one linked document names it as its transaction. */
  async function ownInvoiceTransaction(transactionId: string) {
    const size = await transactionSize(options.ledger.reader, transactionId);
    if (size === null || (size.draft.type !== 'sales_invoice' && size.draft.type !== 'purchase_invoice')) return null;
    const [documentId, ...others] = size.draft.linkedDocumentIds;
    if (documentId === undefined || others.length > 0) return null;
    const document = await options.documents.load(documentId).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'DOCUMENT_NOT_FOUND') return null;
      throw error;
    });
    return document?.state.document.transactionId === transactionId ? size : null;
  }

  async function onPosted(reaction: Reaction, posted: documentsWire.DocumentPosted): Promise<void> {
    if (posted.type !== 'sales_invoice' && posted.type !== 'purchase_invoice') return;
    const version = await options.documents.version(posted.documentId, posted.version);
    const invoice = documentsWire.invoiceContentSchema.parse(version.content);
    const transactionId = invoiceTransactionId(reaction.event.eventId);
    const draft: wire.DraftTransactionBody = {
      transactionId,
      companyId: posted.companyId,
      type: posted.type,
      documentDate: invoice.issueDate,
      postingDate: posted.postingDate,
      description: `${posted.type === 'sales_invoice' ? 'Sales' : 'Purchase'} invoice ${invoice.invoiceNumber}`.slice(0, wire.TEXT_LENGTH_MAX),
      linkedDocumentIds: [posted.documentId],
      lines: invoiceLines(posted.type, invoice, accounts, posted.expenseAccountNumber),
    };
    await reaction.command('draft-transaction', (context) => options.ledger.draftTransaction(context, draft, { submit: true }));
    await reaction.command('link-transaction', (context) => options.documents.linkTransaction(context, { documentId: posted.documentId, transactionId }));
  }

  async function post(reaction: Reaction, transactionId: string, when: 'submitted' | 'approved'): Promise<void> {
    const own = await ownInvoiceTransaction(transactionId);
    // Posted already: this is a redelivery (or someone posted it by hand); nothing to do.
    if (own === null || own.posted) return;
    if (when === 'submitted' && (own.needsApproval || own.state.status !== 'submitted')) return;
    await reaction.command('post-transaction', (context) => options.ledger.postTransaction(context, transactionId, undefined));
  }

  return {
    name: INVOICE_TO_TRANSACTION,
    handles: (event) => event.type === 'documents.document_posted' || event.type === 'ledger.transaction_submitted' || event.type === 'ledger.transaction_approved',
    react: async (reaction) => {
      const { event } = reaction;
      switch (event.type) {
        case 'documents.document_posted':
          return onPosted(reaction, documentsWire.documentPostedSchema.parse(event.data));
        case 'ledger.transaction_submitted':
          return post(reaction, wire.transactionSubmittedSchema.parse(event.data).transactionId, 'submitted');
        case 'ledger.transaction_approved':
          return post(reaction, wire.transactionApprovedSchema.parse(event.data).transactionId, 'approved');
        default:
          return undefined;
      }
    },
  };
}
