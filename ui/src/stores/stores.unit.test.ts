import { createPinia, setActivePinia } from 'pinia';
import { createApiClient } from '../api/client';
import { fakeServer, problem, type FakeServer } from '../api/fake-server';
import { installApiClient } from '../api/instance';
import { useAuthStore } from './auth';
import { useDashboardStore, type LiveSource } from './dashboard';
import { useInboxStore } from './inbox';
import { LOCALE_KEY, useLocaleStore } from './locale';
import { buildFraction, useProjectionsStore } from './projections';
import { localStore } from './storage';
import { useTransactionsStore } from './transactions';
import type { InboxItem, ProjectionStatus } from '../api/types';

function setup(server: FakeServer) {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  installApiClient(createApiClient({ fetch: server.fetch, tokens: auth.tokenSource }));
  return auth;
}

const loginPair = { tokenType: 'Bearer', accessToken: 'access-1', expiresIn: 3600, refreshToken: 'refresh-1', refreshExpiresIn: 604800, user: { userId: 'u1', username: 'accountant', role: 'accountant' } };

function loggedInServer(): FakeServer {
  return fakeServer()
    .on('POST', '/api/auth/login', (request) => ((request.body as { password: string }).password === 'right' ? { body: loginPair } : problem(401, 'INVALID_CREDENTIALS')))
    .on('GET', '/api/auth/verify', () => ({ body: { active: true, userId: 'u1', role: 'accountant', permissions: ['finance:read', 'finance:write'] } }));
}

describe('auth store', () => {
  it('logs in, loads permissions and keeps the session', async () => {
    const auth = setup(loggedInServer());
    await expect(auth.login('accountant', 'right')).resolves.toBe(true);
    expect(auth.isAuthenticated).toBe(true);
    expect(auth.user?.username).toBe('accountant');
    expect(auth.can('finance:write')).toBe(true);
    expect(auth.can('finance:approve')).toBe(false);

    // A new page load restores the session from storage.
    setActivePinia(createPinia());
    const restored = useAuthStore();
    restored.restore();
    expect(restored.accessToken).toBe('access-1');
    expect(restored.permissions).toContain('finance:write');
    await restored.logout();
  });

  it('shows why a login failed and stays logged out', async () => {
    const auth = setup(loggedInServer());
    await expect(auth.login('accountant', 'wrong')).resolves.toBe(false);
    expect(auth.loginTask.error?.code).toBe('INVALID_CREDENTIALS');
    expect(auth.loginTask.loading).toBe(false);
    expect(auth.isAuthenticated).toBe(false);
  });

  it('lists no demo users where the endpoint does not exist', async () => {
    const auth = setup(fakeServer());
    await auth.loadDemoUsers();
    expect(auth.demoUsers).toEqual([]);
  });
});

describe('locale store', () => {
  it('persists the language', () => {
    setActivePinia(createPinia());
    const store = useLocaleStore();
    store.setLocale('en');
    expect(localStore().getItem(LOCALE_KEY)).toBe('en');
    setActivePinia(createPinia());
    expect(useLocaleStore().locale).toBe('en');
    expect(() => useLocaleStore().setLocale('fr' as 'de')).toThrow('unsupported locale');
  });
});

