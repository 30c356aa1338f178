import { ApiError, createApiClient, type TokenPair, type TokenSource } from './client';
import { fakeServer, problem } from './fake-server';

function tokens(initial: { access: string | null; refresh: string | null }) {
  const state = { ...initial, updates: [] as (TokenPair | null)[] };
  const source: TokenSource = {
    accessToken: () => state.access,
    refreshToken: () => state.refresh,
    update: (pair) => {
      state.updates.push(pair);
      state.access = pair?.accessToken ?? null;
      state.refresh = pair?.refreshToken ?? null;
    },
  };
  return { state, source };
}

const pair = (n: number): TokenPair => ({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresIn: 3600, refreshExpiresIn: 604800 });

describe('createApiClient', () => {
  it('sends the bearer token and an Idempotency-Key on commands, none on reads', async () => {
    const server = fakeServer().on('GET', '/api/query/x', () => ({ body: { ok: 1 } })).on('POST', '/api/finance/transactions', () => ({ status: 201, body: { position: '7' } }));
    const { source } = tokens({ access: 'access-1', refresh: 'refresh-1' });
    const client = createApiClient({ fetch: server.fetch, tokens: source, newKey: () => 'key-1' });

    await expect(client.get('/api/query/x', { a: 'b', empty: '', none: undefined })).resolves.toEqual({ ok: 1 });
    await expect(client.post('/api/finance/transactions', { transactionId: 't' })).resolves.toEqual({ position: '7' });

    const [read, command] = server.requests;
    expect(read?.headers.authorization).toBe('Bearer access-1');
    expect(read?.headers['idempotency-key']).toBeUndefined();
    expect(read?.query.toString()).toBe('a=b');
    expect(command?.headers['idempotency-key']).toBe('key-1');
    expect(command?.headers['content-type']).toBe('application/json');
    expect(command?.body).toEqual({ transactionId: 't' });
  });

  it('refreshes once on 401 and repeats the command with the same idempotency key', async () => {
    let calls = 0;
    const server = fakeServer()
      .on('POST', '/api/finance/transactions/t/submit', (request) => (request.headers.authorization === 'Bearer access-2' ? { body: { status: 'submitted' } } : problem(401, 'TOKEN_EXPIRED')))
      .on('POST', '/api/auth/refresh', () => {
        calls += 1;
        return { body: pair(2) };
      });
    const { state, source } = tokens({ access: 'access-1', refresh: 'refresh-1' });
    let keys = 0;
    const client = createApiClient({ fetch: server.fetch, tokens: source, newKey: () => `key-${(keys += 1)}` });

    await expect(client.post('/api/finance/transactions/t/submit')).resolves.toEqual({ status: 'submitted' });
    expect(calls).toBe(1);
    expect(state.access).toBe('access-2');
    const attempts = server.requests.filter((request) => request.path.endsWith('/submit'));
    expect(attempts.map((request) => request.headers['idempotency-key'])).toEqual(['key-1', 'key-1']);
  });

  it('shares one refresh between parallel 401s', async () => {
    let refreshes = 0;
    const server = fakeServer()
      .on('GET', /^\/api\/query\//, (request) => (request.headers.authorization === 'Bearer access-2' ? { body: {} } : problem(401, 'TOKEN_EXPIRED')))
      .on('POST', '/api/auth/refresh', async () => {
        refreshes += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { body: pair(2) };
      });
    const { source } = tokens({ access: 'access-1', refresh: 'refresh-1' });
    const client = createApiClient({ fetch: server.fetch, tokens: source });
    await Promise.all([client.get('/api/query/a'), client.get('/api/query/b'), client.get('/api/query/c')]);
    expect(refreshes).toBe(1);
  });

  it('ends the session when the refresh fails', async () => {
    const server = fakeServer().on('GET', '/api/query/a', () => problem(401, 'TOKEN_EXPIRED')).on('POST', '/api/auth/refresh', () => problem(401, 'REFRESH_TOKEN_REUSED'));
    const { state, source } = tokens({ access: 'access-1', refresh: 'refresh-1' });
    let expired = 0;
    const client = createApiClient({ fetch: server.fetch, tokens: source, onSessionExpired: () => (expired += 1) });
    await expect(client.get('/api/query/a')).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    expect(expired).toBe(1);
    expect(state.updates).toEqual([null]);
  });

  it('never refreshes for a failed login', async () => {
    const server = fakeServer().on('POST', '/api/auth/login', () => problem(401, 'INVALID_CREDENTIALS'));
    const { source } = tokens({ access: null, refresh: 'stale' });
    const client = createApiClient({ fetch: server.fetch, tokens: source });
    await expect(client.postAnonymous('/api/auth/login', { username: 'a', password: 'b' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(server.requests.map((request) => request.path)).toEqual(['/api/auth/login']);
    expect(server.requests[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it.each([
    ['problem+json with issues', problem(400, 'VALIDATION_FAILED', 'bad', { issues: [{ location: 'body', path: ['lines', 1, 'amount'], message: 'too precise', code: 'AMOUNT_PRECISION_EXCEEDED' }] }), 'VALIDATION_FAILED', 1],
    ['a business rule', problem(422, 'UNBALANCED_TRANSACTION'), 'UNBALANCED_TRANSACTION', 0],
    ['a plain-text 502', { status: 502, body: undefined, headers: { 'content-type': 'text/plain' } }, 'HTTP_502', 0],
  ])('turns %s into an ApiError with its code', async (_name, answer, code, issues) => {
    const server = fakeServer().on('POST', '/api/x', () => answer);
    const { source } = tokens({ access: 'a', refresh: null });
    const client = createApiClient({ fetch: server.fetch, tokens: source });
    const error = await client.post('/api/x', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(code);
    expect((error as ApiError).issues).toHaveLength(issues);
    if (issues > 0) expect((error as ApiError).issuesAt('lines', 1, 'amount')[0]?.code).toBe('AMOUNT_PRECISION_EXCEEDED');
  });

  it('reports a network failure as NETWORK_ERROR', async () => {
    const { source } = tokens({ access: 'a', refresh: null });
    const client = createApiClient({ fetch: (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch, tokens: source });
    await expect(client.get('/api/query/a')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});
