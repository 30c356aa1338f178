import type { ledger as wire } from '@neuroerp/schemas';
import { DomainError } from '../domain-error';
import * as chartOfAccounts from './accounts/chart-of-accounts';
import { LEDGER_ERROR_CODES, type LedgerErrorCode } from './errors';
import * as fiscalYear from './fiscal-years/fiscal-year';
import { decideCloseFiscalYear } from './fiscal-years/year-end';
import { assertDirectApprovalAllowed, decidePost, decidePostOpeningBalances, decidePostReversal, decideReversal } from './posting';
import { allPeriodsClosed, chart, chartWith, COMPANY_ID, draftBody, fiscalYearOpened, fold, meta, openFiscalYearBody, periodEvent, transactionEvents, transactionState } from './test-support';
import * as journalTransaction from './transactions/transaction';
import type { LedgerEvent } from './types';

/**
 * The error matrix: one row per ledger invariant, each with the stable code it must fail
 * with. The last test makes sure every code in LEDGER_ERROR_CODES has a row.
 */

const opened = fiscalYearOpened();
const line = (accountNumber: string, side: wire.Side, amount: string, currency = 'EUR', fxRate?: string): wire.TransactionLineInput =>
  fxRate === undefined ? { accountNumber, side, amount, currency } : { accountNumber, side, amount, currency, fxRate };
const balanced = (accountNumber = '1400', amount = '10.00', currency = 'EUR', fxRate?: string) => [line(accountNumber, 'debit', amount, currency, fxRate), line('8400', 'credit', amount, currency, fxRate)];

const draft = (body: Partial<wire.DraftTransactionBody>, state = journalTransaction.initialState()) =>
  journalTransaction.decide({ type: 'DraftTransaction', data: draftBody(body), metadata: meta() }, state);
const post = (options: { body?: Partial<wire.DraftTransactionBody>; steps?: { submittedBy?: string; approvedBy?: string }; fiscalYearEvents?: LedgerEvent[]; chartState?: chartOfAccounts.ChartOfAccountsState; tx?: journalTransaction.TransactionState }) =>
  decidePost(
    options.tx ?? transactionState(transactionEvents(draftBody(options.body ?? {}), options.steps ?? { submittedBy: 'alice' })),
    fold(options.fiscalYearEvents ?? [opened]),
    options.chartState ?? chart,
    { type: 'PostTransaction', data: { transactionId: 'tx-1' }, metadata: meta() },
  );
const fiscalYearCommand = (command: Omit<fiscalYear.FiscalYearCommand, 'metadata'>, events: LedgerEvent[] = [opened], role = 'admin') =>
  fiscalYear.decide({ ...command, metadata: meta('root', '2025-03-15T10:00:00Z', role) } as fiscalYear.FiscalYearCommand, fold(events));
const accountEvent = (type: 'ledger.account_blocked' | 'ledger.account_archived', accountNumber: string): LedgerEvent =>
  type === 'ledger.account_blocked'
    ? { type, data: { companyId: COMPANY_ID, accountNumber, reason: 'audit', blockedBy: 'root' } }
    : { type, data: { companyId: COMPANY_ID, accountNumber, archivedBy: 'root' } };

const submitted = transactionState(transactionEvents());
const originalPosted = post({})[0];
const reverse = (overrides: Partial<wire.ReverseTransactionBody> = {}) => ({
  type: 'ReverseTransaction' as const,
  data: { transactionId: 'tx-1', reversalTransactionId: 'rev-1', postingDate: '2025-03-20', reason: 'wrong customer', ...overrides },
  metadata: meta('alice', '2025-03-20T10:00:00Z'),
});
const claim = decideReversal(submitted, originalPosted.data, fold([opened, originalPosted]), reverse())[0];
const claimed = transactionState([...transactionEvents(), ...(claim === undefined ? [] : [claim])]);
const reversalPosted = decidePostReversal(claimed, originalPosted.data, fold([opened, originalPosted]), reverse())[0];
const closedYear = [opened, ...allPeriodsClosed()];
const closeYear = (balances: wire.AccountBalanceInput[], events = closedYear) =>
  decideCloseFiscalYear(fold(events), chart, {
    type: 'CloseFiscalYear',
    data: { companyId: COMPANY_ID, year: 2025, balances, closingTransactionId: 'close-2025', openingBalanceTransactionId: 'open-2026' },
    metadata: meta('controller'),
  });
