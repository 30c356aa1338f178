import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api/instance';
import type { DashboardView } from '../api/types';
import { createTask } from './task';
import { useAuthStore } from './auth';

/** The minimum of EventSource the live updates use, so tests can hand in a fake. */
export interface LiveSource {
  addEventListener(type: string, listener: (event: { data?: string }) => void): void;
  close(): void;
  onerror: ((event: unknown) => void) | null;
  onopen?: ((event: unknown) => void) | null;
}
export type LiveSourceFactory = (url: string) => LiveSource;

/** Bursts of projection commits become one reload after this quiet time. */
export const LIVE_RELOAD_DEBOUNCE_MS = 750;
/**
 * After a stream error we reconnect ourselves (not EventSource's own retry): the token in the
 * URL may have expired, and the reload in between lets the API client refresh it.
 */
export const LIVE_RECONNECT_MS = 5000;

/** "2026-03" for a date, in UTC like the business dates. */
export function monthOf(date: Date): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * The dashboard read model (GET /api/query/dashboard) and its live updates over
 * server-sent events. EventSource cannot send headers, so the access token travels as
 * `?access_token=` on /api/stream.
 */
export const useDashboardStore = defineStore('dashboard', () => {
  const view = ref<DashboardView | null>(null);
  const month = ref(monthOf(new Date()));
  const task = createTask();
  const live = ref<'off' | 'connecting' | 'live' | 'error'>('off');
  const lastEvent = ref<{ name: string; position: string } | null>(null);
  let source: LiveSource | null = null;
  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  async function load(): Promise<void> {
    const answer = await task.run(() => api().get<DashboardView>('/api/query/dashboard', { month: month.value }));
    if (answer !== undefined) view.value = answer;
  }

  function scheduleReload(): void {
    if (reloadTimer !== null) clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      void load();
    }, LIVE_RELOAD_DEBOUNCE_MS);
  }

  function streamUrl(): string {
    const token = useAuthStore().accessToken;
    return api().url('/api/stream', { access_token: token });
  }

  function startLive(factory: LiveSourceFactory = (url) => new EventSource(url) as unknown as LiveSource): void {
    stopLive();
    live.value = 'connecting';
    source = factory(streamUrl());
    source.onopen = () => (live.value = 'live');
    source.onerror = () => {
      source?.close();
      source = null;
      live.value = 'error';
      if (reconnectTimer !== null) return;
      reconnectTimer = setTimeout(() => {
        reconnectTimer = null;
        void load().then(() => {
          if (live.value === 'error') startLive(factory);
        });
      }, LIVE_RECONNECT_MS);
    };
    source.addEventListener('projection', (event) => {
      live.value = 'live';
      if (event.data !== undefined) {
        try {
          lastEvent.value = JSON.parse(event.data) as { name: string; position: string };
        } catch {
          lastEvent.value = null;
        }
      }
      scheduleReload();
    });
  }

  function stopLive(): void {
    source?.close();
    source = null;
    if (reloadTimer !== null) clearTimeout(reloadTimer);
    reloadTimer = null;
    if (reconnectTimer !== null) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    live.value = 'off';
  }

  return { view, month, task, live, lastEvent, load, startLive, stopLive };
});
