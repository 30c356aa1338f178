import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { TokenPair, TokenSource } from '../api/client';
import { api } from '../api/instance';
import { createTask } from './task';
import { sessionStore } from './storage';

export interface SessionUser {
  userId: string;
  username: string;
  role: string;
  displayName?: string | null;
}

export interface DemoUser {
  username: string;
  role: string;
  password: string;
}

/**
 * Whether a permission list (GET /api/auth/verify `permissions`) allows `required`; no
 * requirement allows everything. The one rule behind `can()`, the menu and the route guard.
 */
export function permits(permissions: readonly string[], required: string | null | undefined): boolean {
  if (required === null || required === undefined || required === '') return true;
  return permissions.includes(required);
}

/** Tokens live in sessionStorage: a tab keeps its session over reloads, a closed browser forgets it. */
const SESSION_KEY = 'neuroerp.session';

interface PersistedSession {
  accessToken: string;
  refreshToken: string;
  user: SessionUser | null;
  permissions: string[];
}

/** The session: tokens, the user, the permissions; also the TokenSource of the API client. */
export const useAuthStore = defineStore('auth', () => {
  const accessToken = ref<string | null>(null);
  const refreshToken = ref<string | null>(null);
  const user = ref<SessionUser | null>(null);
  const permissions = ref<string[]>([]);
  const demoUsers = ref<DemoUser[]>([]);
  const loginTask = createTask();

  const isAuthenticated = computed(() => accessToken.value !== null);

  function persist(): void {
    const storage = sessionStore();
    if (accessToken.value === null || refreshToken.value === null) {
      storage.removeItem(SESSION_KEY);
      return;
    }
    const session: PersistedSession = { accessToken: accessToken.value, refreshToken: refreshToken.value, user: user.value, permissions: permissions.value };
    storage.setItem(SESSION_KEY, JSON.stringify(session));
  }

  function restore(): void {
    const text = sessionStore().getItem(SESSION_KEY);
    if (text === null) return;
    try {
      const session = JSON.parse(text) as PersistedSession;
      accessToken.value = session.accessToken;
      refreshToken.value = session.refreshToken;
      user.value = session.user;
      permissions.value = session.permissions ?? [];
    } catch {
      sessionStore().removeItem(SESSION_KEY);
    }
  }

  function applyPair(pair: TokenPair | null): void {
    if (pair === null) {
      accessToken.value = null;
      refreshToken.value = null;
      user.value = null;
      permissions.value = [];
    } else {
      accessToken.value = pair.accessToken;
      refreshToken.value = pair.refreshToken;
      if (pair.user !== undefined && pair.user !== null) user.value = pair.user as SessionUser;
    }
    persist();
  }

  const tokenSource: TokenSource = {
    accessToken: () => accessToken.value,
    refreshToken: () => refreshToken.value,
    update: applyPair,
  };

  async function loadPermissions(): Promise<void> {
    const verified = await api().get<{ role: string; permissions: string[]; userId: string }>('/api/auth/verify');
    permissions.value = verified.permissions;
    if (user.value === null) user.value = { userId: verified.userId, username: verified.userId, role: verified.role };
    persist();
  }

  /** Logs in; true on success, else `loginTask.error` says why (INVALID_CREDENTIALS, LOGIN_THROTTLED, …). */
  async function login(username: string, password: string): Promise<boolean> {
    const done = await loginTask.run(async () => {
      const pair = await api().postAnonymous<TokenPair>('/api/auth/login', { username, password });
      applyPair(pair);
      await loadPermissions();
      return true;
    });
    return done === true;
  }

  async function logout(): Promise<void> {
    const token = refreshToken.value;
    applyPair(null);
    if (token !== null) {
      // Ending the server session is best effort: the local session is gone either way.
      await api()
        .postAnonymous('/api/auth/logout', { refreshToken: token })
        .catch(() => undefined);
    }
  }

  /** The demo accounts of the embedded profile; the endpoint answers 404 where they are off. */
  async function loadDemoUsers(): Promise<void> {
    try {
      const answer = await api().get<{ users?: DemoUser[]; items?: DemoUser[] }>('/api/auth/demo-users');
      demoUsers.value = answer.users ?? answer.items ?? [];
    } catch {
      demoUsers.value = [];
    }
  }

  /** Whether the current token may do `permission`; every write button asks this (an auditor writes nothing, GoBD Z1). */
  function can(permission: string): boolean {
    return accessToken.value !== null && permits(permissions.value, permission);
  }

  return { accessToken, refreshToken, user, permissions, demoUsers, loginTask, isAuthenticated, tokenSource, restore, login, logout, loadPermissions, loadDemoUsers, can };
});
