import { monthParameter } from '../http/parameters';
import { z } from '../http/zod';
import { skr03AccountType } from '../read-models/accounts';
import { ACCOUNT_BALANCES, companyCurrency } from '../read-models/ledger';
import { formatMinor } from '../read-models/money';
import { defineRoute } from '../route';
import { TRANSACTIONS } from './transactions';

/** Months the revenue/expenses series covers, ending with the asked month. */
export const DASHBOARD_MONTHS = 12;

/** SKR03 ranges of the balance KPIs: cash and bank 1000–1399, trade receivables 1400–1499, trade payables 1600–1699. */
const KPI_ACCOUNTS = { cash: ['1000', '1399'], receivables: ['1400', '1499'], payables: ['1600', '1699'] } as const;

function monthEnd(month: string): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, number, 0)).toISOString().slice(0, 10);
}

function shiftMonth(month: string, delta: number): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  const date = new Date(Date.UTC(year, number - 1 + delta, 1));
  return date.toISOString().slice(0, 7);
}

const amount = z.string().openapi({ description: 'Decimal string in major units of the company currency.' });
const dashboardResponse = z.object({
  month: z.string(),
  currency: z.string(),
  kpis: z.object({
    cash: amount.describe('Cash and bank (1000–1399) at the end of the month.'),
    receivables: amount.describe('Trade receivables (1400–1499) at the end of the month.'),
    payables: amount.describe('Trade payables (1600–1699) at the end of the month, credit minus debit.'),
    revenue: amount.describe('Revenue of the month.'),
    expenses: amount.describe('Expenses of the month.'),
  }),
  monthly: z.array(z.object({ month: z.string(), revenue: amount, expenses: amount })).describe(`The ${DASHBOARD_MONTHS} months ending with \`month\`.`),
  openApprovals: z.number().int().nullable().describe('Submitted transactions awaiting approval; null while the transactions read model is not built.'),
  projectionLagEvents: z.number().int().nullable().describe('Events the slowest read model has still to apply; null when the head position is not known.'),
});
type Dashboard = z.infer<typeof dashboardResponse>;

export const dashboardRoute = defineRoute({
  path: '/dashboard',
  operationId: 'queryDashboard',
  summary: 'KPIs of a month, revenue and expenses per month, open approvals and projection lag.',
  tags: ['query: dashboard'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES],
  optionalReads: [TRANSACTIONS],
  keyedByHead: true,
  query: z.object({ month: monthParameter.optional().describe('Default: the current month.') }),
  response: dashboardResponse,
  async run(context): Promise<Dashboard> {
    const month = context.query.month ?? context.today.slice(0, 7);
    const first = shiftMonth(month, 1 - DASHBOARD_MONTHS);
    const schema = context.schemaOf(ACCOUNT_BALANCES);
    const currency = await companyCurrency(context.db, schema, context.companyId);
    const end = monthEnd(month);
    const kpiResult = await context.db.raw(
      `select coalesce(sum(company_debit_minor - company_credit_minor) filter (where account_number between ? and ?), 0)::text as cash,
              coalesce(sum(company_debit_minor - company_credit_minor) filter (where account_number between ? and ?), 0)::text as receivables,
              coalesce(sum(company_credit_minor - company_debit_minor) filter (where account_number between ? and ?), 0)::text as payables
         from "${schema}".account_balances_daily where company_id = ? and posting_date <= ?::date`,
      [...KPI_ACCOUNTS.cash, ...KPI_ACCOUNTS.receivables, ...KPI_ACCOUNTS.payables, context.companyId, end],
    );
    const kpi = (kpiResult.rows as { cash: string; receivables: string; payables: string }[])[0] ?? { cash: '0', receivables: '0', payables: '0' };
    const movements = await context.db.raw(
      `select to_char(posting_date, 'YYYY-MM') as month, account_number, sum(company_debit_minor)::text as d, sum(company_credit_minor)::text as c
         from "${schema}".account_balances_daily where company_id = ? and posting_date between ?::date and ?::date
        group by 1, 2`,
      [context.companyId, `${first}-01`, end],
    );
    const monthly = new Map<string, { revenue: bigint; expenses: bigint }>();
    for (let index = 0; index < DASHBOARD_MONTHS; index += 1) monthly.set(shiftMonth(first, index), { revenue: 0n, expenses: 0n });
    for (const row of movements.rows as { month: string; account_number: string; d: string; c: string }[]) {
      const sums = monthly.get(row.month);
      if (sums === undefined) continue;
      const type = skr03AccountType(row.account_number);
      if (type === 'revenue') sums.revenue += BigInt(row.c) - BigInt(row.d);
      if (type === 'expense') sums.expenses += BigInt(row.d) - BigInt(row.c);
    }
    const current = monthly.get(month) ?? { revenue: 0n, expenses: 0n };

    let openApprovals: number | null = null;
    const transactions = context.readModels.get(TRANSACTIONS);
    if (transactions !== undefined) {
      const count = await context.db.raw(`select coalesce(sum(transactions), 0)::int as n from "${transactions.schema}".transaction_counts where company_id = ? and status = 'submitted'`, [
        context.companyId,
      ]);
      openApprovals = (count.rows as { n: number }[])[0]?.n ?? 0;
    }
    let projectionLagEvents: number | null = null;
    if (context.headPosition !== undefined) {
      const head = await context.headPosition();
      const slowest = [...context.readModels.values()].reduce((min, model) => (model.position < min ? model.position : min), head);
      projectionLagEvents = Number(head - slowest);
    }
    return {
      month,
      currency,
      kpis: {
        cash: formatMinor(BigInt(kpi.cash), currency),
        receivables: formatMinor(BigInt(kpi.receivables), currency),
        payables: formatMinor(BigInt(kpi.payables), currency),
        revenue: formatMinor(current.revenue, currency),
        expenses: formatMinor(current.expenses, currency),
      },
      monthly: [...monthly].map(([key, sums]) => ({ month: key, revenue: formatMinor(sums.revenue, currency), expenses: formatMinor(sums.expenses, currency) })),
      openApprovals,
      projectionLagEvents,
    };
  },
});
