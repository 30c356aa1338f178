import { toCsv } from '../http/csv';
import { cursorParameter, limitParameter, pageSchema, toPage } from '../http/pagination';
import { accountNumberParameter, amountParameter, dateParameter, fromNotAfterTo, minNotAboveMax, textParameter } from '../http/parameters';
import { QueryProblemError } from '../http/problem';
import { z } from '../http/zod';
import { accountCatalogue, accountOf, CHART_OF_ACCOUNTS } from '../read-models/accounts';
import { ACCOUNT_BALANCES, companyCurrency, EXPORT_ROWS_MAX, GENERAL_LEDGER, likePattern } from '../read-models/ledger';
import { formatMinor, parseMajor } from '../read-models/money';
import { defineRoute } from '../route';

const ledgerLineSchema = z.object({
  postingDate: z.string(),
  voucherNumber: z.number().int(),
  transactionId: z.string(),
  accountNumber: z.string(),
  accountName: z.string().nullable().describe('From the chart of accounts; null for an account number the chart does not hold.'),
  side: z.enum(['debit', 'credit']),
  amount: z.string().describe('Company-currency amount, decimal string in major units.'),
  currency: z.string().describe('The company currency.'),
  description: z.string().nullable().describe('The line text, else the transaction description.'),
  position: z.string().describe('Global position of the posting event.'),
  lineNumber: z.number().int(),
});
const ledgerResponse = pageSchema(ledgerLineSchema);
type LedgerResponse = z.infer<typeof ledgerResponse>;

interface LedgerRow {
  posting_date: string;
  voucher_number: number;
  transaction_id: string;
  account_number: string;
  side: 'debit' | 'credit';
  amount: string;
  description: string | null;
  position: string;
  line_number: number;
}

export const ledgerRoute = defineRoute({
  path: '/ledger',
  operationId: 'queryLedger',
  summary: 'General-ledger lines in position order, filtered by account, posting dates, amount range and text.',
  tags: ['query: ledger'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES, GENERAL_LEDGER],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: z.object({
    account: accountNumberParameter.optional(),
    from: dateParameter.optional().describe('First posting date.'),
    to: dateParameter.optional().describe('Last posting date.'),
    minAmount: amountParameter.optional().describe('Smallest company-currency amount of a line.'),
    maxAmount: amountParameter.optional().describe('Largest company-currency amount of a line.'),
    text: textParameter.optional().describe('Case-insensitive substring of the line text, description or transaction id.'),
    cursor: cursorParameter(z.tuple([z.string().regex(/^[0-9]+$/), z.number().int().nonnegative()])),
    limit: limitParameter,
  }),
  refine: (query, ctx) => {
    fromNotAfterTo(query, ctx);
    minNotAboveMax(query, ctx);
  },
  response: ledgerResponse,
  csv: {
    filename: () => 'ledger.csv',
    render: (body: LedgerResponse) =>
      toCsv(
        (['position', 'postingDate', 'voucherNumber', 'transactionId', 'accountNumber', 'accountName', 'side', 'amount', 'currency', 'description'] as const).map((header) => ({
          header,
          value: (row: LedgerResponse['items'][number]) => row[header],
        })),
        body.items,
      ),
  },
  async run(context): Promise<LedgerResponse> {
    const { query } = context;
    const schema = context.schemaOf(GENERAL_LEDGER);
    const currency = await companyCurrency(context.db, context.schemaOf(ACCOUNT_BALANCES), context.companyId);
    const conditions = ['company_id = ?'];
    const bindings: (string | number)[] = [context.companyId];
    const where = (condition: string, ...values: (string | number)[]) => {
      conditions.push(condition);
      bindings.push(...values);
    };
    if (query.account !== undefined) where('account_number = ?', query.account);
    if (query.from !== undefined) where('posting_date >= ?::date', query.from);
    if (query.to !== undefined) where('posting_date <= ?::date', query.to);
    if (query.minAmount !== undefined) where('company_amount_minor >= ?::numeric', parseMajor(query.minAmount, currency).toString());
    if (query.maxAmount !== undefined) where('company_amount_minor <= ?::numeric', parseMajor(query.maxAmount, currency).toString());
    if (query.text !== undefined) {
      const pattern = likePattern(query.text);
      where(`(line_text ilike ? or description ilike ? or transaction_id ilike ?)`, pattern, pattern, pattern);
    }
    const csv = query.format === 'csv';
    if (csv) {
      const count = await context.db.raw(`select count(*)::int as n from "${schema}".ledger_lines where ${conditions.join(' and ')}`, bindings);
      const n = (count.rows as { n: number }[])[0]?.n ?? 0;
      if (n > EXPORT_ROWS_MAX) throw new QueryProblemError(400, 'EXPORT_TOO_LARGE', `${n} lines exceed the export limit of ${EXPORT_ROWS_MAX}; narrow the filters.`);
    }
    if (query.cursor !== undefined) where('(position, line_number) > (?::bigint, ?::int)', query.cursor[0], query.cursor[1]);
    const pageSize = csv ? EXPORT_ROWS_MAX : query.limit;
    const result = await context.db.raw(
      `select posting_date::text as posting_date, voucher_number, transaction_id, account_number, side, company_amount_minor::text as amount,
              coalesce(line_text, description) as description, position::text as position, line_number
         from "${schema}".ledger_lines where ${conditions.join(' and ')} order by ledger_lines.position, ledger_lines.line_number limit ?`,
      [...bindings, pageSize + 1],
    );
    const rows = result.rows as LedgerRow[];
    const catalogue = await accountCatalogue(context, [...new Set(rows.slice(0, pageSize).map((row) => row.account_number))]);
    return toPage(
      rows,
      pageSize,
      (row) => [row.position, row.line_number],
      (row) => ({
        postingDate: row.posting_date,
        voucherNumber: row.voucher_number,
        transactionId: row.transaction_id,
        accountNumber: row.account_number,
        accountName: accountOf(catalogue, row.account_number).name,
        side: row.side,
        amount: formatMinor(BigInt(row.amount), currency),
        currency,
        description: row.description,
        position: row.position,
        lineNumber: row.line_number,
      }),
    );
  },
});
