import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/instance';
import type { InboxItem, Page } from '../api/types';
import { approveStep, rejectStep } from '../api/workflows';
import { PAGE_SIZE } from '../config';
import { createTask } from './task';

/** The caller's open workflow steps (GET /api/query/inbox) and the approve / reject commands. */
export const useInboxStore = defineStore('inbox', () => {
  const items = ref<InboxItem[]>([]);
  const nextCursor = ref<string | null>(null);
  const task = createTask();
  const actionTask = createTask();
  /** The global position of the last decision (reads pass it as `after`). */
  const lastPosition = ref<string | null>(null);

  async function load(more = false): Promise<void> {
    const cursor = more ? nextCursor.value : null;
    if (more && cursor === null) return;
    const page = await task.run(() => api().get<Page<InboxItem>>('/api/query/inbox', { cursor, limit: PAGE_SIZE, after: more ? null : lastPosition.value }));
    if (page === undefined) return;
    items.value = more ? [...items.value, ...page.items] : page.items;
    nextCursor.value = page.nextCursor;
  }

  function drop(item: InboxItem): void {
    items.value = items.value.filter((other) => !(other.workflowId === item.workflowId && other.step === item.step));
  }

  async function decide(item: InboxItem, run: () => Promise<{ position?: string } | undefined>): Promise<boolean> {
    let ok = false;
    const answer = await actionTask.run(async () => {
      const result = await run();
      ok = true;
      return result;
    });
    if (!ok) return false;
    if (typeof answer?.position === 'string') lastPosition.value = answer.position;
    drop(item);
    return true;
  }

  /** Approves the step with the hash of the subject the item names (SUBJECT_HASH_MISMATCH when it changed since). */
  function approve(item: InboxItem, comment: string): Promise<boolean> {
    return decide(item, () => approveStep(api(), item.workflowId, item.step, item.subjectHash, comment));
  }

  /** A rejection needs a reason; the server answers REASON_REQUIRED without one. */
  function reject(item: InboxItem, reason: string): Promise<boolean> {
    return decide(item, () => rejectStep(api(), item.workflowId, item.step, reason));
  }

  return { items, nextCursor, task, actionTask, lastPosition, load, approve, reject };
});
