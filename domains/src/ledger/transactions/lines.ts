import { ledger as wire } from '@neuroerp/schemas';
import { fail } from '../errors';
import { convertMinor, currencyScaleOf, formatFxRate, FX_RATE_ONE, minorFromEvent, parseAmountMinor, parseFxRate } from '../money';

export const LINES_PER_TRANSACTION_MAX = wire.LINES_PER_TRANSACTION_MAX;
export const ROUNDING_LINE_TEXT = 'Rounding difference from currency conversion';

/**
 * Validates the lines of a draft and turns them into event data: amounts into minor units,
 * rates into canonical strings, dimensions sorted. Enforces ≥ 2 lines, the line limit and
 * debits = credits in every line currency. Company currency is checked at posting, where the
 * fiscal year says which currency that is.
 */
export function toDraftLines(lines: readonly wire.TransactionLineInput[]): wire.DraftLine[] {
  if (lines.length < 2) fail('TOO_FEW_LINES', 'A transaction needs at least two lines.', { lineCount: lines.length });
  if (lines.length > LINES_PER_TRANSACTION_MAX) fail('TOO_MANY_LINES', `A transaction has at most ${LINES_PER_TRANSACTION_MAX} lines.`, { lineCount: lines.length });
  const draftLines = lines.map((line): wire.DraftLine => {
    const amountMinor = parseAmountMinor(line.amount, line.currency);
    const fxRate = line.fxRate === undefined ? null : formatFxRate(parseFxRate(line.fxRate));
    const dimensions = Object.fromEntries(Object.entries(line.dimensions ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { accountNumber: line.accountNumber, side: line.side, amountMinor: amountMinor.toString(), currency: line.currency, fxRate, dimensions, text: line.text ?? null };
  });
  assertBalancedPerCurrency(draftLines);
  return draftLines;
}

/** Debits equal credits in every currency that occurs on the lines. */
export function assertBalancedPerCurrency(lines: readonly { side: wire.Side; currency: string; amountMinor: string }[]): void {
  const netByCurrency = new Map<string, bigint>();
  for (const line of lines) {
    const signed = line.side === 'debit' ? minorFromEvent(line.amountMinor) : -minorFromEvent(line.amountMinor);
    netByCurrency.set(line.currency, (netByCurrency.get(line.currency) ?? 0n) + signed);
  }
  for (const [currency, net] of netByCurrency) {
    if (net !== 0n) {
      fail('UNBALANCED_TRANSACTION', `Debits and credits differ in ${currency}.`, { currency, debitMinusCreditMinor: net.toString() });
    }
  }
}

/**
 * Converts draft lines into company currency for posting.
 *
 * Each foreign line is converted on its own with its own rate and rounded half up; a
 * company-currency line must have no rate or rate 1. The rounded lines may then miss
 * balance by a few minor units. That difference is never dropped silently: it becomes an
 * explicit line of `kind: 'rounding'` on the configured rounding account, on the side that
 * restores the balance. Rounding can explain at most half a minor unit per foreign line; a
 * larger difference means the lines disagree about the rate, which is UNBALANCED_COMPANY_CURRENCY.
 */
export function toPostedLines(lines: readonly wire.DraftLine[], companyCurrency: string, roundingAccountNumber: string): wire.PostedLine[] {
  currencyScaleOf(companyCurrency);
  let foreignLineCount = 0n;
  let debitMinusCredit = 0n;
  const posted = lines.map((line): wire.PostedLine => {
    const amountMinor = minorFromEvent(line.amountMinor);
    let companyAmountMinor: bigint;
    if (line.currency === companyCurrency) {
      if (line.fxRate !== null && parseFxRate(line.fxRate) !== FX_RATE_ONE) {
        fail('FX_RATE_INVALID', 'A line in company currency has no FX rate other than 1.', { accountNumber: line.accountNumber, fxRate: line.fxRate });
      }
      companyAmountMinor = amountMinor;
    } else {
      if (line.fxRate === null) {
        fail('FX_RATE_REQUIRED', `A ${line.currency} line needs an FX rate to ${companyCurrency}.`, { accountNumber: line.accountNumber, currency: line.currency });
      }
      foreignLineCount += 1n;
      companyAmountMinor = convertMinor(amountMinor, line.currency, parseFxRate(line.fxRate), companyCurrency);
    }
    debitMinusCredit += line.side === 'debit' ? companyAmountMinor : -companyAmountMinor;
    return { ...line, companyAmountMinor: companyAmountMinor.toString(), kind: 'entry' };
  });
  if (debitMinusCredit === 0n) return posted;
  const difference = debitMinusCredit < 0n ? -debitMinusCredit : debitMinusCredit;
  if (difference * 2n > foreignLineCount) {
    return fail('UNBALANCED_COMPANY_CURRENCY', `Debits and credits differ in ${companyCurrency} by more than rounding explains.`, {
      currency: companyCurrency,
      debitMinusCreditMinor: debitMinusCredit.toString(),
    });
  }
  posted.push({
    accountNumber: roundingAccountNumber,
    side: debitMinusCredit > 0n ? 'credit' : 'debit',
    amountMinor: difference.toString(),
    currency: companyCurrency,
    fxRate: null,
    dimensions: {},
    text: ROUNDING_LINE_TEXT,
    companyAmountMinor: difference.toString(),
    kind: 'rounding',
  });
  return posted;
}

/** The sum of the debit side in company currency: the size of a transaction for approval. */
export function companyDebitTotalMinor(lines: readonly wire.PostedLine[]): bigint {
  return lines.reduce((sum, line) => (line.side === 'debit' ? sum + minorFromEvent(line.companyAmountMinor) : sum), 0n);
}

/** The lines of a reversal: every posted line on the other side, same amounts and rates. */
export function mirrorLines(lines: readonly wire.PostedLine[]): wire.PostedLine[] {
  return lines.map((line) => ({ ...line, side: line.side === 'debit' ? 'credit' : 'debit' }));
}
