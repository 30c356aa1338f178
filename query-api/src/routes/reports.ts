import { toCsv } from '../http/csv';
import { dateParameter, fromNotAfterTo } from '../http/parameters';
import { QueryProblemError } from '../http/problem';
import { z } from '../http/zod';
import { accountCatalogue, accountOf, CHART_OF_ACCOUNTS, type AccountType } from '../read-models/accounts';
import { ACCOUNT_BALANCES, accountSums, companyCurrency, EXPORT_ROWS_MAX, GENERAL_LEDGER } from '../read-models/ledger';
import { formatMinor } from '../read-models/money';
import { defineRoute } from '../route';

const amount = z.string().openapi({ description: 'Decimal string in major units of the company currency.' });
const reportLineSchema = z.object({
  accountNumber: z.string().nullable(),
  name: z.string().nullable().describe('The account name from the chart of accounts (null for a number the chart does not hold); `result` or a total on lines without account number.'),
  amount,
});
type ReportLine = z.infer<typeof reportLineSchema>;

/** Amount in the direction of the account type's normal balance (assets and expenses: debit minus credit). */
function normalAmount(type: AccountType, debitMinor: bigint, creditMinor: bigint): bigint {
  return type === 'asset' || type === 'expense' ? debitMinor - creditMinor : creditMinor - debitMinor;
}

function csvOfSections(sections: readonly [string, readonly ReportLine[]][]): string {
  const rows = sections.flatMap(([section, lines]) => lines.map((line) => ({ section, ...line })));
  return toCsv(
    [
      { header: 'section', value: (row: (typeof rows)[number]) => row.section },
      { header: 'accountNumber', value: (row) => row.accountNumber },
      { header: 'name', value: (row) => row.name },
      { header: 'amount', value: (row) => row.amount },
    ],
    rows,
  );
}

// ---- balance sheet ------------------------------------------------------------------------

const balanceSheetResponse = z.object({
  asOf: z.string(),
  currency: z.string(),
  assets: z.array(reportLineSchema),
  liabilities: z.array(reportLineSchema),
  equity: z.array(reportLineSchema).describe('Equity accounts plus one line without account number: the result (revenue minus expenses) not yet closed into equity.'),
  totals: z.object({ assets: amount, liabilities: amount, equity: amount, liabilitiesAndEquity: amount }),
});
type BalanceSheet = z.infer<typeof balanceSheetResponse>;

