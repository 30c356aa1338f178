import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { api } from '../api/instance';
import type { BalanceSheet, OpenItems, ProfitAndLoss, VatSummary } from '../api/types';
import { createTask } from './task';

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The reports of the query API: balance sheet, profit and loss, VAT summary, open items with ageing. */
export const useReportsStore = defineStore('reports', () => {
  const today = new Date();
  const range = reactive({ from: `${today.getUTCFullYear()}-01-01`, to: isoDate(today), asOf: isoDate(today), kind: 'receivables' as 'receivables' | 'payables' });
  const balanceSheet = ref<BalanceSheet | null>(null);
  const profitAndLoss = ref<ProfitAndLoss | null>(null);
  const vat = ref<VatSummary | null>(null);
  const openItems = ref<OpenItems | null>(null);
  const tasks = { balanceSheet: createTask(), profitAndLoss: createTask(), vat: createTask(), openItems: createTask() };

  async function loadAll(): Promise<void> {
    await Promise.all([
      tasks.balanceSheet.run(async () => (balanceSheet.value = await api().get<BalanceSheet>('/api/query/reports/balance-sheet', { asOf: range.asOf }))),
      tasks.profitAndLoss.run(async () => (profitAndLoss.value = await api().get<ProfitAndLoss>('/api/query/reports/profit-and-loss', { from: range.from, to: range.to }))),
      tasks.vat.run(async () => (vat.value = await api().get<VatSummary>('/api/query/reports/vat-summary', { from: range.from, to: range.to }))),
      tasks.openItems.run(async () => (openItems.value = await api().get<OpenItems>('/api/query/reports/open-items', { kind: range.kind, asOf: range.asOf }))),
    ]);
  }

  return { range, balanceSheet, profitAndLoss, vat, openItems, tasks, loadAll };
});
