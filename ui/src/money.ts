/**
 * Exact decimal arithmetic for amounts on the wire (decimal strings in major units). Money is
 * never a float (STYLE.md): the balance check sums integer minor units as bigint.
 */

/** Minor units of a decimal string with at most `scale` fraction digits, or null when it is not one. */
export function parseMinor(text: string, scale = 2): bigint | null {
  const trimmed = text.trim().replace(',', '.');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed);
  if (match === null) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > scale) return null;
  return BigInt(match[1] ?? '0') * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
}

/** The decimal string of minor units: 123456n → "1234.56". */
export function formatMinor(minor: bigint, scale = 2): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

export interface BalanceLine {
  side: 'debit' | 'credit';
  amount: string;
}

export interface BalanceCheck {
  debitMinor: bigint;
  creditMinor: bigint;
  differenceMinor: bigint;
  /** Lines whose amount is not a positive decimal with at most two fraction digits. */
  invalidLines: number[];
  balanced: boolean;
}

/** Debit and credit sums of journal lines; balanced needs equal, non-zero sums and no invalid line. */
export function checkBalance(lines: readonly BalanceLine[], scale = 2): BalanceCheck {
  let debitMinor = 0n;
  let creditMinor = 0n;
  const invalidLines: number[] = [];
  lines.forEach((line, index) => {
    const minor = parseMinor(line.amount, scale);
    if (minor === null || minor <= 0n) {
      invalidLines.push(index);
      return;
    }
    if (line.side === 'debit') debitMinor += minor;
    else creditMinor += minor;
  });
  const differenceMinor = debitMinor - creditMinor;
  return { debitMinor, creditMinor, differenceMinor, invalidLines, balanced: invalidLines.length === 0 && differenceMinor === 0n && debitMinor > 0n && lines.length >= 2 };
}

/**
 * Line dimensions typed as `key=value, key=value` (e.g. `cost_centre=verwaltung`); null when
 * a part has no `=` or an empty key.
 */
export function parseDimensions(text: string): Record<string, string> | null {
  const dimensions: Record<string, string> = {};
  for (const part of text.split(',').map((piece) => piece.trim()).filter((piece) => piece !== '')) {
    const at = part.indexOf('=');
    if (at <= 0) return null;
    dimensions[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return dimensions;
}

/** The exact sum of decimal strings (amounts with up to four fraction digits); unparsable ones count as zero. */
export function addAmounts(amounts: readonly (string | null | undefined)[], scale = 4): string {
  let sum = 0n;
  for (const amount of amounts) {
    if (amount === null || amount === undefined) continue;
    const negative = amount.trim().startsWith('-');
    const minor = parseMinor(negative ? amount.trim().slice(1) : amount, scale);
    if (minor !== null) sum += negative ? -minor : minor;
  }
  const text = formatMinor(sum, scale);
  // Trim to two fraction digits when the rest is zero: "123.4500" → "123.45".
  return text.replace(/(\.\d\d\d*?)0+$/, '$1').replace(/(\.\d\d)$/, '$1');
}
