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
import { DECISION_WAIT_MS_MAX, useTransactionsStore } from './transactions';
import { useDocumentsStore } from './documents';
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
    expect(store.workflow).toBeNull();
    expect(store.workflowTask.error).toBeNull();
  });

  const hash = 'b'.repeat(64);
  const workflow = {
    workflowId: 'wf1',
    definitionKey: 'transaction-approval',
    definitionVersion: 1,
    subject: { kind: 'transaction', id: 't1' },
    subjectHash: hash,
    status: 'running',
    startedBy: 'u1',
    startedAt: null,
    completedBy: null,
    completedAt: null,
    reason: null,
    currentStep: 'approve',
    assignee: { role: 'approver' },
    dueAt: null,
    escalated: false,
    updatedAt: '',
    updatedPosition: '10',
    escalationRole: 'admin',
    steps: [{ index: 0, name: 'approve', assignee: { role: 'approver' }, dueDuration: 'P2D', onReject: 'reject_workflow', status: 'active', assignedAt: null, dueAt: null, escalated: false, decision: null, actedBy: null, actedAt: null, comment: null, subjectHash: hash }],
  };

  function workflowServer(statuses: string[]) {
    let polls = 0;
    return fakeServer()
      .on('GET', '/api/query/transactions/t1', () => ({ body: { transactionId: 't1', status: 'submitted', lines: [], approvals: [], history: [] } }))
      .on('GET', '/api/finance/transactions/t1', () => ({ body: { transactionId: 't1', status: statuses[Math.min(polls++, statuses.length - 1)], lines: [] } }))
      .on('GET', '/api/query/workflows', (request) => ({ body: { items: request.query.get('subjectId') === 't1' ? [workflow] : [], nextCursor: null } }))
      .on('GET', '/api/query/workflows/wf1', () => ({ body: workflow }))
      .on('POST', '/api/workflows/instances/wf1/steps/approve/approve', () => ({ body: { workflowId: 'wf1', position: '77' } }))
      .on('POST', '/api/workflows/instances/wf1/steps/approve/reject', () => ({ body: { workflowId: 'wf1', position: '78' } }));
  }

  it('approves through the running workflow step with its subject hash, then waits for the process managers', async () => {
    const server = workflowServer(['submitted', 'submitted', 'submitted', 'approved']);
    setup(server);
    const store = useTransactionsStore();
    await store.loadDetail('t1');
    expect(store.workflow?.workflowId).toBe('wf1');
    const workflowQuery = server.requests.find((request) => request.path === '/api/query/workflows');
    expect(workflowQuery?.query.get('subjectKind')).toBe('transaction');
    expect(workflowQuery?.query.get('status')).toBe('running');

    expect(await store.decide('t1', 'approve', 'ok')).toBe('workflow');
    const approve = server.requests.find((request) => request.method === 'POST');
    expect(approve?.path).toBe('/api/workflows/instances/wf1/steps/approve/approve');
    expect(approve?.body).toEqual({ subjectHash: hash, comment: 'ok' });
    expect(approve?.headers['idempotency-key']).toBeTruthy();
    expect(server.requests.some((request) => request.path === '/api/finance/transactions/t1/approve')).toBe(false);
    expect(store.lastPosition).toBe('77');

    let clock = 0;
    const sleeps: number[] = [];
    const status = await store.awaitStatusChange('t1', 'submitted', async (ms) => {
      sleeps.push(ms);
      clock += ms;
    }, () => clock);
    expect(status).toBe('approved');
    expect(sleeps.length).toBeGreaterThan(0);
    expect(store.awaitingProcess).toBe(false);
    // The page data is reloaded after the change, reading after the decision's position.
    const reads = server.requests.filter((request) => request.path === '/api/query/transactions/t1');
    expect(reads.at(-1)?.query.get('after')).toBe('77');
  });

  it('gives up waiting after the maximum wait and says so', async () => {
    setup(workflowServer(['submitted']));
    const store = useTransactionsStore();
    let clock = 0;
    const status = await store.awaitStatusChange('t1', 'submitted', async (ms) => {
      clock += ms;
    }, () => clock);
    expect(status).toBeNull();
    expect(clock).toBeGreaterThanOrEqual(DECISION_WAIT_MS_MAX);
  });

  it('rejects through the workflow step with the reason', async () => {
    const server = workflowServer(['submitted']);
    setup(server);
    const store = useTransactionsStore();
    await store.loadDetail('t1');
    expect(await store.decide('t1', 'reject', ' wrong account ')).toBe('workflow');
    const reject = server.requests.find((request) => request.method === 'POST');
    expect(reject?.path).toBe('/api/workflows/instances/wf1/steps/approve/reject');
    expect(reject?.body).toEqual({ reason: 'wrong account' });
  });

  it("falls back to the ledger's approve without a workflow", async () => {
    const server = fakeServer()
      .on('GET', '/api/query/transactions/t2', () => ({ body: { transactionId: 't2', status: 'submitted', lines: [], approvals: [], history: [] } }))
      .on('GET', '/api/finance/transactions/t2', () => ({ body: { transactionId: 't2', status: 'submitted', lines: [] } }))
      .on('GET', '/api/query/workflows', () => ({ body: { items: [], nextCursor: null } }))
      .on('POST', '/api/finance/transactions/t2/approve', () => ({ body: { transactionId: 't2', status: 'approved', position: '90', lines: [] } }));
    setup(server);
    const store = useTransactionsStore();
    await store.loadDetail('t2');
    expect(store.workflow).toBeNull();
    expect(await store.decide('t2', 'approve', '')).toBe('ledger');
    expect(store.commandView?.status).toBe('approved');
    expect(store.lastPosition).toBe('90');
  });

  it('treats a caller without workflows:read as having no workflow', async () => {
    setup(
      fakeServer()
        .on('GET', '/api/finance/transactions/t3', () => ({ body: { transactionId: 't3', status: 'submitted', lines: [] } }))
        .on('GET', '/api/query/workflows', () => problem(403, 'FORBIDDEN')),
    );
    const store = useTransactionsStore();
    await store.loadDetail('t3');
    expect(store.workflow).toBeNull();
    expect(store.workflowTask.error).toBeNull();
  });
});

