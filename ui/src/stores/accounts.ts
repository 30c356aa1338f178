import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/instance';
import type { Query } from '../api/client';
import type { AccountRow, AccountStatement, TrialBalance } from '../api/types';
import { PAGE_SIZE } from '../config';
import { createTask } from './task';

/** `knownAt` from a datetime-local input ("2026-03-31T18:00") as an ISO instant, or undefined. */
export function knownAtInstant(local: string): string | undefined {
  if (local === '') return undefined;
  const value = new Date(local);
  return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
}

/** Saves a text body as a file in the browser (CSV exports need the bearer token, so no plain link). */
export function saveText(fileName: string, text: string, type = 'text/csv'): void {
  saveBlob(fileName, new Blob([text], { type }));
}

/** Hands a blob to the browser as a download named `fileName`. */
export function saveBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Accounts with balances, the trial balance (both "as of" a business date and "as known at"
 * an instant) and account statements (keyset pages).
 */
export const useAccountsStore = defineStore('accounts', () => {
  const asOf = ref('');
  const knownAt = ref('');
  const accounts = ref<AccountRow[]>([]);
  const accountsTask = createTask();
  const trialBalance = ref<TrialBalance | null>(null);
  const trialBalanceTask = createTask();
  const statement = ref<AccountStatement | null>(null);
  const statementTask = createTask();
  const exportTask = createTask();

  function temporalQuery(): Query {
    return { asOf: asOf.value, knownAt: knownAtInstant(knownAt.value) };
  }

  async function loadAccounts(): Promise<void> {
    const answer = await accountsTask.run(() => api().get<{ items: AccountRow[] }>('/api/query/accounts', temporalQuery()));
    if (answer !== undefined) accounts.value = answer.items;
  }

  async function loadTrialBalance(): Promise<void> {
    const answer = await trialBalanceTask.run(() => api().get<TrialBalance>('/api/query/trial-balance', temporalQuery()));
    if (answer !== undefined) trialBalance.value = answer;
  }

  async function loadStatement(accountNumber: string, range: { from?: string; to?: string }, more = false): Promise<void> {
    const cursor = more ? (statement.value?.nextCursor ?? null) : null;
    if (more && cursor === null) return;
    const answer = await statementTask.run(() =>
      api().get<AccountStatement>(`/api/query/accounts/${encodeURIComponent(accountNumber)}/statement`, { ...range, cursor, limit: PAGE_SIZE }),
    );
    if (answer === undefined) return;
    statement.value = more && statement.value !== null ? { ...answer, items: [...statement.value.items, ...answer.items] } : answer;
  }

  /** The CSV link of a read (shown as the export's address; the download itself goes through `exportCsv`). */
  function csvUrl(path: string, query: Query = {}): string {
    return api().url(path, { ...query, format: 'csv' });
  }

  async function exportCsv(path: string, query: Query, fileName: string): Promise<void> {
    const text = await exportTask.run(() => api().text(path, { ...query, format: 'csv' }));
    if (text !== undefined) saveText(fileName, text);
  }

  return { asOf, knownAt, accounts, accountsTask, trialBalance, trialBalanceTask, statement, statementTask, exportTask, temporalQuery, loadAccounts, loadTrialBalance, loadStatement, csvUrl, exportCsv };
});
