import { ledger as wire } from '@neuroerp/schemas';
import { canonicalJson } from '../canonical-json';
import { fail } from '../errors';
import { minorFromEvent, parseDecimalMinor } from '../money';
import { ADMIN_ROLE, assertNever, type Command, type LedgerEventOf } from '../types';
import { AppendOnlyMap } from './append-only-map';
import { periodEndDate, periodOfDate, periodStartDate } from './calendar';

/**
 * One fiscal year of one company: stream `ledger.fiscal_year-<companyId>-<year>`.
 *
 * This aggregate owns everything that must be decided together with "may this post now?":
 * the period states, the posting exceptions, the voucher counter and the posted
 * transactions themselves (`ledger.transaction_posted` lives on this stream). A posting and a
 * period close are therefore two appends to the same stream with an expected version: one of
 * them loses and is re-decided against the other's outcome, so nothing ever posts into a
 * closed period and voucher numbers are gapless by construction (docs/adr/0004).
 *
 * Period states: *open* (anything posts), *soft-locked* (only a user holding an unexpired
 * posting exception posts; reopen returns it to open), *closed* (nothing posts, ever).
 * Periods close in order. The year closes when all twelve periods are closed, with the
 * closing transaction (see year-end.ts).
 */

export const PERIODS_PER_FISCAL_YEAR = wire.PERIODS_PER_FISCAL_YEAR;
/** A posting exception lasts at most this long after it is granted. */
export const POSTING_EXCEPTION_DURATION_MS_MAX = 7 * 24 * 60 * 60 * 1000;
/** At most this many postings per fiscal year: bounds the stream and the state held in memory. */
export const VOUCHER_NUMBER_MAX = 1_000_000;

export interface PostingException {
  grantee: string;
  until: string;
  reason: string;
  grantedBy: string;
}

export interface PeriodState {
  period: number;
  startDate: string;
  endDate: string;
  status: wire.PeriodStatus;
  exceptions: readonly PostingException[];
}

/** What the fiscal year remembers of each posting: enough to reject doubles and double reversals. */
export interface PostingSummary {
  voucherNumber: number;
  type: wire.TransactionType;
  postingDate: string;
  reversesTransactionId: string | null;
}

export interface FiscalYearState {
  status: 'none' | 'open' | 'closed';
  settings: wire.FiscalYearOpened | null;
  periods: readonly PeriodState[];
  lastVoucherNumber: number;
  posted: ReadonlyMap<string, PostingSummary>;
  /** Originals reversed by a reversal posted in this fiscal year. */
  reversedTransactionIds: ReadonlySet<string>;
  closed: wire.FiscalYearClosed | null;
}

export type OpenFiscalYear = Command<'OpenFiscalYear', wire.OpenFiscalYearBody>;
export type SoftLockPeriod = Command<'SoftLockPeriod', wire.SoftLockPeriodBody>;
export type ReopenPeriod = Command<'ReopenPeriod', wire.ReopenPeriodBody>;
export type ClosePeriod = Command<'ClosePeriod', wire.ClosePeriodBody>;
export type GrantPostingException = Command<'GrantPostingException', wire.GrantPostingExceptionBody>;
export type FiscalYearCommand = OpenFiscalYear | SoftLockPeriod | ReopenPeriod | ClosePeriod | GrantPostingException;

export type FiscalYearEvent = LedgerEventOf<
  | 'ledger.fiscal_year_opened'
  | 'ledger.period_soft_locked'
  | 'ledger.period_reopened'
  | 'ledger.period_closed'
  | 'ledger.posting_exception_granted'
  | 'ledger.transaction_posted'
  | 'ledger.fiscal_year_closed'
>;

export function fiscalYearStreamId(companyId: string, year: number): string {
  return `ledger.fiscal_year-${companyId}-${year}`;
}

