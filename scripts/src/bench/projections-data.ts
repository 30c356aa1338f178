import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SQL } from '@event-driven-io/dumbo';
import type { Event as EmmettEvent } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, postgreSQLRawSQLProjection, rebuildPostgreSQLProjections } from '@event-driven-io/emmett-postgresql';
import type { PostgresEventStore } from '@neuroerp/infra';
import type { NewEvent, NewEventMetadata } from '@neuroerp/schemas';

export const COMPANY_ID = 'bench';
export const FISCAL_YEAR = 2026;
export const STREAM_ID = `ledger.fiscal_year-${COMPANY_ID}-${FISCAL_YEAR}`;
export const TRANSACTION_POSTED = 'ledger.transaction_posted';
/** Events per append while generating (the e2e tests do the same). */
export const APPEND_BATCH = 500;
/** Events per page of the raw baseline's read (the projection runtime's batch limit too). */
export const RAW_PAGE_EVENTS = 1000;
const ACCOUNTS = 50;
const DAYS = 365;
const YEAR_START_MS = Date.UTC(FISCAL_YEAR, 0, 1);

type Side = 'debit' | 'credit';
type PostedLine = {
  accountNumber: string;
  side: Side;
  amountMinor: string;
  currency: string;
  fxRate: string | null;
  dimensions: Record<string, string>;
  text: string | null;
  companyAmountMinor: string;
  kind: 'entry';
};

export type PostedData = {
  companyId: string;
  fiscalYear: number;
  period: number;
  voucherNumber: number;
  transactionId: string;
  type: 'journal';
  documentDate: string;
  postingDate: string;
  companyCurrency: string;
  description: string | null;
  linkedDocumentIds: string[];
  lines: PostedLine[];
  postedBy: string;
  postedAt: string;
  approvedBy: string | null;
  reversesTransactionId: string | null;
  reason: string | null;
  postedUnderException: boolean;
};

/** A small deterministic PRNG (mulberry32): the same events on every run and every side. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dayOfYear(day: number): string {
  return new Date(YEAR_START_MS + day * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Posting number `voucherNumber` (1-based): 2–6 balanced lines on ~50 accounts, a quarter
 * of them in USD (rate 0.9, amounts multiples of 10 so company amounts are exact), the rest
 * in EUR (the company currency), posting dates spread over the whole year.
 */
export function posting(voucherNumber: number, random: () => number): PostedData {
  const lineCount = 2 + Math.floor(random() * 5);
  const usd = random() < 0.25;
  const day = Math.floor(random() * DAYS);
  const date = dayOfYear(day);
  const lines: PostedLine[] = [];
  let total = 0;
  const line = (accountNumber: string, side: Side, amount: number): PostedLine => ({
    accountNumber,
    side,
    amountMinor: String(amount),
    currency: usd ? 'USD' : 'EUR',
    fxRate: usd ? '0.9' : null,
    dimensions: {},
    text: null,
    companyAmountMinor: String(usd ? (amount / 10) * 9 : amount),
    kind: 'entry',
  });
  for (let i = 0; i < lineCount - 1; i += 1) {
    const amount = 10 * (1 + Math.floor(random() * 100_000));
    total += amount;
    lines.push(line(String(1000 + Math.floor(random() * ACCOUNTS) * 10), 'debit', amount));
  }
  lines.push(line(String(1000 + Math.floor(random() * ACCOUNTS) * 10), 'credit', total));
  return {
    companyId: COMPANY_ID,
    fiscalYear: FISCAL_YEAR,
    period: Number(date.slice(5, 7)),
    voucherNumber,
    transactionId: `tx-${voucherNumber}`,
    type: 'journal',
    documentDate: date,
    postingDate: date,
    companyCurrency: 'EUR',
    description: null,
    linkedDocumentIds: [],
    lines,
    postedBy: 'bench',
    postedAt: `${date}T10:00:00.000Z`,
    approvedBy: null,
    reversesTransactionId: null,
    reason: null,
    postedUnderException: false,
  };
}

function metadata(): NewEventMetadata {
  return { actor: { userId: 'bench', role: 'accountant' }, correlationId: randomUUID(), causationId: null, occurredAt: '2026-11-25T10:00:00.000Z', requestId: null };
}

