import type { Knex } from 'knex';
import { ledger, type RecordedEvent } from '@neuroerp/schemas';
import { activeSchema } from '../runtime/control';
import { optionalText, parseEventData as parseData } from '../runtime/event-data';
import type { Projection } from '../runtime/projection';
import { isoInstant, replaceOnConflict, writeRows, type Page } from '../runtime/rows';
import { assertPageSize, parsePosted, TRANSACTION_POSTED } from './shared';

export const TRANSACTION_DRAFTED = 'ledger.transaction_drafted';
export const TRANSACTION_SUBMITTED = 'ledger.transaction_submitted';
export const TRANSACTION_APPROVED = 'ledger.transaction_approved';
export const TRANSACTION_REVERSED = 'ledger.transaction_reversed';
/** Not in the ledger catalogue yet: a checker sends a submitted transaction back to draft. Handled by its type string. */
export const TRANSACTION_REJECTED = 'ledger.transaction_rejected';

/**
 * What a transaction's status means here:
 * - `draft`: drafted (or rejected back to the maker); `submitted`: the maker declared it ready;
 * - `approved`: a checker agreed; `posted`: `ledger.transaction_posted` put it in the books;
 * - `reversed`: the posting of its reversal (a `transaction_posted` with `reversesTransactionId`)
 *   is in the books. A claimed but not yet posted reversal (`transaction_reversed` on the
 *   original's stream) leaves the status `posted` with `reversalTransactionId` set ("reversal pending").
 */
export type TransactionStatus = 'draft' | 'submitted' | 'approved' | 'posted' | 'reversed';

/** `ledger.transaction_rejected` is not in the catalogue yet: only its transaction id is required. */
const rejectedDataSchema = {
  parse(data: unknown): { transactionId: string; reason: string | null } {
    const transactionId = (data as Record<string, unknown> | null)?.transactionId;
    if (typeof transactionId !== 'string' || transactionId.length === 0) throw new Error('transaction_rejected: transactionId is required');
    return { transactionId, reason: optionalText(data, 'reason') };
  },
};

/** A `transactions` row as this projection folds it in memory (column names, values as written). */
interface TransactionRow {
  transaction_id: string;
  company_id: string;
  type: string;
  status: TransactionStatus;
  document_date: string;
  posting_date: string;
  description: string | null;
  /** Sum of the debit side in company currency (minor units); null for a draft with foreign-currency lines (known at posting). */
  amount_minor: string | null;
  currency: string | null;
  fiscal_year: number | null;
  voucher_number: number | null;
  drafted_by: string | null;
  submitted_by: string | null;
  approved_by: string | null;
  posted_by: string | null;
  linked_document_ids: string[];
  lines: unknown[];
  reverses_transaction_id: string | null;
  reversal_transaction_id: string | null;
  reversal_reason: string | null;
  reversed_by: string | null;
  posted_position: string | null;
  created_position: string;
  updated_position: string;
  updated_at: string;
}

const TRANSACTION_COLUMNS = [
  'transaction_id',
  'company_id',
  'type',
  'status',
  'document_date',
  'posting_date',
  'description',
  'amount_minor',
  'currency',
  'fiscal_year',
  'voucher_number',
  'drafted_by',
  'submitted_by',
  'approved_by',
  'posted_by',
  'linked_document_ids',
  'lines',
  'reverses_transaction_id',
  'reversal_transaction_id',
  'reversal_reason',
  'reversed_by',
  'posted_position',
  'created_position',
  'updated_position',
  'updated_at',
] as const satisfies readonly (keyof TransactionRow)[];

const HISTORY_COLUMNS = [
  'transaction_id',
  'position',
  'event_type',
  'stream_id',
  'stream_version',
  'recorded_at',
  'actor_user_id',
  'actor_role',
  'reason',
  'request_id',
  'correlation_id',
  'causation_id',
  'hash',
] as const;

const APPROVAL_COLUMNS = ['transaction_id', 'position', 'approved_by', 'approved_at', 'comment', 'approved_hash'] as const;