export function initialState(): FiscalYearState {
  return { status: 'none', settings: null, periods: [], lastVoucherNumber: 0, posted: AppendOnlyMap.empty(), reversedTransactionIds: new Set(), closed: null };
}

export function decide(command: FiscalYearCommand, state: FiscalYearState): FiscalYearEvent[] {
  const { type, data, metadata } = command;
  const by = metadata.actor.userId;
  switch (type) {
    case 'OpenFiscalYear': {
      const thresholdMinor = parseDecimalMinor(data.approvalThreshold, data.companyCurrency);
      if (thresholdMinor < 0n) fail('AMOUNT_NOT_POSITIVE', 'The approval threshold must not be negative.', { approvalThreshold: data.approvalThreshold });
      const firstMonth = data.firstMonth ?? 1;
      const opened: wire.FiscalYearOpened = {
        companyId: data.companyId,
        year: data.year,
        firstMonth,
        startDate: periodStartDate(data.year, firstMonth, 1),
        endDate: periodEndDate(data.year, firstMonth, PERIODS_PER_FISCAL_YEAR),
        companyCurrency: data.companyCurrency,
        approvalThresholdMinor: thresholdMinor.toString(),
        roundingAccountNumber: data.roundingAccountNumber,
        retainedEarningsAccountNumber: data.retainedEarningsAccountNumber,
        openingBalanceAccountNumber: data.openingBalanceAccountNumber,
        openedBy: by,
      };
      if (state.settings !== null) {
        const { openedBy: _a, ...existing } = state.settings;
        const { openedBy: _b, ...requested } = opened;
        if (canonicalJson(existing) === canonicalJson(requested)) return [];
        return fail('FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA', `Fiscal year ${data.year} was opened with different settings.`, { year: data.year });
      }
      return [{ type: 'ledger.fiscal_year_opened', data: opened }];
    }
    case 'SoftLockPeriod': {
      const period = openYearPeriod(state, data);
      if (period.status === 'closed') return fail('PERIOD_CLOSED', `Period ${data.period} is closed.`, { period: data.period });
      if (period.status === 'soft_locked') return [];
      return [{ type: 'ledger.period_soft_locked', data: { companyId: data.companyId, year: data.year, period: data.period, lockedBy: by } }];
    }
    case 'ReopenPeriod': {
      const period = openYearPeriod(state, data);
      if (period.status === 'closed') return fail('PERIOD_CLOSED', `Period ${data.period} is closed.`, { period: data.period });
      if (period.status === 'open') return [];
      return [{ type: 'ledger.period_reopened', data: { companyId: data.companyId, year: data.year, period: data.period, reopenedBy: by } }];
    }
    case 'ClosePeriod': {
      const period = openYearPeriod(state, data);
      if (period.status === 'closed') return [];
      const earlierOpen = state.periods.find((candidate) => candidate.period < data.period && candidate.status !== 'closed');
      if (earlierOpen !== undefined) {
        return fail('PERIOD_CLOSE_OUT_OF_ORDER', `Period ${earlierOpen.period} must be closed before period ${data.period}.`, { period: data.period, openPeriod: earlierOpen.period });
      }
      return [{ type: 'ledger.period_closed', data: { companyId: data.companyId, year: data.year, period: data.period, closedBy: by } }];
    }
    case 'GrantPostingException': {
      if (metadata.actor.role !== ADMIN_ROLE) return fail('POSTING_EXCEPTION_REQUIRES_ADMIN', 'Only an admin may grant a posting exception.', { role: metadata.actor.role });
      const period = openYearPeriod(state, data);
      if (period.status === 'closed') return fail('PERIOD_CLOSED', `Period ${data.period} is closed.`, { period: data.period });
      if (period.status !== 'soft_locked') return fail('PERIOD_NOT_SOFT_LOCKED', `Period ${data.period} is not soft-locked.`, { period: data.period });
      const durationMs = Date.parse(data.until) - Date.parse(metadata.now);
      if (!(durationMs > 0 && durationMs <= POSTING_EXCEPTION_DURATION_MS_MAX)) {
        return fail('POSTING_EXCEPTION_INVALID_WINDOW', 'A posting exception must end after now and within the maximum duration.', {
          until: data.until,
          durationMsMax: POSTING_EXCEPTION_DURATION_MS_MAX,
        });
      }
      return [
        {
          type: 'ledger.posting_exception_granted',
          data: { companyId: data.companyId, year: data.year, period: data.period, grantee: data.grantee, until: data.until, reason: data.reason, grantedBy: by, grantedAt: metadata.now },
        },
      ];
    }
    default:
      return assertNever(type);
  }
}

