import type { ContractContent, DocumentType, InvoiceContent, OrderContent, OtherContent, ReceiptContent } from './content';

/**
 * One valid content per document type: for the OpenAPI document, the demo data and tests.
 * The invoice: 3 × 100.00 at 19 % plus 1 × 50.00 at 7 % = 350.00 net, 60.50 tax, 410.50 gross.
 */
const seller = { name: 'Valeo Demo GmbH', address: { street: 'Hauptstraße 1', postalCode: '10115', city: 'Berlin', country: 'DE' }, vatId: 'DE123456789' };
const buyer = { name: 'Kunde AG', address: { street: 'Marktplatz 5', postalCode: '80331', city: 'München', country: 'DE' }, vatId: 'DE987654321' };

export const exampleInvoiceContent: InvoiceContent = {
  invoiceNumber: 'RE-2025-0001',
  issueDate: '2025-03-10',
  dueDate: '2025-04-09',
  currency: 'EUR',
  seller,
  buyer,
  lines: [
    { description: 'Beratung (Stunden)', quantity: '3', unitPrice: '100.00', netAmount: '300.00', taxRate: '19', taxAmount: '57.00' },
    { description: 'Fachbuch', quantity: '1', unitPrice: '50.00', netAmount: '50.00', taxRate: '7', taxAmount: '3.50' },
  ],
  netTotal: '350.00',
  taxTotal: '60.50',
  grossTotal: '410.50',
};

export const exampleOrderContent: OrderContent = {
  orderNumber: 'PO-77',
  orderDate: '2025-03-01',
  currency: 'EUR',
  seller,
  buyer,
  lines: [{ description: 'Papier A4, 500 Blatt', quantity: '10', unitPrice: '4.99', netAmount: '49.90' }],
  netTotal: '49.90',
};

export const exampleContractContent: ContractContent = {
  title: 'Wartungsvertrag',
  parties: [seller, buyer],
  effectiveDate: '2025-01-01',
  endDate: '2025-12-31',
  value: { amount: '12000.00', currency: 'EUR' },
};

export const exampleReceiptContent: ReceiptContent = {
  merchant: 'Tankstelle Mitte',
  receiptDate: '2025-03-05',
  currency: 'EUR',
  netTotal: '50.00',
  taxTotal: '9.50',
  grossTotal: '59.50',
  paymentMethod: 'card',
};

export const exampleOtherContent: OtherContent = { title: 'Protokoll der Sitzung', text: 'Beschlüsse ...' };

export const exampleDocumentContents: Readonly<Record<DocumentType, Record<string, unknown>>> = Object.freeze({
  sales_invoice: exampleInvoiceContent,
  purchase_invoice: exampleInvoiceContent,
  order: exampleOrderContent,
  contract: exampleContractContent,
  receipt: exampleReceiptContent,
  other: exampleOtherContent,
});
