import type { Knex } from 'knex';
import { ledger } from '@neuroerp/schemas';
import { activeSchema } from '../runtime/control';
import { parseEventData as parseData } from '../runtime/event-data';
import type { Projection } from '../runtime/projection';
import { replaceOnConflict, writeRows, type Page } from '../runtime/rows';
import { assertPageSize } from './shared';

export const CHART_ACCOUNT_OPENED = 'ledger.account_opened';
export const CHART_ACCOUNT_BLOCKED = 'ledger.account_blocked';
export const CHART_ACCOUNT_UNBLOCKED = 'ledger.account_unblocked';
export const CHART_ACCOUNT_ARCHIVED = 'ledger.account_archived';

/** An account's status as the chart decider keeps it: only open accounts accept postings. */
export type ChartAccountStatus = 'open' | 'blocked' | 'archived';

/** An `accounts` row as folded in memory (column names, values as written). */
interface AccountRow {
  company_id: string;
  account_number: string;
  name: string;
  type: ledger.AccountType;
  normal_balance: ledger.NormalBalance;
  currency: string | null;
  required_dimensions: string[];
  status: ChartAccountStatus;
  updated_position: string;
}

const ACCOUNT_COLUMNS = [
  'company_id',
  'account_number',
  'name',
  'type',
  'normal_balance',
  'currency',
  'required_dimensions',
  'status',
  'updated_position',
] as const satisfies readonly (keyof AccountRow)[];

const SELECT_ROW = `company_id, account_number, name, type, normal_balance, currency, required_dimensions, status, updated_position::text as updated_position`;

const key = (companyId: string, accountNumber: string) => `${companyId}\u0000${accountNumber}`;

/** The company and account an event of the chart stream is about (every one of them carries both). */
function accountKeyOf(data: unknown): { companyId: string; accountNumber: string } {
  const { companyId, accountNumber } = (data ?? {}) as { companyId?: unknown; accountNumber?: unknown };
  if (typeof companyId !== 'string' || typeof accountNumber !== 'string') throw new Error('chart of accounts event without companyId and accountNumber');
  return { companyId, accountNumber };
}

/**
 * The chart of accounts of every company (from `ledger.chart_of_accounts-<companyId>`
 * streams): one `accounts` row per company and account number with name, type, normal
 * balance, currency, required dimensions and status. An import of a chart emits one
 * `ledger.account_opened` per new account, so it needs no event of its own. Opening an account
 * again is idempotent (the decider rejects a different definition); block, unblock and archive
 * set the status, and one at or below a row's `updated_position` is not applied again.
 */