/** Columns read back for folding; dates, numbers and instants as text so that they round-trip unchanged. */
const SELECT_ROW = `transaction_id, company_id, type, status, document_date::text as document_date, posting_date::text as posting_date, description,
  amount_minor::text as amount_minor, currency, fiscal_year, voucher_number, drafted_by, submitted_by, approved_by, posted_by, linked_document_ids, lines,
  reverses_transaction_id, reversal_transaction_id, reversal_reason, reversed_by, posted_position::text as posted_position,
  created_position::text as created_position, updated_position::text as updated_position,
  ${isoInstant('updated_at')}`;

function debitSum(lines: readonly { side: string; amount: string }[]): bigint {
  return lines.reduce((sum, line) => (line.side === 'debit' ? sum + BigInt(line.amount) : sum), 0n);
}

/** The ids an event touches: its own transaction and, for the posting of a reversal, the original. */
function touchedIds(event: RecordedEvent): string[] {
  if (event.type === TRANSACTION_POSTED) {
    const posted = parsePosted(event);
    return posted.reversesTransactionId === null ? [posted.transactionId] : [posted.transactionId, posted.reversesTransactionId];
  }
  const data = event.data as { transactionId?: unknown };
  if (typeof data?.transactionId !== 'string') throw new Error(`${event.type} at ${event.globalPosition}: no transactionId`);
  return [data.transactionId];
}

/**
 * Transactions with their status, one row each, plus every event that touched one
 * (`transaction_history`) and every approval (`transaction_approvals`). Drafts come from the
 * transaction stream, postings and reversal postings from the fiscal-year stream (ADR 0004).
 * A batch loads the rows it touches, folds its events in memory in position order and writes
 * each row once; an event at or below a row's `updated_position` does not change it again.
 */
