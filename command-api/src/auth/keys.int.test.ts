import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSigningKey, SIGNING_KEY_FILE, SigningKeyError } from './keys';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'neuroerp-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('signing key', () => {
  it('is generated once with mode 0600 in a 0700 directory and loaded on later starts', async () => {
    const keysDir = path.join(dir, 'keys');
    const first = await loadSigningKey({ keysDir });
    expect(first.source).toBe('generated');
    expect(statSync(path.join(keysDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
    const second = await loadSigningKey({ keysDir });
    expect(second).toMatchObject({ source: 'loaded', key: { kid: first.key.kid } });
  });

  it('two processes starting at once end up with the same key', async () => {
    const keysDir = path.join(dir, 'keys');
    const [a, b] = await Promise.all([loadSigningKey({ keysDir }), loadSigningKey({ keysDir })]);
    expect(a.key.kid).toBe(b.key.kid);
  });

  it('tightens a key file readable by others to 0600', async () => {
    const keysDir = path.join(dir, 'keys');
    await loadSigningKey({ keysDir });
    chmodSync(path.join(keysDir, SIGNING_KEY_FILE), 0o644);
    await loadSigningKey({ keysDir });
    expect(statSync(path.join(keysDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('takes a configured PEM (with \\n escapes) and publishes only the public part', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const loaded = await loadSigningKey({ privateKeyPem: privateKey.replace(/\n/g, '\\n'), keysDir: path.join(dir, 'unused') });
    expect(loaded).toMatchObject({ source: 'configured', file: null, key: { publicJwk: { kty: 'RSA', alg: 'RS256', use: 'sig' } } });
    expect(loaded.key.publicJwk).not.toHaveProperty('d');
  });

  it.each([
    ['not a PEM', '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----'],
    ['an EC key', generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey],
    ['a 1024-bit RSA key', generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey],
  ])('refuses %s', async (_case, pem) => {
    await expect(loadSigningKey({ privateKeyPem: pem, keysDir: dir })).rejects.toBeInstanceOf(SigningKeyError);
  });
});