/** Pure; ignores event types it does not know. */
export function evolve(state: FiscalYearState, event: { type: string; data: unknown }): FiscalYearState {
  return evolveAll(state, [event]);
}

/**
 * Folds many events into a new state; `state` is never changed. A fiscal year holds every
 * posting of the year, so nothing here is proportional to the postings already folded: they
 * are kept in a persistent map (AppendOnlyMap: a new posting costs O(1), not a copy of the
 * year), the reversed ids are copied only when a reversal is folded, and the twelve periods
 * only when a period event is. The command handler keeps the state cached and catches up from
 * its version; the expected-version check keeps that safe.
 */
export function evolveAll(state: FiscalYearState, events: Iterable<{ type: string; data: unknown }>): FiscalYearState {
  let { status, settings, lastVoucherNumber, closed } = state;
  let periods = state.periods as PeriodState[];
  let periodsCopied = false;
  let posted = state.posted instanceof AppendOnlyMap ? (state.posted as AppendOnlyMap<string, PostingSummary>) : AppendOnlyMap.from(state.posted);
  let reversedTransactionIds = state.reversedTransactionIds as Set<string>;
  let reversedCopied = false;
  const periodAt = (number: number): PeriodState => {
    if (!periodsCopied) {
      periods = periods.map((period) => ({ ...period }));
      periodsCopied = true;
    }
    const period = periods[number - 1];
    if (period === undefined) throw new Error(`Event for unknown period ${number}`);
    return period;
  };
  for (const event of events) {
    const known = event as FiscalYearEvent;
    switch (known.type) {
      case 'ledger.fiscal_year_opened': {
        const { data } = known;
        status = 'open';
        settings = data;
        periods = [];
        periodsCopied = true;
        for (let period = 1; period <= PERIODS_PER_FISCAL_YEAR; period += 1) {
          periods.push({
            period,
            startDate: periodStartDate(data.year, data.firstMonth, period),
            endDate: periodEndDate(data.year, data.firstMonth, period),
            status: 'open',
            exceptions: [],
          });
        }
        break;
      }
      case 'ledger.period_soft_locked':
        periodAt(known.data.period).status = 'soft_locked';
        break;
      case 'ledger.period_reopened': {
        const period = periodAt(known.data.period);
        period.status = 'open';
        period.exceptions = [];
        break;
      }
      case 'ledger.period_closed': {
        const period = periodAt(known.data.period);
        period.status = 'closed';
        period.exceptions = [];
        break;
      }
      case 'ledger.posting_exception_granted': {
        const { data } = known;
        const period = periodAt(data.period);
        period.exceptions = [...period.exceptions, { grantee: data.grantee, until: data.until, reason: data.reason, grantedBy: data.grantedBy }];
        break;
      }
      case 'ledger.transaction_posted': {
        const { data } = known;
        lastVoucherNumber = data.voucherNumber;
        posted = posted.with(data.transactionId, { voucherNumber: data.voucherNumber, type: data.type, postingDate: data.postingDate, reversesTransactionId: data.reversesTransactionId });
        if (data.reversesTransactionId !== null) {
          if (!reversedCopied) {
            reversedTransactionIds = new Set(reversedTransactionIds);
            reversedCopied = true;
          }
          reversedTransactionIds.add(data.reversesTransactionId);
        }
        break;
      }
      case 'ledger.fiscal_year_closed':
        status = 'closed';
        closed = known.data;
        break;
      default:
        break;
    }
  }
  return { status, settings, periods, lastVoucherNumber, posted, reversedTransactionIds, closed };
}

