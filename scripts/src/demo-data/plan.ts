import type { documents as documentsWire, ledger as wire } from '@neuroerp/schemas';
import { textPdf } from './pdf';

/**
 * The demo plan: which transactions and documents the demo company has as of `today`. Pure
 * and deterministic: the same `today` gives the same plan, and every planned item has an id
 * derived from its date and role and data that depend on nothing else, so a later `today`
 * only adds items (idempotent re-seeding).
 *
 * ## The time window
 * The twelve calendar months ending with today's month (the dashboard shows exactly these).
 * When today's fiscal year has fewer than twelve months behind it, the window reaches back
 * into the previous fiscal year, and both fiscal years are opened (calendar years: SKR03 demo
 * companies close on 31 December). Each year numbers its own vouchers. In today's month only
 * the days before today get transactions (today itself when it is the 1st).
 *
 * ## One month (all EUR, 19 % VAT, SKR03)
 * - 1st: office rent 2,500.00 (4210 / 1200);
 * - 3rd: sales invoice A, consulting hours (1400 / 8400 + 1776), with its invoice as a document + PDF;
 * - 6th: purchase invoice for material (3400 + 1576 / 1600), with its invoice as a document + PDF;
 * - 10th: VAT advance payment of the previous month (output minus input VAT; 1780 / 1200) and
 *   the previous month's wage tax (1741 / 1200);
 * - 12th: the customer pays the previous month's invoice B; 17th: pays this month's invoice A (1200 / 1400);
 * - 15th: office supplies paid by card (4930 + 1576 / 1200);
 * - 20th: this month's purchase invoice paid (1600 / 1200);
 * - 22nd: sales invoice B, a machine project (usually above the approval threshold);
 * - 28th: salaries 14,800.00 (4120 with cost centre / 1200 net, 1741 wage tax).
 * Transactions above the approval threshold (10,000.00) are posted after a completed
 * `transaction-approval` workflow, approved by the demo approver.
 *
 * ## Open items (dated the 1st of today's month)
 * two large purchase invoices submitted and waiting in the approver's inbox (running
 * workflows), two drafts, and two invoice documents posted for the invoice process manager to
 * book (the large one starts its own approval workflow).
 *
 * ## Once per store
 * The opening bank balance (`demo-opening-balance`, on the first day of the first month the
 * store was seeded for): a later run with another window finds it and leaves it alone.
 * The two contracts have fixed dates.
 */

export const DEMO_COMPANY_ID = 'valeo-demo-gmbh';
/** Transactions above this (company currency) need an approver. */
export const DEMO_APPROVAL_THRESHOLD = '10000.00';
export const DEMO_APPROVAL_THRESHOLD_MINOR = 1_000_000n;
/** Months of transactions, ending with today's month. */
export const DEMO_MONTHS = 12;
export const DEMO_OPENING_BALANCE_ID = 'demo-opening-balance';
/** The contract under review: its contract-review workflow waits for accounting. */
export const DEMO_CONTRACT_REVIEW_WORKFLOW_ID = 'demo-contract-review-it-wartung';

type Line = wire.TransactionLineInput;
type Party = documentsWire.Party;

export type PlannedState = 'posted' | 'submitted' | 'draft';

export interface PlannedTransaction {
  body: wire.DraftTransactionBody;
  finalState: PlannedState;
  /** Debit total above the approval threshold: submitted into a `transaction-approval` workflow. */
  needsApproval: boolean;
  /** Booked once per store: skipped when a transaction with this id exists already. */
  once: boolean;
}

export interface PlannedDocument {
  body: documentsWire.CreateDocumentBody;
  attachment: { fileName: string; bytes: Buffer };
  /** Posted for booking by the invoice process manager. */
  post?: documentsWire.PostDocumentBody;
  /** A contract-review workflow started for it (subject hash: the attachment's SHA-256). */
  reviewWorkflowId?: string;
}

export interface DemoMonth {
  year: number;
  month: number;
  /** The last day of the month that gets transactions. */
  lastDay: number;
  current: boolean;
}

export interface DemoPlan {
  months: DemoMonth[];
  fiscalYears: number[];
  transactions: PlannedTransaction[];
  documents: PlannedDocument[];
}

// ---- money and dates -------------------------------------------------------------------------

