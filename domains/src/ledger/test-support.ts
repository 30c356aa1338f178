import { ledger as wire } from '@neuroerp/schemas';
import * as chartOfAccounts from './accounts/chart-of-accounts';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from './accounts/skr03';
import * as fiscalYear from './fiscal-years/fiscal-year';
import * as journalTransaction from './transactions/transaction';
import type { CommandMetadata, LedgerEvent } from './types';

/** Shared fixtures for the ledger specs: a demo company on SKR03 with fiscal year 2025. */

export const COMPANY_ID = 'acme';
export const YEAR = 2025;

export function meta(userId = 'alice', now = '2025-03-15T10:00:00Z', role = 'accountant'): CommandMetadata {
  return { actor: { userId, role }, now };
}

export const chartEvents = chartOfAccounts.decide(
  { type: 'ImportChartOfAccounts', data: { companyId: COMPANY_ID, accounts: [...SKR03_DEMO_CHART] }, metadata: meta('admin', '2025-01-01T08:00:00Z', 'admin') },
  chartOfAccounts.initialState(),
);
export const chart = chartOfAccounts.evolveAll(chartOfAccounts.initialState(), chartEvents);

export function chartWith(...events: LedgerEvent[]): chartOfAccounts.ChartOfAccountsState {
  return chartOfAccounts.evolveAll(chart, events);
}

export function openFiscalYearBody(overrides: Partial<wire.OpenFiscalYearBody> = {}): wire.OpenFiscalYearBody {
  return {
    companyId: COMPANY_ID,
    year: YEAR,
    companyCurrency: SKR03_DEMO_SETTINGS.companyCurrency,
    approvalThreshold: '10000.00',
    roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
    retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
    openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
    ...overrides,
  };
}

export function fiscalYearOpened(overrides: Partial<wire.OpenFiscalYearBody> = {}): fiscalYear.FiscalYearEvent {
  const [event] = fiscalYear.decide({ type: 'OpenFiscalYear', data: openFiscalYearBody(overrides), metadata: meta('admin', '2025-01-01T08:00:00Z', 'admin') }, fiscalYear.initialState());
  if (event === undefined) throw new Error('fixture: fiscal year not opened');
  return event;
}

export function periodEvent(type: 'ledger.period_soft_locked' | 'ledger.period_closed', period: number, year = YEAR): fiscalYear.FiscalYearEvent {
  return type === 'ledger.period_closed'
    ? { type, data: { companyId: COMPANY_ID, year, period, closedBy: 'controller' } }
    : { type, data: { companyId: COMPANY_ID, year, period, lockedBy: 'controller' } };
}

export function allPeriodsClosed(year = YEAR): fiscalYear.FiscalYearEvent[] {
  return Array.from({ length: 12 }, (_, index) => periodEvent('ledger.period_closed', index + 1, year));
}

export function fold(events: readonly LedgerEvent[]): fiscalYear.FiscalYearState {
  return fiscalYear.evolveAll(fiscalYear.initialState(), events);
}

/** A sales invoice: 1400 receivable 119.00 / 8400 revenue 100.00 / 1776 VAT 19.00. */
export function draftBody(overrides: Partial<wire.DraftTransactionBody> = {}): wire.DraftTransactionBody {
  return {
    transactionId: 'tx-1',
    companyId: COMPANY_ID,
    type: 'sales_invoice',
    documentDate: '2025-03-14',
    postingDate: '2025-03-15',
    linkedDocumentIds: ['invoice-4711'],
    lines: [
      { accountNumber: '1400', side: 'debit', amount: '119.00', currency: 'EUR' },
      { accountNumber: '8400', side: 'credit', amount: '100.00', currency: 'EUR' },
      { accountNumber: '1776', side: 'credit', amount: '19.00', currency: 'EUR' },
    ],
    ...overrides,
  };
}

export function transactionEvents(
  body: wire.DraftTransactionBody = draftBody(),
  steps: { submittedBy?: string; approvedBy?: string } = { submittedBy: 'alice' },
): journalTransaction.TransactionEvent[] {
  const events: journalTransaction.TransactionEvent[] = [
    ...journalTransaction.decide({ type: 'DraftTransaction', data: body, metadata: meta('alice') }, journalTransaction.initialState()),
  ];
  if (steps.submittedBy !== undefined) events.push({ type: 'ledger.transaction_submitted', data: { transactionId: body.transactionId, submittedBy: steps.submittedBy } });
  if (steps.approvedBy !== undefined) events.push({ type: 'ledger.transaction_approved', data: { transactionId: body.transactionId, approvedBy: steps.approvedBy } });
  return events;
}

export function transactionState(events: readonly LedgerEvent[]): journalTransaction.TransactionState {
  return events.reduce(journalTransaction.evolve, journalTransaction.initialState());
}

/** A `ledger.period_sealed` with a well-formed but meaningless signature and hashes (schema and decider specs only). */
export function fakeSeal(period: number): wire.PeriodSealed {
  const hash = 'a'.repeat(64);
  return {
    companyId: 'acme',
    year: 2025,
    period,
    kid: '0123456789abcdef',
    alg: 'Ed25519',
    signature: 'A'.repeat(86),
    sealedBy: 'controller',
    body: {
      format: wire.SEAL_FORMAT,
      companyId: 'acme',
      year: 2025,
      period,
      fiscalYearStreamId: 'ledger.fiscal_year-acme-2025',
      closeEvent: { position: '5', hash, streamVersion: 4 },
      merkleLeafCount: 5,
      merkleRoot: hash,
      chainHead: { position: '5', hash },
      companyCurrency: 'EUR',
      closingBalances: [],
      sealedAt: '2025-02-01T10:00:00.000Z',
    },
  };
}
