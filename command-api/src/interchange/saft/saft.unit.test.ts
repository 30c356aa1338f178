import { readFileSync } from 'node:fs';
import type { ledger as wire } from '@neuroerp/schemas';
import { buildSaft } from './build';
import { parseSaft, decimalToMinor } from './parse';
import { corruptions, SAFT_EXAMPLE, xsdErrors } from './test-support';
import { planSaftImport, saftAccountType, saftTransactionId, SAFT_DEFAULT_SYSTEM_ACCOUNTS } from './plan';

const example = readFileSync(SAFT_EXAMPLE, 'utf8');

function plan(xml: string) {
  return planSaftImport({ file: parseSaft(xml), companyId: 'no-1', existingAccountNumbers: new Set(), systemAccounts: SAFT_DEFAULT_SYSTEM_ACCOUNTS });
}

describe('SAF-T amounts', () => {
  it.each([
    ['10000', 2, 1000000n],
    ['1234.5', 2, 123450n],
    ['+0.50', 2, 50n],
    ['-3', 2, -300n],
    ['1.230', 2, 123n],
    ['1.234', 2, null],
    ['abc', 2, null],
    ['', 2, null],
  ])('%s with scale %d is %s', (text, scale, expected) => {
    expect(decimalToMinor(text, scale)).toBe(expected);
  });
});

describe('parseSaft', () => {
  it('reads the example: accounts with balances, parties, journals, transactions and lines', () => {
    const file = parseSaft(example);
    expect(file.header).toMatchObject({ currency: 'NOK', registrationNumber: '999999999', selectionStart: { year: 2015, month: 1 }, selectionEnd: { year: 2015, month: 12 } });
    expect(file.accounts.map((account) => [account.accountId, account.openingBalanceMinor, account.closingBalanceMinor])).toEqual([
      ['1925', 123456n, 1234567n],
      ['2400', -123456n, -1234567n],
      ['2740', -123456n, -1234567n],
      ['4000', 0n, 0n],
    ]);
    expect(file.customers).toEqual([{ id: '12000', name: 'Kunden AS', registrationNumber: '999999999', accountId: '1500' }]);
    expect(file.suppliers.map((supplier) => supplier.id)).toEqual(['20000']);
    expect(file.transactions.map((transaction) => [transaction.journalId, transaction.transactionId, transaction.lines.length])).toEqual([
      ['A', '4567', 3],
      ['A', '5678', 2],
    ]);
    expect(file.transactions[0]?.lines[2]).toMatchObject({ accountId: '2400', side: 'credit', amountMinor: 1250000n, supplierId: '20000' });
  });

  it.each([
    ['not XML', 'hello <'],
    ['another root', '<?xml version="1.0"?><Foo/>'],
    ['no currency', '<AuditFile xmlns="urn:StandardAuditFile-Taxation-Financial:NO"><Header><SelectionCriteria><PeriodStartYear>2015</PeriodStartYear></SelectionCriteria></Header></AuditFile>'],
  ])('rejects %s with SAFT_FILE_INVALID', (_name, xml) => {
    expect(() => parseSaft(xml)).toThrow(expect.objectContaining({ code: 'SAFT_FILE_INVALID' }));
  });
});

describe('planSaftImport', () => {
  it('plans the example: counts, totals, opening balances balanced by the opening-balance account, closing mismatches listed', () => {
    const { report, accountsToOpen, openingBalance, transactions } = plan(example);
    expect(report.accepted).toBe(true);
    expect(report.counts).toEqual({ accounts: 4, customers: 1, suppliers: 1, journals: 1, transactions: 2, lines: 5 });
    expect(report.totals).toEqual({ debit: '25000.00', credit: '25000.00' });
    expect(report.parties.persisted).toBe(false);
    // 1234.56 debit against 2 × 1234.56 credit: the opening-balance account takes 1234.56 debit.
    expect(report.openingBalance).toMatchObject({ postingDate: '2015-01-01', lines: 4, balancingAmount: '1234.56' });
    expect(openingBalance?.lines).toContainEqual({ accountNumber: '9990', side: 'debit', amount: '1234.56', currency: 'NOK' });
    expect(report.closingBalanceMismatches).toEqual([
      { accountId: '1925', openingBalance: '1234.56', movements: '-12500.00', computedClosingBalance: '-11265.44', statedClosingBalance: '12345.67' },
      { accountId: '2400', openingBalance: '-1234.56', movements: '0.00', computedClosingBalance: '-1234.56', statedClosingBalance: '-12345.67' },
      { accountId: '2740', openingBalance: '-1234.56', movements: '2500.00', computedClosingBalance: '1265.44', statedClosingBalance: '-12345.67' },
      { accountId: '4000', openingBalance: '0.00', movements: '10000.00', computedClosingBalance: '10000.00', statedClosingBalance: '0.00' },
    ]);
    expect(accountsToOpen.map((account) => [account.accountNumber, account.type])).toEqual([
      ['1925', 'asset'],
      ['2400', 'liability'],
      ['2740', 'liability'],
      ['4000', 'expense'],
      ['9990', 'equity'],
      ['9991', 'equity'],
      ['9992', 'equity'],
    ]);
    expect(transactions.map((body) => body.transactionId)).toEqual(['saft-no-1-A-4567', 'saft-no-1-A-5678']);
    expect(transactions[0]).toMatchObject({ type: 'journal', postingDate: '2015-10-31', lines: [{ accountNumber: '4000', side: 'debit', amount: '10000.00', currency: 'NOK' }, {}, {}] });
  });

  it('derives the same ids every time, hashing ids that are not id-safe', () => {
    expect(saftTransactionId('c', 'A', '1')).toBe('saft-c-A-1');
    expect(saftTransactionId('c', 'A B', '1/2')).toBe(saftTransactionId('c', 'A B', '1/2'));
    expect(saftTransactionId('c', 'A B', '1/2')).toMatch(/^saft-c-h[0-9a-f]{24}$/);
  });

  it.each([
    ['1925', null, 'asset'],
    ['2050', null, 'equity'],
    ['2400', null, 'liability'],
    ['3000', null, 'revenue'],
    ['6300', null, 'expense'],
    ['8050', null, 'revenue'],
    ['8150', null, 'expense'],
    ['5000', '19', 'asset'],
  ] as const)('account %s (standard %s) is %s', (accountId, standardAccountId, type) => {
    expect(saftAccountType({ accountId, standardAccountId })).toBe(type);
  });

  it.each(corruptions)('rejects an %s transaction and plans nothing for it', (_name, corrupt, code) => {
    const corrupted = corrupt(example);
    expect(corrupted).not.toBe(example);
    const { report, transactions } = plan(corrupted);
    expect(report.accepted).toBe(false);
    expect(report.rejections.map((rejection) => [rejection.code, rejection.subject])).toContainEqual([code, 'transaction A/4567']);
    expect(transactions.map((body) => body.transactionId)).toEqual(['saft-no-1-A-5678']);
  });
});