export const eur = (minor: bigint): string => `${minor < 0n ? '-' : ''}${(minor < 0n ? -minor : minor) / 100n}.${String((minor < 0n ? -minor : minor) % 100n).padStart(2, '0')}`;
/** "12345.60" → "12.345,60 €", for the PDFs. */
const euroText = (minor: bigint): string => {
  const [whole = '0', cents = '00'] = eur(minor).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, '.')},${cents} €`;
};
const debit = (accountNumber: string, minor: bigint, extra: Partial<Line> = {}): Line => ({ accountNumber, side: 'debit', amount: eur(minor), currency: 'EUR', ...extra });
const credit = (accountNumber: string, minor: bigint, extra: Partial<Line> = {}): Line => ({ accountNumber, side: 'credit', amount: eur(minor), currency: 'EUR', ...extra });
/** 19 % VAT on a net amount, rounded half up to the cent (as the document content schema checks it). */
export const vat19 = (netMinor: bigint): bigint => (netMinor * 19n + 50n) / 100n;

const isoDate = (year: number, month: number, day: number): string => new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const germanDate = (date: string): string => `${date.slice(8, 10)}.${date.slice(5, 7)}.${date.slice(0, 4)}`;
const monthKey = (year: number, month: number): string => `${year}-${String(month).padStart(2, '0')}`;

/** A small deterministic generator in [min, max], so that every amount is reproducible. */
function pick(seed: number, min: number, max: number): number {
  const x = Math.sin(seed * 9301 + 49297) * 233280;
  return Math.round(min + (x - Math.floor(x)) * (max - min));
}

/** The twelve months ending with today's month. */
export function demoMonths(today: Date): DemoMonth[] {
  const year = today.getUTCFullYear();
  const month = today.getUTCMonth() + 1;
  const months: DemoMonth[] = [];
  for (let back = DEMO_MONTHS - 1; back >= 0; back -= 1) {
    const first = new Date(Date.UTC(year, month - 1 - back, 1));
    const current = back === 0;
    const daysInMonth = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
    months.push({ year: first.getUTCFullYear(), month: first.getUTCMonth() + 1, lastDay: current ? Math.max(1, today.getUTCDate() - 1) : daysInMonth, current });
  }
  return months;
}

// ---- parties ----------------------------------------------------------------------------------

export const DEMO_COMPANY: Party = { name: 'Valeo Demo GmbH', address: { street: 'Hauptstraße 1', postalCode: '10115', city: 'Berlin', country: 'DE' }, vatId: 'DE123456789' };
const CUSTOMERS: readonly Party[] = [
  { name: 'Müller Maschinenbau AG', address: { street: 'Industriestraße 12', postalCode: '70565', city: 'Stuttgart', country: 'DE' }, vatId: 'DE811234567' },
  { name: 'Schneider Logistik GmbH', address: { street: 'Hafenweg 4', postalCode: '20457', city: 'Hamburg', country: 'DE' }, vatId: 'DE812345678' },
  { name: 'Becker & Söhne KG', address: { street: 'Marktplatz 7', postalCode: '50667', city: 'Köln', country: 'DE' }, vatId: 'DE813456789' },
  { name: 'Hoffmann Elektrotechnik', address: { street: 'Gewerbering 3', postalCode: '04109', city: 'Leipzig', country: 'DE' }, vatId: 'DE814567890' },
  { name: 'Wagner Bau GmbH', address: { street: 'Baumschulenweg 21', postalCode: '80331', city: 'München', country: 'DE' }, vatId: 'DE815678901' },
];
const MATERIAL_SUPPLIERS: readonly { party: Party; code: string; item: string; unitPriceMinor: bigint }[] = [
  {
    party: { name: 'Metallhandel Krause GmbH', address: { street: 'Hüttenstraße 8', postalCode: '44137', city: 'Dortmund', country: 'DE' }, vatId: 'DE816789012' },
    code: 'MK',
    item: 'Stahlblech 2 mm, Tafel 1000 × 2000',
    unitPriceMinor: 3_850n,
  },
  {
    party: { name: 'Großhandel Zimmermann GmbH', address: { street: 'Lagerstraße 15', postalCode: '90402', city: 'Nürnberg', country: 'DE' }, vatId: 'DE817890123' },
    code: 'GZ',
    item: 'Montagematerial, Sortiment',
    unitPriceMinor: 2_490n,
  },
];
const IT_SUPPLIER: Party = { name: 'IT-Service Neumann', address: { street: 'Am Technologiepark 2', postalCode: '01069', city: 'Dresden', country: 'DE' }, vatId: 'DE818901234' };
const OFFICE_SUPPLIER = 'Bürobedarf Schulz';
const LANDLORD: Party = { name: 'Hausverwaltung Richter GmbH', address: { street: 'Friedrichstraße 90', postalCode: '10117', city: 'Berlin', country: 'DE' } };

// ---- invoices -----------------------------------------------------------------------------------

interface InvoiceSpec {
  documentId: string;
  type: 'sales_invoice' | 'purchase_invoice';
  content: documentsWire.InvoiceContent;
  netMinor: bigint;
  taxMinor: bigint;
  grossMinor: bigint;
}

/** An invoice whose lines and totals add up exactly (quantity × unit price, 19 % per line). */
function invoice(
  documentId: string,
  type: InvoiceSpec['type'],
  head: { invoiceNumber: string; issueDate: string; paymentDays: number; seller: Party; buyer: Party },
  lines: readonly { description: string; quantity: number; unitPriceMinor: bigint }[],
): InvoiceSpec {
  let netMinor = 0n;
  let taxMinor = 0n;
  const contentLines = lines.map((line) => {
    const net = BigInt(line.quantity) * line.unitPriceMinor;
    const tax = vat19(net);
    netMinor += net;
    taxMinor += tax;
    return { description: line.description, quantity: String(line.quantity), unitPrice: eur(line.unitPriceMinor), netAmount: eur(net), taxRate: '19', taxAmount: eur(tax) };
  });
  const content: documentsWire.InvoiceContent = {
    invoiceNumber: head.invoiceNumber,
    issueDate: head.issueDate,
    dueDate: addDays(head.issueDate, head.paymentDays),
    currency: 'EUR',
    seller: head.seller,
    buyer: head.buyer,
    lines: contentLines,
    netTotal: eur(netMinor),
    taxTotal: eur(taxMinor),
    grossTotal: eur(netMinor + taxMinor),
  };
  return { documentId, type, content, netMinor, taxMinor, grossMinor: netMinor + taxMinor };
}

const partyLines = (party: Party): string[] => [party.name, party.address.street, `${party.address.postalCode} ${party.address.city}`, ...(party.vatId === undefined ? [] : [`USt-IdNr. ${party.vatId}`])];

/** The invoice as a printed PDF. */
export function invoicePdf(spec: InvoiceSpec): Buffer {
  const { content } = spec;
  return textPdf(`Rechnung ${content.invoiceNumber}`, [
    ...partyLines(content.seller),
    '',
    'An:',
    ...partyLines(content.buyer),
    '',
    `Rechnungsdatum: ${germanDate(content.issueDate)}    Fällig am: ${germanDate(content.dueDate)}`,
    '',
    ...content.lines.map((line) => `${line.quantity} × ${line.description} à ${euroText(BigInt(line.unitPrice.replace('.', '')))} = ${euroText(BigInt(line.netAmount.replace('.', '')))}`),
    '',
    `Nettobetrag: ${euroText(spec.netMinor)}`,
    `Umsatzsteuer 19 %: ${euroText(spec.taxMinor)}`,
    `Rechnungsbetrag: ${euroText(spec.grossMinor)}`,
    '',
    'Bankverbindung: IBAN DE89 3704 0044 0532 0130 00',
  ]);
}

function invoiceDocument(spec: InvoiceSpec, post?: Omit<documentsWire.PostDocumentBody, 'documentId'>): PlannedDocument {
  return {
    body: { documentId: spec.documentId, type: spec.type, content: spec.content, metadata: { source: 'demo-seed' } },
    attachment: { fileName: `${spec.content.invoiceNumber}.pdf`, bytes: invoicePdf(spec) },
    ...(post === undefined ? {} : { post: { documentId: spec.documentId, ...post } }),
  };
}

// ---- the plan ------------------------------------------------------------------------------------

/** The invoices of one month; a pure function of the month, so that the next month can pay them. */
function monthInvoices(year: number, month: number) {
  const key = monthKey(year, month);
  const seed = (year * 12 + month) * 10;
  const customerA = CUSTOMERS[month % CUSTOMERS.length] as Party;
  const customerB = CUSTOMERS[(month + 2) % CUSTOMERS.length] as Party;
  const supplier = MATERIAL_SUPPLIERS[month % MATERIAL_SUPPLIERS.length] as (typeof MATERIAL_SUPPLIERS)[number];
  const salesA = invoice(
    `demo-doc-${key}-sales`,
    'sales_invoice',
    { invoiceNumber: `RE-${year}-${String(month).padStart(2, '0')}01`, issueDate: isoDate(year, month, 3), paymentDays: 14, seller: DEMO_COMPANY, buyer: customerA },
    [{ description: 'Montage- und Servicestunden', quantity: pick(seed + 1, 30, 88), unitPriceMinor: 9_500n }],
  );
  const purchase = invoice(
    `demo-doc-${key}-purchase`,
    'purchase_invoice',
    { invoiceNumber: `${supplier.code}-${year}${String(month).padStart(2, '0')}-${pick(seed + 2, 1000, 9999)}`, issueDate: isoDate(year, month, 6), paymentDays: 14, seller: supplier.party, buyer: DEMO_COMPANY },
    [{ description: supplier.item, quantity: pick(seed + 3, 25, 120), unitPriceMinor: supplier.unitPriceMinor }],
  );
  const salesBNet = BigInt(pick(seed + 4, 12_000, 26_000)) * 100n;
  const officeNet = BigInt(pick(seed + 5, 4_000, 40_000));
  return { salesA, purchase, salesB: { net: salesBNet, tax: vat19(salesBNet), customer: customerB, number: `RE-${year}-${String(month).padStart(2, '0')}02` }, officeNet };
}

const SALARIES_GROSS = 1_480_000n;
const WAGE_TAX = 310_000n;
const RENT = 250_000n;
const OPENING_BANK_BALANCE = 4_000_000n;

/** The demo plan as of `today` (see the module comment). */
export function demoPlan(today: Date): DemoPlan {
  const months = demoMonths(today);
  const transactions: PlannedTransaction[] = [];
  const documents: PlannedDocument[] = [];
  const add = (transactionId: string, type: wire.TransactionType, postingDate: string, description: string, lines: Line[], options: { finalState?: PlannedState; linkedDocumentIds?: string[]; once?: boolean } = {}) => {
    const debitTotal = lines.filter((line) => line.side === 'debit').reduce((sum, line) => sum + BigInt(line.amount.replace('.', '')), 0n);
    transactions.push({
      body: {
        transactionId,
        companyId: DEMO_COMPANY_ID,
        type,
        documentDate: postingDate,
        postingDate,
        description,
        ...(options.linkedDocumentIds === undefined ? {} : { linkedDocumentIds: options.linkedDocumentIds }),
        lines,
      },
      finalState: options.finalState ?? 'posted',
      needsApproval: debitTotal > DEMO_APPROVAL_THRESHOLD_MINOR,
      once: options.once ?? false,
    });
  };

  const first = months[0] as DemoMonth;
  add(DEMO_OPENING_BALANCE_ID, 'journal', isoDate(first.year, first.month, 1), 'Saldovortrag Bankguthaben Sparkasse', [debit('1200', OPENING_BANK_BALANCE), credit('9000', OPENING_BANK_BALANCE)], { once: true });

  months.forEach(({ year, month, lastDay, current }, index) => {
    const key = monthKey(year, month);
    const label = `${String(month).padStart(2, '0')}/${year}`;
    const on = (day: number) => (day <= lastDay ? isoDate(year, month, day) : null);
    const id = (role: string) => `demo-${key}-${role}`;
    const { salesA, purchase, salesB, officeNet } = monthInvoices(year, month);
    const previous = index > 0 ? months[index - 1] : undefined;
    const before = previous === undefined ? null : monthInvoices(previous.year, previous.month);
    const planned: [number, () => void][] = [
      [1, () => add(id('rent'), 'journal', isoDate(year, month, 1), `Miete Büro Hauptstraße 1, ${label}`, [debit('4210', RENT), credit('1200', RENT)])],
      [
        3,
        () => {
          documents.push(invoiceDocument(salesA));
          add(id('sales-a'), 'sales_invoice', salesA.content.issueDate, `Ausgangsrechnung ${salesA.content.invoiceNumber} ${salesA.content.buyer.name}`, [debit('1400', salesA.grossMinor), credit('8400', salesA.netMinor), credit('1776', salesA.taxMinor)], {
            linkedDocumentIds: [salesA.documentId],
          });
        },
      ],
      [
        6,
        () => {
          documents.push(invoiceDocument(purchase));
          add(id('purchase'), 'purchase_invoice', purchase.content.issueDate, `Eingangsrechnung ${purchase.content.invoiceNumber} ${purchase.content.seller.name}`, [debit('3400', purchase.netMinor), debit('1576', purchase.taxMinor), credit('1600', purchase.grossMinor)], {
            linkedDocumentIds: [purchase.documentId],
          });
        },
      ],
      [
        10,
        () => {
          if (before === null || previous === undefined) return;
          const payable = before.salesA.taxMinor + before.salesB.tax - before.purchase.taxMinor - vat19(before.officeNet);
          const previousLabel = `${String(previous.month).padStart(2, '0')}/${previous.year}`;
          if (payable > 0n) add(id('vat'), 'payment', isoDate(year, month, 10), `USt-Vorauszahlung ${previousLabel} an Finanzamt Berlin`, [debit('1780', payable), credit('1200', payable)]);
          add(id('wage-tax'), 'payment', isoDate(year, month, 10), `Lohnsteuer ${previousLabel} an Finanzamt Berlin`, [debit('1741', WAGE_TAX), credit('1200', WAGE_TAX)]);
        },
      ],
      [
        12,
        () => {
          if (before === null) return;
          const gross = before.salesB.net + before.salesB.tax;
          add(id('receipt-b'), 'payment', isoDate(year, month, 12), `Zahlungseingang ${before.salesB.number} ${before.salesB.customer.name}`, [debit('1200', gross), credit('1400', gross)]);
        },
      ],
      [15, () => add(id('office'), 'purchase_invoice', isoDate(year, month, 15), `${OFFICE_SUPPLIER}: Bürobedarf (Kartenzahlung)`, [debit('4930', officeNet), debit('1576', vat19(officeNet)), credit('1200', officeNet + vat19(officeNet))])],
      [17, () => add(id('receipt-a'), 'payment', isoDate(year, month, 17), `Zahlungseingang ${salesA.content.invoiceNumber} ${salesA.content.buyer.name}`, [debit('1200', salesA.grossMinor), credit('1400', salesA.grossMinor)])],
      [20, () => add(id('supplier-payment'), 'payment', isoDate(year, month, 20), `Zahlung ${purchase.content.invoiceNumber} an ${purchase.content.seller.name}`, [debit('1600', purchase.grossMinor), credit('1200', purchase.grossMinor)])],
      [
        22,
        () =>
          add(id('sales-b'), 'sales_invoice', isoDate(year, month, 22), `Ausgangsrechnung ${salesB.number} ${salesB.customer.name} (Sondermaschine)`, [
            debit('1400', salesB.net + salesB.tax),
            credit('8400', salesB.net),
            credit('1776', salesB.tax),
          ]),
      ],
      [
        28,
        () =>
          add(id('salaries'), 'journal', isoDate(year, month, 28), `Gehälter ${label}`, [
            debit('4120', SALARIES_GROSS, { dimensions: { cost_centre: 'verwaltung' } }),
            credit('1200', SALARIES_GROSS - WAGE_TAX),
            credit('1741', WAGE_TAX),
          ]),
      ],
    ];
    for (const [day, plan] of planned) if (on(day) !== null) plan();

    if (!current) return;
    // Open items of today's month, all on its 1st (never after today).
    const day1 = isoDate(year, month, 1);
    const furniture = 1_240_000n;
    const software = 1_890_000n;
    add(id('approval-1'), 'purchase_invoice', day1, `Eingangsrechnung Büromöbel Objekteinrichtung Lehmann (Freigabe nötig)`, [debit('0420', furniture), debit('1576', vat19(furniture)), credit('1600', furniture + vat19(furniture))], {
      finalState: 'submitted',
    });
    add(id('approval-2'), 'purchase_invoice', day1, `Eingangsrechnung ERP-Lizenzen ${IT_SUPPLIER.name} (Freigabe nötig)`, [debit('0027', software), debit('1576', vat19(software)), credit('1600', software + vat19(software))], {
      finalState: 'submitted',
    });
    add(id('draft-1'), 'journal', day1, `Abschreibung Büroeinrichtung ${label} (Entwurf)`, [debit('4830', 85_000n), credit('0420', 85_000n)], { finalState: 'draft' });
    add(id('draft-2'), 'purchase_invoice', day1, `${OFFICE_SUPPLIER}: Druckerpatronen (Entwurf)`, [debit('4930', 18_900n), debit('1576', vat19(18_900n)), credit('1200', 18_900n + vat19(18_900n))], { finalState: 'draft' });

    // Two invoices posted as documents: the invoice process manager books them.
    const postedSales = invoice(
      `demo-doc-${key}-sales-posted`,
      'sales_invoice',
      { invoiceNumber: `RE-${year}-${String(month).padStart(2, '0')}03`, issueDate: day1, paymentDays: 14, seller: DEMO_COMPANY, buyer: CUSTOMERS[(month + 1) % CUSTOMERS.length] as Party },
      [
        { description: 'Wartung Produktionsanlage (Stunden)', quantity: 16, unitPriceMinor: 12_500n },
        { description: 'Verschleißteile, Satz', quantity: 2, unitPriceMinor: 19_900n },
      ],
    );
    const postedPurchase = invoice(
      `demo-doc-${key}-purchase-posted`,
      'purchase_invoice',
      { invoiceNumber: `ITN-${year}-${String(month).padStart(2, '0')}-0042`, issueDate: day1, paymentDays: 30, seller: IT_SUPPLIER, buyer: DEMO_COMPANY },
      [
        { description: 'Server Rack 2U, 2 × 16 Kerne, 256 GB', quantity: 3, unitPriceMinor: 475_000n },
        { description: 'Einrichtung und Inbetriebnahme (Stunden)', quantity: 12, unitPriceMinor: 11_000n },
      ],
    );
    documents.push(invoiceDocument(postedSales, { companyId: DEMO_COMPANY_ID }));
    documents.push(invoiceDocument(postedPurchase, { companyId: DEMO_COMPANY_ID, expenseAccountNumber: '0420' }));
  });

  documents.push(...contractDocuments());
  transactions.sort((a, b) => (a.body.postingDate < b.body.postingDate ? -1 : a.body.postingDate > b.body.postingDate ? 1 : 0));
  return { months, fiscalYears: [...new Set(months.map((month) => month.year))], transactions, documents };
}

/** The office lease (fixed dates) and an IT maintenance contract waiting for its review. */
function contractDocuments(): PlannedDocument[] {
  const lease: documentsWire.ContractContent = {
    title: 'Gewerbemietvertrag Büroflächen Hauptstraße 1, 2. OG',
    contractNumber: 'MV-2024-007',
    parties: [LANDLORD, DEMO_COMPANY],
    effectiveDate: '2024-01-01',
    endDate: '2028-12-31',
    value: { amount: '150000.00', currency: 'EUR' },
    terms: 'Monatliche Miete 2.500,00 € netto, fällig zum 1. eines Monats; Kündigungsfrist 6 Monate zum Quartalsende.',
  };
  const maintenance: documentsWire.ContractContent = {
    title: 'IT-Wartungsvertrag Server und Arbeitsplätze',
    contractNumber: 'ITN-WV-2026-03',
    parties: [IT_SUPPLIER, DEMO_COMPANY],
    effectiveDate: '2026-01-01',
    endDate: '2027-12-31',
    value: { amount: '21600.00', currency: 'EUR' },
    terms: 'Pauschale 900,00 € netto im Monat; Reaktionszeit 4 Stunden werktags.',
  };
  const pdf = (contract: documentsWire.ContractContent) =>
    textPdf(contract.title, [
      `Vertragsnummer: ${contract.contractNumber ?? '-'}`,
      '',
      'Vertragsparteien:',
      ...contract.parties.flatMap((party) => [...partyLines(party), '']),
      `Beginn: ${germanDate(contract.effectiveDate)}    Ende: ${contract.endDate === undefined ? 'unbefristet' : germanDate(contract.endDate)}`,
      `Vertragswert: ${contract.value === undefined ? '-' : euroText(BigInt(contract.value.amount.replace('.', '')))}`,
      '',
      contract.terms ?? '',
    ]);
  return [
    { body: { documentId: 'demo-doc-contract-lease', type: 'contract', content: lease, metadata: { source: 'demo-seed' } }, attachment: { fileName: 'Mietvertrag-MV-2024-007.pdf', bytes: pdf(lease) } },
    {
      body: { documentId: 'demo-doc-contract-it-maintenance', type: 'contract', content: maintenance, metadata: { source: 'demo-seed' } },
      attachment: { fileName: 'Wartungsvertrag-ITN-WV-2026-03.pdf', bytes: pdf(maintenance) },
      reviewWorkflowId: DEMO_CONTRACT_REVIEW_WORKFLOW_ID,
    },
  ];
}
