import { DeciderSpecification } from '../../testing/decider-spec';
import { allPeriodsClosed, chart, COMPANY_ID, fiscalYearOpened, fold, meta, openFiscalYearBody, periodEvent, YEAR } from '../test-support';
import { fiscalYearOf, periodEndDate, periodOfDate } from './calendar';
import { decide, evolve, initialState, type FiscalYearEvent } from './fiscal-year';
import { decideCloseFiscalYear } from './year-end';
import { decidePostOpeningBalances } from '../posting';

const spec = DeciderSpecification.for({ decide, evolve, initialState });
const opened = fiscalYearOpened();
const period = (type: 'SoftLockPeriod' | 'ReopenPeriod' | 'ClosePeriod', number: number, userId = 'controller') => ({
  type,
  data: { companyId: COMPANY_ID, year: YEAR, period: number },
  metadata: meta(userId),
});
const grant = (overrides: { until?: string; role?: string; period?: number } = {}) => ({
  type: 'GrantPostingException' as const,
  data: { companyId: COMPANY_ID, year: YEAR, period: overrides.period ?? 2, grantee: 'alice', until: overrides.until ?? '2025-03-16T10:00:00Z', reason: 'late supplier invoice' },
  metadata: meta('root', '2025-03-15T10:00:00Z', overrides.role ?? 'admin'),
});

describe('fiscal year and periods', () => {
  it('opens with twelve monthly periods and its settings', () => {
    expect(opened.data).toMatchObject({ year: 2025, firstMonth: 1, startDate: '2025-01-01', endDate: '2025-12-31', approvalThresholdMinor: '1000000' });
    const state = fold([opened]);
    expect(state.periods.map((p) => p.endDate)).toContain('2025-02-28');
    expect(state.periods).toHaveLength(12);
  });

  it('supports a fiscal year that does not start in January', () => {
    const july = fiscalYearOpened({ firstMonth: 7 });
    expect(july.data).toMatchObject({ startDate: '2025-07-01', endDate: '2026-06-30' });
    expect(periodOfDate(2025, 7, '2026-02-28')).toBe(8);
    expect(periodOfDate(2025, 7, '2025-06-30')).toBeNull();
    expect(fiscalYearOf('2026-02-28', 7)).toBe(2025);
    expect(periodEndDate(2024, 1, 2)).toBe('2024-02-29');
  });

  it('opening again with the same settings is no change; with others it fails', () => {
    spec.given([opened]).when({ type: 'OpenFiscalYear', data: openFiscalYearBody(), metadata: meta('bob') }).thenNothingHappened();
    spec.given([opened]).when({ type: 'OpenFiscalYear', data: openFiscalYearBody({ approvalThreshold: '5.00' }), metadata: meta() }).thenThrows('FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA');
  });

  it('soft-locks, reopens and closes periods; closed is final', () => {
    const locked = periodEvent('ledger.period_soft_locked', 1);
    spec.given([opened]).when(period('SoftLockPeriod', 1)).then([locked]);
    spec.given([opened, locked]).when(period('SoftLockPeriod', 1)).thenNothingHappened();
    spec.given([opened, locked]).when(period('ReopenPeriod', 1)).then([{ type: 'ledger.period_reopened', data: { companyId: COMPANY_ID, year: YEAR, period: 1, reopenedBy: 'controller' } }]);
    spec.given([opened, locked]).when(period('ClosePeriod', 1)).then([periodEvent('ledger.period_closed', 1)]);
    const closed = periodEvent('ledger.period_closed', 1);
    spec.given([opened, closed]).when(period('ReopenPeriod', 1)).thenThrows('PERIOD_CLOSED');
    spec.given([opened, closed]).when(period('SoftLockPeriod', 1)).thenThrows('PERIOD_CLOSED');
    spec.given([opened, closed]).when(period('ClosePeriod', 1)).thenNothingHappened();
  });

  it('closes periods in order', () => {
    spec.given([opened]).when(period('ClosePeriod', 2)).thenThrows('PERIOD_CLOSE_OUT_OF_ORDER');
  });

  it('an admin grants a time-bounded posting exception for a soft-locked period', () => {
    const locked = periodEvent('ledger.period_soft_locked', 2);
    spec
      .given([opened, locked])
      .when(grant())
      .then([
        {
          type: 'ledger.posting_exception_granted',
          data: { companyId: COMPANY_ID, year: YEAR, period: 2, grantee: 'alice', until: '2025-03-16T10:00:00Z', reason: 'late supplier invoice', grantedBy: 'root', grantedAt: '2025-03-15T10:00:00Z' },
        },
      ]);
    spec.given([opened, locked]).when(grant({ role: 'accountant' })).thenThrows('POSTING_EXCEPTION_REQUIRES_ADMIN');
    spec.given([opened, locked]).when(grant({ until: '2025-03-15T09:00:00Z' })).thenThrows('POSTING_EXCEPTION_INVALID_WINDOW');
    spec.given([opened, locked]).when(grant({ until: '2025-04-15T10:00:00Z' })).thenThrows('POSTING_EXCEPTION_INVALID_WINDOW');
    spec.given([opened]).when(grant()).thenThrows('PERIOD_NOT_SOFT_LOCKED');
  });
});