const postOpening = (previous: LedgerEvent[], current: LedgerEvent[], year = 2026) =>
  decidePostOpeningBalances(fold(previous), fold(current), { type: 'PostOpeningBalances', data: { companyId: COMPANY_ID, year }, metadata: meta() });
const usdTwoRates = [line('1400', 'debit', '100.00', 'USD', '0.9'), line('1400', 'credit', '100.00', 'USD', '0.95')];

const rows: [LedgerErrorCode, string, () => unknown][] = [
  // money
  ['AMOUNT_INVALID', 'an amount with an exponent', () => draft({ lines: balanced('1400', '1e3') })],
  ['AMOUNT_PRECISION_EXCEEDED', '"1.005" EUR', () => draft({ lines: balanced('1400', '1.005') })],
  ['AMOUNT_NOT_POSITIVE', 'a zero line', () => draft({ lines: balanced('1400', '0.00') })],
  ['AMOUNT_TOO_LARGE', 'an amount beyond 36 digits of minor units', () => draft({ lines: balanced('1400', '1' + '0'.repeat(35) + '.00') })],
  ['CURRENCY_UNKNOWN', 'a line in XYZ', () => draft({ lines: balanced('1400', '1.00', 'XYZ') })],
  ['FX_RATE_INVALID', 'a zero rate', () => draft({ lines: balanced('1400', '1.00', 'USD', '0') })],
  ['FX_RATE_PRECISION_EXCEEDED', 'a rate with 11 places', () => draft({ lines: balanced('1400', '1.00', 'USD', '0.12345678901') })],
  ['FX_RATE_REQUIRED', 'a USD line without rate', () => post({ body: { lines: balanced('1400', '1.00', 'USD') } })],
  ['DATE_INVALID', 'posting on 30 February', () => draft({ postingDate: '2025-02-30' })],
  // chart of accounts
  ['ACCOUNT_NOT_FOUND', 'posting to an account not in the chart', () => post({ body: { lines: balanced('7777') } })],
  ['ACCOUNT_BLOCKED', 'posting to a blocked account', () => post({ chartState: chartWith(accountEvent('ledger.account_blocked', '1400')) })],
  ['ACCOUNT_ARCHIVED', 'posting to an archived account', () => post({ chartState: chartWith(accountEvent('ledger.account_archived', '1400')) })],
  [
    'ACCOUNT_EXISTS_WITH_DIFFERENT_DATA',
    'opening 1000 again under another name',
    () => chartOfAccounts.decide({ type: 'OpenAccount', data: { companyId: COMPANY_ID, accountNumber: '1000', name: 'Bargeld', type: 'asset', currency: 'EUR' }, metadata: meta() }, chart),
  ],
  ['ACCOUNT_CURRENCY_MISMATCH', 'a USD line on the EUR bank account', () => post({ body: { lines: [line('1200', 'debit', '1.00', 'USD', '0.9'), line('1400', 'credit', '1.00', 'USD', '0.9')] } })],
  ['DIMENSION_REQUIRED', 'salaries without cost centre', () => post({ body: { lines: [line('4120', 'debit', '1.00'), line('1740', 'credit', '1.00')] } })],
  [
    'CHART_IMPORT_DUPLICATE_ACCOUNT',
    'an import listing 1000 twice',
    () => {
      const account = { accountNumber: '1000', name: 'Kasse', type: 'asset' as const, currency: 'EUR' };
      return chartOfAccounts.decide({ type: 'ImportChartOfAccounts', data: { companyId: COMPANY_ID, accounts: [account, account] }, metadata: meta() }, chartOfAccounts.initialState());
    },
  ],
  ['COMPANY_MISMATCH', 'posting another company’s transaction', () => post({ body: { companyId: 'other' } })],
  // transactions
  ['TRANSACTION_NOT_FOUND', 'posting an unknown transaction', () => post({ tx: journalTransaction.initialState() })],
  ['TRANSACTION_EXISTS_WITH_DIFFERENT_DATA', 'drafting tx-1 again with other lines', () => draft({ lines: balanced('1400', '5.00') }, submitted)],
  ['TRANSACTION_TYPE_RESERVED', 'drafting a reversal by hand', () => draft({ type: 'reversal' })],
  ['TOO_FEW_LINES', 'one line', () => draft({ lines: [line('1400', 'debit', '1.00')] })],
  ['TOO_MANY_LINES', '1001 lines', () => draft({ lines: Array.from({ length: 1001 }, (_, index) => line('1400', index % 2 === 0 ? 'debit' : 'credit', '1.00')) })],
  ['UNBALANCED_TRANSACTION', 'debits 119.00, credits 100.00', () => draft({ lines: [line('1400', 'debit', '119.00'), line('8400', 'credit', '100.00')] })],
  ['UNBALANCED_COMPANY_CURRENCY', 'two rates for USD', () => post({ body: { lines: usdTwoRates } })],
  [
    'TRANSACTION_NOT_DRAFT',
    'submitting an approved transaction',
    () => journalTransaction.decide({ type: 'SubmitTransaction', data: { transactionId: 'tx-1' }, metadata: meta() }, transactionState(transactionEvents(draftBody(), { submittedBy: 'alice', approvedBy: 'bob' }))),
  ],
  ['TRANSACTION_NOT_SUBMITTED', 'posting a draft', () => post({ steps: {} })],
  ['APPROVER_IS_SUBMITTER', 'approving one’s own submission', () => journalTransaction.decide({ type: 'ApproveTransaction', data: { transactionId: 'tx-1' }, metadata: meta('alice') }, submitted)],
  ['APPROVAL_REQUIRED', 'posting above the threshold unapproved', () => post({ body: { lines: balanced('1400', '10000.01') } })],
  [
    'APPROVAL_THROUGH_WORKFLOW',
    'approving above the threshold directly, not through the approval workflow',
    () => assertDirectApprovalAllowed(transactionState(transactionEvents(draftBody({ lines: balanced('1400', '10000.01') }))).draft as NonNullable<journalTransaction.TransactionState['draft']>, fold([opened])),
  ],
  ['TRANSACTION_ALREADY_POSTED', 'posting a posted transaction again', () => post({ fiscalYearEvents: [opened, originalPosted] })],
  ['TRANSACTION_NOT_POSTED', 'reversing an unposted transaction', () => decideReversal(submitted, null, fold([opened]), reverse())],
  ['TRANSACTION_ALREADY_REVERSED', 'reversing a reversed transaction again', () => decideReversal(claimed, originalPosted.data, fold([opened, originalPosted]), reverse({ reversalTransactionId: 'rev-2' }))],
  [
    'REVERSAL_CANNOT_BE_REVERSED',
    'reversing a reversal',
    () => decideReversal(journalTransaction.initialState(), reversalPosted?.data ?? null, fold([opened]), reverse({ transactionId: 'rev-1', reversalTransactionId: 'rev-3' })),
  ],
  ['REVERSAL_REASON_REQUIRED', 'a reversal without reason', () => decideReversal(submitted, originalPosted.data, fold([opened, originalPosted]), reverse({ reason: ' ' }))],
  ['REVERSAL_BEFORE_ORIGINAL', 'a reversal dated before the original', () => decideReversal(submitted, originalPosted.data, fold([opened, originalPosted]), reverse({ postingDate: '2025-03-01' }))],
  ['REVERSAL_NOT_CLAIMED', 'posting a reversal that was not recorded on the original', () => decidePostReversal(submitted, originalPosted.data, fold([opened, originalPosted]), reverse())],
  // fiscal years and periods
  ['FISCAL_YEAR_NOT_OPEN', 'posting into a fiscal year never opened', () => post({ fiscalYearEvents: [] })],
  ['FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA', 'opening 2025 again in USD', () => fiscalYearCommand({ type: 'OpenFiscalYear', data: openFiscalYearBody({ companyCurrency: 'USD' }) })],
  ['FISCAL_YEAR_CLOSED', 'posting into a closed fiscal year', () => post({ fiscalYearEvents: [...closedYear, ...closeYear([])] })],
  ['FISCAL_YEAR_HAS_OPEN_PERIODS', 'closing the year with December open', () => closeYear([], [opened, ...allPeriodsClosed().slice(0, 11)])],
  ['FISCAL_YEAR_NOT_CONSECUTIVE', 'opening balances from 2025 into 2027', () => postOpening([...closedYear, ...closeYear([])], [fiscalYearOpened({ year: 2027 })], 2027)],
  ['PREVIOUS_FISCAL_YEAR_NOT_CLOSED', 'opening balances from an open year', () => postOpening([opened], [fiscalYearOpened({ year: 2026 })])],
  ['POSTING_DATE_OUTSIDE_FISCAL_YEAR', 'a 2026 posting date into 2025', () => post({ body: { postingDate: '2026-01-02' } })],
  ['PERIOD_SOFT_LOCKED', 'posting into soft-locked March', () => post({ fiscalYearEvents: [opened, periodEvent('ledger.period_soft_locked', 3)] })],
  ['PERIOD_CLOSED', 'posting into closed March', () => post({ fiscalYearEvents: [opened, ...allPeriodsClosed().slice(0, 3)] })],
  ['PERIOD_NOT_SOFT_LOCKED', 'an exception for an open period', () => fiscalYearCommand({ type: 'GrantPostingException', data: { companyId: COMPANY_ID, year: 2025, period: 3, grantee: 'alice', until: '2025-03-16T10:00:00Z', reason: 'late' } })],
  ['PERIOD_CLOSE_OUT_OF_ORDER', 'closing March before February', () => fiscalYearCommand({ type: 'ClosePeriod', data: { companyId: COMPANY_ID, year: 2025, period: 3 } })],
  [
    'POSTING_EXCEPTION_REQUIRES_ADMIN',
    'an accountant granting an exception',
    () => fiscalYearCommand({ type: 'GrantPostingException', data: { companyId: COMPANY_ID, year: 2025, period: 3, grantee: 'alice', until: '2025-03-16T10:00:00Z', reason: 'late' } }, [opened, periodEvent('ledger.period_soft_locked', 3)], 'accountant'),
  ],
  [
    'POSTING_EXCEPTION_INVALID_WINDOW',
    'an exception without end in sight (30 days)',
    () => fiscalYearCommand({ type: 'GrantPostingException', data: { companyId: COMPANY_ID, year: 2025, period: 3, grantee: 'alice', until: '2025-04-14T10:00:00Z', reason: 'late' } }, [opened, periodEvent('ledger.period_soft_locked', 3)]),
  ],
  [
    'VOUCHER_NUMBERS_EXHAUSTED',
    'posting after voucher VOUCHER_NUMBER_MAX',
    () => post({ fiscalYearEvents: [opened, { type: 'ledger.transaction_posted', data: { ...originalPosted.data, transactionId: 'tx-0', voucherNumber: fiscalYear.VOUCHER_NUMBER_MAX } }] }),
  ],
  ['TRIAL_BALANCE_UNBALANCED', 'closing balances that do not sum to zero', () => closeYear([{ accountNumber: '1200', balance: '0.01' }])],
  ['BALANCE_DUPLICATE_ACCOUNT', 'closing balances listing 1200 twice', () => closeYear([{ accountNumber: '1200', balance: '1.00' }, { accountNumber: '1200', balance: '-1.00' }])],
];

describe('ledger invariants: one row per error code', () => {
  it.each(rows)('%s: %s', (code, _name, run) => {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe(code);
  });

  it('covers every code in LEDGER_ERROR_CODES', () => {
    expect(new Set(rows.map(([code]) => code))).toEqual(new Set(Object.keys(LEDGER_ERROR_CODES)));
  });
});