describe('transactions store', () => {
  const item = (n: number) => ({ transactionId: `t${n}`, type: 'journal', status: 'posted', documentDate: '2026-01-01', postingDate: '2026-01-01', description: null, amount: '1.00', voucherNumber: n, submittedBy: null, approvedBy: null, linkedDocumentIds: [], updatedAt: '' });

  it('loads pages by keyset cursor with the filters', async () => {
    const server = fakeServer().on('GET', '/api/query/transactions', (request) =>
      request.query.get('cursor') === null ? { body: { items: [item(1), item(2)], nextCursor: 'c2' } } : { body: { items: [item(3)], nextCursor: null } },
    );
    setup(server);
    const store = useTransactionsStore();
    store.filters.status = 'posted';
    await store.loadFirst();
    await store.loadMore();
    expect(store.items.map((i) => i.transactionId)).toEqual(['t1', 't2', 't3']);
    expect(store.nextCursor).toBeNull();
    expect(server.requests[0]?.query.get('status')).toBe('posted');
    expect(server.requests[0]?.query.has('text')).toBe(false);
    expect(server.requests[1]?.query.get('cursor')).toBe('c2');
  });

  it('creates with the company, remembers the position and reads after it', async () => {
    const server = fakeServer()
      .on('POST', '/api/finance/transactions', (request) => ({ status: 201, body: { ...(request.body as object), streamId: 's', streamVersion: 1, position: '42', status: 'submitted' } }))
      .on('GET', '/api/query/transactions', () => ({ body: { items: [], nextCursor: null } }));
    setup(server);
    const store = useTransactionsStore();
    const answer = await store.create({ transactionId: 'je-1', type: 'journal', documentDate: '2026-01-02', postingDate: '2026-01-02', lines: [] }, { submit: true });
    expect(answer?.position).toBe('42');
    expect(server.requests[0]?.body).toMatchObject({ companyId: 'valeo-demo-gmbh', submit: true, transactionId: 'je-1' });
    expect(server.requests[0]?.headers['idempotency-key']).toEqual(expect.any(String));
    await store.loadFirst();
    expect(server.requests[1]?.query.get('after')).toBe('42');
  });

  it('keeps the API error of a failed command for the form', async () => {
    setup(fakeServer().on('POST', '/api/finance/transactions', () => problem(422, 'UNBALANCED_TRANSACTION')));
    const store = useTransactionsStore();
    expect(await store.create({ transactionId: 'x', type: 'journal', documentDate: '2026-01-02', postingDate: '2026-01-02', lines: [] }, { submit: false })).toBeUndefined();
    expect(store.actionTask.error?.code).toBe('UNBALANCED_TRANSACTION');
  });

  it('shows the command view even when the query API fails', async () => {
    setup(fakeServer().on('GET', '/api/finance/transactions/t1', () => ({ body: { transactionId: 't1', status: 'submitted', lines: [] } })));
    const store = useTransactionsStore();
    await store.loadDetail('t1');
    expect(store.commandView?.status).toBe('submitted');
    expect(store.detailTask.error?.status).toBe(404);
    expect(store.commandViewTask.error).toBeNull();
  });
});

describe('inbox store', () => {
  const item: InboxItem = { workflowId: 'w1', step: 'approve', subject: { kind: 'transaction', id: 't1' }, assignee: null, dueAt: null, overdue: false, startedBy: 'u1', startedAt: null };

  it('approves with a comment and drops the item', async () => {
    const server = fakeServer()
      .on('GET', '/api/query/inbox', () => ({ body: { items: [item], nextCursor: null } }))
      .on('POST', '/api/workflows/instances/w1/steps/approve/approve', () => ({ body: { ok: true } }));
    setup(server);
    const store = useInboxStore();
    await store.load();
    expect(await store.approve(item, 'looks right')).toBe(true);
    expect(store.items).toEqual([]);
    expect(server.requests[1]?.body).toEqual({ comment: 'looks right' });
  });

  it('keeps the item when a rejection fails', async () => {
    setup(fakeServer().on('GET', '/api/query/inbox', () => ({ body: { items: [item], nextCursor: null } })).on('POST', /reject$/, () => problem(422, 'REASON_REQUIRED')));
    const store = useInboxStore();
    await store.load();
    expect(await store.reject(item, '')).toBe(false);
    expect(store.items).toHaveLength(1);
    expect(store.actionTask.error?.code).toBe('REASON_REQUIRED');
  });
});

