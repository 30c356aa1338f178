import { createPinia, setActivePinia } from 'pinia';
import { createApiClient } from '../api/client';
import { fakeServer, problem, type FakeServer } from '../api/fake-server';
import { installApiClient } from '../api/instance';
import { permits, useAuthStore } from './auth';
import { INALTERABILITY_REPORT_PATH, sealIntact, useInalterabilityStore, type InalterabilityReport, type SealReportEntry } from './inalterability';

function setup(server: FakeServer) {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  installApiClient(createApiClient({ fetch: server.fetch, tokens: auth.tokenSource }));
  return auth;
}

/** The permissions command-api/src/auth/permissions.ts gives the auditor. */
const AUDITOR = ['finance:read', 'documents:read', 'workflows:read', 'audit:read', 'users:read'];
const WRITES = ['finance:write', 'finance:post', 'finance:approve', 'finance:reverse', 'documents:write', 'periods:manage', 'periods:close', 'projections:manage', 'workflows:act'];

function auditorServer(): FakeServer {
  return fakeServer()
    .on('POST', '/api/auth/login', () => ({ body: { tokenType: 'Bearer', accessToken: 'a-aud', expiresIn: 60, refreshToken: 'r-aud', refreshExpiresIn: 60, user: { userId: 'u-aud', username: 'auditor', role: 'auditor' } } }))
    .on('GET', '/api/auth/verify', () => ({ body: { active: true, userId: 'u-aud', role: 'auditor', permissions: AUDITOR } }));
}

const emptyReport: InalterabilityReport = {
  generatedAt: '2026-12-02T10:00:00.000Z',
  verification: { ok: true, eventsChecked: 42, headPosition: '42', headHash: 'ab'.repeat(32), chain: 'hash chain intact: 42 events', sealProblems: [] },
  periods: Array.from({ length: 12 }, (_, index) => ({ companyId: 'c', year: 2026, period: index + 1, status: 'open' as const, closedAt: null, closedBy: null, sealPosition: null })),
  seals: [],
  reopenEvents: [],
};

const seal: SealReportEntry = {
  companyId: 'c',
  year: 2026,
  period: 1,
  position: '30',
  kid: 'seal-2026',
  chainHeadPosition: '29',
  chainHeadHash: 'cd'.repeat(32),
  merkleRoot: 'ef'.repeat(32),
  sealedAt: '2026-02-01T00:00:00.000Z',
  signatureValid: true,
  merkleRootValid: true,
  chainHeadValid: true,
  closeEventValid: true,
  closingBalances: [],
  asKnownAtMatches: true,
  laterCorrections: [{ transactionId: 't9', globalPosition: '40', period: 3, postingDate: '2026-03-02', voucherNumber: 9, kind: 'reversal_of_sealed_posting', reversesTransactionId: 't1', reason: 'wrong account' }],
};

describe('permissions', () => {
  it('permits only listed permissions, and anything without a requirement', () => {
    expect(permits(AUDITOR, 'audit:read')).toBe(true);
    expect(permits(AUDITOR, 'finance:write')).toBe(false);
    expect(permits([], undefined)).toBe(true);
    expect(permits([], '')).toBe(true);
  });

  it('gives the auditor every read and no write (GoBD Z1)', async () => {
    const auth = setup(auditorServer());
    expect(auth.can('finance:read')).toBe(false); // logged out: nothing
    await expect(auth.login('auditor', 'x')).resolves.toBe(true);
    expect(auth.permissions).toEqual(AUDITOR);
    expect(auth.can('audit:read')).toBe(true);
    expect(auth.can('finance:read')).toBe(true);
    for (const permission of WRITES) expect(auth.can(permission)).toBe(false);
    await auth.logout();
    expect(auth.can('audit:read')).toBe(false);
    expect(auth.permissions).toEqual([]);
  });

  it('re-reads the permissions of a restored token', async () => {
    const auth = setup(auditorServer());
    auth.tokenSource.update({ accessToken: 'a-aud', refreshToken: 'r-aud', expiresIn: 1, refreshExpiresIn: 1 });
    expect(auth.can('audit:read')).toBe(false);
    await auth.loadPermissions();
    expect(auth.can('audit:read')).toBe(true);
    expect(auth.user?.role).toBe('auditor');
  });
});

describe('inalterability store', () => {
  it('says that nothing is sealed while no period is closed', async () => {
    const server = fakeServer().on('GET', INALTERABILITY_REPORT_PATH, () => ({ body: emptyReport }));
    setup(server);
    const store = useInalterabilityStore();
    await store.load();
    expect(store.task.error).toBeNull();
    expect(store.report?.verification.ok).toBe(true);
    expect(store.nothingSealed).toBe(true);
    expect(store.closedPeriods).toEqual([]);
    expect(store.corrections).toEqual([]);
  });

  it('lists sealed periods and the later corrections with the seal they affect', async () => {
    const report: InalterabilityReport = {
      ...emptyReport,
      periods: emptyReport.periods.map((p) => (p.period === 1 ? { ...p, status: 'closed', closedAt: '2026-02-01T00:00:00.000Z', closedBy: 'u-acc', sealPosition: '30' } : p)),
      seals: [seal],
      reopenEvents: [{ companyId: 'c', year: 2026, period: 2, position: '35', reopenedBy: 'u-adm', reopenedAt: '2026-03-01T00:00:00.000Z', reason: 'late invoice' }],
    };
    setup(fakeServer().on('GET', INALTERABILITY_REPORT_PATH, () => ({ body: report })));
    const store = useInalterabilityStore();
    await store.load();
    expect(store.nothingSealed).toBe(false);
    expect(store.closedPeriods.map((p) => p.period)).toEqual([1]);
    expect(store.corrections).toEqual([expect.objectContaining({ transactionId: 't9', sealedPeriod: 1, sealedYear: 2026, sealPosition: '30' })]);
    expect(sealIntact(seal)).toBe(true);
    expect(sealIntact({ ...seal, signatureValid: false })).toBe(false);
  });

  it('keeps a 403 for roles without audit:read', async () => {
    setup(fakeServer().on('GET', INALTERABILITY_REPORT_PATH, () => problem(403, 'FORBIDDEN')));
    const store = useInalterabilityStore();
    await store.load();
    expect(store.report).toBeNull();
    expect(store.task.error?.code).toBe('FORBIDDEN');
  });

  it('downloads the CSV with the token as a blob', async () => {
    const server = fakeServer().on('GET', INALTERABILITY_REPORT_PATH, () => ({ body: 'record,company_id', headers: { 'content-type': 'text/csv' } }));
    const auth = setup(server);
    auth.tokenSource.update({ accessToken: 'a-aud', refreshToken: 'r', expiresIn: 1, refreshExpiresIn: 1 });
    const store = useInalterabilityStore();
    const saved: string[] = [];
    await expect(store.downloadCsv((name) => saved.push(name))).resolves.toBe(true);
    expect(saved).toEqual(['inalterability-report.csv']);
    expect(server.requests[0]?.query.get('format')).toBe('csv');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer a-aud');
  });

  it('keeps the problem of a failed CSV download', async () => {
    setup(fakeServer().on('GET', INALTERABILITY_REPORT_PATH, () => problem(403, 'FORBIDDEN')));
    const store = useInalterabilityStore();
    await expect(store.downloadCsv(() => undefined)).resolves.toBe(false);
    expect(store.downloadTask.error?.code).toBe('FORBIDDEN');
  });
});
