import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { newTestEvent, uniqueStreamId } from '@neuroerp/infra';
import { post, queryTestBed, type QueryTestBed } from '../test-support';

let bed: QueryTestBed;
const as = (role: string) => ({ 'X-Test-User': `${role}-1`, 'X-Test-Role': role });
const get = (path: string, role = 'guest') => request(bed.app).get(path).set(as(role));

/** Sale and payment pairs: two lines each, so pages cut through transactions. */
function postings(first: number, count: number) {
  return Array.from({ length: count }, (_, index) => {
    const voucherNumber = first + index;
    return { transactionId: `t-${voucherNumber}`, voucherNumber, postingDate: `2026-01-${String(1 + (index % 28)).padStart(2, '0')}`, lines: [['1200', 'debit', String(100 * voucherNumber)], ['8400', 'credit', String(100 * voucherNumber)]] as const };
  });
}

beforeAll(async () => {
  bed = await queryTestBed('qhttp');
});
afterAll(async () => {
  await bed?.close();
});

describe('query API: cross-cutting behaviour', () => {
  it('answers 503 READ_MODEL_NOT_READY before the first build of a read model', async () => {
    const response = await get('/api/query/trial-balance').expect(503);
    expect(response.body).toMatchObject({ code: 'READ_MODEL_NOT_READY', readModels: ['account_balances', 'general_ledger'] });
    expect(response.headers['retry-after']).toBe('1');
  });

  it('keyset pagination walks every ledger line exactly once, with and without a filter', async () => {
    await post(bed.store, postings(1, 37));
    await bed.project();
    const walk = async (query: string, limit: number) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: request.Response = await get(`/api/query/ledger?${query}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`).expect(200);
        seen.push(...response.body.items.map((item: { position: string; lineNumber: number }) => `${item.position}/${item.lineNumber}`));
        expect(response.body.items.length).toBeLessThanOrEqual(limit);
        cursor = response.body.nextCursor;
        pages += 1;
      } while (cursor !== null);
      return { seen, pages };
    };
    const all = await walk('', 7);
    expect(all.seen).toHaveLength(74);
    expect(new Set(all.seen).size).toBe(74);
    expect(all.pages).toBe(11);
    const numeric = all.seen.map((key) => key.split('/').map(Number) as [number, number]);
    expect(numeric).toEqual([...numeric].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    const bank = await walk('account=1200&', 10);
    expect(bank.seen).toEqual(all.seen.filter((key) => key.endsWith('/1')));
    expect((await get('/api/query/ledger').expect(200)).body.items).toHaveLength(50);
    expect((await get('/api/query/ledger?limit=500').expect(200)).body).toMatchObject({ nextCursor: null });
  });

  it.each([
    ['limit above the maximum', '/api/query/ledger?limit=501', 'LIMIT_OUT_OF_RANGE'],
    ['limit zero', '/api/query/ledger?limit=0', 'LIMIT_OUT_OF_RANGE'],
    ['limit not a number', '/api/query/ledger?limit=ten', 'LIMIT_OUT_OF_RANGE'],
    ['forged cursor', '/api/query/ledger?cursor=bm90LWEtY3Vyc29y', 'INVALID_CURSOR'],
    ['cursor of another list', `/api/query/ledger?cursor=${Buffer.from('["2026-01-01","1",1]').toString('base64url')}`, 'INVALID_CURSOR'],
    ['not a calendar date', '/api/query/trial-balance?asOf=2026-02-30', 'INVALID_DATE'],
    ['knownAt not an instant', '/api/query/trial-balance?knownAt=yesterday', 'INVALID_INSTANT'],
    ['month 13', '/api/query/dashboard?month=2026-13', 'INVALID_MONTH'],
    ['amount with letters', '/api/query/ledger?minAmount=12abc', 'INVALID_AMOUNT'],
    ['from after to', '/api/query/ledger?from=2026-03-01&to=2026-02-01', 'INVALID_RANGE'],
    ['min above max', '/api/query/ledger?minAmount=10&maxAmount=1', 'INVALID_RANGE'],
    ['unknown parameter', '/api/query/trial-balance?asof=2026-01-01', 'UNKNOWN_PARAMETER'],
    ['csv where the route has none', '/api/query/dashboard?format=csv', 'UNKNOWN_PARAMETER'],
    ['unknown format', '/api/query/ledger?format=xml', 'VALIDATION_FAILED'],
    ['bad account number', '/api/query/accounts/12ab/statement', 'INVALID_ACCOUNT_NUMBER'],
    ['bad after position', '/api/query/ledger?after=-1', 'INVALID_POSITION'],
    ['unknown open-item kind', '/api/query/reports/open-items?kind=loans', 'VALIDATION_FAILED'],
  ])('400 for %s', async (_name, path, code) => {
    const response = await get(path).expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe(code);
    expect(response.body.issues.length).toBeGreaterThan(0);
  });

  it('401 without an actor, 403 for a role without the permission; guests and auditors read', async () => {
    expect((await request(bed.app).get('/api/query/ledger').expect(401)).body.code).toBe('UNAUTHENTICATED');
    expect((await get('/api/query/users', 'guest').expect(403)).body.code).toBe('FORBIDDEN');
    expect((await get('/api/stream', 'contractor').expect(403)).body.code).toBe('FORBIDDEN');
    await get('/api/query/ledger', 'guest').expect(200);
    await get('/api/query/audit-log', 'auditor').expect(200);
  });

  it('ETag: 304 on If-None-Match until a projection advances', async () => {
    const first = await get('/api/query/trial-balance?asOf=2026-12-31').expect(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const notModified = await get('/api/query/trial-balance?asOf=2026-12-31').set('If-None-Match', etag).expect(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.etag).toBe(etag);
    await get('/api/query/trial-balance?asOf=2026-12-30').set('If-None-Match', etag).expect(200);
    await post(bed.store, postings(100, 1));
    await bed.project();
    const changed = await get('/api/query/trial-balance?asOf=2026-12-31').set('If-None-Match', etag).expect(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('events a read model does not handle move its checkpoint but keep its ETag and cached answer', async () => {
    const path = '/api/query/trial-balance?asOf=2026-11-30';
    const first = await get(path).expect(200);
    const etag = first.headers.etag as string;
    await bed.store.appendToStream(uniqueStreamId('unrelated'), [newTestEvent({ note: 'no ledger read model handles this' }, 'test.unrelated')], {
      expectedVersion: 'no_stream',
    });
    await bed.project();
    // `after=` the new head answers only once both read models' checkpoints have passed the event.
    const afterIt = `${path}&after=${await bed.headPosition()}`;
    await get(afterIt).set('If-None-Match', etag).expect(304);
    const again = await get(afterIt).expect(200);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['x-cache']).toBe('hit (memory)');
    expect(again.body).toEqual(first.body);
  });

  it('response cache: a miss, then a hit; a projection advancing gives a fresh answer', async () => {
    const path = '/api/query/accounts?asOf=2026-12-31';
    const miss = await get(path).expect(200);
    expect(miss.headers['x-cache']).toBe('miss (memory)');
    const hit = await get(path, 'auditor').expect(200);
    expect(hit.headers['x-cache']).toBe('hit (memory)');
    expect(hit.body).toEqual(miss.body);
    const bank = (body: { items: { accountNumber: string; balance: string }[] }) => body.items.find((item) => item.accountNumber === '1200')?.balance;
    await post(bed.store, [{ voucherNumber: 200, postingDate: '2026-06-01', lines: [['1200', 'debit', '12345'], ['8400', 'credit', '12345']] }]);
    const stale = await get(path).expect(200);
    expect(stale.headers['x-cache']).toBe('hit (memory)');
    await bed.project();
    const fresh = await get(path).expect(200);
    expect(fresh.headers['x-cache']).toBe('miss (memory)');
    expect(BigInt(bank(fresh.body)?.replace('.', '') ?? '0') - BigInt(bank(stale.body)?.replace('.', '') ?? '0')).toBe(12345n);
  });

  it('a cached answer or a 304 costs one statement and no transaction; a miss reads in one repeatable-read transaction', async () => {
    const path = '/api/query/accounts?asOf=2026-11-30';
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql.trim().split(/\s+/).slice(0, 2).join(' ').toLowerCase());
    bed.db.on('query', record);
    try {
      const statementsOf = async (send: () => Promise<request.Response>) => {
        statements.length = 0;
        const response = await send();
        return { response, statements: [...statements] };
      };
      const miss = await statementsOf(() => get(path).expect(200));
      expect(miss.response.headers['x-cache']).toBe('miss (memory)');
      // The read models' versions, then a transaction that reads them again and runs the route's query.
      const versions = miss.statements[0];
      expect(versions).toMatch(/^select /);
      expect(miss.statements.slice(1, 3)).toEqual(['begin transaction', versions]);
      expect(miss.statements.length).toBeGreaterThan(4);
      expect(miss.statements.at(-1)).toBe('commit;');
      const hit = await statementsOf(() => get(path).expect(200));
      expect(hit.response.headers['x-cache']).toBe('hit (memory)');
      expect(hit.statements).toEqual([versions]);
      const notModified = await statementsOf(() => get(path).set('If-None-Match', String(miss.response.headers.etag)).expect(304));
      expect(notModified.statements).toEqual([versions]);
    } finally {
      bed.db.off('query', record);
    }
  });

  it('?after= waits for the read models to apply a position (read your writes)', async () => {
    await post(bed.store, [{ transactionId: 'ryw', voucherNumber: 300, postingDate: '2026-07-01', lines: [['1000', 'debit', '700'], ['8400', 'credit', '700']] }]);
    const head = await bed.headPosition();
    const pending = get(`/api/query/ledger?account=1000&after=${head}`).then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await bed.project();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: { transactionId: string }) => item.transactionId)).toEqual(['ryw']);
  });

  it('?after= a position in the log that the read models have not applied answers 503 PROJECTION_BEHIND after 5 s', async () => {
    await post(bed.store, [{ companyId: 'behind', transactionId: 'not-projected', voucherNumber: 1, postingDate: '2026-04-01', lines: [['1200', 'debit', '100'], ['8400', 'credit', '100']] }]);
    const response = await get(`/api/query/ledger?after=${await bed.headPosition()}`).expect(503);
    expect(response.body.code).toBe('PROJECTION_BEHIND');
    await bed.project();
  });

  it('?after= beyond the end of the log is 400 POSITION_NOT_IN_LOG at once', async () => {
    const response = await get(`/api/query/ledger?after=${(await bed.headPosition()) + 1n}`).expect(400);
    expect(response.body.code).toBe('POSITION_NOT_IN_LOG');
  });

  it('trial balance as of a date, as known at an instant (bi-temporal)', async () => {
    const companyId = 'bitemp';
    await post(bed.store, [{ companyId, transactionId: 'sale', voucherNumber: 1, postingDate: '2026-03-15', lines: [['1200', 'debit', '1000'], ['8400', 'credit', '1000']] }]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await post(bed.store, [
      { companyId, transactionId: 'back-dated-fee', voucherNumber: 2, postingDate: '2026-03-10', lines: [['4970', 'debit', '300'], ['1200', 'credit', '300']] },
      { companyId, transactionId: 'reversal', voucherNumber: 3, postingDate: '2026-03-31', reversesTransactionId: 'sale', lines: [['8400', 'debit', '1000'], ['1200', 'credit', '1000']] },
    ]);
    await bed.project();
    const balances = async (query: string) => {
      const response = await get(`/api/query/trial-balance?companyId=${companyId}&${query}`).expect(200);
      return Object.fromEntries(response.body.items.map((item: { accountNumber: string; balance: string }) => [item.accountNumber, item.balance]));
    };
    expect(await balances(`asOf=2026-03-31&knownAt=${between}`)).toEqual({ '1200': '10.00', '8400': '-10.00' });
    expect(await balances('asOf=2026-03-31')).toEqual({ '1200': '-3.00', '4970': '3.00', '8400': '0.00' });
    expect(await balances('asOf=2026-03-20')).toEqual({ '1200': '7.00', '4970': '3.00', '8400': '-10.00' });
    expect(await balances(`asOf=2026-03-20&knownAt=${between}`)).toEqual({ '1200': '10.00', '8400': '-10.00' });
    const response = await get(`/api/query/trial-balance?companyId=${companyId}&asOf=2026-03-31&knownAt=${between}`).expect(200);
    expect(response.body).toMatchObject({ asOf: '2026-03-31', knownAt: between, totals: { debit: '10.00', credit: '10.00' } });
  });

  it('/api/stream sends the positions on connect and a projection event when a projection advances', async () => {
    await bed.project();
    const server = http.createServer(bed.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', headers: as('guest') });
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    try {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      res.setEncoding('utf8');
      let received = '';
      const waitFor = async (pattern: RegExp) => {
        const deadline = Date.now() + 10_000;
        while (!pattern.test(received)) {
          if (Date.now() > deadline) throw new Error(`no ${pattern} in ${received}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      res.on('data', (chunk: string) => {
        received += chunk;
      });
      const head = await bed.headPosition();
      await waitFor(new RegExp(`event: projection\\ndata: \\{"name":"general_ledger","position":"${head}"\\}\\n\\n`));
      await post(bed.store, postings(400, 1));
      await bed.project();
      await waitFor(new RegExp(`event: projection\\ndata: \\{"name":"general_ledger","position":"${head + 1n}"\\}\\n\\n`));
      expect(received).toMatch(/^retry: 2000\n\n/);
    } finally {
      req.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});
