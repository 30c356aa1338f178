import { z } from 'zod';
import { currencyScale } from '../ledger/currencies';
import { currencyCodeSchema, decimalStringSchema, isoDateSchema, nonNegativeDecimalStringSchema, refineAmountPrecision } from '../ledger/primitives';
import { lineNetMinor, parseScaledDecimal, taxMinor, toMinorUnits } from './amounts';

/**
 * The `content` of a document, one zod schema per document type. Amounts are decimal strings
 * in major units of the document currency; totals are checked exactly in minor units:
 * - an invoice or order line's `netAmount` is quantity × unitPrice, rounded half up to the
 *   currency's minor units (LINE_AMOUNT_MISMATCH), its `taxAmount` is netAmount × taxRate / 100
 *   rounded the same way (LINE_TAX_MISMATCH);
 * - `netTotal`, `taxTotal` are the sums of the lines and `grossTotal` = net + tax
 *   (INVOICE_TOTALS_MISMATCH, ORDER_TOTAL_MISMATCH, RECEIPT_TOTALS_MISMATCH).
 * Every custom issue carries `params.code`, as in the ledger's wire schemas.
 */

export const documentTypes = ['sales_invoice', 'purchase_invoice', 'order', 'contract', 'receipt', 'other'] as const;
export const documentTypeSchema = z.enum(documentTypes);
export type DocumentType = z.infer<typeof documentTypeSchema>;

export const DOCUMENT_LINES_MAX = 1000;
export const CONTRACT_PARTIES_MAX = 20;
export const DOCUMENT_TEXT_LENGTH_MAX = 500;
export const DOCUMENT_LONG_TEXT_LENGTH_MAX = 20_000;

const text = z.string().trim().min(1).max(DOCUMENT_TEXT_LENGTH_MAX);

const issue = (ctx: z.RefinementCtx, code: string, message: string, path: (string | number)[] = []) =>
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, path, params: { code } });

/** EU VAT identification number: country prefix and 2..13 letters or digits ("DE123456789"). */
export const vatIdSchema = z.string().regex(/^[A-Z]{2}[A-Z0-9]{2,13}$/, 'VAT id must be a country prefix and 2 to 13 letters or digits, e.g. DE123456789');

export const postalAddressSchema = z
  .object({
    street: text,
    postalCode: z.string().trim().min(1).max(20),
    city: text,
    /** ISO 3166-1 alpha-2. */
    country: z.string().regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code such as DE'),
  })
  .strict();

export const partySchema = z
  .object({
    name: text,
    address: postalAddressSchema,
    vatId: vatIdSchema.optional(),
  })
  .strict();
export type Party = z.infer<typeof partySchema>;

export const invoiceLineSchema = z
  .object({
    description: text,
    quantity: decimalStringSchema,
    unitPrice: decimalStringSchema,
    netAmount: decimalStringSchema,
    /** Percent, e.g. "19" or "7" or "0". */
    taxRate: nonNegativeDecimalStringSchema,
    taxAmount: decimalStringSchema,
  })
  .strict();
export type InvoiceLine = z.infer<typeof invoiceLineSchema>;

const invoiceObject = z
  .object({
    invoiceNumber: text,
    issueDate: isoDateSchema,
    dueDate: isoDateSchema,
    currency: currencyCodeSchema,
    seller: partySchema,
    buyer: partySchema,
    lines: z.array(invoiceLineSchema).min(1).max(DOCUMENT_LINES_MAX),
    netTotal: decimalStringSchema,
    taxTotal: decimalStringSchema,
    grossTotal: decimalStringSchema,
  })
  .strict();

/** Sales and purchase invoices share one shape; the document type says which side we are on. */
export const invoiceContentSchema = invoiceObject.superRefine((invoice, ctx) => {
  const scale = currencyScale(invoice.currency);
  if (scale === undefined) return; // CURRENCY_UNKNOWN is reported by the field.
  if (invoice.dueDate < invoice.issueDate) issue(ctx, 'DUE_DATE_BEFORE_ISSUE_DATE', 'The due date lies before the issue date.', ['dueDate']);
  let netSum = 0n;
  let taxSum = 0n;
  let linesValid = true;
  invoice.lines.forEach((line, index) => {
    for (const field of ['netAmount', 'taxAmount'] as const) refineAmountPrecision(line[field], invoice.currency, ctx, ['lines', index, field]);
    const quantity = parseScaledDecimal(line.quantity);
    const unitPrice = parseScaledDecimal(line.unitPrice);
    const rate = parseScaledDecimal(line.taxRate);
    const net = toMinorUnits(line.netAmount, invoice.currency);
    const tax = toMinorUnits(line.taxAmount, invoice.currency);
    if (quantity === null || unitPrice === null || rate === null || net === null || tax === null) {
      linesValid = false;
      return;
    }
    if (lineNetMinor(quantity, unitPrice, scale) !== net) {
      linesValid = false;
      issue(ctx, 'LINE_AMOUNT_MISMATCH', `Line ${index + 1}: netAmount is not quantity × unitPrice (rounded to the currency).`, ['lines', index, 'netAmount']);
    }
    if (taxMinor(net, rate) !== tax) {
      linesValid = false;
      issue(ctx, 'LINE_TAX_MISMATCH', `Line ${index + 1}: taxAmount is not netAmount × taxRate / 100 (rounded to the currency).`, ['lines', index, 'taxAmount']);
    }
    netSum += net;
    taxSum += tax;
  });
  const netTotal = toMinorUnits(invoice.netTotal, invoice.currency);
  const taxTotal = toMinorUnits(invoice.taxTotal, invoice.currency);
  const grossTotal = toMinorUnits(invoice.grossTotal, invoice.currency);
  if (netTotal === null || taxTotal === null || grossTotal === null) {
    for (const field of ['netTotal', 'taxTotal', 'grossTotal'] as const) refineAmountPrecision(invoice[field], invoice.currency, ctx, [field]);
    return;
  }
  if (!linesValid) return; // One mistake, one issue: totals are only compared with valid lines.
  if (netTotal !== netSum || taxTotal !== taxSum || grossTotal !== netTotal + taxTotal) {
    issue(ctx, 'INVOICE_TOTALS_MISMATCH', 'netTotal and taxTotal must be the sums of the lines, and grossTotal must be netTotal + taxTotal.', ['grossTotal']);
  }
});
export type InvoiceContent = z.infer<typeof invoiceContentSchema>;