export const balanceSheetRoute = defineRoute({
  path: '/reports/balance-sheet',
  operationId: 'queryBalanceSheet',
  summary: 'Balance sheet as of a posting date, from the account types; the unclosed result is shown under equity.',
  tags: ['query: reports'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: z.object({ asOf: dateParameter.optional().describe('Posting date; default today.') }),
  response: balanceSheetResponse,
  csv: {
    filename: (body: BalanceSheet) => `balance-sheet-${body.asOf}.csv`,
    render: (body: BalanceSheet) =>
      csvOfSections([
        ['assets', body.assets],
        ['liabilities', body.liabilities],
        ['equity', body.equity],
        ['totals', Object.entries(body.totals).map(([name, total]) => ({ accountNumber: null, name, amount: total }))],
      ]),
  },
  async run(context): Promise<BalanceSheet> {
    const asOf = context.query.asOf ?? context.today;
    const schema = context.schemaOf(ACCOUNT_BALANCES);
    const currency = await companyCurrency(context.db, schema, context.companyId);
    const sums = await accountSums(context.db, schema, { companyId: context.companyId, to: asOf });
    const catalogue = await accountCatalogue(context, sums.map((sum) => sum.accountNumber));
    const sections: Record<'asset' | 'liability' | 'equity', ReportLine[]> = { asset: [], liability: [], equity: [] };
    const totals = { asset: 0n, liability: 0n, equity: 0n };
    let result = 0n;
    for (const sum of sums) {
      const account = accountOf(catalogue, sum.accountNumber);
      const value = normalAmount(account.type, sum.debitMinor, sum.creditMinor);
      if (account.type === 'revenue') result += value;
      else if (account.type === 'expense') result -= value;
      else {
        sections[account.type].push({ accountNumber: sum.accountNumber, name: account.name, amount: formatMinor(value, currency) });
        totals[account.type] += value;
      }
    }
    sections.equity.push({ accountNumber: null, name: 'result', amount: formatMinor(result, currency) });
    totals.equity += result;
    return {
      asOf,
      currency,
      assets: sections.asset,
      liabilities: sections.liability,
      equity: sections.equity,
      totals: {
        assets: formatMinor(totals.asset, currency),
        liabilities: formatMinor(totals.liability, currency),
        equity: formatMinor(totals.equity, currency),
        liabilitiesAndEquity: formatMinor(totals.liability + totals.equity, currency),
      },
    };
  },
});

// ---- profit and loss ----------------------------------------------------------------------

const profitAndLossResponse = z.object({
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  revenue: z.array(reportLineSchema),
  expenses: z.array(reportLineSchema),
  totals: z.object({ revenue: amount, expenses: amount }),
  result: amount.describe('Revenue minus expenses; negative is a loss.'),
});
type ProfitAndLoss = z.infer<typeof profitAndLossResponse>;

export const profitAndLossRoute = defineRoute({
  path: '/reports/profit-and-loss',
  operationId: 'queryProfitAndLoss',
  summary: 'Profit-and-loss statement for a posting-date range, from the account types.',
  tags: ['query: reports'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: z.object({
    from: dateParameter.optional().describe('First posting date; default 1 January of `to`’s year.'),
    to: dateParameter.optional().describe('Last posting date; default today.'),
  }),
  refine: fromNotAfterTo,
  response: profitAndLossResponse,
  csv: {
    filename: (body: ProfitAndLoss) => `profit-and-loss-${body.from}-${body.to}.csv`,
    render: (body: ProfitAndLoss) =>
      csvOfSections([
        ['revenue', body.revenue],
        ['expenses', body.expenses],
        ['result', [{ accountNumber: null, name: 'result', amount: body.result }]],
      ]),
  },
  async run(context): Promise<ProfitAndLoss> {
    const to = context.query.to ?? context.today;
    const from = context.query.from ?? `${to.slice(0, 4)}-01-01`;
    if (from > to) throw new QueryProblemError(400, 'INVALID_RANGE', '`from` is after `to`.');
    const schema = context.schemaOf(ACCOUNT_BALANCES);
    const currency = await companyCurrency(context.db, schema, context.companyId);
    const sums = await accountSums(context.db, schema, { companyId: context.companyId, from, to });
    const catalogue = await accountCatalogue(context, sums.map((sum) => sum.accountNumber));
    const revenue: ReportLine[] = [];
    const expenses: ReportLine[] = [];
    let revenueTotal = 0n;
    let expenseTotal = 0n;
    for (const sum of sums) {
      const account = accountOf(catalogue, sum.accountNumber);
      if (account.type === 'revenue') {
        const value = normalAmount('revenue', sum.debitMinor, sum.creditMinor);
        revenue.push({ accountNumber: sum.accountNumber, name: account.name, amount: formatMinor(value, currency) });
        revenueTotal += value;
      } else if (account.type === 'expense') {
        const value = normalAmount('expense', sum.debitMinor, sum.creditMinor);
        expenses.push({ accountNumber: sum.accountNumber, name: account.name, amount: formatMinor(value, currency) });
        expenseTotal += value;
      }
    }
    return {
      from,
      to,
      currency,
      revenue,
      expenses,
      totals: { revenue: formatMinor(revenueTotal, currency), expenses: formatMinor(expenseTotal, currency) },
      result: formatMinor(revenueTotal - expenseTotal, currency),
    };
  },
});

// ---- VAT summary --------------------------------------------------------------------------

/**
 * The tax codes of the SKR03 automatic VAT accounts: output VAT (Umsatzsteuer) is owed on
 * revenue, input VAT (Vorsteuer) is reclaimable on purchases. Ledger lines carry no tax code
 * yet, so the account identifies it.
 */
export const VAT_TAX_CODES = [
  { taxCode: 'USt19', kind: 'output', accountNumber: '1776', rate: '19' },
  { taxCode: 'USt7', kind: 'output', accountNumber: '1771', rate: '7' },
  { taxCode: 'VSt19', kind: 'input', accountNumber: '1576', rate: '19' },
  { taxCode: 'VSt7', kind: 'input', accountNumber: '1571', rate: '7' },
] as const;

const vatResponse = z.object({
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  items: z.array(
    z.object({
      taxCode: z.string(),
      kind: z.enum(['output', 'input']),
      accountNumber: z.string(),
      accountName: z.string().nullable().describe('The VAT account\'s name from the chart of accounts; null when the chart does not hold it.'),
      rate: z.string().describe('Percent.'),
      base: amount.describe('Net revenue (output) or net expense (input) of the transactions that booked this tax code.'),
      tax: amount.describe('Output VAT owed (credit minus debit) or input VAT reclaimable (debit minus credit).'),
    }),
  ),
  totals: z.object({ output: amount, input: amount, payable: amount.describe('Output minus input VAT; negative is a refund.') }),
});
type VatSummary = z.infer<typeof vatResponse>;

export const vatSummaryRoute = defineRoute({
  path: '/reports/vat-summary',
  operationId: 'queryVatSummary',
  summary: 'VAT per tax code for a posting-date range: tax from the VAT accounts, base from the revenue or expense lines of the same transactions.',
  tags: ['query: reports'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES, GENERAL_LEDGER],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: z.object({
    from: dateParameter.optional().describe('First posting date; default the first day of `to`’s month.'),
    to: dateParameter.optional().describe('Last posting date; default today.'),
  }),
  refine: fromNotAfterTo,
  response: vatResponse,
  csv: {
    filename: (body: VatSummary) => `vat-summary-${body.from}-${body.to}.csv`,
    render: (body: VatSummary) =>
      toCsv(
        (['taxCode', 'kind', 'accountNumber', 'accountName', 'rate', 'base', 'tax'] as const).map((header) => ({ header, value: (row: VatSummary['items'][number]) => row[header] })),
        body.items,
      ),
  },
  async run(context): Promise<VatSummary> {
    const to = context.query.to ?? context.today;
    const from = context.query.from ?? `${to.slice(0, 7)}-01`;
    if (from > to) throw new QueryProblemError(400, 'INVALID_RANGE', '`from` is after `to`.');
    const currency = await companyCurrency(context.db, context.schemaOf(ACCOUNT_BALANCES), context.companyId);
    const vatAccounts = VAT_TAX_CODES.map((code) => code.accountNumber);
    // Every line of the transactions in range that touch a VAT account.
    const result = await context.db.raw(
      `select transaction_id, account_number, side, company_amount_minor::text as amount
         from "${context.schemaOf(GENERAL_LEDGER)}".ledger_lines
        where company_id = ? and posting_date between ?::date and ?::date
          and transaction_id in (select transaction_id from "${context.schemaOf(GENERAL_LEDGER)}".ledger_lines
                                  where company_id = ? and posting_date between ?::date and ?::date and account_number = any(?))
        order by position, line_number limit ?`,
      [context.companyId, from, to, context.companyId, from, to, vatAccounts, EXPORT_ROWS_MAX + 1],
    );
    const lines = result.rows as { transaction_id: string; account_number: string; side: 'debit' | 'credit'; amount: string }[];
    if (lines.length > EXPORT_ROWS_MAX) throw new QueryProblemError(400, 'EXPORT_TOO_LARGE', `More than ${EXPORT_ROWS_MAX} lines; narrow the date range.`);
    const byTransaction = new Map<string, typeof lines>();
    for (const line of lines) byTransaction.set(line.transaction_id, [...(byTransaction.get(line.transaction_id) ?? []), line]);
    const catalogue = await accountCatalogue(context, [...new Set([...lines.map((line) => line.account_number), ...vatAccounts])]);
    const sums = new Map<string, { base: bigint; tax: bigint }>(VAT_TAX_CODES.map((code) => [code.taxCode, { base: 0n, tax: 0n }]));
    for (const transactionLines of byTransaction.values()) {
      for (const code of VAT_TAX_CODES) {
        const taxLines = transactionLines.filter((line) => line.account_number === code.accountNumber);
        if (taxLines.length === 0) continue;
        const sum = sums.get(code.taxCode);
        if (sum === undefined) throw new Error(`unknown tax code ${code.taxCode}`);
        const signed = (line: (typeof lines)[number]) => (line.side === 'debit' ? BigInt(line.amount) : -BigInt(line.amount));
        const direction = code.kind === 'output' ? -1n : 1n;
        sum.tax += direction * taxLines.reduce((total, line) => total + signed(line), 0n);
        // The base: the revenue (output) or expense (input) lines of the same transaction, whatever the rate of
        // other VAT lines in it (a mixed-rate transaction counts its whole base under each of its codes).
        const baseType = code.kind === 'output' ? 'revenue' : 'expense';
        sum.base += direction * transactionLines.filter((line) => accountOf(catalogue, line.account_number).type === baseType).reduce((total, line) => total + signed(line), 0n);
      }
    }
    let output = 0n;
    let input = 0n;
    const items = VAT_TAX_CODES.map((code) => {
      const sum = sums.get(code.taxCode) ?? { base: 0n, tax: 0n };
      if (code.kind === 'output') output += sum.tax;
      else input += sum.tax;
      return {
        taxCode: code.taxCode,
        kind: code.kind,
        accountNumber: code.accountNumber,
        accountName: accountOf(catalogue, code.accountNumber).name,
        rate: code.rate,
        base: formatMinor(sum.base, currency),
        tax: formatMinor(sum.tax, currency),
      };
    });
    return { from, to, currency, items, totals: { output: formatMinor(output, currency), input: formatMinor(input, currency), payable: formatMinor(output - input, currency) } };
  },
});
