import request from 'supertest';
import { chartOfAccountsProjection, ledgerProjections } from '@neuroerp/projections';
import type { ledger } from '@neuroerp/schemas';
import { newEvent, post, queryTestBed, type QueryTestBed } from '../test-support';

let bed: QueryTestBed;
const get = (path: string, role = 'accountant') => request(bed.app).get(`/api/query${path}`).set('X-Test-User', 'alice').set('X-Test-Role', role);

const admin = { userId: 'admin-1', role: 'admin' };
const opened = (accountNumber: string, name: string, type: ledger.AccountType): ReturnType<typeof newEvent<ledger.AccountOpened>> =>
  newEvent('ledger.account_opened', { companyId: 'qa', accountNumber, name, type, normalBalance: type === 'asset' || type === 'expense' ? 'debit' : 'credit', currency: null, requiredDimensions: [], openedBy: admin.userId }, admin);

/**
 * A small year of the company `qa`: sales with VAT, a purchase, a partial payment, rent, a later
 * sale. Its chart of accounts lacks 1600 and 3400 (their types are guessed from the SKR03
 * classes) and holds accounts without postings (1000 blocked, 9000 archived and typed unlike its SKR03 class).
 */
beforeAll(async () => {
  bed = await queryTestBed('qledger');
  await bed.store.appendToStream(
    'ledger.chart_of_accounts-qa',
    [
      opened('1000', 'Kasse', 'asset'),
      opened('1200', 'Bank', 'asset'),
      opened('1400', 'Forderungen aus Lieferungen und Leistungen', 'asset'),
      opened('1576', 'Abziehbare Vorsteuer 19 %', 'asset'),
      opened('1776', 'Umsatzsteuer 19 %', 'liability'),
      opened('4210', 'Miete', 'expense'),
      opened('8400', 'Erlöse 19 % USt', 'revenue'),
      opened('9000', 'Saldenvorträge Sachkonten', 'asset'),
      newEvent('ledger.account_blocked', { companyId: 'qa', accountNumber: '1000', reason: 'no cash', blockedBy: admin.userId }, admin),
      newEvent('ledger.account_archived', { companyId: 'qa', accountNumber: '9000', archivedBy: admin.userId }, admin),
    ],
    { expectedVersion: 'no_stream' },
  );
  await post(bed.store, [
    { transactionId: 'sale-1', voucherNumber: 1, postingDate: '2026-01-10', lines: [['1400', 'debit', '119000'], ['8400', 'credit', '100000', 'Consulting, "phase 1"'], ['1776', 'credit', '19000']] },
    { transactionId: 'purchase-1', voucherNumber: 2, postingDate: '2026-01-15', lines: [['3400', 'debit', '50000'], ['1576', 'debit', '9500'], ['1600', 'credit', '59500']] },
    { transactionId: 'payment-1', voucherNumber: 3, postingDate: '2026-02-01', lines: [['1200', 'debit', '40000'], ['1400', 'credit', '40000']] },
    { transactionId: 'rent-2', voucherNumber: 4, postingDate: '2026-02-05', description: 'Rent, February', lines: [['4210', 'debit', '80000'], ['1200', 'credit', '80000']] },
    { transactionId: 'sale-2', voucherNumber: 5, postingDate: '2026-03-01', lines: [['1400', 'debit', '23800'], ['8400', 'credit', '20000'], ['1776', 'credit', '3800']] },
  ]);
  await bed.project([...ledgerProjections, chartOfAccountsProjection]);
});
afterAll(async () => {
  await bed?.close();
});

