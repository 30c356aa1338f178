import { ledger as wire } from '@neuroerp/schemas';
import { existingAccount, type ChartOfAccountsState } from '../accounts/chart-of-accounts';
import { fail } from '../errors';
import { parseDecimalMinor } from '../money';
import type { Command } from '../types';
import { assertSameCompany, nextVoucherNumber, openedSettings, PERIODS_PER_FISCAL_YEAR, type FiscalYearEvent, type FiscalYearState } from './fiscal-year';

/** Balances beyond this cannot close in one transaction (closing lines ≤ balances + 1, opening ≤ balances + 3). */
export const CLOSING_BALANCES_MAX = wire.CLOSING_BALANCES_MAX;

export type CloseFiscalYear = Command<'CloseFiscalYear', wire.CloseFiscalYearBody>;

/**
 * Year-end close, decided on the fiscal-year stream. The balances come in with the command
 * (from the trial-balance read model); the domain does the accounting:
 *
 * 1. the closing transaction (type `closing`, dated the last day of the year, next voucher
 *    number) moves every revenue and expense balance to the retained-earnings account, so
 *    the P&L accounts start the next year at zero;
 * 2. the balance-sheet accounts (asset, liability, equity), with retained earnings now
 *    including the year's result, become the opening-balance lines of the next year,
 *    booked against the opening-balance account (SKR03 9000), which nets to zero;
 * 3. `ledger.fiscal_year_closed` records both; the next fiscal year posts the opening
 *    balances with decidePostOpeningBalances (../posting.ts).
 *
 * Requires every period to be closed and the balances to sum to zero. Closing lines are
 * system-generated: they skip the blocked and dimension checks of ordinary postings.
 */
export function decideCloseFiscalYear(state: FiscalYearState, chart: ChartOfAccountsState, command: CloseFiscalYear): FiscalYearEvent[] {
  const { data, metadata } = command;
  assertSameCompany(state, data.companyId);
  const settings = openedSettings(state);
  if (state.status === 'closed') return fail('FISCAL_YEAR_CLOSED', `Fiscal year ${settings.year} is closed.`, { year: settings.year });
  const openPeriod = state.periods.find((period) => period.status !== 'closed');
  if (openPeriod !== undefined) {
    return fail('FISCAL_YEAR_HAS_OPEN_PERIODS', `Period ${openPeriod.period} is not closed.`, { period: openPeriod.period });
  }
  if (data.balances.length > CLOSING_BALANCES_MAX) {
    return fail('TOO_MANY_LINES', `At most ${CLOSING_BALANCES_MAX} balances close in one year-end.`, { balanceCount: data.balances.length });
  }
  const currency = settings.companyCurrency;
  const balances = new Map<string, bigint>();
  let total = 0n;
  for (const { accountNumber, balance } of data.balances) {
    if (balances.has(accountNumber)) return fail('BALANCE_DUPLICATE_ACCOUNT', `Account ${accountNumber} is listed twice.`, { accountNumber });
    existingAccount(chart, accountNumber);
    const minor = parseDecimalMinor(balance, currency);
    balances.set(accountNumber, minor);
    total += minor;
  }
  if (total !== 0n) return fail('TRIAL_BALANCE_UNBALANCED', 'The balances do not sum to zero.', { debitMinusCreditMinor: total.toString() });
  const retainedEarnings = existingAccount(chart, settings.retainedEarningsAccountNumber).accountNumber;
  const openingBalanceAccount = existingAccount(chart, settings.openingBalanceAccountNumber).accountNumber;

  const accountNumbers = [...balances.keys()].sort();
  const isProfitAndLoss = (accountNumber: string) => {
    const type = existingAccount(chart, accountNumber).type;
    return type === 'revenue' || type === 'expense';
  };

  // 1. Closing: P&L balances to retained earnings.
  const closingLines: wire.PostedLine[] = [];
  let result = 0n; // debit minus credit of all P&L accounts: positive is a loss
  for (const accountNumber of accountNumbers) {
    const balance = balances.get(accountNumber) ?? 0n;
    if (!isProfitAndLoss(accountNumber) || balance === 0n) continue;
    result += balance;
    closingLines.push(line(accountNumber, balance > 0n ? 'credit' : 'debit', balance, currency, 'Year-end closing'));
  }
  if (result !== 0n) closingLines.push(line(retainedEarnings, result > 0n ? 'debit' : 'credit', result, currency, 'Result of the year'));

  // 2. Opening balances: balance-sheet accounts after closing, against the opening-balance account.
  const carried = new Map<string, bigint>();
  for (const accountNumber of accountNumbers) {
    if (!isProfitAndLoss(accountNumber)) carried.set(accountNumber, balances.get(accountNumber) ?? 0n);
  }
  carried.set(retainedEarnings, (carried.get(retainedEarnings) ?? 0n) + result);
  const openingLines: wire.PostedLine[] = [];
  let debitTotal = 0n;
  for (const accountNumber of [...carried.keys()].sort()) {
    const balance = carried.get(accountNumber) ?? 0n;
    if (balance === 0n) continue;
    if (balance > 0n) debitTotal += balance;
    openingLines.push(line(accountNumber, balance > 0n ? 'debit' : 'credit', balance, currency, 'Opening balance'));
  }
  if (debitTotal !== 0n) {
    openingLines.push(line(openingBalanceAccount, 'credit', debitTotal, currency, 'Opening balances: debit balances'));
    openingLines.push(line(openingBalanceAccount, 'debit', debitTotal, currency, 'Opening balances: credit balances'));
  }

  const events: FiscalYearEvent[] = [];
  const hasClosing = closingLines.length >= 2;
  if (hasClosing) {
    events.push({
      type: 'ledger.transaction_posted',
      data: {
        companyId: settings.companyId,
        fiscalYear: settings.year,
        period: PERIODS_PER_FISCAL_YEAR,
        voucherNumber: nextVoucherNumber(state),
        transactionId: data.closingTransactionId,
        type: 'closing',
        documentDate: settings.endDate,
        postingDate: settings.endDate,
        companyCurrency: currency,
        description: `Year-end closing ${settings.year}`,
        linkedDocumentIds: [],
        lines: closingLines,
        postedBy: metadata.actor.userId,
        postedAt: metadata.now,
        approvedBy: null,
        reversesTransactionId: null,
        reason: null,
        postedUnderException: false,
      },
    });
  }
  events.push({
    type: 'ledger.fiscal_year_closed',
    data: {
      companyId: settings.companyId,
      year: settings.year,
      closingTransactionId: hasClosing ? data.closingTransactionId : null,
      openingBalances: openingLines.length >= 2 ? { transactionId: data.openingBalanceTransactionId, lines: openingLines } : null,
      closedBy: metadata.actor.userId,
    },
  });
  return events;
}

function line(accountNumber: string, side: wire.Side, signedMinor: bigint, currency: string, text: string): wire.PostedLine {
  const amount = (signedMinor < 0n ? -signedMinor : signedMinor).toString();
  return { accountNumber, side, amountMinor: amount, currency, fxRate: null, dimensions: {}, text, companyAmountMinor: amount, kind: 'entry' };
}
