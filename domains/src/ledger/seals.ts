import type { ledger as wire } from '@neuroerp/schemas';
import { minorFromEvent } from './money';

/**
 * Period seals, the pure part (docs/adr/0006-period-seals.md): which balances a seal fixes,
 * the seals stream's state, and "as known at" views of a sealed period. Hashing and signing
 * need node:crypto and live in infra (seal-verification.ts) and command-api.
 */

/** `ledger.seals-<companyId>`: one `ledger.period_sealed` per closed period. */
export function sealsStreamId(companyId: string): string {
  return `ledger.seals-${companyId}`;
}

/** An event of a fiscal-year stream as the seal functions read it. */
export interface SealInputEvent {
  type: string;
  data: unknown;
  /** Where it lies in the global log; used by the "as known at" functions only. */
  globalPosition?: bigint;
}

/**
 * Closing balance per account at the end of `period`: debit minus credit of the
 * company-currency amounts of every `ledger.transaction_posted` in periods 1..period,
 * i.e. year to date (opening balances are postings of period 1). Zero balances are left
 * out; sorted by account number so that the seal body is deterministic.
 */
export function closingBalancesOf(events: readonly SealInputEvent[], period: number): wire.SealedBalance[] {
  const balances = new Map<string, bigint>();
  for (const event of events) {
    if (event.type !== 'ledger.transaction_posted') continue;
    const posted = event.data as wire.TransactionPosted;
    if (posted.period > period) continue;
    for (const line of posted.lines) {
      const amount = minorFromEvent(line.companyAmountMinor);
      balances.set(line.accountNumber, (balances.get(line.accountNumber) ?? 0n) + (line.side === 'debit' ? amount : -amount));
    }
  }
  return [...balances.entries()]
    .filter(([, balance]) => balance !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([accountNumber, balance]) => ({ accountNumber, balanceMinor: balance.toString() }));
}

/**
 * The trial balance of `period` as it was known when the log ended at `position`: the
 * closing balances over the events recorded at or before that position. With the seal's
 * close position it reproduces the sealed balances exactly.
 */
export function trialBalanceAsKnownAt(events: readonly SealInputEvent[], period: number, position: bigint): wire.SealedBalance[] {
  return closingBalancesOf(
    events.filter((event) => event.globalPosition !== undefined && event.globalPosition <= position),
    period,
  );
}

/** A posting recorded after a seal that changes what the sealed period's figures mean. */
export interface LaterCorrection {
  transactionId: string;
  globalPosition: string;
  period: number;
  postingDate: string;
  voucherNumber: number;
  /** `posting_into_sealed_period` (never expected: the period is closed) or `reversal_of_sealed_posting`. */
  kind: 'posting_into_sealed_period' | 'reversal_of_sealed_posting';
  reversesTransactionId: string | null;
  reason: string | null;
}

/**
 * Postings recorded after `sealedAtPosition` that affect the sealed period: postings dated
 * in it or before (a closed period takes none, so any such entry is an anomaly worth
 * showing) and reversals of transactions that were posted in it (they land in a later
 * period, and change what the period's figures mean). `events` are the fiscal-year stream's
 * events with their positions, in stream order.
 */
export function laterCorrections(events: readonly SealInputEvent[], period: number, sealedAtPosition: bigint): LaterCorrection[] {
  const periodOfTransaction = new Map<string, number>();
  const corrections: LaterCorrection[] = [];
  for (const event of events) {
    if (event.type !== 'ledger.transaction_posted' || event.globalPosition === undefined) continue;
    const posted = event.data as wire.TransactionPosted;
    periodOfTransaction.set(posted.transactionId, posted.period);
    if (event.globalPosition <= sealedAtPosition) continue;
    const reversedPeriod = posted.reversesTransactionId === null ? undefined : periodOfTransaction.get(posted.reversesTransactionId);
    const kind = posted.period <= period ? 'posting_into_sealed_period' : reversedPeriod !== undefined && reversedPeriod <= period ? 'reversal_of_sealed_posting' : null;
    if (kind === null) continue;
    corrections.push({
      transactionId: posted.transactionId,
      globalPosition: event.globalPosition.toString(),
      period: posted.period,
      postingDate: posted.postingDate,
      voucherNumber: posted.voucherNumber,
      kind,
      reversesTransactionId: posted.reversesTransactionId,
      reason: posted.reason,
    });
  }
  return corrections;
}

/** The seals stream: the seal of each period, by `<year>-<period>`. */
export interface SealsState {
  seals: ReadonlyMap<string, wire.PeriodSealed>;
}

export function initialSealsState(): SealsState {
  return { seals: new Map() };
}

const sealKey = (year: number, period: number) => `${year}-${period}`;

export function evolveSeals(state: SealsState, event: { type: string; data: unknown }): SealsState {
  if (event.type !== 'ledger.period_sealed') return state;
  const sealed = event.data as wire.PeriodSealed;
  const seals = new Map(state.seals);
  seals.set(sealKey(sealed.year, sealed.period), sealed);
  return { seals };
}

export function sealOf(state: SealsState, year: number, period: number): wire.PeriodSealed | undefined {
  return state.seals.get(sealKey(year, period));
}

/**
 * SealPeriod: records a computed, signed seal. A period is sealed once: sealing it again
 * appends nothing (the first seal stands; a closed period never changes, so a second one
 * would say the same). The seal must be about the company, year and period it is filed under.
 */
export function decideSealPeriod(state: SealsState, seal: wire.PeriodSealed): { type: 'ledger.period_sealed'; data: wire.PeriodSealed }[] {
  const { body } = seal;
  if (body.companyId !== seal.companyId || body.year !== seal.year || body.period !== seal.period) {
    throw new Error(`seal body (${body.companyId} ${body.year}/${body.period}) does not match ${seal.companyId} ${seal.year}/${seal.period}`);
  }
  if (sealOf(state, seal.year, seal.period) !== undefined) return [];
  return [{ type: 'ledger.period_sealed', data: seal }];
}