describe('ledger query routes', () => {
  it('accounts: the chart with names, types and status, accounts without postings at zero; numbers missing from the chart typed by the SKR03 classes', async () => {
    const response = await get('/accounts?asOf=2026-01-31').expect(200);
    expect(response.body.asOf).toBe('2026-01-31');
    type Item = { accountNumber: string; name: string | null; type: string; status: string; balance: string };
    expect(response.body.items.map((item: Item) => [item.accountNumber, item.name, item.type, item.status, item.balance])).toEqual([
      ['1000', 'Kasse', 'asset', 'blocked', '0.00'],
      ['1200', 'Bank', 'asset', 'open', '0.00'],
      ['1400', 'Forderungen aus Lieferungen und Leistungen', 'asset', 'open', '1190.00'],
      ['1576', 'Abziehbare Vorsteuer 19 %', 'asset', 'open', '95.00'],
      ['1600', null, 'liability', 'unknown', '-595.00'],
      ['1776', 'Umsatzsteuer 19 %', 'liability', 'open', '-190.00'],
      ['3400', null, 'expense', 'unknown', '500.00'],
      ['4210', 'Miete', 'expense', 'open', '0.00'],
      ['8400', 'Erlöse 19 % USt', 'revenue', 'open', '-1000.00'],
      // The chart's type wins over the SKR03 class (9xxx would be equity).
      ['9000', 'Saldenvorträge Sachkonten', 'asset', 'archived', '0.00'],
    ]);
    expect(response.body.items[2]).toMatchObject({ normalBalance: 'debit', debit: '1190.00', credit: '0.00' });
    expect(response.body.items[0]).toMatchObject({ normalBalance: 'debit', debit: '0.00', credit: '0.00' });
    expect(response.body.items[4]).toMatchObject({ normalBalance: 'credit' });
  });

  it('statement: opening, running and closing balance over pages', async () => {
    const first = await get('/accounts/1400/statement?from=2026-02-01&to=2026-12-31&limit=1').expect(200);
    expect(first.body).toMatchObject({ accountNumber: '1400', name: 'Forderungen aus Lieferungen und Leistungen', openingBalance: '1190.00', closingBalance: '1028.00' });
    expect((await get('/accounts/3400/statement?to=2026-12-31').expect(200)).body).toMatchObject({ accountNumber: '3400', name: null, closingBalance: '500.00' });
    expect(first.body.items).toEqual([{ postingDate: '2026-02-01', voucherNumber: 3, transactionId: 'payment-1', description: 'voucher 3', debit: '0.00', credit: '400.00', runningBalance: '790.00' }]);
    const second = await get(`/accounts/1400/statement?from=2026-02-01&to=2026-12-31&limit=1&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items.map((item: { transactionId: string; runningBalance: string }) => [item.transactionId, item.runningBalance])).toEqual([['sale-2', '1028.00']]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('trial balance balances, and answers as CSV', async () => {
    const response = await get('/trial-balance?asOf=2026-12-31').expect(200);
    expect(response.body.totals).toEqual({ debit: '3223.00', credit: '3223.00' });
    expect(response.body.items).toHaveLength(8);
    expect(response.body.items.slice(0, 3).map((item: { accountNumber: string; name: string | null; type: string }) => [item.accountNumber, item.name, item.type])).toEqual([
      ['1200', 'Bank', 'asset'],
      ['1400', 'Forderungen aus Lieferungen und Leistungen', 'asset'],
      ['1576', 'Abziehbare Vorsteuer 19 %', 'asset'],
    ]);
    const csv = await get('/trial-balance?asOf=2026-12-31&format=csv').expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="trial-balance-2026-12-31.csv"');
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe('accountNumber,name,type,debit,credit,balance');
    expect(lines).toContain('1200,Bank,asset,400.00,800.00,-400.00');
    expect(lines).toContain('1600,,liability,0.00,595.00,-595.00');
    expect(lines).toContain('total,,,3223.00,3223.00,');
    expect(lines[lines.length - 1]).toBe('');
  });

  it('ledger: filters by account, amount range and text; CSV quotes per RFC 4180', async () => {
    const byAccount = await get('/ledger?account=8400').expect(200);
    expect(byAccount.body.items.map((item: { transactionId: string; amount: string; side: string }) => [item.transactionId, item.side, item.amount])).toEqual([
      ['sale-1', 'credit', '1000.00'],
      ['sale-2', 'credit', '200.00'],
    ]);
    expect(byAccount.body.items[0]).toMatchObject({ accountNumber: '8400', accountName: 'Erlöse 19 % USt' });
    const byAmount = await get('/ledger?minAmount=500&maxAmount=800.00').expect(200);
    expect(byAmount.body.items.map((item: { accountNumber: string; accountName: string | null }) => [item.accountNumber, item.accountName])).toEqual([
      ['3400', null],
      ['1600', null],
      ['4210', 'Miete'],
      ['1200', 'Bank'],
    ]);
    const byText = await get('/ledger?text=rent').expect(200);
    expect(byText.body.items.map((item: { transactionId: string }) => item.transactionId)).toEqual(['rent-2', 'rent-2']);
    const csv = await get('/ledger?account=8400&format=csv').expect(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="ledger.csv"');
    expect(csv.text.split('\r\n')[0]).toBe('position,postingDate,voucherNumber,transactionId,accountNumber,accountName,side,amount,currency,description');
    expect(csv.text.split('\r\n')[1]).toBe('11,2026-01-10,1,sale-1,8400,Erlöse 19 % USt,credit,1000.00,EUR,"Consulting, ""phase 1"""');
    const rentCsv = await get('/ledger?text=rent&format=csv').expect(200);
    expect(rentCsv.text).toContain(',"Rent, February"\r\n');
  });

  it('reports: balance sheet balances, profit and loss, VAT per tax code, open receivables with ageing', async () => {
    const sheet = await get('/reports/balance-sheet?asOf=2026-12-31').expect(200);
    expect(sheet.body.totals).toEqual({ assets: '723.00', liabilities: '823.00', equity: '-100.00', liabilitiesAndEquity: '723.00' });
    expect(sheet.body.assets).toEqual([
      { accountNumber: '1200', name: 'Bank', amount: '-400.00' },
      { accountNumber: '1400', name: 'Forderungen aus Lieferungen und Leistungen', amount: '1028.00' },
      { accountNumber: '1576', name: 'Abziehbare Vorsteuer 19 %', amount: '95.00' },
    ]);
    expect(sheet.body.liabilities).toEqual([
      { accountNumber: '1600', name: null, amount: '595.00' },
      { accountNumber: '1776', name: 'Umsatzsteuer 19 %', amount: '228.00' },
    ]);

    const pnl = await get('/reports/profit-and-loss?from=2026-01-01&to=2026-12-31').expect(200);
    expect(pnl.body).toMatchObject({ totals: { revenue: '1200.00', expenses: '1300.00' }, result: '-100.00' });
    expect(pnl.body.revenue).toEqual([{ accountNumber: '8400', name: 'Erlöse 19 % USt', amount: '1200.00' }]);
    expect(pnl.body.expenses).toEqual([
      { accountNumber: '3400', name: null, amount: '500.00' },
      { accountNumber: '4210', name: 'Miete', amount: '800.00' },
    ]);

    const vat = await get('/reports/vat-summary?from=2026-01-01&to=2026-12-31').expect(200);
    expect(vat.body.items.filter((item: { tax: string }) => item.tax !== '0.00')).toEqual([
      { taxCode: 'USt19', kind: 'output', accountNumber: '1776', accountName: 'Umsatzsteuer 19 %', rate: '19', base: '1200.00', tax: '228.00' },
      { taxCode: 'VSt19', kind: 'input', accountNumber: '1576', accountName: 'Abziehbare Vorsteuer 19 %', rate: '19', base: '500.00', tax: '95.00' },
    ]);
    // VAT accounts the chart does not hold (and without movements) have no name.
    expect(vat.body.items.find((item: { taxCode: string }) => item.taxCode === 'USt7')).toMatchObject({ accountNumber: '1771', accountName: null, tax: '0.00' });
    expect(vat.body.totals).toEqual({ output: '228.00', input: '95.00', payable: '133.00' });

    const open = await get('/reports/open-items?kind=receivables&asOf=2026-03-15').expect(200);
    expect(open.body.items.map((item: { transactionId: string; open: string; ageBucket: string; dueDate: string }) => [item.transactionId, item.open, item.dueDate, item.ageBucket])).toEqual([
      ['sale-1', '790.00', '2026-02-09', 'd31_60'],
      ['sale-2', '238.00', '2026-03-31', 'current'],
    ]);
    expect(open.body.items[0]).toMatchObject({ accountNumber: '1400', accountName: 'Forderungen aus Lieferungen und Leistungen', party: null });
    expect(open.body.buckets).toEqual({ current: '238.00', d1_30: '0.00', d31_60: '790.00', d61_90: '0.00', over90: '0.00' });
    const payables = await get('/reports/open-items?kind=payables&asOf=2026-03-15&format=csv').expect(200);
    expect(payables.text.split('\r\n')[0]).toBe('transactionId,voucherNumber,accountNumber,accountName,party,documentDate,dueDate,daysOverdue,amount,open,ageBucket');
    expect(payables.text.split('\r\n')[1]).toBe('purchase-1,2,1600,,,2026-01-15,2026-02-14,29,595.00,595.00,d1_30');
  });

  it('dashboard: month KPIs, twelve months of revenue and expenses, projection lag', async () => {
    const response = await get('/dashboard?month=2026-02').expect(200);
    expect(response.body).toMatchObject({
      month: '2026-02',
      currency: 'EUR',
      kpis: { cash: '-400.00', receivables: '790.00', payables: '595.00', revenue: '0.00', expenses: '800.00' },
      openApprovals: null,
      projectionLagEvents: 0,
    });
    expect(response.body.monthly).toHaveLength(12);
    expect(response.body.monthly.slice(-2)).toEqual([
      { month: '2026-01', revenue: '1000.00', expenses: '500.00' },
      { month: '2026-02', revenue: '0.00', expenses: '800.00' },
    ]);
  });

  it('audit log: who, when, request and hash chain; filters and CSV', async () => {
    const response = await get('/audit-log?type=ledger.transaction_posted&limit=2').expect(200);
    expect(response.body.items).toHaveLength(2);
    // The chart's 10 events come first; accountant-1 is no user of the users read model (not built here): no name.
    expect(response.body.items[0]).toMatchObject({ position: '11', type: 'ledger.transaction_posted', actor: { userId: 'accountant-1', role: 'accountant' }, actorName: null, requestId: 'req-1' });
    expect(response.body.items[1].prevHash).toBe(response.body.items[0].hash);
    const csv = await get('/audit-log?format=csv').expect(200);
    expect(csv.text.split('\r\n')).toHaveLength(1 + 10 + 5 + 1);
    expect(csv.text.startsWith('position,recordedAt,type,streamId,streamVersion,actor,actorName,role,requestId,correlationId,reason,hash\r\n1,')).toBe(true);
    expect((await get('/audit-log?actor=nobody').expect(200)).body.items).toEqual([]);
  });
});
