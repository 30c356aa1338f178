import type { Knex } from 'knex';
import { activeSchema } from '../runtime/control';
import type { Projection } from '../runtime/projection';
import { assertPageSize, insertRows, parsePosted, toTrialBalance, TRANSACTION_POSTED, type TrialBalance } from './shared';

/**
 * The general ledger: every posted line with its voucher, dates, actor, linked documents and
 * the event's position and `recorded_at`. `recorded_at` makes it bi-temporal: "31 March as
 * known on 15 April" sums lines with posting_date <= 31 March and recorded_at <= 15 April.
 */
export const generalLedgerProjection: Projection = {
  name: 'general_ledger',
  version: 1,
  handles: [TRANSACTION_POSTED],
  tables: [{ name: 'ledger_lines', orderBy: ['position', 'line_number'] }],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".ledger_lines (
        position bigint not null,
        line_number integer not null,
        company_id text not null,
        fiscal_year integer not null,
        period integer not null,
        voucher_number integer not null,
        transaction_id text not null,
        transaction_type text not null,
        posting_date date not null,
        document_date date not null,
        account_number text not null,
        side text not null check (side in ('debit', 'credit')),
        amount_minor numeric(38, 0) not null,
        currency text not null,
        company_amount_minor numeric(38, 0) not null,
        company_currency text not null,
        kind text not null,
        line_text text,
        description text,
        linked_document_ids text[] not null,
        reverses_transaction_id text,
        posted_by text not null,
        approved_by text,
        actor_user_id text not null,
        actor_role text not null,
        occurred_at timestamptz not null,
        recorded_at timestamptz not null,
        primary key (position, line_number)
      );
      create index on "${schema}".ledger_lines (company_id, account_number, posting_date);
      create index on "${schema}".ledger_lines (company_id, posting_date, recorded_at);
      create index on "${schema}".ledger_lines (transaction_id);
    `);
  },
  async apply(events, { tx, schema }) {
    const rows = events.flatMap((event) => {
      const posted = parsePosted(event);
      return posted.lines.map((line, index) => ({
        position: event.globalPosition.toString(),
        line_number: index + 1,
        company_id: posted.companyId,
        fiscal_year: posted.fiscalYear,
        period: posted.period,
        voucher_number: posted.voucherNumber,
        transaction_id: posted.transactionId,
        transaction_type: posted.type,
        posting_date: posted.postingDate,
        document_date: posted.documentDate,
        account_number: line.accountNumber,
        side: line.side,
        amount_minor: line.amountMinor,
        currency: line.currency,
        company_amount_minor: line.companyAmountMinor,
        company_currency: posted.companyCurrency,
        kind: line.kind,
        line_text: line.text,
        description: posted.description,
        linked_document_ids: posted.linkedDocumentIds,
        reverses_transaction_id: posted.reversesTransactionId,
        posted_by: posted.postedBy,
        approved_by: posted.approvedBy,
        actor_user_id: event.metadata.actor.userId,
        actor_role: event.metadata.actor.role,
        occurred_at: event.metadata.occurredAt,
        recorded_at: event.metadata.recordedAt,
      }));
    });
    await insertRows(tx, schema, 'ledger_lines', rows, 'on conflict (position, line_number) do nothing');
  },
};

export interface LedgerLine {
  position: bigint;
  lineNumber: number;
  companyId: string;
  fiscalYear: number;
  period: number;
  voucherNumber: number;
  transactionId: string;
  transactionType: string;
  postingDate: string;
  documentDate: string;
  accountNumber: string;
  side: 'debit' | 'credit';
  amountMinor: bigint;
  currency: string;
  companyAmountMinor: bigint;
  companyCurrency: string;
  kind: string;
  text: string | null;
  description: string | null;
  linkedDocumentIds: string[];
  reversesTransactionId: string | null;
  postedBy: string;
  approvedBy: string | null;
  actorUserId: string;
  recordedAt: string;
}

/** A page of general-ledger lines of a company in position order, optionally for one account and a posting-date range. */
export async function generalLedgerLines(
  db: Knex,
  controlSchema: string,
  query: { companyId: string; accountNumber?: string; fromPostingDate?: string; toPostingDate?: string; afterPosition?: bigint; limit: number },
): Promise<LedgerLine[]> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, generalLedgerProjection.name);
  const builder = db
    .withSchema(schema)
    .table('ledger_lines')
    .select('*', db.raw('posting_date::text as posting_date_text'), db.raw('document_date::text as document_date_text'), db.raw('position::text as position_text'))
    .where('company_id', query.companyId)
    .orderBy([{ column: 'position' }, { column: 'line_number' }])
    .limit(query.limit);
  if (query.accountNumber !== undefined) builder.where('account_number', query.accountNumber);
  if (query.fromPostingDate !== undefined) builder.where('posting_date', '>=', query.fromPostingDate);
  if (query.toPostingDate !== undefined) builder.where('posting_date', '<=', query.toPostingDate);
  if (query.afterPosition !== undefined) builder.where('position', '>', query.afterPosition.toString());
  const rows = (await builder) as Record<string, unknown>[];
  return rows.map((row) => ({
    position: BigInt(row.position_text as string),
    lineNumber: row.line_number as number,
    companyId: row.company_id as string,
    fiscalYear: row.fiscal_year as number,
    period: row.period as number,
    voucherNumber: row.voucher_number as number,
    transactionId: row.transaction_id as string,
    transactionType: row.transaction_type as string,
    postingDate: row.posting_date_text as string,
    documentDate: row.document_date_text as string,
    accountNumber: row.account_number as string,
    side: row.side as 'debit' | 'credit',
    amountMinor: BigInt(row.amount_minor as string),
    currency: row.currency as string,
    companyAmountMinor: BigInt(row.company_amount_minor as string),
    companyCurrency: row.company_currency as string,
    kind: row.kind as string,
    text: row.line_text as string | null,
    description: row.description as string | null,
    linkedDocumentIds: row.linked_document_ids as string[],
    reversesTransactionId: row.reverses_transaction_id as string | null,
    postedBy: row.posted_by as string,
    approvedBy: row.approved_by as string | null,
    actorUserId: row.actor_user_id as string,
    recordedAt: (row.recorded_at as Date).toISOString(),
  }));
}

/**
 * The bi-temporal trial balance in company currency: every line with posting_date <=
 * `postingDate` that was recorded at or before `knownAt` (ISO timestamp; null: as known now).
 */
export async function trialBalanceAsKnownAt(
  db: Knex,
  controlSchema: string,
  query: { companyId: string; postingDate: string; knownAt: string | null },
): Promise<TrialBalance> {
  const schema = await activeSchema(db, controlSchema, generalLedgerProjection.name);
  const result = await db.raw(
    `select account_number,
            coalesce(sum(company_amount_minor) filter (where side = 'debit'), 0)::text as debit_minor,
            coalesce(sum(company_amount_minor) filter (where side = 'credit'), 0)::text as credit_minor
       from "${schema}".ledger_lines
      where company_id = ? and posting_date <= ? and (?::timestamptz is null or recorded_at <= ?::timestamptz)
      group by account_number order by account_number`,
    [query.companyId, query.postingDate, query.knownAt, query.knownAt],
  );
  return toTrialBalance(query.companyId, query.postingDate, query.knownAt, result.rows);
}