export const chartOfAccountsProjection: Projection = {
  name: 'chart_of_accounts',
  version: 1,
  handles: [CHART_ACCOUNT_OPENED, CHART_ACCOUNT_BLOCKED, CHART_ACCOUNT_UNBLOCKED, CHART_ACCOUNT_ARCHIVED],
  tables: [{ name: 'accounts', orderBy: ['company_id', 'account_number'] }],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".accounts (
        company_id text not null,
        account_number text not null,
        name text not null,
        type text not null check (type in ('asset', 'liability', 'equity', 'revenue', 'expense')),
        normal_balance text not null check (normal_balance in ('debit', 'credit')),
        currency text,
        required_dimensions text[] not null,
        status text not null check (status in ('open', 'blocked', 'archived')),
        updated_position bigint not null,
        primary key (company_id, account_number)
      );
      create index on "${schema}".accounts (company_id, status, account_number);
    `);
  },
  async apply(events, { tx, schema }) {
    const keys = events.map((event) => accountKeyOf(event.data));
    const loaded = await tx.raw(
      `select ${SELECT_ROW} from "${schema}".accounts where (company_id, account_number) in (select * from unnest(?::text[], ?::text[]))`,
      [keys.map((account) => account.companyId), keys.map((account) => account.accountNumber)],
    );
    const rows = new Map((loaded.rows as AccountRow[]).map((row) => [key(row.company_id, row.account_number), row]));
    const changed = new Set<string>();

    for (const event of events) {
      const position = event.globalPosition.toString();
      if (event.type === CHART_ACCOUNT_OPENED) {
        const opened = parseData(event, ledger.accountOpenedSchema);
        const id = key(opened.companyId, opened.accountNumber);
        // Opened before (idempotent re-open, re-delivery): the row already says it.
        if (rows.has(id)) continue;
        rows.set(id, {
          company_id: opened.companyId,
          account_number: opened.accountNumber,
          name: opened.name,
          type: opened.type,
          normal_balance: opened.normalBalance,
          currency: opened.currency,
          required_dimensions: [...opened.requiredDimensions],
          status: 'open',
          updated_position: position,
        });
        changed.add(id);
        continue;
      }
      let status: ChartAccountStatus;
      let data: { companyId: string; accountNumber: string };
      switch (event.type) {
        case CHART_ACCOUNT_BLOCKED:
          data = parseData(event, ledger.accountBlockedSchema);
          status = 'blocked';
          break;
        case CHART_ACCOUNT_UNBLOCKED:
          data = parseData(event, ledger.accountUnblockedSchema);
          status = 'open';
          break;
        case CHART_ACCOUNT_ARCHIVED:
          data = parseData(event, ledger.accountArchivedSchema);
          status = 'archived';
          break;
        default:
          throw new Error(`chart_of_accounts projection: unexpected event type ${event.type}`);
      }
      const id = key(data.companyId, data.accountNumber);
      const row = rows.get(id);
      if (row === undefined) throw new Error(`${event.type} at ${position}: account ${data.accountNumber} of ${data.companyId} was never opened`);
      if (BigInt(row.updated_position) >= event.globalPosition) continue;
      row.status = status;
      row.updated_position = position;
      changed.add(id);
    }

    const written = [...changed].map((id) => rows.get(id) as AccountRow);
    await writeRows(tx, schema, 'accounts', ACCOUNT_COLUMNS, written, replaceOnConflict(['company_id', 'account_number'], ACCOUNT_COLUMNS));
  },
};

// ---- queries -------------------------------------------------------------------------------

export interface ChartAccount {
  companyId: string;
  accountNumber: string;
  name: string;
  type: ledger.AccountType;
  normalBalance: ledger.NormalBalance;
  /** Null: multi-currency (lines in any known currency may post to it). */
  currency: string | null;
  requiredDimensions: string[];
  status: ChartAccountStatus;
  updatedPosition: bigint;
}

function toAccount(row: AccountRow): ChartAccount {
  return {
    companyId: row.company_id,
    accountNumber: row.account_number,
    name: row.name,
    type: row.type,
    normalBalance: row.normal_balance,
    currency: row.currency,
    requiredDimensions: row.required_dimensions,
    status: row.status,
    updatedPosition: BigInt(row.updated_position),
  };
}

/** One page of a company's accounts in account-number order, optionally of one status. */
export async function listChartAccounts(
  db: Knex,
  controlSchema: string,
  query: { companyId: string; status?: ChartAccountStatus; after?: string; limit: number },
): Promise<Page<ChartAccount, string>> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, chartOfAccountsProjection.name);
  const conditions = ['company_id = ?'];
  const bindings: string[] = [query.companyId];
  if (query.status !== undefined) {
    conditions.push('status = ?');
    bindings.push(query.status);
  }
  if (query.after !== undefined) {
    conditions.push('account_number > ?');
    bindings.push(query.after);
  }
  const result = await db.raw(`select ${SELECT_ROW} from "${schema}".accounts where ${conditions.join(' and ')} order by accounts.account_number limit ?`, [
    ...bindings,
    query.limit + 1,
  ]);
  const rows = result.rows as AccountRow[];
  const items = rows.slice(0, query.limit).map(toAccount);
  const last = items[items.length - 1];
  return { items, next: rows.length > query.limit && last !== undefined ? last.accountNumber : null };
}

/**
 * A company's accounts in account-number order: all of them, or those among `accountNumbers`
 * (unknown numbers are left out). One statement; a chart has at most a few thousand accounts.
 */
export async function chartAccounts(db: Knex, controlSchema: string, companyId: string, accountNumbers?: readonly string[]): Promise<ChartAccount[]> {
  const schema = await activeSchema(db, controlSchema, chartOfAccountsProjection.name);
  const result = await db.raw(
    `select ${SELECT_ROW} from "${schema}".accounts where company_id = ? and (?::text[] is null or account_number = any(?::text[])) order by accounts.account_number`,
    [companyId, accountNumbers === undefined ? null : [...accountNumbers], accountNumbers === undefined ? null : [...accountNumbers]],
  );
  return (result.rows as AccountRow[]).map(toAccount);
}

/** One account of a company's chart, or null when it was never opened. */
export async function getChartAccount(db: Knex, controlSchema: string, companyId: string, accountNumber: string): Promise<ChartAccount | null> {
  return (await chartAccounts(db, controlSchema, companyId, [accountNumber]))[0] ?? null;
}
