import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/instance';
import type { FiscalYearView } from '../api/types';
import { COMPANY_ID } from '../config';
import { createTask } from './task';

export type PeriodAction = 'soft-lock' | 'reopen' | 'close';

/** A fiscal year with its periods (command API) and the period commands. */
export const usePeriodsStore = defineStore('periods', () => {
  const year = ref(new Date().getUTCFullYear());
  const fiscalYear = ref<FiscalYearView | null>(null);
  const etag = ref<string | null>(null);
  const task = createTask();
  const actionTask = createTask();

  async function load(): Promise<void> {
    const answer = await task.run(() => api().getResponse<FiscalYearView>(`/api/finance/fiscal-years/${year.value}`, { companyId: COMPANY_ID }));
    if (answer === undefined) {
      fiscalYear.value = null;
      return;
    }
    fiscalYear.value = answer.data;
    etag.value = answer.headers.get('etag');
  }

  /** Runs a period command with the ETag of what the user saw, so a concurrent change fails with 412 instead of surprising. */
  async function act(period: number, action: PeriodAction): Promise<boolean> {
    const done = await actionTask.run(() =>
      api().post(`/api/finance/fiscal-years/${year.value}/periods/${period}/${action}`, { companyId: COMPANY_ID }, etag.value === null ? {} : { ifMatch: etag.value }),
    );
    if (done === undefined) return false;
    await load();
    return true;
  }

  return { year, fiscalYear, etag, task, actionTask, load, act };
});
