import type { Knex } from 'knex';
import type { EventStore } from '@neuroerp/infra';
import type { ledger, RecordedEvent } from '@neuroerp/schemas';
import { readActiveTableSet, readCheckpoint } from '../runtime/control';
import { PROJECTION_BATCH_SIZE_MAX } from '../runtime/runner';
import { accountBalancesProjection } from './account-balances';
import { generalLedgerProjection } from './general-ledger';
import { parsePosted, TRANSACTION_POSTED } from './shared';

/** Differences listed per read model at most. */
export const RECONCILE_DIFFERENCES_MAX = 100;

export interface ReconcileDifference {
  companyId: string;
  accountNumber: string;
  readModelDebitMinor: bigint;
  readModelCreditMinor: bigint;
  eventsDebitMinor: bigint;
  eventsCreditMinor: bigint;
}

export interface ReconcileReport {
  readModel: string;
  /** The read model's checkpoint; the events are summed up to exactly this position. */
  position: bigint;
  asOfPostingDate: string;
  accountsCompared: number;
  differences: ReconcileDifference[];
  /** Posted events whose data does not parse (dead-lettered by the runners, so missing from the read model too). */
  unparseablePositions: bigint[];
}

type Sums = Map<string, { debit: bigint; credit: bigint }>;

const READ_MODEL_SQL: Record<string, (schema: string) => string> = {
  [accountBalancesProjection.name]: (schema) =>
    `select company_id, account_number, sum(company_debit_minor)::text as debit, sum(company_credit_minor)::text as credit
       from "${schema}".account_balances_daily where posting_date <= ? group by company_id, account_number`,
  [generalLedgerProjection.name]: (schema) =>
    `select company_id, account_number,
            coalesce(sum(company_amount_minor) filter (where side = 'debit'), 0)::text as debit,
            coalesce(sum(company_amount_minor) filter (where side = 'credit'), 0)::text as credit
       from "${schema}".ledger_lines where posting_date <= ? group by company_id, account_number`,
};

/**
 * Compares the company-currency trial balance (every company, as of a posting date) of the
 * balance and general-ledger read models with one recomputed from the events, at the read
 * model's own checkpoint (read in the same snapshot as its rows). Reports; never corrects.
 */
export async function reconcileTrialBalances(db: Knex, controlSchema: string, store: EventStore, asOfPostingDate: string): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  for (const [name, sql] of Object.entries(READ_MODEL_SQL)) {
    const snapshot = await db.transaction(
      async (tx) => {
        const active = await readActiveTableSet(tx, controlSchema, name);
        if (active === null) return null;
        const position = (await readCheckpoint(tx, controlSchema, active)).position;
        const result = await tx.raw(sql(active.schema), [asOfPostingDate]);
        const sums: Sums = new Map();
        for (const row of result.rows as { company_id: string; account_number: string; debit: string; credit: string }[]) {
          sums.set(JSON.stringify([row.company_id, row.account_number]), { debit: BigInt(row.debit), credit: BigInt(row.credit) });
        }
        return { position, sums };
      },
      { isolationLevel: 'repeatable read' },
    );
    if (snapshot === null) continue;
    const { sums: fromEvents, unparseablePositions } = await sumEvents(store, snapshot.position, asOfPostingDate);
    const differences: ReconcileDifference[] = [];
    const keys = new Set([...snapshot.sums.keys(), ...fromEvents.keys()]);
    for (const key of [...keys].sort()) {
      const model = snapshot.sums.get(key) ?? { debit: 0n, credit: 0n };
      const events = fromEvents.get(key) ?? { debit: 0n, credit: 0n };
      if (model.debit === events.debit && model.credit === events.credit) continue;
      const [companyId, accountNumber] = JSON.parse(key) as [string, string];
      if (differences.length < RECONCILE_DIFFERENCES_MAX) {
        differences.push({ companyId, accountNumber, readModelDebitMinor: model.debit, readModelCreditMinor: model.credit, eventsDebitMinor: events.debit, eventsCreditMinor: events.credit });
      }
    }
    reports.push({ readModel: name, position: snapshot.position, asOfPostingDate, accountsCompared: keys.size, differences, unparseablePositions });
  }
  return reports;
}

async function sumEvents(store: EventStore, untilPosition: bigint, asOfPostingDate: string): Promise<{ sums: Sums; unparseablePositions: bigint[] }> {
  const sums: Sums = new Map();
  const unparseablePositions: bigint[] = [];
  let position = 0n;
  while (position < untilPosition) {
    const events = await store.readAll({ fromPosition: position === 0n ? 'start' : position, maxCount: PROJECTION_BATCH_SIZE_MAX });
    if (events.length === 0) break;
    for (const event of events) {
      if (event.globalPosition > untilPosition) break;
      position = event.globalPosition;
      if (event.type !== TRANSACTION_POSTED) continue;
      const posted = parseOrNull(event);
      if (posted === null) {
        unparseablePositions.push(event.globalPosition);
        continue;
      }
      if (posted.postingDate > asOfPostingDate) continue;
      for (const line of posted.lines) {
        const key = JSON.stringify([posted.companyId, line.accountNumber]);
        const sum = sums.get(key) ?? { debit: 0n, credit: 0n };
        if (line.side === 'debit') sum.debit += BigInt(line.companyAmountMinor);
        else sum.credit += BigInt(line.companyAmountMinor);
        sums.set(key, sum);
      }
    }
    const last = events[events.length - 1];
    if (last !== undefined && last.globalPosition > untilPosition) break;
  }
  return { sums, unparseablePositions };
}

function parseOrNull(event: RecordedEvent): ledger.TransactionPosted | null {
  try {
    return parsePosted(event);
  } catch {
    return null;
  }
}
