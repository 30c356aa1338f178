import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { api } from '../api/instance';
import type { CommandAnswer, Page, TransactionCommandView, TransactionDetail, TransactionLine, TransactionListItem } from '../api/types';
import { COMPANY_ID, PAGE_SIZE } from '../config';
import { createTask } from './task';

export interface TransactionFilters {
  status: string;
  type: string;
  from: string;
  to: string;
  minAmount: string;
  maxAmount: string;
  text: string;
}

export function emptyFilters(): TransactionFilters {
  return { status: '', type: '', from: '', to: '', minAmount: '', maxAmount: '', text: '' };
}

export interface DraftInput {
  transactionId: string;
  type: string;
  documentDate: string;
  postingDate: string;
  description?: string;
  linkedDocumentIds?: string[];
  lines: Pick<TransactionLine, 'accountNumber' | 'side' | 'amount' | 'currency' | 'text'>[];
}

export type TransactionAction = 'submit' | 'approve' | 'post';

/**
 * Transactions: the filtered list (query API, keyset "load more"), one transaction's detail
 * (query API for history and approvals; the command API's view for the authoritative
 * status), and the commands on it.
 */
export const useTransactionsStore = defineStore('transactions', () => {
  const items = ref<TransactionListItem[]>([]);
  const nextCursor = ref<string | null>(null);
  const filters = reactive<TransactionFilters>(emptyFilters());
  const listTask = createTask();

  const detail = ref<TransactionDetail | null>(null);
  const commandView = ref<TransactionCommandView | null>(null);
  const detailTask = createTask();
  const commandViewTask = createTask();
  const actionTask = createTask();
  /** The global position of the last command: reads pass it as `after` to see their own writes. */
  const lastPosition = ref<string | null>(null);

  async function fetchPage(cursor: string | null): Promise<Page<TransactionListItem> | undefined> {
    return listTask.run(() => api().get<Page<TransactionListItem>>('/api/query/transactions', { ...filters, cursor, limit: PAGE_SIZE, after: lastPosition.value }));
  }

  async function loadFirst(): Promise<void> {
    const page = await fetchPage(null);
    if (page === undefined) return;
    items.value = page.items;
    nextCursor.value = page.nextCursor;
  }

  async function loadMore(): Promise<void> {
    if (nextCursor.value === null) return;
    const page = await fetchPage(nextCursor.value);
    if (page === undefined) return;
    items.value = [...items.value, ...page.items];
    nextCursor.value = page.nextCursor;
  }

  function resetFilters(): void {
    Object.assign(filters, emptyFilters());
  }

  async function loadDetail(transactionId: string): Promise<void> {
    const id = encodeURIComponent(transactionId);
    detail.value = null;
    commandView.value = null;
    await Promise.all([
      detailTask.run(async () => (detail.value = await api().get<TransactionDetail>(`/api/query/transactions/${id}`, { after: lastPosition.value }))),
      commandViewTask.run(async () => (commandView.value = await api().get<TransactionCommandView>(`/api/finance/transactions/${id}`))),
    ]);
  }

  /** Drafts (and with `submit`, submits in the same append) a transaction; resolves to its view, or undefined with actionTask.error set. */
  async function create(input: DraftInput, options: { submit: boolean }): Promise<(CommandAnswer & TransactionCommandView) | undefined> {
    const answer = await actionTask.run(() =>
      api().post<CommandAnswer & TransactionCommandView>('/api/finance/transactions', { ...input, companyId: COMPANY_ID, submit: options.submit }),
    );
    if (answer !== undefined) lastPosition.value = answer.position;
    return answer;
  }

  async function act(transactionId: string, action: TransactionAction): Promise<boolean> {
    const answer = await actionTask.run(() => api().post<CommandAnswer & TransactionCommandView>(`/api/finance/transactions/${encodeURIComponent(transactionId)}/${action}`, {}));
    if (answer === undefined) return false;
    lastPosition.value = answer.position;
    commandView.value = answer;
    return true;
  }

  async function reverse(transactionId: string, body: { reversalTransactionId: string; postingDate: string; reason: string }): Promise<boolean> {
    const answer = await actionTask.run(() => api().post<CommandAnswer>(`/api/finance/transactions/${encodeURIComponent(transactionId)}/reverse`, body));
    if (answer === undefined) return false;
    lastPosition.value = answer.position;
    return true;
  }

  return { items, nextCursor, filters, listTask, detail, commandView, detailTask, commandViewTask, actionTask, lastPosition, loadFirst, loadMore, resetFilters, loadDetail, create, act, reverse };
});
