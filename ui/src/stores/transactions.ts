import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { api } from '../api/instance';
import type { CommandAnswer, Page, TransactionCommandView, TransactionDetail, TransactionLine, TransactionListItem, WorkflowDetail } from '../api/types';
import { approveStep, currentStepOf, rejectStep, workflowOf } from '../api/workflows';
import { isApiError } from '../api/client';
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

/** How often and how long the page waits for the process managers after a workflow decision. */
export const DECISION_POLL_MS = 500;
export const DECISION_WAIT_MS_MAX = 20_000;

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where an approve / reject went: through the approval workflow's step, or the ledger's own command. */
export type DecisionRoute = 'workflow' | 'ledger';

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
  /** The transaction's approval workflow (running, else the latest), null without one. */
  const workflow = ref<WorkflowDetail | null>(null);
  const workflowTask = createTask();
  /** True while the page waits for the process managers to act on a workflow decision. */
  const awaitingProcess = ref(false);

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

  /**
   * Loads the query view (history, approvals), the command view (authoritative status) and the
   * approval workflow. With `keep`, the old values stay on screen until the new ones arrive (a
   * refresh, not a new page).
   */
  async function loadDetail(transactionId: string, options: { keep?: boolean } = {}): Promise<void> {
    const id = encodeURIComponent(transactionId);
    if (!options.keep || detail.value?.transactionId !== transactionId) {
      detail.value = null;
      commandView.value = null;
      workflow.value = null;
    }
    await Promise.all([
      detailTask.run(async () => (detail.value = await api().get<TransactionDetail>(`/api/query/transactions/${id}`, { after: lastPosition.value }))),
      commandViewTask.run(async () => (commandView.value = await api().get<TransactionCommandView>(`/api/finance/transactions/${id}`))),
      loadWorkflow(transactionId),
    ]);
  }

  /** The approval workflow; a caller without workflows:read simply sees none. */
  async function loadWorkflow(transactionId: string): Promise<void> {
    await workflowTask.run(async () => {
      try {
        workflow.value = await workflowOf(api(), 'transaction', transactionId);
      } catch (error) {
        if (isApiError(error) && (error.status === 403 || error.status === 404)) {
          workflow.value = null;
          return;
        }
        throw error;
      }
    });
  }

  /**
   * Approves or rejects. With a running approval workflow the decision is its current step's
   * (the process managers then approve or reject the transaction); without one, the ledger's
   * approve / reject. Resolves to the route taken, or null with actionTask.error set.
   */
  async function decide(transactionId: string, decision: 'approve' | 'reject', text: string): Promise<DecisionRoute | null> {
    const step = currentStepOf(workflow.value);
    const current = workflow.value;
    let route: DecisionRoute | null = null;
    const answer = await actionTask.run(async () => {
      if (step !== null && current !== null) {
        const result = decision === 'approve' ? await approveStep(api(), current.workflowId, step.name, step.subjectHash, text) : await rejectStep(api(), current.workflowId, step.name, text);
        route = 'workflow';
        return result;
      }
      const path = `/api/finance/transactions/${encodeURIComponent(transactionId)}/${decision}`;
      const result = await api().post<CommandAnswer & TransactionCommandView>(path, decision === 'reject' ? { reason: text.trim() } : {});
      route = 'ledger';
      commandView.value = result;
      return result;
    });
    if (route === null) return null;
    if (typeof answer?.position === 'string') lastPosition.value = answer.position;
    return route;
  }

  /**
   * After a workflow decision the process managers act asynchronously: polls the command view
   * until the status leaves `from` (or the wait runs out), then reloads the page's data.
   * Resolves to the new status, or null when it did not change in time.
   */
  async function awaitStatusChange(transactionId: string, from: string, sleep: Sleep = realSleep, now: () => number = Date.now): Promise<string | null> {
    const id = encodeURIComponent(transactionId);
    const startedAt = now();
    awaitingProcess.value = true;
    try {
      for (;;) {
        try {
          const view = await api().get<TransactionCommandView>(`/api/finance/transactions/${id}`);
          if (view.status !== from) {
            commandView.value = view;
            return view.status;
          }
        } catch {
          // A failed poll is retried until the wait runs out.
        }
        if (now() - startedAt >= DECISION_WAIT_MS_MAX) return null;
        await sleep(DECISION_POLL_MS);
      }
    } finally {
      awaitingProcess.value = false;
      await loadDetail(transactionId, { keep: true });
    }
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

  return {
    items, nextCursor, filters, listTask, detail, commandView, detailTask, commandViewTask, actionTask, lastPosition, workflow, workflowTask, awaitingProcess,
    loadFirst, loadMore, resetFilters, loadDetail, loadWorkflow, create, act, decide, awaitStatusChange, reverse,
  };
});
