import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSigningKey, type SigningKey } from './keys';
import { TokenService } from './tokens';

describe('TokenService: verified access tokens are cached without changing any outcome', () => {
  let keysDir: string;
  let key: SigningKey;
  let nowMs = Date.parse('2026-12-02T10:00:00Z');
  const clock = () => new Date(nowMs);

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-tokens-'));
    ({ key } = await loadSigningKey({ keysDir }));
  });
  afterAll(async () => {
    await rm(keysDir, { recursive: true, force: true });
  });

  it('answers a repeated verification from the cache, and still refuses the token once it expired', async () => {
    const service = new TokenService({ key, issuer: 'neuroerp', accessTokenTtlSeconds: 60, clock });
    const { token } = await service.issueAccessToken({ userId: randomUUID(), role: 'accountant', sessionId: randomUUID() });
    const first = await service.verifyAccessToken(token);
    const second = await service.verifyAccessToken(token);
    expect(second).toBe(first);
    expect(second).toMatchObject({ role: 'accountant' });

    nowMs += 60_000 + 6_000; // past exp plus the 5 s clock tolerance
    await expect(service.verifyAccessToken(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('a tampered copy of a cached token is verified on its own and refused', async () => {
    const service = new TokenService({ key, issuer: 'neuroerp', accessTokenTtlSeconds: 60, clock });
    const { token } = await service.issueAccessToken({ userId: randomUUID(), role: 'guest', sessionId: randomUUID() });
    await service.verifyAccessToken(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;
    await expect(service.verifyAccessToken(forged)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('a token is not taken from the cache of another service (another key or issuer)', async () => {
    const issuer = new TokenService({ key, issuer: 'neuroerp', accessTokenTtlSeconds: 60, clock });
    const other = new TokenService({ key, issuer: 'somebody-else', accessTokenTtlSeconds: 60, clock });
    const { token } = await issuer.issueAccessToken({ userId: randomUUID(), role: 'admin', sessionId: randomUUID() });
    await issuer.verifyAccessToken(token);
    await expect(other.verifyAccessToken(token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
