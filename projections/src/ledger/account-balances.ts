import type { Knex } from 'knex';
import { activeSchema } from '../runtime/control';
import type { Projection } from '../runtime/projection';
import { insertRows, parsePosted, toTrialBalance, TRANSACTION_POSTED, type TrialBalance } from './shared';

/**
 * Account balances per company, account, currency and posting day: debit and credit sums in
 * the line currency and in company currency (numeric minor units, never float). "As of" a
 * date is one indexed range scan over at most days × accounts × currencies rows.
 */
export const accountBalancesProjection: Projection = {
  name: 'account_balances',
  version: 1,
  handles: [TRANSACTION_POSTED],
  tables: [{ name: 'account_balances_daily', orderBy: ['company_id', 'account_number', 'currency', 'posting_date'] }],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".account_balances_daily (
        company_id text not null,
        account_number text not null,
        currency text not null,
        posting_date date not null,
        company_currency text not null,
        debit_minor numeric(38, 0) not null,
        credit_minor numeric(38, 0) not null,
        company_debit_minor numeric(38, 0) not null,
        company_credit_minor numeric(38, 0) not null,
        primary key (company_id, account_number, currency, posting_date)
      );
      create index on "${schema}".account_balances_daily (company_id, posting_date);
    `);
  },
  async apply(events, { tx, schema }) {
    // Sums the batch in memory first: one row per key, so one upsert statement never touches a row twice.
    const sums = new Map<string, { company_id: string; account_number: string; currency: string; posting_date: string; company_currency: string; d: bigint; c: bigint; cd: bigint; cc: bigint }>();
    for (const event of events) {
      const posted = parsePosted(event);
      for (const line of posted.lines) {
        const key = JSON.stringify([posted.companyId, line.accountNumber, line.currency, posted.postingDate]);
        let sum = sums.get(key);
        if (sum === undefined) {
          sum = { company_id: posted.companyId, account_number: line.accountNumber, currency: line.currency, posting_date: posted.postingDate, company_currency: posted.companyCurrency, d: 0n, c: 0n, cd: 0n, cc: 0n };
          sums.set(key, sum);
        }
        const amount = BigInt(line.amountMinor);
        const companyAmount = BigInt(line.companyAmountMinor);
        if (line.side === 'debit') {
          sum.d += amount;
          sum.cd += companyAmount;
        } else {
          sum.c += amount;
          sum.cc += companyAmount;
        }
      }
    }
    const rows = [...sums.values()].map((sum) => ({
      company_id: sum.company_id,
      account_number: sum.account_number,
      currency: sum.currency,
      posting_date: sum.posting_date,
      company_currency: sum.company_currency,
      debit_minor: sum.d.toString(),
      credit_minor: sum.c.toString(),
      company_debit_minor: sum.cd.toString(),
      company_credit_minor: sum.cc.toString(),
    }));
    await insertRows(
      tx,
      schema,
      'account_balances_daily',
      rows,
      `on conflict (company_id, account_number, currency, posting_date) do update set
         debit_minor = account_balances_daily.debit_minor + excluded.debit_minor,
         credit_minor = account_balances_daily.credit_minor + excluded.credit_minor,
         company_debit_minor = account_balances_daily.company_debit_minor + excluded.company_debit_minor,
         company_credit_minor = account_balances_daily.company_credit_minor + excluded.company_credit_minor`,
    );
  },
};

export interface AccountBalance {
  accountNumber: string;
  currency: string;
  debitMinor: bigint;
  creditMinor: bigint;
  companyDebitMinor: bigint;
  companyCreditMinor: bigint;
}

/** Balances per account and currency of `companyId` over every posting up to and including `asOfPostingDate`. */
export async function accountBalancesAsOf(db: Knex, controlSchema: string, query: { companyId: string; asOfPostingDate: string }): Promise<AccountBalance[]> {
  const schema = await activeSchema(db, controlSchema, accountBalancesProjection.name);
  const result = await db.raw(
    `select account_number, currency, sum(debit_minor)::text as d, sum(credit_minor)::text as c, sum(company_debit_minor)::text as cd, sum(company_credit_minor)::text as cc
       from "${schema}".account_balances_daily where company_id = ? and posting_date <= ?
      group by account_number, currency order by account_number, currency`,
    [query.companyId, query.asOfPostingDate],
  );
  return (result.rows as { account_number: string; currency: string; d: string; c: string; cd: string; cc: string }[]).map((row) => ({
    accountNumber: row.account_number,
    currency: row.currency,
    debitMinor: BigInt(row.d),
    creditMinor: BigInt(row.c),
    companyDebitMinor: BigInt(row.cd),
    companyCreditMinor: BigInt(row.cc),
  }));
}

/** The trial balance of `companyId` in company currency as of a posting date, as known now (from the daily balances). */
export async function trialBalanceAsOf(db: Knex, controlSchema: string, query: { companyId: string; postingDate: string }): Promise<TrialBalance> {
  const schema = await activeSchema(db, controlSchema, accountBalancesProjection.name);
  const result = await db.raw(
    `select account_number, sum(company_debit_minor)::text as debit_minor, sum(company_credit_minor)::text as credit_minor
       from "${schema}".account_balances_daily where company_id = ? and posting_date <= ?
      group by account_number order by account_number`,
    [query.companyId, query.postingDate],
  );
  return toTrialBalance(query.companyId, query.postingDate, null, result.rows);
}
