import { randomUUID } from 'node:crypto';
import { PostgresLeaderLock } from './leader-lock';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

it('one replica leads; when it lets go (or dies), another takes over', async () => {
  const name = `test.${randomUUID()}`;
  const first = new PostgresLeaderLock(connectionString, name);
  const second = new PostgresLeaderLock(connectionString, name);
  try {
    expect(await first.tryAcquire()).toBe(true);
    expect(await second.tryAcquire()).toBe(false);
    expect(await first.tryAcquire()).toBe(true);
    await first.release();
    expect(await second.tryAcquire()).toBe(true);
    expect(second.held).toBe(true);
    expect(await new PostgresLeaderLock(connectionString, `test.${randomUUID()}`).tryAcquire().then(async (acquired) => acquired)).toBe(true);
  } finally {
    await first.release();
    await second.release();
  }
});
