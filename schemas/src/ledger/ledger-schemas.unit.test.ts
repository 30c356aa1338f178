import { draftTransactionBodySchema, transactionLineInputSchema } from './transactions';
import { importChartOfAccountsBodySchema } from './accounts';
import { openFiscalYearBodySchema } from './fiscal-years';
import { ledgerEventCatalogue } from './catalogue';
import type { z } from 'zod';

/** The codes a failed parse carries in `params.code` (custom issues), in order. */
function codes(result: z.SafeParseReturnType<unknown, unknown>): string[] {
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => (issue.code === 'custom' && typeof issue.params?.code === 'string' ? [issue.params.code] : [`zod:${issue.code}`]));
}

const line = (amount: unknown, currency = 'EUR', extra: Record<string, unknown> = {}) => ({ accountNumber: '1400', side: 'debit', amount, currency, ...extra });

describe('wire line amounts', () => {
  it.each<[string, unknown, string, string[]]>([
    ['EUR with two places', '12.50', 'EUR', []],
    ['JPY without places', '100', 'JPY', []],
    ['BHD with three places', '1.234', 'BHD', []],
    ['a huge amount, as a string', '123456789012345678901234567890.12', 'EUR', []],
    ['a JSON number', 12.5, 'EUR', ['zod:invalid_type']],
    ['an exponent', '1e3', 'EUR', ['AMOUNT_INVALID']],
    ['three places in EUR', '1.005', 'EUR', ['AMOUNT_PRECISION_EXCEEDED']],
    ['places in JPY', '100.5', 'JPY', ['AMOUNT_PRECISION_EXCEEDED']],
    ['zero', '0.00', 'EUR', ['AMOUNT_NOT_POSITIVE']],
    ['a negative amount', '-5.00', 'EUR', ['AMOUNT_NOT_POSITIVE']],
    ['an unknown currency', '1.00', 'ABC', ['CURRENCY_UNKNOWN']],
  ])('%s', (_name, amount, currency, expected) => {
    expect(codes(transactionLineInputSchema.safeParse(line(amount, currency)))).toEqual(expected);
  });

  it.each<[unknown, string[]]>([
    ['0.9234', []],
    ['0', ['FX_RATE_INVALID']],
    ['1e-2', ['FX_RATE_INVALID']],
    ['0.12345678901', ['FX_RATE_PRECISION_EXCEEDED']],
    [0.9, ['zod:invalid_type']],
  ])('FX rate %s', (fxRate, expected) => {
    expect(codes(transactionLineInputSchema.safeParse(line('1.00', 'USD', { fxRate })))).toEqual(expected);
  });
});

describe('wire command bodies', () => {
  const body = {
    transactionId: 'tx-1',
    companyId: 'acme',
    type: 'journal',
    documentDate: '2025-03-14',
    postingDate: '2025-03-15',
    lines: [line('1.00'), { ...line('1.00'), accountNumber: '8400', side: 'credit' }],
  };
  it('accepts a valid draft and rejects one line and impossible dates', () => {
    expect(draftTransactionBodySchema.safeParse(body).success).toBe(true);
    expect(codes(draftTransactionBodySchema.safeParse({ ...body, lines: [line('1.00')] }))).toEqual(['TOO_FEW_LINES']);
    expect(codes(draftTransactionBodySchema.safeParse({ ...body, postingDate: '2025-02-29' }))).toEqual(['DATE_INVALID']);
  });
  it('rejects duplicate accounts in an import', () => {
    const account = { accountNumber: '1000', name: 'Kasse', type: 'asset', currency: 'EUR' };
    expect(codes(importChartOfAccountsBodySchema.safeParse({ companyId: 'acme', accounts: [account, account] }))).toEqual(['CHART_IMPORT_DUPLICATE_ACCOUNT']);
  });
  it('checks the approval threshold against the company currency', () => {
    const fiscalYear = { companyId: 'acme', year: 2025, companyCurrency: 'JPY', approvalThreshold: '1000.5', roundingAccountNumber: '4999', retainedEarningsAccountNumber: '0860', openingBalanceAccountNumber: '9000' };
    expect(codes(openFiscalYearBodySchema.safeParse(fiscalYear))).toEqual(['AMOUNT_PRECISION_EXCEEDED']);
  });
});

describe('event catalogue', () => {
  it.each(Object.entries(ledgerEventCatalogue))('%s is a valid event type with schema version 1', (type, entry) => {
    expect(type).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
    expect(entry.schemaVersion).toBe(1);
  });
});
