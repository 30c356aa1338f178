import { trialBalanceAsKnownAt, trialBalanceAsOf, type TrialBalance } from '@neuroerp/projections';
import { toCsv } from '../http/csv';
import { cursorParameter, limitParameter, pageSchema, toPage } from '../http/pagination';
import { accountNumberParameter, dateParameter, fromNotAfterTo, instantParameter } from '../http/parameters';
import { QueryProblemError } from '../http/problem';
import { z } from '../http/zod';
import { ACCOUNT_STATUSES, accountCatalogue, CHART_OF_ACCOUNTS, guessedAccount } from '../read-models/accounts';
import { ACCOUNT_BALANCES, companyCurrency, EXPORT_ROWS_MAX, GENERAL_LEDGER } from '../read-models/ledger';
import { formatMinor } from '../read-models/money';
import { defineRoute, type RouteContext } from '../route';

const amount = z.string().openapi({ description: 'Decimal string in major units of the company currency.', example: '1234.50' });

export const accountItemSchema = z.object({
  accountNumber: z.string(),
  name: z.string().nullable().describe('From the chart of accounts; null for an account number the chart does not hold.'),
  type: z.enum(['asset', 'liability', 'equity', 'revenue', 'expense']).describe('From the chart of accounts; for a number the chart does not hold, guessed from the SKR03 account classes.'),
  normalBalance: z.enum(['debit', 'credit']),
  status: z.enum(ACCOUNT_STATUSES).describe('From the chart of accounts; `unknown` for an account number the chart does not hold.'),
  debit: amount,
  credit: amount,
  balance: amount.describe('Debit minus credit.'),
});

const asOfQuery = z.object({
  asOf: dateParameter.optional().describe('Business date (posting date) up to which lines count; default today.'),
  knownAt: instantParameter.optional().describe('Only lines recorded at or before this instant (bi-temporal); default: as known now.'),
});

/**
 * Balances per account as of a posting date. As known now they come from the daily balances
 * (one range scan); with `knownAt` from the ledger lines and their `recorded_at`.
 */
export async function balancesAsOf(context: RouteContext<{ asOf?: string; knownAt?: string }, unknown>): Promise<{ asOf: string; knownAt: string | null; balances: TrialBalance; currency: string }> {
  const asOf = context.query.asOf ?? context.today;
  const knownAt = context.query.knownAt ?? null;
  const query = { companyId: context.companyId, postingDate: asOf };
  const balances =
    knownAt === null ? await trialBalanceAsOf(context.db, context.controlSchema, query) : await trialBalanceAsKnownAt(context.db, context.controlSchema, { ...query, knownAt });
  const currency = await companyCurrency(context.db, context.schemaOf(ACCOUNT_BALANCES), context.companyId);
  return { asOf, knownAt, balances, currency };
}

export const accountsRoute = defineRoute({
  path: '/accounts',
  operationId: 'queryAccounts',
  summary: "The chart of accounts with every account's debit, credit and balance as of a date, as known at an instant (accounts without postings too).",
  tags: ['query: ledger'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES, GENERAL_LEDGER],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: asOfQuery,
  response: z.object({ asOf: z.string(), knownAt: z.string().nullable(), currency: z.string(), items: z.array(accountItemSchema) }),
  async run(context) {
    const { asOf, knownAt, balances, currency } = await balancesAsOf(context);
    const chart = await accountCatalogue(context, 'all');
    // Numbers with postings the chart does not hold: typed by their SKR03 class.
    const unknown = balances.rows.filter((row) => !chart.has(row.accountNumber)).map((row) => guessedAccount(row.accountNumber));
    const sums = new Map(balances.rows.map((row) => [row.accountNumber, row]));
    const accounts = [...chart.values(), ...unknown].sort((a, b) => (a.accountNumber < b.accountNumber ? -1 : a.accountNumber > b.accountNumber ? 1 : 0));
    return {
      asOf,
      knownAt,
      currency,
      items: accounts.map((account) => {
        const row = sums.get(account.accountNumber);
        const debit = row?.debitMinor ?? 0n;
        const credit = row?.creditMinor ?? 0n;
        return { ...account, debit: formatMinor(debit, currency), credit: formatMinor(credit, currency), balance: formatMinor(debit - credit, currency) };
      }),
    };
  },
});

// ---- statement ----------------------------------------------------------------------------

const statementCursor = z.tuple([z.string(), z.string().regex(/^[0-9]+$/), z.number().int().nonnegative()]);

const statementLineSchema = z.object({
  postingDate: z.string(),
  voucherNumber: z.number().int(),
  transactionId: z.string(),
  description: z.string().nullable(),
  debit: amount,
  credit: amount,
  runningBalance: amount.describe('Opening balance plus every line up to and including this one (debit minus credit).'),
});

const statementResponse = z.object({
  accountNumber: z.string(),
  name: z.string().nullable().describe('From the chart of accounts; null for an account number the chart does not hold.'),
  currency: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  openingBalance: amount,
  closingBalance: amount,
  ...pageSchema(statementLineSchema).shape,
});
type StatementResponse = z.infer<typeof statementResponse>;

