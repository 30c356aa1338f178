import { documents as documentsWire } from '@neuroerp/schemas';
import { documentContentHash } from '../documents/hash';
import { contractReviewWorkflowId } from './contract-review';
import { invoiceLines, invoiceTransactionId, SKR03_INVOICE_ACCOUNTS } from './invoice-to-transaction';
import { commandIdOf, deterministicUuid } from './runtime';
import { approvalWorkflowId, workflowCompletionSchema } from './transaction-approval';

const invoice = documentsWire.exampleInvoiceContent;
const rows = (lines: ReturnType<typeof invoiceLines>) => lines.map((line) => [line.accountNumber, line.side, line.amount, line.currency]);

describe('invoice lines (SKR03)', () => {
  it('sales: receivable gross against revenue net and output VAT per rate', () => {
    expect(rows(invoiceLines('sales_invoice', invoice, SKR03_INVOICE_ACCOUNTS, null))).toEqual([
      ['1400', 'debit', '410.50', 'EUR'],
      ['8400', 'credit', '350.00', 'EUR'],
      ['1776', 'credit', '57.00', 'EUR'],
      ['1771', 'credit', '3.50', 'EUR'],
    ]);
  });

  it('purchase: expense net (or the posting\'s expense account) and input VAT against payables gross', () => {
    expect(rows(invoiceLines('purchase_invoice', invoice, SKR03_INVOICE_ACCOUNTS, '4200'))).toEqual([
      ['4200', 'debit', '350.00', 'EUR'],
      ['1576', 'debit', '57.00', 'EUR'],
      ['1571', 'debit', '3.50', 'EUR'],
      ['1600', 'credit', '410.50', 'EUR'],
    ]);
  });

  it('leaves out zero VAT and books a credit note (negative amounts) on the other sides', () => {
    const credit = { ...invoice, lines: [{ description: 'Gutschrift', quantity: '-1', unitPrice: '100.00', netAmount: '-100.00', taxRate: '0', taxAmount: '0.00' }], netTotal: '-100.00', taxTotal: '0.00', grossTotal: '-100.00' };
    expect(rows(invoiceLines('sales_invoice', credit, SKR03_INVOICE_ACCOUNTS, null))).toEqual([
      ['1400', 'credit', '100.00', 'EUR'],
      ['8400', 'debit', '100.00', 'EUR'],
    ]);
  });

  it('refuses a tax rate without a VAT account', () => {
    const odd = { ...invoice, lines: [{ description: 'x', quantity: '1', unitPrice: '100.00', netAmount: '100.00', taxRate: '16', taxAmount: '16.00' }], netTotal: '100.00', taxTotal: '16.00', grossTotal: '116.00' };
    expect(() => invoiceLines('sales_invoice', odd, SKR03_INVOICE_ACCOUNTS, null)).toThrow(expect.objectContaining({ code: 'INVOICE_TAX_RATE_UNMAPPED' }));
  });

  it('reads "19.00" and "19" as the same rate', () => {
    const written = { ...invoice, lines: invoice.lines.map((line) => ({ ...line, taxRate: `${line.taxRate}.00` })) };
    expect(invoiceLines('sales_invoice', written, SKR03_INVOICE_ACCOUNTS, null)).toEqual(invoiceLines('sales_invoice', invoice, SKR03_INVOICE_ACCOUNTS, null));
  });
});

describe('deterministic ids', () => {
  it('derives the same UUID from the same name and different ones from different names', () => {
    const id = deterministicUuid('a');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid('a')).toBe(id);
    expect(deterministicUuid('b')).not.toBe(id);
  });

  it('gives every reaction to an event its own command id, transaction id and workflow id', () => {
    const eventId = '00000000-0000-4000-8000-000000000001';
    expect(commandIdOf(eventId, 'x/draft')).not.toBe(commandIdOf(eventId, 'x/link'));
    expect(invoiceTransactionId(eventId)).toBe(invoiceTransactionId(eventId));
    expect(invoiceTransactionId(eventId)).toMatch(/^inv-[0-9a-f-]{36}$/);
    expect(approvalWorkflowId(eventId)).not.toBe(approvalWorkflowId('00000000-0000-4000-8000-000000000002'));
    expect(contractReviewWorkflowId(eventId)).toBe(contractReviewWorkflowId(eventId));
    expect(contractReviewWorkflowId(eventId)).toMatch(/^review-[0-9a-f-]{36}$/);
    expect(contractReviewWorkflowId(eventId)).not.toBe(contractReviewWorkflowId('00000000-0000-4000-8000-000000000002'));
  });

  it('hashes document content by its canonical JSON: key order does not matter, values do', () => {
    const hash = documentContentHash({ b: 1, a: [{ d: 2, c: 3 }] });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(documentContentHash({ a: [{ c: 3, d: 2 }], b: 1 })).toBe(hash);
    expect(documentContentHash({ a: [{ c: 3, d: 2 }], b: 2 })).not.toBe(hash);
  });
});

describe('workflow completion as read by the approval process manager', () => {
  const base = { workflowId: 'w-1', subject: { kind: 'transaction', id: 'tx-1' }, outcome: 'approved' };
  it.each([
    ['decidedBy, as the port describes it', { ...base, decidedBy: 'bob', approvedHash: 'a'.repeat(64) }, true],
    ['completedBy and a null hash, as the workflow catalogue has it', { ...base, outcome: 'rejected', completedBy: 'bob', approvedHash: null, reason: 'no' }, true],
    ['nobody who decided', { ...base }, false],
    ['an unknown outcome', { ...base, decidedBy: 'bob', outcome: 'maybe' }, false],
  ])('%s', (_name, data, valid) => {
    expect(workflowCompletionSchema.safeParse(data).success).toBe(valid);
  });
});
