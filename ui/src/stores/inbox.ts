import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/instance';
import type { InboxItem, Page } from '../api/types';
import { PAGE_SIZE } from '../config';
import { createTask } from './task';

/** The caller's open workflow steps (GET /api/query/inbox) and the approve / reject commands. */
export const useInboxStore = defineStore('inbox', () => {
  const items = ref<InboxItem[]>([]);
  const nextCursor = ref<string | null>(null);
  const task = createTask();
  const actionTask = createTask();

  async function load(more = false): Promise<void> {
    const cursor = more ? nextCursor.value : null;
    if (more && cursor === null) return;
    const page = await task.run(() => api().get<Page<InboxItem>>('/api/query/inbox', { cursor, limit: PAGE_SIZE }));
    if (page === undefined) return;
    items.value = more ? [...items.value, ...page.items] : page.items;
    nextCursor.value = page.nextCursor;
  }

  function stepPath(item: InboxItem): string {
    return `/api/workflows/instances/${encodeURIComponent(item.workflowId)}/steps/${encodeURIComponent(item.step)}`;
  }

  function drop(item: InboxItem): void {
    items.value = items.value.filter((other) => !(other.workflowId === item.workflowId && other.step === item.step));
  }

  async function approve(item: InboxItem, comment: string): Promise<boolean> {
    const done = await actionTask.run(() => api().post(`${stepPath(item)}/approve`, { comment }));
    if (done === undefined && actionTask.error !== null) return false;
    drop(item);
    return true;
  }

  /** A rejection needs a reason; the server answers REASON_REQUIRED without one. */
  async function reject(item: InboxItem, reason: string): Promise<boolean> {
    const done = await actionTask.run(() => api().post(`${stepPath(item)}/reject`, { reason }));
    if (done === undefined && actionTask.error !== null) return false;
    drop(item);
    return true;
  }

  return { items, nextCursor, task, actionTask, load, approve, reject };
});