describe('projections store', () => {
  const status = (over: Partial<ProjectionStatus>): ProjectionStatus => ({ name: 'general_ledger', version: 1, active: null, position: '100', headPosition: '100', lagEvents: '0', lagSeconds: 0, state: 'running', deadLetters: 0, building: [], ...over });

  it('computes build progress from positions', () => {
    expect(buildFraction('50', '200')).toBe(0.25);
    expect(buildFraction(null, '200')).toBeNull();
    expect(buildFraction('5', '0')).toBe(1);
  });

  it('starts a rebuild and polls its progress to completion', async () => {
    const rebuild = (state: string, position: string, error: string | null = null) => ({ name: 'general_ledger', state, position, head: '200', startedAt: '', finishedAt: null, switched: null, error });
    const polls = [rebuild('running', '100'), rebuild('succeeded', '200')];
    const seen: (number | null)[] = [];
    const server = fakeServer()
      .on('POST', '/api/projections/general_ledger/rebuild', () => ({ status: 202, body: rebuild('running', '0') }))
      .on('GET', '/api/projections/general_ledger/rebuild', () => ({ body: polls.shift() }))
      .on('GET', '/api/projections', () => ({ body: { projections: [status({})] } }));
    setup(server);
    const store = useProjectionsStore();
    const phase = await store.rebuild('general_ledger', async () => {
      seen.push(store.progress?.fraction ?? null);
    });
    expect(phase).toBe('done');
    expect(seen).toEqual([0, 0.5]);
    expect(store.progress).toMatchObject({ phase: 'done', fraction: 1, position: '200' });
    expect(server.requests[0]?.headers['idempotency-key']).toEqual(expect.any(String));
    expect(store.projections).toHaveLength(1);
  });

  it('shows why a rebuild failed', async () => {
    setup(
      fakeServer()
        .on('POST', '/api/projections/general_ledger/rebuild', () => ({ status: 202, body: { name: 'general_ledger', state: 'failed', position: '5', head: '9', startedAt: '', finishedAt: '', switched: null, error: 'verification failed' } }))
        .on('GET', '/api/projections', () => ({ body: { projections: [] } })),
    );
    const store = useProjectionsStore();
    expect(await store.rebuild('general_ledger', async () => undefined)).toBe('failed');
    expect(store.progress?.error).toBe('verification failed');
  });

  it('reports a refused rebuild as failed with the problem', async () => {
    setup(fakeServer());
    const store = useProjectionsStore();
    expect(await store.rebuild('general_ledger', async () => undefined)).toBe('failed');
    expect(store.rebuildTask.error?.status).toBe(404);
  });
});

describe('dashboard store', () => {
  it('passes the token as access_token on the stream and reloads after projection events', async () => {
    jest.useFakeTimers();
    try {
      let loads = 0;
      const server = loggedInServer().on('GET', '/api/query/dashboard', () => {
        loads += 1;
        return { body: { month: '2026-03', currency: 'EUR', kpis: { cash: '1', receivables: '2', payables: '3', revenue: '4', expenses: '5' }, monthly: [], openApprovals: 2, projectionLagEvents: 0 } };
      });
      const auth = setup(server);
      await auth.login('accountant', 'right');
      const store = useDashboardStore();
      let url = '';
      const listeners: Record<string, (event: { data?: string }) => void> = {};
      const fake: LiveSource = { addEventListener: (type, listener) => void (listeners[type] = listener), close: () => undefined, onerror: null, onopen: null };
      store.startLive((given) => {
        url = given;
        return fake;
      });
      expect(url).toBe('/api/stream?access_token=access-1');
      listeners.projection?.({ data: JSON.stringify({ name: 'general_ledger', position: '9' }) });
      listeners.projection?.({ data: JSON.stringify({ name: 'general_ledger', position: '10' }) });
      expect(store.live).toBe('live');
      await jest.advanceTimersByTimeAsync(1000);
      expect(loads).toBe(1);
      expect(store.view?.openApprovals).toBe(2);
      expect(store.lastEvent).toEqual({ name: 'general_ledger', position: '10' });
      // A broken stream is reopened after a reload, with the then-current token.
      let opened = 0;
      store.startLive(() => {
        opened += 1;
        return fake;
      });
      fake.onerror?.({});
      expect(store.live).toBe('error');
      await jest.advanceTimersByTimeAsync(6000);
      expect(opened).toBe(2);
      expect(loads).toBe(2);
      store.stopLive();
      expect(store.live).toBe('off');
    } finally {
      jest.useRealTimers();
    }
  });
});