describe('inbox store', () => {
  const item: InboxItem = {
    workflowId: 'w1',
    step: 'approve',
    stepName: 'approve',
    stepIndex: 0,
    definitionKey: 'transaction-approval',
    definitionVersion: 1,
    subject: { kind: 'transaction', id: 't1' },
    assignee: { role: 'approver' },
    assignedAt: '2026-03-01T10:00:00.000Z',
    dueAt: null,
    overdue: false,
    escalated: false,
    startedBy: 'u1',
    startedAt: null,
    subjectHash: 'a'.repeat(64),
  };

  it('approves with the subject hash and a comment, with an idempotency key, and drops the item', async () => {
    const server = fakeServer()
      .on('GET', '/api/query/inbox', () => ({ body: { items: [item], nextCursor: null } }))
      .on('POST', '/api/workflows/instances/w1/steps/approve/approve', () => ({ body: { workflowId: 'w1', position: '42' } }));
    setup(server);
    const store = useInboxStore();
    await store.load();
    expect(await store.approve(item, ' looks right ')).toBe(true);
    expect(store.items).toEqual([]);
    expect(server.requests[1]?.body).toEqual({ subjectHash: 'a'.repeat(64), comment: 'looks right' });
    expect(server.requests[1]?.headers['idempotency-key']).toBeTruthy();
    expect(store.lastPosition).toBe('42');
    // The next load reads after the decision.
    await store.load();
    expect(server.requests[2]?.query.get('after')).toBe('42');
  });

  it('leaves out an empty comment and sends the reason of a rejection', async () => {
    const server = fakeServer()
      .on('GET', '/api/query/inbox', () => ({ body: { items: [item, { ...item, workflowId: 'w2' }], nextCursor: null } }))
      .on('POST', /\/approve$/, () => ({ body: {} }))
      .on('POST', /\/reject$/, () => ({ body: {} }));
    setup(server);
    const store = useInboxStore();
    await store.load();
    expect(await store.approve(item, '  ')).toBe(true);
    expect(server.requests[1]?.body).toEqual({ subjectHash: 'a'.repeat(64) });
    expect(await store.reject({ ...item, workflowId: 'w2' }, 'wrong account')).toBe(true);
    expect(server.requests[2]?.path).toBe('/api/workflows/instances/w2/steps/approve/reject');
    expect(server.requests[2]?.body).toEqual({ reason: 'wrong account' });
    expect(store.items).toEqual([]);
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

describe('documents store', () => {
  it('downloads an attachment with the token as a blob under its file name', async () => {
    const server = fakeServer().on('GET', '/api/documents/d1/attachments/abc', () => ({ body: 'PDF', headers: { 'content-type': 'application/pdf' } }));
    const auth = setup(server);
    auth.tokenSource.update({ accessToken: 'access-9', refreshToken: 'r', expiresIn: 1, refreshExpiresIn: 1 });
    const store = useDocumentsStore();
    const saved: { name: string; size: number }[] = [];
    const ok = await store.download('d1', { sha256: 'abc', fileName: 'invoice.pdf', contentType: 'application/pdf', size: 3 }, (name, blob) => saved.push({ name, size: blob.size }));
    expect(ok).toBe(true);
    expect(saved).toEqual([{ name: 'invoice.pdf', size: 5 }]);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer access-9');
    expect(store.downloading).toBeNull();
  });

  it('keeps the problem of a failed download', async () => {
    setup(fakeServer().on('GET', /attachments/, () => problem(404, 'ATTACHMENT_NOT_FOUND')));
    const store = useDocumentsStore();
    expect(await store.download('d1', { sha256: 'abc', fileName: 'x.pdf', contentType: 'application/pdf', size: 1 }, () => undefined)).toBe(false);
    expect(store.downloadTask.error?.code).toBe('ATTACHMENT_NOT_FOUND');
  });
});