describe('year-end close', () => {
  const closeCommand = (balances: { accountNumber: string; balance: string }[]) => ({
    type: 'CloseFiscalYear' as const,
    data: { companyId: COMPANY_ID, year: YEAR, balances, closingTransactionId: 'close-2025', openingBalanceTransactionId: 'open-2026' },
    metadata: meta('controller', '2026-02-10T09:00:00Z'),
  });
  // Capital 25,000; bank 33,900; VAT payable 1,900; revenue 10,000; rent 3,000 → profit 7,000.
  const balances = [
    { accountNumber: '0800', balance: '-25000.00' },
    { accountNumber: '1200', balance: '33900.00' },
    { accountNumber: '1776', balance: '-1900.00' },
    { accountNumber: '8400', balance: '-10000.00' },
    { accountNumber: '4210', balance: '3000.00' },
    { accountNumber: '4999', balance: '0.00' },
  ];
  const closedYear = [opened, ...allPeriodsClosed()];

  it('moves revenue and expense to retained earnings and carries the balance sheet forward', () => {
    const events = decideCloseFiscalYear(fold(closedYear), chart, closeCommand(balances));
    expect(events.map((event) => event.type)).toEqual(['ledger.transaction_posted', 'ledger.fiscal_year_closed']);
    const [closing, yearClosed] = events;
    if (closing?.type !== 'ledger.transaction_posted' || yearClosed?.type !== 'ledger.fiscal_year_closed') throw new Error('unexpected events');
    expect(closing.data).toMatchObject({ type: 'closing', voucherNumber: 1, postingDate: '2025-12-31', period: 12, transactionId: 'close-2025' });
    expect(closing.data.lines.map((line) => [line.accountNumber, line.side, line.amountMinor])).toEqual([
      ['4210', 'credit', '300000'],
      ['8400', 'debit', '1000000'],
      ['0860', 'credit', '700000'],
    ]);
    expect(yearClosed.data.openingBalances?.lines.map((line) => [line.accountNumber, line.side, line.amountMinor])).toEqual([
      ['0800', 'credit', '2500000'],
      ['0860', 'credit', '700000'],
      ['1200', 'debit', '3390000'],
      ['1776', 'credit', '190000'],
      ['9000', 'credit', '3390000'],
      ['9000', 'debit', '3390000'],
    ]);
  });

  it('posts the opening balances in the next fiscal year, once', () => {
    const closedState = fold([...closedYear, ...decideCloseFiscalYear(fold(closedYear), chart, closeCommand(balances))]);
    const next = fiscalYearOpened({ year: 2026 });
    const command = { type: 'PostOpeningBalances' as const, data: { companyId: COMPANY_ID, year: 2026 }, metadata: meta('controller', '2026-02-10T09:00:00Z') };
    const posted = decidePostOpeningBalances(closedState, fold([next]), command);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.data).toMatchObject({ type: 'opening_balance', postingDate: '2026-01-01', period: 1, voucherNumber: 1, transactionId: 'open-2026' });
    expect(decidePostOpeningBalances(closedState, fold([next, ...posted]), command)).toEqual([]);
    expect(() => decidePostOpeningBalances(fold(closedYear), fold([next]), command)).toThrow(expect.objectContaining({ code: 'PREVIOUS_FISCAL_YEAR_NOT_CLOSED' }));
  });

  it('refuses while a period is open, an unbalanced trial balance and a closed year', () => {
    expect(() => decideCloseFiscalYear(fold([opened]), chart, closeCommand(balances))).toThrow(expect.objectContaining({ code: 'FISCAL_YEAR_HAS_OPEN_PERIODS' }));
    expect(() => decideCloseFiscalYear(fold(closedYear), chart, closeCommand([{ accountNumber: '1200', balance: '1.00' }]))).toThrow(
      expect.objectContaining({ code: 'TRIAL_BALANCE_UNBALANCED' }),
    );
    const done = fold([...closedYear, ...decideCloseFiscalYear(fold(closedYear), chart, closeCommand(balances))]);
    expect(() => decideCloseFiscalYear(done, chart, closeCommand(balances))).toThrow(expect.objectContaining({ code: 'FISCAL_YEAR_CLOSED' }));
  });

  it('closes a year without P&L balances without a closing transaction', () => {
    const events: FiscalYearEvent[] = decideCloseFiscalYear(fold(closedYear), chart, closeCommand([]));
    expect(events).toEqual([{ type: 'ledger.fiscal_year_closed', data: { companyId: COMPANY_ID, year: YEAR, closingTransactionId: null, openingBalances: null, closedBy: 'controller' } }]);
  });
});