/** Appends `count` postings to our store in batches of APPEND_BATCH. */
export async function generateOurs(store: PostgresEventStore, count: number, onBatch: (done: number) => void): Promise<void> {
  const random = prng(20261125);
  for (let start = 1; start <= count; start += APPEND_BATCH) {
    const size = Math.min(APPEND_BATCH, count - start + 1);
    const events: NewEvent[] = Array.from({ length: size }, (_, i) => ({
      eventId: randomUUID(),
      type: TRANSACTION_POSTED,
      schemaVersion: 1,
      data: posting(start + i, random),
      metadata: metadata(),
    }));
    await store.appendToStream(STREAM_ID, events, { expectedVersion: 'any' });
    onBatch(start + size - 1);
  }
}

interface BalanceSum {
  company: string;
  account: string;
  currency: string;
  day: string;
  companyCurrency: string;
  d: bigint;
  c: bigint;
  cd: bigint;
  cc: bigint;
}

/** Adds one posting's lines to the per-(company, account, currency, day) sums. */
function addPosting(sums: Map<string, BalanceSum>, posted: PostedData): void {
  for (const line of posted.lines) {
    const key = `${posted.companyId}\u0000${line.accountNumber}\u0000${line.currency}\u0000${posted.postingDate}`;
    let sum = sums.get(key);
    if (sum === undefined) {
      sum = { company: posted.companyId, account: line.accountNumber, currency: line.currency, day: posted.postingDate, companyCurrency: posted.companyCurrency, d: 0n, c: 0n, cd: 0n, cc: 0n };
      sums.set(key, sum);
    }
    if (line.side === 'debit') {
      sum.d += BigInt(line.amountMinor);
      sum.cd += BigInt(line.companyAmountMinor);
    } else {
      sum.c += BigInt(line.amountMinor);
      sum.cc += BigInt(line.companyAmountMinor);
    }
  }
}

/**
 * The raw baseline: plain `pg`, pages of RAW_PAGE_EVENTS events read by global position,
 * summed in memory, one multi-row upsert (unnest arrays) plus a checkpoint update per page in
 * one transaction. No validation, no control tables, no table-set switch.
 */
export async function rawRebuild(connectionString: string, eventSchema: string): Promise<{ events: number; seconds: number }> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`
      drop table if exists raw_balances, raw_checkpoint;
      create table raw_balances (
        company_id text not null, account_number text not null, currency text not null, posting_date date not null,
        company_currency text not null, debit_minor numeric(38, 0) not null, credit_minor numeric(38, 0) not null,
        company_debit_minor numeric(38, 0) not null, company_credit_minor numeric(38, 0) not null,
        primary key (company_id, account_number, currency, posting_date));
      create index on raw_balances (company_id, posting_date);
      create table raw_checkpoint (position bigint not null);
      insert into raw_checkpoint values (0);`);
    const started = performance.now();
    let position = '0';
    let events = 0;
    for (;;) {
      // Other types are skipped here, not in SQL: a `type = $2` filter on the unanalysed table
      // made the planner sort every later row per page (quadratic), as a probe showed.
      const { rows } = await client.query<{ global_position: string; type: string; data: PostedData }>(
        `select global_position, type, data from "${eventSchema}".events where global_position > $1 order by global_position limit ${RAW_PAGE_EVENTS}`,
        [position],
      );
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      const sums = new Map<string, BalanceSum>();
      for (const row of rows) if (row.type === TRANSACTION_POSTED) addPosting(sums, row.data);
      const all = [...sums.values()];
      await client.query('begin');
      await client.query(
        `insert into raw_balances
         select * from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[])
         on conflict (company_id, account_number, currency, posting_date) do update set
           debit_minor = raw_balances.debit_minor + excluded.debit_minor,
           credit_minor = raw_balances.credit_minor + excluded.credit_minor,
           company_debit_minor = raw_balances.company_debit_minor + excluded.company_debit_minor,
           company_credit_minor = raw_balances.company_credit_minor + excluded.company_credit_minor`,
        [
          all.map((s) => s.company),
          all.map((s) => s.account),
          all.map((s) => s.currency),
          all.map((s) => s.day),
          all.map((s) => s.companyCurrency),
          all.map((s) => s.d.toString()),
          all.map((s) => s.c.toString()),
          all.map((s) => s.cd.toString()),
          all.map((s) => s.cc.toString()),
        ],
      );
      await client.query('update raw_checkpoint set position = $1', [last.global_position]);
      await client.query('commit');
      position = last.global_position;
      events += rows.length;
    }
    return { events, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

/** Row count and company-currency totals of a balances table: the sides must agree on the same events. */
export async function balanceTotals(connectionString: string, table: string): Promise<string> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: string; cd: string; cc: string; d: string }>(
      `select count(*)::text as rows, coalesce(sum(debit_minor), 0)::text as d, coalesce(sum(company_debit_minor), 0)::text as cd,
              coalesce(sum(company_credit_minor), 0)::text as cc from ${table}`,
    );
    const row = rows[0];
    return row === undefined ? 'none' : `rows=${row.rows} debit=${row.d} company_debit=${row.cd} company_credit=${row.cc}`;
  } finally {
    await client.end();
  }
}