/** The settings of an opened fiscal year; FISCAL_YEAR_NOT_OPEN before it is opened. */
export function openedSettings(state: FiscalYearState): wire.FiscalYearOpened {
  if (state.settings === null) return fail('FISCAL_YEAR_NOT_OPEN', 'The fiscal year has not been opened.');
  return state.settings;
}

export function assertSameCompany(state: FiscalYearState, companyId: string): void {
  const settings = openedSettings(state);
  if (settings.companyId !== companyId) fail('COMPANY_MISMATCH', 'This fiscal year belongs to another company.', { companyId });
}

export interface PostingSlot {
  period: number;
  voucherNumber: number;
  postedUnderException: boolean;
}

/**
 * Decides whether `userId` may post a transaction dated `postingDate` into this fiscal year at
 * instant `now`, and returns the period and the next voucher number. Closed periods never
 * take postings; soft-locked ones only with an unexpired exception for exactly this user.
 */
export function reservePostingSlot(state: FiscalYearState, postingDate: string, userId: string, now: string): PostingSlot {
  const settings = openedSettings(state);
  if (state.status === 'closed') return fail('FISCAL_YEAR_CLOSED', `Fiscal year ${settings.year} is closed.`, { year: settings.year });
  const periodNumber = periodOfDate(settings.year, settings.firstMonth, postingDate);
  if (periodNumber === null) {
    return fail('POSTING_DATE_OUTSIDE_FISCAL_YEAR', `${postingDate} is not in fiscal year ${settings.year}.`, { postingDate, year: settings.year });
  }
  const period = state.periods[periodNumber - 1];
  if (period === undefined) throw new Error(`Fiscal year state without period ${periodNumber}`);
  let postedUnderException = false;
  if (period.status === 'closed') return fail('PERIOD_CLOSED', `Period ${periodNumber} is closed.`, { period: periodNumber, postingDate });
  if (period.status === 'soft_locked') {
    const nowMs = Date.parse(now);
    const exception = period.exceptions.find((candidate) => candidate.grantee === userId && nowMs < Date.parse(candidate.until));
    if (exception === undefined) return fail('PERIOD_SOFT_LOCKED', `Period ${periodNumber} is soft-locked.`, { period: periodNumber, postingDate });
    postedUnderException = true;
  }
  return { period: periodNumber, voucherNumber: nextVoucherNumber(state), postedUnderException };
}

export function nextVoucherNumber(state: FiscalYearState): number {
  if (state.lastVoucherNumber >= VOUCHER_NUMBER_MAX) return fail('VOUCHER_NUMBERS_EXHAUSTED', 'This fiscal year has no voucher numbers left.', { voucherNumberMax: VOUCHER_NUMBER_MAX });
  return state.lastVoucherNumber + 1;
}

/** The approval threshold in minor units of company currency. */
export function approvalThresholdMinor(state: FiscalYearState): bigint {
  return minorFromEvent(openedSettings(state).approvalThresholdMinor);
}

function openYearPeriod(state: FiscalYearState, data: { companyId: string; year: number; period: number }): PeriodState {
  assertSameCompany(state, data.companyId);
  const settings = openedSettings(state);
  if (settings.year !== data.year) throw new Error(`Command for fiscal year ${data.year} decided on fiscal year ${settings.year}`);
  if (state.status === 'closed') return fail('FISCAL_YEAR_CLOSED', `Fiscal year ${data.year} is closed.`, { year: data.year });
  const period = state.periods[data.period - 1];
  if (period === undefined) throw new Error(`Period ${data.period} outside 1..${PERIODS_PER_FISCAL_YEAR}`);
  return period;
}