describe('buildSaft', () => {
  const line = (accountNumber: string, side: 'debit' | 'credit', amountMinor: string): wire.PostedLine => ({
    accountNumber,
    side,
    amountMinor,
    currency: 'EUR',
    fxRate: null,
    dimensions: {},
    text: null,
    companyAmountMinor: amountMinor,
    kind: 'entry',
  });
  const posting = (voucherNumber: number, type: wire.TransactionType, postingDate: string, lines: wire.PostedLine[]): wire.TransactionPosted => ({
    companyId: 'acme',
    fiscalYear: 2026,
    period: Number(postingDate.slice(5, 7)),
    voucherNumber,
    transactionId: `t${voucherNumber}`,
    type,
    documentDate: postingDate,
    postingDate,
    companyCurrency: 'EUR',
    description: voucherNumber === 3 ? null : `voucher ${voucherNumber}`,
    linkedDocumentIds: [],
    lines,
    postedBy: 'alice',
    postedAt: `${postingDate}T10:00:00.000Z`,
    approvedBy: null,
    reversesTransactionId: null,
    reason: null,
    postedUnderException: false,
  });
  const input = {
    companyId: 'acme',
    company: { name: 'ACME GmbH', registrationNumber: 'HRB 1', city: 'Berlin', postalCode: '10115', contactFirstName: 'Ada', contactLastName: 'Lovelace' },
    currency: 'EUR',
    from: { year: 2026, month: 2 },
    to: { year: 2026, month: 3 },
    createdDate: '2026-12-02',
    software: { companyName: 'VALEO', id: 'NeuroERP', version: '0.1.0' },
    userId: 'auditor',
    accounts: [
      { accountNumber: '1200', name: 'Bank' },
      { accountNumber: '8400', name: 'Erlöse 19 % USt' },
      { accountNumber: '9000', name: 'Saldenvorträge' },
    ],
    postings: [
      posting(1, 'opening_balance', '2026-01-01', [line('1200', 'debit', '50000'), line('9000', 'credit', '50000')]),
      posting(2, 'journal', '2026-01-15', [line('1200', 'debit', '1000'), line('8400', 'credit', '1000')]),
      posting(3, 'sales_invoice', '2026-02-10', [line('1200', 'debit', '11900'), line('8400', 'credit', '11900')]),
      posting(4, 'journal', '2026-03-31', [line('8400', 'debit', '100'), line('1200', 'credit', '100')]),
      posting(5, 'journal', '2026-04-01', [line('1200', 'debit', '7'), line('8400', 'credit', '7')]),
    ],
  };

  it('writes a file valid against the XSD, with the range as transactions and earlier postings in the opening balances', () => {
    const { xml, summary } = buildSaft(input);
    expect(xsdErrors(xml)).toBe('');
    expect(summary).toEqual({ accounts: 3, transactions: 2, lines: 4, totalDebit: '120.00', totalCredit: '120.00' });
    const file = parseSaft(xml);
    expect(file.accounts.map((account) => [account.accountId, account.openingBalanceMinor, account.closingBalanceMinor])).toEqual([
      ['1200', 51000n, 62800n],
      ['8400', -1000n, -12800n],
      ['9000', -50000n, -50000n],
    ]);
    expect(file.transactions.map((transaction) => [transaction.journalId, transaction.transactionId, transaction.transactionDate])).toEqual([
      ['sales_invoice', '2026-3', '2026-02-10'],
      ['journal', '2026-4', '2026-03-31'],
    ]);
  });

  it('imports back without rejections or closing-balance mismatches', () => {
    const { report } = plan(buildSaft(input).xml);
    expect(report.accepted).toBe(true);
    expect(report.closingBalanceMismatches).toEqual([]);
    expect(report.openingBalance?.balancingAmount).toBe('0.00');
  });

  it('keeps the example valid after a parse → plan, i.e. the example itself is valid (sanity check of the validator)', () => {
    expect(xsdErrors(example)).toBe('');
    expect(xsdErrors(example.replace('<n1:AuditFileCountry>NO</n1:AuditFileCountry>', ''))).not.toBe('');
  });
});
