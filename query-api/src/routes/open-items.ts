import { toCsv } from '../http/csv';
import { dateParameter } from '../http/parameters';
import { QueryProblemError } from '../http/problem';
import { z } from '../http/zod';
import { accountCatalogue, accountOf, CHART_OF_ACCOUNTS } from '../read-models/accounts';
import { ACCOUNT_BALANCES, companyCurrency, EXPORT_ROWS_MAX, GENERAL_LEDGER } from '../read-models/ledger';
import { formatMinor } from '../read-models/money';
import { defineRoute } from '../route';

/** Days from the document date to the due date: ledger lines carry no payment terms yet. */
export const PAYMENT_TERM_DAYS = 30;

/** The SKR03 control accounts of open items: trade receivables 1400–1499, trade payables 1600–1699. */
const CONTROL_ACCOUNTS = { receivables: ['1400', '1499'], payables: ['1600', '1699'] } as const;

export const AGE_BUCKETS = ['current', 'd1_30', 'd31_60', 'd61_90', 'over90'] as const;
type AgeBucket = (typeof AGE_BUCKETS)[number];

export function ageBucket(daysOverdue: number): AgeBucket {
  if (daysOverdue <= 0) return 'current';
  if (daysOverdue <= 30) return 'd1_30';
  if (daysOverdue <= 60) return 'd31_60';
  if (daysOverdue <= 90) return 'd61_90';
  return 'over90';
}

const DAY_MS = 86_400_000;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const amount = z.string().openapi({ description: 'Decimal string in major units of the company currency.' });
const openItemsResponse = z.object({
  kind: z.enum(['receivables', 'payables']),
  asOf: z.string(),
  currency: z.string(),
  items: z.array(
    z.object({
      transactionId: z.string(),
      voucherNumber: z.number().int(),
      accountNumber: z.string(),
      accountName: z.string().nullable().describe('The control account\'s name from the chart of accounts; null when the chart does not hold it.'),
      party: z.string().nullable().describe('Null: ledger lines carry no business partner yet.'),
      documentDate: z.string(),
      dueDate: z.string().describe(`Document date plus ${PAYMENT_TERM_DAYS} days.`),
      daysOverdue: z.number().int(),
      amount,
      open: amount,
      ageBucket: z.enum(AGE_BUCKETS),
    }),
  ),
  buckets: z.object({ current: amount, d1_30: amount, d31_60: amount, d61_90: amount, over90: amount }),
  total: amount,
});
type OpenItems = z.infer<typeof openItemsResponse>;

interface ControlLine {
  transaction_id: string;
  voucher_number: number;
  account_number: string;
  document_date: string;
  side: 'debit' | 'credit';
  amount: string;
  reverses_transaction_id: string | null;
}

/**
 * Open receivables or payables as of a posting date, aged by days past due. Items are the
 * postings that increase the control account (receivables: debits; payables: credits); the
 * postings that decrease it settle first the transaction they reverse, then the oldest items
 * of the same account (balance-forward clearing: lines carry no clearing reference yet).
 */
export const openItemsRoute = defineRoute({
  path: '/reports/open-items',
  operationId: 'queryOpenItems',
  summary: 'Open receivables or payables with ageing buckets (by days past due).',
  tags: ['query: reports'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES, GENERAL_LEDGER],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: z.object({
    kind: z.enum(['receivables', 'payables']).optional().describe('Default `receivables`.'),
    asOf: dateParameter.optional().describe('Posting date; default today.'),
  }),
  response: openItemsResponse,
  csv: {
    filename: (body: OpenItems) => `open-${body.kind}-${body.asOf}.csv`,
    render: (body: OpenItems) =>
      toCsv(
        (['transactionId', 'voucherNumber', 'accountNumber', 'accountName', 'party', 'documentDate', 'dueDate', 'daysOverdue', 'amount', 'open', 'ageBucket'] as const).map((header) => ({
          header,
          value: (row: OpenItems['items'][number]) => row[header],
        })),
        body.items,
      ),
  },
  async run(context): Promise<OpenItems> {
    const kind = context.query.kind ?? 'receivables';
    const asOf = context.query.asOf ?? context.today;
    const currency = await companyCurrency(context.db, context.schemaOf(ACCOUNT_BALANCES), context.companyId);
    const [low, high] = CONTROL_ACCOUNTS[kind];
    const result = await context.db.raw(
      `select transaction_id, voucher_number, account_number, document_date::text as document_date, side, company_amount_minor::text as amount, reverses_transaction_id
         from "${context.schemaOf(GENERAL_LEDGER)}".ledger_lines
        where company_id = ? and account_number between ? and ? and posting_date <= ?::date
        order by posting_date, position, line_number limit ?`,
      [context.companyId, low, high, asOf, EXPORT_ROWS_MAX + 1],
    );
    const lines = result.rows as ControlLine[];
    if (lines.length > EXPORT_ROWS_MAX) throw new QueryProblemError(400, 'EXPORT_TOO_LARGE', `More than ${EXPORT_ROWS_MAX} control-account lines; ask for an earlier date.`);
    const increases = kind === 'receivables' ? 'debit' : 'credit';
    const items: { line: ControlLine; amount: bigint; open: bigint }[] = [];
    const settlements: ControlLine[] = [];
    for (const line of lines) {
      if (line.side === increases) items.push({ line, amount: BigInt(line.amount), open: BigInt(line.amount) });
      else settlements.push(line);
    }
    for (const settlement of settlements) {
      let left = BigInt(settlement.amount);
      const sameAccount = items.filter((item) => item.line.account_number === settlement.account_number && item.open > 0n);
      const targeted = sameAccount.filter((item) => item.line.transaction_id === settlement.reverses_transaction_id);
      for (const item of [...targeted, ...sameAccount.filter((candidate) => !targeted.includes(candidate))]) {
        if (left === 0n) break;
        const settled = item.open < left ? item.open : left;
        item.open -= settled;
        left -= settled;
      }
    }
    const catalogue = await accountCatalogue(context, [...new Set(items.map((item) => item.line.account_number))]);
    const buckets: Record<AgeBucket, bigint> = { current: 0n, d1_30: 0n, d31_60: 0n, d61_90: 0n, over90: 0n };
    const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
    const open = items
      .filter((item) => item.open > 0n)
      .map((item) => {
        const dueDate = addDays(item.line.document_date, PAYMENT_TERM_DAYS);
        const daysOverdue = Math.round((asOfMs - Date.parse(`${dueDate}T00:00:00Z`)) / DAY_MS);
        const bucket = ageBucket(daysOverdue);
        buckets[bucket] += item.open;
        return {
          transactionId: item.line.transaction_id,
          voucherNumber: item.line.voucher_number,
          accountNumber: item.line.account_number,
          accountName: accountOf(catalogue, item.line.account_number).name,
          party: null,
          documentDate: item.line.document_date,
          dueDate,
          daysOverdue,
          amount: formatMinor(item.amount, currency),
          open: formatMinor(item.open, currency),
          ageBucket: bucket,
        };
      });
    const total = Object.values(buckets).reduce((sum, value) => sum + value, 0n);
    return {
      kind,
      asOf,
      currency,
      items: open,
      buckets: {
        current: formatMinor(buckets.current, currency),
        d1_30: formatMinor(buckets.d1_30, currency),
        d31_60: formatMinor(buckets.d31_60, currency),
        d61_90: formatMinor(buckets.d61_90, currency),
        over90: formatMinor(buckets.over90, currency),
      },
      total: formatMinor(total, currency),
    };
  },
});
