import { getTransaction, listTransactions, type TransactionSummary } from '@neuroerp/projections';
import { cursorParameter, limitParameter, pageSchema } from '../http/pagination';
import { encodeCursor } from '../http/pagination';
import { amountParameter, dateParameter, fromNotAfterTo, minNotAboveMax, textParameter } from '../http/parameters';
import { z } from '../http/zod';
import { accountCatalogue, accountOf, CHART_OF_ACCOUNTS, type AccountInfo } from '../read-models/accounts';
import { ACCOUNT_BALANCES, companyCurrency, CURRENCY_FALLBACK } from '../read-models/ledger';
import { formatMinor, parseMajor } from '../read-models/money';
import { loadUserNames, USERS, type UserNameOf } from '../read-models/users';
import { defineRoute, notFound, type RouteContext } from '../route';

/** The transactions read model (projections `transactionsProjection`). */
export const TRANSACTIONS = 'transactions';

const userName = z.string().nullable().describe('The user name of the user id beside it (users read model); null when unknown (e.g. `system`).');

const transactionItemSchema = z.object({
  transactionId: z.string(),
  companyId: z.string(),
  type: z.string(),
  status: z.enum(['draft', 'submitted', 'approved', 'posted', 'reversed']),
  documentDate: z.string(),
  postingDate: z.string(),
  description: z.string().nullable(),
  amount: z.string().nullable().describe('Debit side in company currency (decimal string); null for a draft whose company amount is known only at posting.'),
  currency: z.string().nullable(),
  voucherNumber: z.number().int().nullable(),
  draftedBy: z.string().nullable(),
  draftedByName: userName,
  submittedBy: z.string().nullable(),
  submittedByName: userName,
  approvedBy: z.string().nullable(),
  approvedByName: userName,
  postedBy: z.string().nullable(),
  postedByName: userName,
  linkedDocumentIds: z.array(z.string()),
  reversesTransactionId: z.string().nullable(),
  reversalTransactionId: z.string().nullable().describe('Set once a reversal is claimed; with status `posted` the reversal is still pending.'),
  updatedAt: z.string(),
  updatedPosition: z.string(),
});

/** The user ids an item shows (for {@link loadUserNames}). */
function userIdsOf(summary: TransactionSummary): (string | null)[] {
  return [summary.draftedBy, summary.submittedBy, summary.approvedBy, summary.postedBy];
}

function toItem(summary: TransactionSummary, nameOf: UserNameOf) {
  return {
    transactionId: summary.transactionId,
    companyId: summary.companyId,
    type: summary.type,
    status: summary.status,
    documentDate: summary.documentDate,
    postingDate: summary.postingDate,
    description: summary.description,
    amount: summary.amountMinor === null ? null : formatMinor(summary.amountMinor, summary.currency ?? CURRENCY_FALLBACK),
    currency: summary.currency,
    voucherNumber: summary.voucherNumber,
    draftedBy: summary.draftedBy,
    draftedByName: nameOf(summary.draftedBy),
    submittedBy: summary.submittedBy,
    submittedByName: nameOf(summary.submittedBy),
    approvedBy: summary.approvedBy,
    approvedByName: nameOf(summary.approvedBy),
    postedBy: summary.postedBy,
    postedByName: nameOf(summary.postedBy),
    linkedDocumentIds: summary.linkedDocumentIds,
    reversesTransactionId: summary.reversesTransactionId,
    reversalTransactionId: summary.reversalTransactionId,
    updatedAt: summary.updatedAt,
    updatedPosition: summary.updatedPosition.toString(),
  };
}

async function currencyOf(context: RouteContext<unknown, unknown>): Promise<string> {
  const balances = context.readModels.get(ACCOUNT_BALANCES);
  return balances === undefined ? CURRENCY_FALLBACK : companyCurrency(context.db, balances.schema, context.companyId);
}

export const transactionsRoute = defineRoute({
  path: '/transactions',
  operationId: 'queryTransactions',
  summary: 'Journal transactions (drafts to posted and reversed), newest posting date first, with filters.',
  tags: ['query: transactions'],
  permission: 'finance:read',
  reads: [TRANSACTIONS],
  optionalReads: [ACCOUNT_BALANCES, USERS],
  query: z.object({
    status: z.enum(['draft', 'submitted', 'approved', 'posted', 'reversed']).optional(),
    type: z.string().min(1).max(50).optional(),
    from: dateParameter.optional().describe('First posting date.'),
    to: dateParameter.optional().describe('Last posting date.'),
    minAmount: amountParameter.optional(),
    maxAmount: amountParameter.optional(),
    text: textParameter.optional().describe('Words (web-search syntax) in the description, transaction id or voucher number.'),
    cursor: cursorParameter(z.tuple([z.string(), z.string()])),
    limit: limitParameter,
  }),
  refine: (query, ctx) => {
    fromNotAfterTo(query, ctx);
    minNotAboveMax(query, ctx);
  },
  response: pageSchema(transactionItemSchema),
  async run(context) {
    const { query } = context;
    const currency = await currencyOf(context);
    const page = await listTransactions(context.db, context.controlSchema, {
      companyId: context.companyId,
      status: query.status,
      type: query.type,
      fromPostingDate: query.from,
      toPostingDate: query.to,
      minAmountMinor: query.minAmount === undefined ? undefined : parseMajor(query.minAmount, currency),
      maxAmountMinor: query.maxAmount === undefined ? undefined : parseMajor(query.maxAmount, currency),
      text: query.text,
      after: query.cursor === undefined ? undefined : { postingDate: query.cursor[0], transactionId: query.cursor[1] },
      limit: query.limit,
    });
    const nameOf = await loadUserNames(context, page.items.flatMap(userIdsOf));
    return { items: page.items.map((item) => toItem(item, nameOf)), nextCursor: page.next === null ? null : encodeCursor([page.next.postingDate, page.next.transactionId]) };
  },
});

