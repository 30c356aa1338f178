import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/instance';
import type { DeadLetter, ProjectionStatus } from '../api/types';
import { REBUILD_POLL_DURATION_MS_MAX, REBUILD_POLL_MS } from '../config';
import { createTask } from './task';

export interface RebuildProgress {
  name: string;
  phase: 'starting' | 'building' | 'done' | 'failed' | 'timed_out';
  /** 0..1 of the head position when the build reported one. */
  fraction: number | null;
  position: string | null;
  headPosition: string | null;
  /** Why the rebuild failed, as the server says. */
  error: string | null;
}

/** The server's record of a rebuild (scripts/src/projections.ts RebuildProgress). */
export interface ServerRebuild {
  name: string;
  state: 'running' | 'succeeded' | 'failed';
  position: string;
  head: string;
  startedAt: string;
  finishedAt: string | null;
  switched: boolean | null;
  error: string | null;
}

/** Fraction of the log a build has applied; null while the build has no position yet. */
export function buildFraction(position: string | null | undefined, headPosition: string | null | undefined): number | null {
  if (position === null || position === undefined || headPosition === null || headPosition === undefined) return null;
  const head = BigInt(headPosition);
  if (head <= 0n) return 1;
  const done = BigInt(position);
  return Math.min(1, Number((done * 10000n) / head) / 10000);
}

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Projection status (GET /api/projections), dead letters and rebuilds. A rebuild is started
 * with POST /api/projections/:name/rebuild and watched by polling its progress (position of
 * the new build against the head) until it succeeded or failed.
 */
export const useProjectionsStore = defineStore('projections', () => {
  const projections = ref<ProjectionStatus[]>([]);
  const task = createTask();
  const deadLetters = ref<DeadLetter[]>([]);
  const deadLettersTask = createTask();
  const rebuildTask = createTask();
  const progress = ref<RebuildProgress | null>(null);

  const totalLagEvents = computed(() => projections.value.reduce((sum, projection) => sum + BigInt(projection.lagEvents ?? '0'), 0n));

  async function load(): Promise<void> {
    const answer = await task.run(() => api().get<{ projections: ProjectionStatus[] }>('/api/projections'));
    if (answer !== undefined) projections.value = answer.projections;
  }

  async function loadDeadLetters(): Promise<void> {
    const answer = await deadLettersTask.run(() => api().get<{ items: DeadLetter[] }>('/api/projections/dead-letters'));
    if (answer !== undefined) deadLetters.value = answer.items;
  }

  /**
   * Starts a rebuild (POST answers 202 with its progress) and polls GET
   * /api/projections/:name/rebuild until it succeeded or failed; resolves to the final phase.
   */
  async function rebuild(name: string, sleep: Sleep = realSleep, now: () => number = Date.now): Promise<RebuildProgress['phase']> {
    const path = `/api/projections/${encodeURIComponent(name)}/rebuild`;
    progress.value = { name, phase: 'starting', fraction: null, position: null, headPosition: null, error: null };
    let answer = await rebuildTask.run(() => api().post<ServerRebuild>(path, {}));
    const startedAt = now();
    while (answer !== undefined) {
      const phase = answer.state === 'succeeded' ? 'done' : answer.state === 'failed' ? 'failed' : 'building';
      progress.value = { name, phase, fraction: phase === 'done' ? 1 : buildFraction(answer.position, answer.head), position: answer.position, headPosition: answer.head, error: answer.error };
      if (phase !== 'building') {
        await load();
        return phase;
      }
      if (now() - startedAt >= REBUILD_POLL_DURATION_MS_MAX) {
        progress.value = { ...progress.value, phase: 'timed_out' };
        return 'timed_out';
      }
      await sleep(REBUILD_POLL_MS);
      answer = await rebuildTask.run(() => api().get<ServerRebuild>(path));
    }
    progress.value = { ...progress.value, phase: 'failed' };
    return 'failed';
  }

  return { projections, task, deadLetters, deadLettersTask, rebuildTask, progress, totalLagEvents, load, loadDeadLetters, rebuild };
});
