import { createLedgerCommandHandler, LedgerCommands, type CommandContext } from '@neuroerp/command-api';
import { isDomainError, SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import type { EventStore } from '@neuroerp/infra';
import type { ledger as wire } from '@neuroerp/schemas';

/**
 * Demo data for the embedded profile and `neuroerp seed`: a German GmbH with the SKR03 demo
 * chart, the current fiscal year opened, and about fifty realistic transactions over the
 * months of the year so far (sales and purchase invoices with 19 % VAT, customer and supplier
 * payments, rent, office supplies, salaries with a cost centre), mostly posted, a few left
 * as drafts or submitted above the approval threshold, waiting for an approver.
 *
 * Idempotent: every id is derived from the plan (company, year, number), every command is a
 * repeatable create, and "already posted" counts as done. Running it twice adds nothing; a
 * later month adds that month's transactions.
 */

export const DEMO_COMPANY_ID = 'valeo-demo-gmbh';
/** Transactions above this (company currency) need an approver; the demo salaries are above it. */
export const DEMO_APPROVAL_THRESHOLD = '10000.00';
export const DEMO_TRANSACTIONS_MAX = 50;

const accountant: CommandContext = { actor: { userId: 'demo-accountant', role: 'accountant' }, correlationId: 'demo-seed', requestId: null };
const approver: CommandContext = { actor: { userId: 'demo-approver', role: 'approver' }, correlationId: 'demo-seed', requestId: null };
const admin: CommandContext = { actor: { userId: 'demo-admin', role: 'admin' }, correlationId: 'demo-seed', requestId: null };

type Line = wire.TransactionLineInput;
type Planned = { body: wire.DraftTransactionBody; finalState: 'posted' | 'draft' | 'submitted' };

const eur = (minor: bigint): string => `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;
const debit = (accountNumber: string, minor: bigint, extra: Partial<Line> = {}): Line => ({ accountNumber, side: 'debit', amount: eur(minor), currency: 'EUR', ...extra });
const credit = (accountNumber: string, minor: bigint, extra: Partial<Line> = {}): Line => ({ accountNumber, side: 'credit', amount: eur(minor), currency: 'EUR', ...extra });
/** 19 % VAT on a net amount, rounded half up to the cent. */
const vat19 = (netMinor: bigint): bigint => (netMinor * 19n + 50n) / 100n;

const CUSTOMERS = ['Müller Maschinenbau AG', 'Schneider Logistik GmbH', 'Becker & Söhne KG', 'Hoffmann Elektrotechnik', 'Wagner Bau GmbH'];
const SUPPLIERS = ['Bürobedarf Schulz', 'Metallhandel Krause', 'IT-Service Neumann', 'Großhandel Zimmermann'];

/** A small deterministic generator, so the plan (and with it every id and amount) is reproducible. */
function amountFor(seed: number, minEuro: number, maxEuro: number): bigint {
  const x = Math.sin(seed * 9301 + 49297) * 233280;
  const fraction = x - Math.floor(x);
  return BigInt(Math.round((minEuro + fraction * (maxEuro - minEuro)) * 100));
}

/** The months of `year` up to `today` that get transactions (at least January), and the last day usable in each. */
function monthsSoFar(year: number, today: Date): { month: number; lastDay: number }[] {
  const current = today.getUTCFullYear() === year ? today.getUTCMonth() + 1 : 12;
  const months: { month: number; lastDay: number }[] = [];
  for (let month = 1; month <= current; month += 1) {
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const lastDay = month === current && today.getUTCFullYear() === year ? Math.max(1, today.getUTCDate() - 1) : daysInMonth;
    months.push({ month, lastDay });
  }
  return months;
}

/** The demo transactions of `year` as of `today`. */
export function demoTransactionPlan(year: number, today: Date): Planned[] {
  const months = monthsSoFar(year, today);
  const plan: Planned[] = [];
  const date = (month: number, day: number, lastDay: number) => `${year}-${String(month).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`;
  let number = 0;
  const add = (type: wire.TransactionType, postingDate: string, description: string, lines: Line[], finalState: Planned['finalState'] = 'posted') => {
    number += 1;
    if (plan.length >= DEMO_TRANSACTIONS_MAX) return;
    plan.push({
      body: { transactionId: `demo-${year}-${String(number).padStart(3, '0')}`, companyId: DEMO_COMPANY_ID, type, documentDate: postingDate, postingDate, description, lines },
      finalState,
    });
  };
  const perMonth = Math.max(1, Math.ceil(DEMO_TRANSACTIONS_MAX / months.length));
  for (const { month, lastDay } of months) {
    const templates: (() => void)[] = [
      () => add('journal', date(month, 1, lastDay), `Miete Büro ${month}/${year}`, [debit('4210', 250_000n), credit('1200', 250_000n)]),
      () => {
        const net = amountFor(month * 10 + 1, 800, 7500);
        const customer = CUSTOMERS[month % CUSTOMERS.length] as string;
        add('sales_invoice', date(month, 5, lastDay), `Ausgangsrechnung ${customer}`, [debit('1400', net + vat19(net)), credit('8400', net), credit('1776', vat19(net))]);
      },
      () => {
        const net = amountFor(month * 10 + 2, 300, 4000);
        const supplier = SUPPLIERS[month % SUPPLIERS.length] as string;
        add('purchase_invoice', date(month, 8, lastDay), `Eingangsrechnung ${supplier}`, [debit('3400', net), debit('1576', vat19(net)), credit('1600', net + vat19(net))]);
      },
      () => {
        const gross = amountFor(month * 10 + 3, 1000, 6000);
        add('payment', date(month, 12, lastDay), `Zahlungseingang ${CUSTOMERS[(month + 1) % CUSTOMERS.length]}`, [debit('1200', gross), credit('1400', gross)]);
      },
      () => {
        const net = amountFor(month * 10 + 4, 40, 400);
        add('purchase_invoice', date(month, 15, lastDay), 'Bürobedarf', [debit('4930', net), debit('1576', vat19(net)), credit('1200', net + vat19(net))]);
      },
      () => {
        const gross = amountFor(month * 10 + 5, 500, 3500);
        add('payment', date(month, 20, lastDay), `Zahlung an ${SUPPLIERS[(month + 2) % SUPPLIERS.length]}`, [debit('1600', gross), credit('1200', gross)]);
      },
      () => {
        // Above the approval threshold: submitted and approved by a second person before posting.
        const gross = 1_480_000n;
        const tax = 310_000n;
        add('journal', date(month, 28, lastDay), `Gehälter ${month}/${year}`, [
          debit('4120', gross, { dimensions: { cost_centre: 'verwaltung' } }),
          credit('1740', gross - tax),
          credit('1741', tax),
        ]);
      },
      () => {
        const net = amountFor(month * 10 + 6, 1500, 9000);
        add('sales_invoice', date(month, 25, lastDay), `Ausgangsrechnung ${CUSTOMERS[(month + 3) % CUSTOMERS.length]}`, [debit('1400', net + vat19(net)), credit('8400', net), credit('1776', vat19(net))]);
      },
    ];
    for (const template of templates.slice(0, perMonth)) template();
  }
  // The newest few are left open: two drafts and three large invoices submitted, awaiting approval.
  const open = plan.slice(-5);
  open.forEach((planned, index) => {
    if (index < 2) planned.finalState = 'draft';
    else {
      planned.finalState = 'submitted';
      const net = 1_250_000n + BigInt(index) * 100_000n;
      planned.body = {
        ...planned.body,
        type: 'purchase_invoice',
        description: `Eingangsrechnung Maschine ${index} (Freigabe nötig)`,
        lines: [debit('0420', net), debit('1576', vat19(net)), credit('1600', net + vat19(net))],
      };
    }
  });
  return plan;
}

export interface SeedOptions {
  /** Defaults to now: the fiscal year is its calendar year. */
  today?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedSummary {
  companyId: string;
  year: number;
  /** Events appended by this run; 0 when everything was there already. */
  eventsAppended: number;
  posted: number;
  awaiting: number;
}

/** Seeds the demo company into `store` (idempotent). */
export async function seedDemoData(store: EventStore, options: SeedOptions = {}): Promise<SeedSummary> {
  const today = options.today ?? new Date();
  const year = today.getUTCFullYear();
  const commands = new LedgerCommands(createLedgerCommandHandler(store));
  const plan = demoTransactionPlan(year, today);
  const total = plan.length + 2;
  let done = 0;
  let eventsAppended = 0;
  const step = () => options.onProgress?.((done += 1), total);

  eventsAppended += (await commands.importChart(admin, { companyId: DEMO_COMPANY_ID, accounts: [...SKR03_DEMO_CHART] })).appended;
  step();
  eventsAppended += (
    await commands.openFiscalYear(admin, {
      companyId: DEMO_COMPANY_ID,
      year,
      companyCurrency: SKR03_DEMO_SETTINGS.companyCurrency,
      approvalThreshold: DEMO_APPROVAL_THRESHOLD,
      roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
      retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
      openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
    })
  ).appended;
  step();

  let posted = 0;
  for (const { body, finalState } of plan) {
    const drafted = await commands.draftTransaction(accountant, body, { submit: finalState !== 'draft' });
    eventsAppended += drafted.appended;
    if (finalState === 'posted') {
      if (drafted.resource.status === 'submitted' && body.lines.some((line) => line.accountNumber === '4120')) {
        eventsAppended += (await commands.approveTransaction(approver, body.transactionId, undefined)).appended;
      }
      if (drafted.resource.status !== 'posted') {
        try {
          eventsAppended += (await commands.postTransaction(accountant, body.transactionId, undefined)).appended;
        } catch (error) {
          if (!(isDomainError(error) && error.code === 'TRANSACTION_ALREADY_POSTED')) throw error;
        }
      }
      posted += 1;
    }
    step();
  }
  return { companyId: DEMO_COMPANY_ID, year, eventsAppended, posted, awaiting: plan.length - posted };
}