export const transactionRoute = defineRoute({
  path: '/transactions/:transactionId',
  operationId: 'queryTransaction',
  summary: 'One transaction with its lines, approvals and complete event history (who, when, why, request, position, hash).',
  tags: ['query: transactions'],
  permission: 'finance:read',
  reads: [TRANSACTIONS],
  optionalReads: [USERS, CHART_OF_ACCOUNTS],
  params: z.object({ transactionId: z.string().min(1).max(100) }),
  query: z.object({}),
  errorCodes: ['TRANSACTION_NOT_FOUND'],
  response: transactionItemSchema.extend({
    lines: z
      .array(
        z.object({
          accountNumber: z.string(),
          accountName: z.string().nullable().describe("From the chart of accounts of the transaction's company; null for an account number the chart does not hold."),
          side: z.enum(['debit', 'credit']),
          amount: z.string().describe('Decimal string in the line currency.'),
          currency: z.string(),
          fxRate: z.string().nullable(),
          companyAmount: z.string().nullable().describe('Decimal string in the company currency; known once posted.'),
          text: z.string().nullable(),
          dimensions: z.record(z.string()),
          kind: z.enum(['entry', 'rounding']),
        }),
      )
      .describe('The draft lines until posted, then the posted lines.'),
    reversalReason: z.string().nullable(),
    approvals: z.array(z.object({ by: z.string(), byName: userName, at: z.string(), comment: z.string().nullable(), approvedHash: z.string().nullable(), position: z.string() })),
    history: z.array(
      z.object({
        type: z.string(),
        position: z.string(),
        streamId: z.string(),
        streamVersion: z.number().int(),
        recordedAt: z.string(),
        actor: z.object({ userId: z.string(), role: z.string(), username: userName }),
        reason: z.string().nullable(),
        requestId: z.string().nullable(),
        correlationId: z.string(),
        causationId: z.string().nullable(),
        hash: z.string(),
      }),
    ),
  }),
  async run(context) {
    const detail = await getTransaction(context.db, context.controlSchema, context.params.transactionId);
    if (detail === null) throw notFound('TRANSACTION', context.params.transactionId);
    const nameOf = await loadUserNames(context, [...userIdsOf(detail), ...detail.approvals.map((approval) => approval.by), ...detail.history.map((entry) => entry.actor.userId)]);
    const lines = detail.lines as EventLine[];
    const catalogue = await accountCatalogue({ ...context, companyId: detail.companyId }, [...new Set(lines.map((line) => line.accountNumber))]);
    return {
      ...toItem(detail, nameOf),
      lines: lines.map((line) => lineView(line, detail.currency ?? 'EUR', catalogue)),
      reversalReason: detail.reversalReason,
      approvals: detail.approvals.map((approval) => ({ by: approval.by, byName: nameOf(approval.by), at: approval.at, comment: approval.comment, approvedHash: approval.approvedHash, position: approval.position.toString() })),
      history: detail.history.map((entry) => ({ ...entry, actor: { ...entry.actor, username: nameOf(entry.actor.userId) }, position: entry.position.toString() })),
    };
  },
});

interface EventLine {
  accountNumber: string;
  side: 'debit' | 'credit';
  amountMinor: string;
  currency: string;
  fxRate?: string | null;
  companyAmountMinor?: string | null;
  text?: string | null;
  dimensions?: Record<string, string>;
  kind?: 'entry' | 'rounding';
}

/** A line as the events carry it (minor units) in the wire form of every query answer (decimal strings). */
function lineView(line: EventLine, companyCurrency: string, catalogue: ReadonlyMap<string, AccountInfo>) {
  return {
    accountNumber: line.accountNumber,
    accountName: accountOf(catalogue, line.accountNumber).name,
    side: line.side,
    amount: formatMinor(BigInt(line.amountMinor), line.currency),
    currency: line.currency,
    fxRate: line.fxRate ?? null,
    companyAmount: line.companyAmountMinor === undefined || line.companyAmountMinor === null ? null : formatMinor(BigInt(line.companyAmountMinor), companyCurrency),
    text: line.text ?? null,
    dimensions: line.dimensions ?? {},
    kind: line.kind ?? 'entry',
  };
}