interface StatementRow {
  posting_date: string;
  position: string;
  line_number: number;
  voucher_number: number;
  transaction_id: string;
  description: string | null;
  side: 'debit' | 'credit';
  amount: string;
  running: string;
}

export const statementRoute = defineRoute({
  path: '/accounts/:accountNumber/statement',
  operationId: 'queryAccountStatement',
  summary: 'The lines of one account in posting-date order with opening, running and closing balance.',
  tags: ['query: ledger'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES, GENERAL_LEDGER],
  optionalReads: [CHART_OF_ACCOUNTS],
  params: z.object({ accountNumber: accountNumberParameter }),
  query: z.object({
    from: dateParameter.optional().describe('First posting date; default: from the first line.'),
    to: dateParameter.optional().describe('Last posting date; default today.'),
    cursor: cursorParameter(statementCursor),
    limit: limitParameter,
  }),
  refine: fromNotAfterTo,
  response: statementResponse,
  csv: {
    filename: (body: StatementResponse) => `statement-${body.accountNumber}-${body.to}.csv`,
    render: (body: StatementResponse) =>
      toCsv(
        [
          { header: 'postingDate', value: (row) => row.postingDate },
          { header: 'voucherNumber', value: (row) => row.voucherNumber },
          { header: 'transactionId', value: (row) => row.transactionId },
          { header: 'description', value: (row) => row.description },
          { header: 'debit', value: (row) => row.debit },
          { header: 'credit', value: (row) => row.credit },
          { header: 'runningBalance', value: (row) => row.runningBalance },
        ],
        body.items,
      ),
  },
  async run(context): Promise<StatementResponse> {
    const { accountNumber } = context.params;
    const { from, cursor, limit } = context.query;
    const to = context.query.to ?? context.today;
    const schema = context.schemaOf(GENERAL_LEDGER);
    const currency = await companyCurrency(context.db, context.schemaOf(ACCOUNT_BALANCES), context.companyId);
    const signed = `case when side = 'debit' then company_amount_minor else -company_amount_minor end`;
    const totals = await context.db.raw(
      `select coalesce(sum(${signed}) filter (where ?::date is not null and posting_date < ?::date), 0)::text as opening,
              coalesce(sum(${signed}) filter (where posting_date <= ?::date), 0)::text as closing,
              count(*) filter (where (?::date is null or posting_date >= ?::date) and posting_date <= ?::date)::int as lines
         from "${schema}".ledger_lines where company_id = ? and account_number = ?`,
      [from ?? null, from ?? null, to, from ?? null, from ?? null, to, context.companyId, accountNumber],
    );
    const { opening, closing, lines } = (totals.rows as { opening: string; closing: string; lines: number }[])[0] ?? { opening: '0', closing: '0', lines: 0 };
    const csv = context.query.format === 'csv';
    if (csv && lines > EXPORT_ROWS_MAX) throw new QueryProblemError(400, 'EXPORT_TOO_LARGE', `${lines} lines exceed the export limit of ${EXPORT_ROWS_MAX}; narrow the date range.`);
    const pageSize = csv ? EXPORT_ROWS_MAX : limit;
    const result = await context.db.raw(
      `with lines as (
         select posting_date, position, line_number, voucher_number, transaction_id, coalesce(line_text, description) as description, side, company_amount_minor,
                sum(${signed}) over (order by posting_date, position, line_number) as running
           from "${schema}".ledger_lines
          where company_id = ? and account_number = ? and (?::date is null or posting_date >= ?::date) and posting_date <= ?::date)
       select posting_date::text as posting_date, position::text as position, line_number, voucher_number, transaction_id, description, side,
              company_amount_minor::text as amount, (running + ?::numeric)::text as running
         from lines
        where ?::date is null or (posting_date, position, line_number) > (?::date, ?::bigint, ?::int)
        order by lines.posting_date, lines.position, lines.line_number limit ?`,
      [context.companyId, accountNumber, from ?? null, from ?? null, to, opening, cursor?.[0] ?? null, cursor?.[0] ?? null, cursor?.[1] ?? null, cursor?.[2] ?? null, pageSize + 1],
    );
    const page = toPage(
      result.rows as StatementRow[],
      pageSize,
      (row) => [row.posting_date, row.position, row.line_number],
      (row) => ({
        postingDate: row.posting_date,
        voucherNumber: row.voucher_number,
        transactionId: row.transaction_id,
        description: row.description,
        debit: formatMinor(row.side === 'debit' ? BigInt(row.amount) : 0n, currency),
        credit: formatMinor(row.side === 'credit' ? BigInt(row.amount) : 0n, currency),
        runningBalance: formatMinor(BigInt(row.running), currency),
      }),
    );
    return {
      accountNumber,
      name: (await accountCatalogue(context, [accountNumber])).get(accountNumber)?.name ?? null,
      currency,
      from: from ?? null,
      to,
      openingBalance: formatMinor(BigInt(opening), currency),
      closingBalance: formatMinor(BigInt(closing), currency),
      ...page,
    };
  },
});