export const orderLineSchema = z
  .object({ description: text, quantity: decimalStringSchema, unitPrice: decimalStringSchema, netAmount: decimalStringSchema })
  .strict();

export const orderContentSchema = z
  .object({
    orderNumber: text,
    orderDate: isoDateSchema,
    deliveryDate: isoDateSchema.optional(),
    currency: currencyCodeSchema,
    seller: partySchema,
    buyer: partySchema,
    lines: z.array(orderLineSchema).min(1).max(DOCUMENT_LINES_MAX),
    netTotal: decimalStringSchema,
  })
  .strict()
  .superRefine((order, ctx) => {
    const scale = currencyScale(order.currency);
    if (scale === undefined) return;
    let sum = 0n;
    let linesValid = true;
    order.lines.forEach((line, index) => {
      const quantity = parseScaledDecimal(line.quantity);
      const unitPrice = parseScaledDecimal(line.unitPrice);
      const net = toMinorUnits(line.netAmount, order.currency);
      if (quantity === null || unitPrice === null || net === null) {
        linesValid = false;
        refineAmountPrecision(line.netAmount, order.currency, ctx, ['lines', index, 'netAmount']);
        return;
      }
      if (lineNetMinor(quantity, unitPrice, scale) !== net) {
        linesValid = false;
        issue(ctx, 'LINE_AMOUNT_MISMATCH', `Line ${index + 1}: netAmount is not quantity × unitPrice (rounded to the currency).`, ['lines', index, 'netAmount']);
      }
      sum += net;
    });
    const total = toMinorUnits(order.netTotal, order.currency);
    if (total === null) refineAmountPrecision(order.netTotal, order.currency, ctx, ['netTotal']);
    else if (linesValid && total !== sum) issue(ctx, 'ORDER_TOTAL_MISMATCH', 'netTotal must be the sum of the lines.', ['netTotal']);
  });
export type OrderContent = z.infer<typeof orderContentSchema>;

export const contractContentSchema = z
  .object({
    title: text,
    contractNumber: text.optional(),
    parties: z.array(partySchema).min(2).max(CONTRACT_PARTIES_MAX),
    effectiveDate: isoDateSchema,
    endDate: isoDateSchema.optional(),
    /** Total contract value, when it has one. */
    value: z.object({ amount: decimalStringSchema, currency: currencyCodeSchema }).strict().optional(),
    terms: z.string().max(DOCUMENT_LONG_TEXT_LENGTH_MAX).optional(),
  })
  .strict()
  .superRefine((contract, ctx) => {
    if (contract.endDate !== undefined && contract.endDate < contract.effectiveDate) {
      issue(ctx, 'CONTRACT_END_BEFORE_START', 'The end date lies before the effective date.', ['endDate']);
    }
    if (contract.value !== undefined) refineAmountPrecision(contract.value.amount, contract.value.currency, ctx, ['value', 'amount']);
  });
export type ContractContent = z.infer<typeof contractContentSchema>;

export const receiptContentSchema = z
  .object({
    merchant: text,
    receiptDate: isoDateSchema,
    currency: currencyCodeSchema,
    netTotal: decimalStringSchema,
    taxTotal: decimalStringSchema,
    grossTotal: decimalStringSchema,
    paymentMethod: z.enum(['cash', 'card', 'transfer', 'other']),
  })
  .strict()
  .superRefine((receipt, ctx) => {
    const net = toMinorUnits(receipt.netTotal, receipt.currency);
    const tax = toMinorUnits(receipt.taxTotal, receipt.currency);
    const gross = toMinorUnits(receipt.grossTotal, receipt.currency);
    if (net === null || tax === null || gross === null) {
      for (const field of ['netTotal', 'taxTotal', 'grossTotal'] as const) refineAmountPrecision(receipt[field], receipt.currency, ctx, [field]);
      return;
    }
    if (gross !== net + tax) issue(ctx, 'RECEIPT_TOTALS_MISMATCH', 'grossTotal must be netTotal + taxTotal.', ['grossTotal']);
  });
export type ReceiptContent = z.infer<typeof receiptContentSchema>;

export const otherContentSchema = z.object({ title: text, text: z.string().max(DOCUMENT_LONG_TEXT_LENGTH_MAX).optional() }).strict();
export type OtherContent = z.infer<typeof otherContentSchema>;

/** The content schema of each document type. */
export const documentContentSchemas = {
  sales_invoice: invoiceContentSchema,
  purchase_invoice: invoiceContentSchema,
  order: orderContentSchema,
  contract: contractContentSchema,
  receipt: receiptContentSchema,
  other: otherContentSchema,
} as const satisfies Record<DocumentType, z.ZodTypeAny>;

export type DocumentContentOf<Type extends DocumentType> = z.infer<(typeof documentContentSchemas)[Type]>;