type EmmettPosted = EmmettEvent<typeof TRANSACTION_POSTED, PostedData, NewEventMetadata>;

/**
 * Emmett's side: the first `count` postings (same seed, same data) appended to its
 * PostgreSQL event store, then its own rebuild (`rebuildPostgreSQLProjections`, which pulls
 * batches and runs the projection) of a `postgreSQLRawSQLProjection` that upserts one row
 * per line into a balances table with the same key and sums as ours.
 */
export async function emmettRebuild(connectionString: string, count: number, onBatch: (done: number) => void): Promise<{ events: number; seconds: number }> {
  const pool = new pg.Pool({ connectionString, max: 4 });
  pool.on('error', () => undefined);
  const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { connectionString, pool } });
  try {
    await store.schema.migrate();
    await pool.query(`
      create table emmett_balances (
        company_id text not null, account_number text not null, currency text not null, posting_date date not null,
        company_currency text not null, debit_minor numeric(38, 0) not null, credit_minor numeric(38, 0) not null,
        company_debit_minor numeric(38, 0) not null, company_credit_minor numeric(38, 0) not null,
        primary key (company_id, account_number, currency, posting_date))`);
    const random = prng(20261125);
    for (let start = 1; start <= count; start += APPEND_BATCH) {
      const size = Math.min(APPEND_BATCH, count - start + 1);
      const events: EmmettPosted[] = Array.from({ length: size }, (_, i) => ({ type: TRANSACTION_POSTED, data: posting(start + i, random), metadata: metadata() }));
      await store.appendToStream(STREAM_ID, events);
      onBatch(start + size - 1);
    }
    let events = 0;
    const projection = postgreSQLRawSQLProjection<EmmettPosted, EmmettPosted>({
      name: 'emmett_balances',
      canHandle: [TRANSACTION_POSTED],
      evolve: (event) => {
        events += 1;
        const posted = event.data;
        return posted.lines.map((line) => {
          const debit = line.side === 'debit';
          const [d, c] = debit ? [line.amountMinor, '0'] : ['0', line.amountMinor];
          const [cd, cc] = debit ? [line.companyAmountMinor, '0'] : ['0', line.companyAmountMinor];
          return SQL`insert into emmett_balances values (${posted.companyId}, ${line.accountNumber}, ${line.currency}, ${posted.postingDate},
              ${posted.companyCurrency}, ${d}, ${c}, ${cd}, ${cc})
            on conflict (company_id, account_number, currency, posting_date) do update set
              debit_minor = emmett_balances.debit_minor + excluded.debit_minor,
              credit_minor = emmett_balances.credit_minor + excluded.credit_minor,
              company_debit_minor = emmett_balances.company_debit_minor + excluded.company_debit_minor,
              company_credit_minor = emmett_balances.company_credit_minor + excluded.company_credit_minor`;
        });
      },
    });
    const started = performance.now();
    const consumer = rebuildPostgreSQLProjections<EmmettPosted>({ connectionString, projections: [projection] });
    try {
      await consumer.start();
    } finally {
      await consumer.close();
    }
    return { events, seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
    await pool.end();
  }
}