export const transactionsProjection: Projection = {
  name: 'transactions',
  // 2: transaction_counts (the dashboard's open approvals were a count over every submitted row).
  version: 2,
  handles: [TRANSACTION_DRAFTED, TRANSACTION_SUBMITTED, TRANSACTION_APPROVED, TRANSACTION_REJECTED, TRANSACTION_REVERSED, TRANSACTION_POSTED],
  tables: [
    { name: 'transactions', orderBy: ['transaction_id'] },
    { name: 'transaction_history', orderBy: ['transaction_id', 'position'] },
    { name: 'transaction_approvals', orderBy: ['transaction_id', 'position'] },
    { name: 'transaction_counts', orderBy: ['company_id', 'status'] },
  ],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".transactions (
        transaction_id text primary key,
        company_id text not null,
        type text not null,
        status text not null check (status in ('draft', 'submitted', 'approved', 'posted', 'reversed')),
        document_date date not null,
        posting_date date not null,
        description text,
        amount_minor numeric(38, 0),
        currency text,
        fiscal_year integer,
        voucher_number integer,
        drafted_by text,
        submitted_by text,
        approved_by text,
        posted_by text,
        linked_document_ids text[] not null,
        lines jsonb not null,
        reverses_transaction_id text,
        reversal_transaction_id text,
        reversal_reason text,
        reversed_by text,
        posted_position bigint,
        created_position bigint not null,
        updated_position bigint not null,
        updated_at timestamptz not null,
        search tsvector generated always as (
          to_tsvector('simple', coalesce(description, '') || ' ' || transaction_id || ' ' || coalesce(voucher_number::text, ''))
        ) stored
      );
      create index on "${schema}".transactions (posting_date, transaction_id);
      create index on "${schema}".transactions (status, posting_date, transaction_id);
      create index on "${schema}".transactions (type, posting_date, transaction_id);
      create index on "${schema}".transactions (amount_minor);
      create index on "${schema}".transactions using gin (search);
      create index on "${schema}".transactions using gin (linked_document_ids);
      create table "${schema}".transaction_history (
        transaction_id text not null,
        position bigint not null,
        event_type text not null,
        stream_id text not null,
        stream_version integer not null,
        recorded_at timestamptz not null,
        actor_user_id text not null,
        actor_role text not null,
        reason text,
        request_id text,
        correlation_id text not null,
        causation_id text,
        hash text not null,
        primary key (transaction_id, position)
      );
      create table "${schema}".transaction_approvals (
        transaction_id text not null,
        position bigint not null,
        approved_by text not null,
        approved_at timestamptz not null,
        comment text,
        approved_hash text,
        primary key (transaction_id, position)
      );
      create table "${schema}".transaction_counts (
        company_id text not null,
        status text not null,
        transactions bigint not null,
        primary key (company_id, status)
      );
    `);
  },
  async apply(events, { tx, schema }) {
    const ids = [...new Set(events.flatMap(touchedIds))];
    const loaded = await tx.raw(`select ${SELECT_ROW} from "${schema}".transactions where transaction_id = any(?)`, [ids]);
    const rows = new Map((loaded.rows as TransactionRow[]).map((row) => [row.transaction_id, row]));
    const statusBefore = new Map([...rows.values()].map((row) => [row.transaction_id, { company: row.company_id, status: row.status }]));
    const changed = new Set<string>();
    const history: object[] = [];
    const approvals: object[] = [];

    for (const event of events) {
      const position = event.globalPosition.toString();
      const at = event.metadata.recordedAt;
      // An event at or below a row's position was folded in before (re-delivery, retried dead letter).
      const fresh = (row: TransactionRow | undefined): row is TransactionRow => row !== undefined && BigInt(row.updated_position) < event.globalPosition;
      const existing = (id: string): TransactionRow => {
        const row = rows.get(id);
        if (row === undefined) throw new Error(`${event.type} at ${position}: transaction ${id} was never drafted or posted`);
        return row;
      };
      const touch = (row: TransactionRow): void => {
        row.updated_position = position;
        row.updated_at = at;
        changed.add(row.transaction_id);
      };
      let reason: string | null = event.metadata.reason ?? null;

      switch (event.type) {
        case TRANSACTION_DRAFTED: {
          const drafted = parseData(event, ledger.transactionDraftedSchema);
          if (rows.has(drafted.transactionId)) break;
          const currencies = new Set(drafted.lines.map((line) => line.currency));
          const singleCurrency = currencies.size === 1 && drafted.lines.every((line) => line.fxRate === null);
          const row: TransactionRow = {
            transaction_id: drafted.transactionId,
            company_id: drafted.companyId,
            type: drafted.type,
            status: 'draft',
            document_date: drafted.documentDate,
            posting_date: drafted.postingDate,
            description: drafted.description,
            amount_minor: singleCurrency ? debitSum(drafted.lines.map((line) => ({ side: line.side, amount: line.amountMinor }))).toString() : null,
            currency: singleCurrency ? (drafted.lines[0]?.currency ?? null) : null,
            fiscal_year: null,
            voucher_number: null,
            drafted_by: drafted.draftedBy,
            submitted_by: null,
            approved_by: null,
            posted_by: null,
            linked_document_ids: drafted.linkedDocumentIds,
            lines: drafted.lines,
            reverses_transaction_id: null,
            reversal_transaction_id: null,
            reversal_reason: null,
            reversed_by: null,
            posted_position: null,
            created_position: position,
            updated_position: position,
            updated_at: at,
          };
          rows.set(row.transaction_id, row);
          touch(row);
          break;
        }
        case TRANSACTION_SUBMITTED: {
          const submitted = parseData(event, ledger.transactionSubmittedSchema);
          const row = existing(submitted.transactionId);
          if (!fresh(row)) break;
          row.status = 'submitted';
          row.submitted_by = submitted.submittedBy;
          touch(row);
          break;
        }
        case TRANSACTION_APPROVED: {
          const approved = parseData(event, ledger.transactionApprovedSchema);
          // Present once approvals record what exactly was approved (and why); null before.
          const approvedHash = optionalText(event.data, 'approvedHash');
          const comment = optionalText(event.data, 'comment');
          const row = existing(approved.transactionId);
          approvals.push({
            transaction_id: approved.transactionId,
            position,
            approved_by: approved.approvedBy,
            approved_at: at,
            comment: comment ?? event.metadata.reason ?? null,
            approved_hash: approvedHash,
          });
          if (!fresh(row)) break;
          row.status = 'approved';
          row.approved_by = approved.approvedBy;
          touch(row);
          break;
        }
        case TRANSACTION_REJECTED: {
          const rejected = parseData(event, rejectedDataSchema);
          reason = rejected.reason ?? reason;
          const row = existing(rejected.transactionId);
          if (!fresh(row)) break;
          row.status = 'draft';
          row.submitted_by = null;
          row.approved_by = null;
          touch(row);
          break;
        }
        case TRANSACTION_REVERSED: {
          const reversed = parseData(event, ledger.transactionReversedSchema);
          reason = reversed.reason;
          const row = existing(reversed.transactionId);
          if (!fresh(row)) break;
          row.reversal_transaction_id = reversed.reversalTransactionId;
          row.reversal_reason = reversed.reason;
          row.reversed_by = reversed.reversedBy;
          touch(row);
          break;
        }
        case TRANSACTION_POSTED: {
          const posted = parsePosted(event);
          reason = posted.reason ?? reason;
          let row = rows.get(posted.transactionId);
          if (row === undefined) {
            // Reversals, closings and opening balances are posted without a draft.
            row = {
              transaction_id: posted.transactionId,
              company_id: posted.companyId,
              type: posted.type,
              status: 'posted',
              document_date: posted.documentDate,
              posting_date: posted.postingDate,
              description: posted.description,
              amount_minor: null,
              currency: null,
              fiscal_year: null,
              voucher_number: null,
              drafted_by: null,
              submitted_by: null,
              approved_by: null,
              posted_by: null,
              linked_document_ids: [],
              lines: [],
              reverses_transaction_id: null,
              reversal_transaction_id: null,
              reversal_reason: null,
              reversed_by: null,
              posted_position: null,
              created_position: position,
              updated_position: '0',
              updated_at: at,
            };
            rows.set(row.transaction_id, row);
          }
          if (fresh(row)) {
            Object.assign(row, {
              company_id: posted.companyId,
              type: posted.type,
              status: row.status === 'reversed' ? 'reversed' : 'posted',
              document_date: posted.documentDate,
              posting_date: posted.postingDate,
              description: posted.description,
              amount_minor: debitSum(posted.lines.map((line) => ({ side: line.side, amount: line.companyAmountMinor }))).toString(),
              currency: posted.companyCurrency,
              fiscal_year: posted.fiscalYear,
              voucher_number: posted.voucherNumber,
              posted_by: posted.postedBy,
              approved_by: posted.approvedBy ?? row.approved_by,
              linked_document_ids: posted.linkedDocumentIds,
              lines: posted.lines,
              reverses_transaction_id: posted.reversesTransactionId,
              posted_position: position,
            } satisfies Partial<TransactionRow>);
            touch(row);
          }
          if (posted.reversesTransactionId !== null) {
            const original = existing(posted.reversesTransactionId);
            if (fresh(original)) {
              original.status = 'reversed';
              original.reversal_transaction_id = posted.transactionId;
              original.reversal_reason = original.reversal_reason ?? posted.reason;
              original.reversed_by = original.reversed_by ?? posted.postedBy;
              touch(original);
            }
          }
          break;
        }
        default:
          throw new Error(`transactions projection: unexpected event type ${event.type}`);
      }

      for (const transactionId of touchedIds(event)) {
        history.push({
          transaction_id: transactionId,
          position,
          event_type: event.type,
          stream_id: event.streamId,
          stream_version: event.streamVersion,
          recorded_at: at,
          actor_user_id: event.metadata.actor.userId,
          actor_role: event.metadata.actor.role,
          reason,
          request_id: event.metadata.requestId,
          correlation_id: event.metadata.correlationId,
          causation_id: event.metadata.causationId,
          hash: event.hash,
        });
      }
    }

    const written = [...changed].map((id) => rows.get(id) as TransactionRow);
    await writeRows(tx, schema, 'transactions', TRANSACTION_COLUMNS, written, replaceOnConflict(['transaction_id'], TRANSACTION_COLUMNS));
    await writeRows(tx, schema, 'transaction_history', HISTORY_COLUMNS, history, 'on conflict (transaction_id, position) do nothing');
    await writeRows(tx, schema, 'transaction_approvals', APPROVAL_COLUMNS, approvals, 'on conflict (transaction_id, position) do nothing');
    await writeCountChanges(tx, schema, countChanges(written, statusBefore));
  },
};

/** Changes of the number of transactions per company and status (nonzero only) when `written` replace the rows they had before. */
function countChanges(written: readonly TransactionRow[], before: ReadonlyMap<string, { company: string; status: string }>): { company_id: string; status: string; transactions: number }[] {
  const changes = new Map<string, { company_id: string; status: string; transactions: number }>();
  const add = (company: string, status: string, delta: number) => {
    const key = JSON.stringify([company, status]);
    const change = changes.get(key) ?? { company_id: company, status, transactions: 0 };
    change.transactions += delta;
    changes.set(key, change);
  };
  for (const row of written) {
    const previous = before.get(row.transaction_id);
    if (previous !== undefined) add(previous.company, previous.status, -1);
    add(row.company_id, row.status, 1);
  }
  return [...changes.values()].filter((change) => change.transactions !== 0);
}

/** Applies count changes; a count that reaches 0 is deleted, so a rebuild in any batch size has the same rows. */
async function writeCountChanges(tx: Knex.Transaction, schema: string, changes: readonly { company_id: string; status: string; transactions: number }[]): Promise<void> {
  if (changes.length === 0) return;
  await writeRows(tx, schema, 'transaction_counts', ['company_id', 'status', 'transactions'], changes, 'on conflict (company_id, status) do update set transactions = transaction_counts.transactions + excluded.transactions');
  await tx.raw(`delete from "${schema}".transaction_counts where transactions = 0`);
}

// ---- queries -------------------------------------------------------------------------------

export interface TransactionSummary {
  transactionId: string;
  companyId: string;
  type: string;
  status: TransactionStatus;
  documentDate: string;
  postingDate: string;
  description: string | null;
  /** Debit side in company currency, minor units; null for a draft whose company amount is only known at posting. */
  amountMinor: bigint | null;
  currency: string | null;
  fiscalYear: number | null;
  voucherNumber: number | null;
  draftedBy: string | null;
  submittedBy: string | null;
  approvedBy: string | null;
  postedBy: string | null;
  linkedDocumentIds: string[];
  reversesTransactionId: string | null;
  /** Set once a reversal is claimed; with status `posted` the reversal is pending. */
  reversalTransactionId: string | null;
  updatedPosition: bigint;
  updatedAt: string;
}

export interface TransactionApproval {
  by: string;
  at: string;
  comment: string | null;
  approvedHash: string | null;
  position: bigint;
}

export interface TransactionHistoryEntry {
  type: string;
  position: bigint;
  streamId: string;
  streamVersion: number;
  recordedAt: string;
  actor: { userId: string; role: string };
  reason: string | null;
  requestId: string | null;
  correlationId: string;
  causationId: string | null;
  hash: string;
}

export interface TransactionDetail extends TransactionSummary {
  /** Draft lines until posted, then the posted lines (with company amounts and rounding line). */
  lines: unknown[];
  reversalReason: string | null;
  approvals: TransactionApproval[];
  history: TransactionHistoryEntry[];
}

/** The keyset of the transaction list: newest posting date first, then transaction id descending. */
export interface TransactionCursor {
  postingDate: string;
  transactionId: string;
}

export interface TransactionQuery {
  /** The company whose transactions are listed (the list never mixes companies). */
  companyId: string;
  status?: TransactionStatus;
  type?: string;
  fromPostingDate?: string;
  toPostingDate?: string;
  minAmountMinor?: bigint;
  maxAmountMinor?: bigint;
  /** Words (websearch syntax) matched against description, transaction id and voucher number. */
  text?: string;
  after?: TransactionCursor;
  limit: number;
}

function toSummary(row: TransactionRow): TransactionSummary {
  return {
    transactionId: row.transaction_id,
    companyId: row.company_id,
    type: row.type,
    status: row.status,
    documentDate: row.document_date,
    postingDate: row.posting_date,
    description: row.description,
    amountMinor: row.amount_minor === null ? null : BigInt(row.amount_minor),
    currency: row.currency,
    fiscalYear: row.fiscal_year,
    voucherNumber: row.voucher_number,
    draftedBy: row.drafted_by,
    submittedBy: row.submitted_by,
    approvedBy: row.approved_by,
    postedBy: row.posted_by,
    linkedDocumentIds: row.linked_document_ids,
    reversesTransactionId: row.reverses_transaction_id,
    reversalTransactionId: row.reversal_transaction_id,
    updatedPosition: BigInt(row.updated_position),
    updatedAt: row.updated_at,
  };
}

/** One page of transactions, newest posting date first; every filter is an indexed predicate. */
export async function listTransactions(db: Knex, controlSchema: string, query: TransactionQuery): Promise<Page<TransactionSummary, TransactionCursor>> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, transactionsProjection.name);
  const conditions: string[] = [];
  const bindings: (string | number)[] = [];
  const where = (condition: string, ...values: (string | number)[]) => {
    conditions.push(condition);
    bindings.push(...values);
  };
  where('company_id = ?', query.companyId);
  if (query.status !== undefined) where('status = ?', query.status);
  if (query.type !== undefined) where('type = ?', query.type);
  if (query.fromPostingDate !== undefined) where('posting_date >= ?::date', query.fromPostingDate);
  if (query.toPostingDate !== undefined) where('posting_date <= ?::date', query.toPostingDate);
  if (query.minAmountMinor !== undefined) where('amount_minor >= ?::numeric', query.minAmountMinor.toString());
  if (query.maxAmountMinor !== undefined) where('amount_minor <= ?::numeric', query.maxAmountMinor.toString());
  if (query.text !== undefined && query.text.trim() !== '') where(`search @@ websearch_to_tsquery('simple', ?)`, query.text);
  if (query.after !== undefined) where('(posting_date, transaction_id) < (?::date, ?)', query.after.postingDate, query.after.transactionId);
  // Qualified: the bare names would sort by SELECT_ROW's text aliases, which no index serves (a full scan and sort per page).
  const result = await db.raw(
    `select ${SELECT_ROW} from "${schema}".transactions where ${conditions.join(' and ')} order by transactions.posting_date desc, transactions.transaction_id desc limit ?`,
    [...bindings, query.limit + 1],
  );
  const rows = result.rows as TransactionRow[];
  const items = rows.slice(0, query.limit).map(toSummary);
  const last = items[items.length - 1];
  return { items, next: rows.length > query.limit && last !== undefined ? { postingDate: last.postingDate, transactionId: last.transactionId } : null };
}

/** A transaction with its lines, approvals and full history (oldest first), or null when unknown. */
export async function getTransaction(db: Knex, controlSchema: string, transactionId: string): Promise<TransactionDetail | null> {
  const schema = await activeSchema(db, controlSchema, transactionsProjection.name);
  const result = await db.raw(`select ${SELECT_ROW} from "${schema}".transactions where transaction_id = ?`, [transactionId]);
  const row = (result.rows as TransactionRow[])[0];
  if (row === undefined) return null;
  const approvals = await db.raw(
    `select approved_by, approved_at, comment, approved_hash, position::text as position from "${schema}".transaction_approvals where transaction_id = ? order by transaction_approvals.position`,
    [transactionId],
  );
  const history = await db.raw(`select *, position::text as position_text from "${schema}".transaction_history where transaction_id = ? order by position`, [transactionId]);
  return {
    ...toSummary(row),
    lines: row.lines,
    reversalReason: row.reversal_reason,
    approvals: (approvals.rows as { approved_by: string; approved_at: Date; comment: string | null; approved_hash: string | null; position: string }[]).map((approval) => ({
      by: approval.approved_by,
      at: approval.approved_at.toISOString(),
      comment: approval.comment,
      approvedHash: approval.approved_hash,
      position: BigInt(approval.position),
    })),
    history: (history.rows as Record<string, unknown>[]).map((entry) => ({
      type: entry.event_type as string,
      position: BigInt(entry.position_text as string),
      streamId: entry.stream_id as string,
      streamVersion: entry.stream_version as number,
      recordedAt: (entry.recorded_at as Date).toISOString(),
      actor: { userId: entry.actor_user_id as string, role: entry.actor_role as string },
      reason: entry.reason as string | null,
      requestId: entry.request_id as string | null,
      correlationId: entry.correlation_id as string,
      causationId: entry.causation_id as string | null,
      hash: entry.hash as string,
    })),
  };
}
