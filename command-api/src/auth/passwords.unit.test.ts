import { identity as wire } from '@neuroerp/schemas';
import { hashPassword, verifyPassword } from './passwords';
import { roles } from './permissions';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('passwords', () => {
  it('hash with a fresh salt each time and verify; a wrong password or a tampered hash fails', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse 42', cheap), hashPassword('correct horse 42', cheap)]);
    expect(a).toMatch(wire.PASSWORD_HASH_PATTERN);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse 42', a)).toBe(true);
    expect(await verifyPassword('correct horse 43', a)).toBe(false);
    expect(await verifyPassword('correct horse 42', a.replace('scrypt$1024', 'scrypt$2048'))).toBe(false);
    expect(await verifyPassword('correct horse 42', 'bcrypt$whatever')).toBe(false);
    expect(await verifyPassword('correct horse 42', `scrypt$${2 ** 30}$8$1$c2FsdHNhbHRzYWx0c2FsdA$${'A'.repeat(43)}`)).toBe(false);
  });

  it('treat composed and decomposed Unicode as the same password (NFC)', async () => {
    const hash = await hashPassword('Grüße aus Köln 1', cheap);
    expect(await verifyPassword('Gru\u0308ße aus Ko\u0308ln 1', hash)).toBe(true);
  });

  it.each([
    ['short1', ['at least 12 characters']],
    ['onlylettershere', ['at least one digit, space or symbol']],
    ['123456789012', ['at least one letter']],
    ['demo-admin-2026!', []],
    ['correct horse battery', []],
  ])('policy for %j', (password, violations) => {
    expect(wire.passwordPolicyViolations(password)).toEqual(violations);
  });

  it('knows the same roles as the permission table', () => {
    expect([...wire.ROLES].sort()).toEqual([...roles].sort());
  });
});
