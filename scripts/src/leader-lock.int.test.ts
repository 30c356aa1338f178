import { randomUUID } from 'node:crypto';
import { connectTestAdmin, countSessions, namedTestConnection, testDatabaseUrl } from '@neuroerp/infra';
import { PostgresLeaderLock } from './leader-lock';

const connectionString = testDatabaseUrl();

it('one replica leads; when it lets go (or dies), another takes over', async () => {
  const name = `test.${randomUUID()}`;
  const first = new PostgresLeaderLock(connectionString, name);
  const second = new PostgresLeaderLock(connectionString, name);
  const other = new PostgresLeaderLock(connectionString, `test.${randomUUID()}`);
  try {
    expect(await first.tryAcquire()).toBe(true);
    expect(await second.tryAcquire()).toBe(false);
    expect(await first.tryAcquire()).toBe(true);
    await first.release();
    expect(await second.tryAcquire()).toBe(true);
    expect(second.held).toBe(true);
    expect(await other.tryAcquire()).toBe(true);
  } finally {
    await Promise.all([first.release(), second.release(), other.release()]);
  }
});

it('a leader whose session ends (a server restart) is told it lost the lock, and another replica takes over', async () => {
  const name = `test.${randomUUID()}`;
  const named = namedTestConnection('leader');
  const leader = new PostgresLeaderLock(named.connectionString, name);
  const replica = new PostgresLeaderLock(connectionString, name);
  const admin = await connectTestAdmin();
  try {
    let losses = 0;
    const lost = new Promise<void>((resolve) =>
      leader.onLost(() => {
        losses += 1;
        resolve();
      }),
    );
    expect(await leader.tryAcquire()).toBe(true);
    expect(await countSessions(admin, named.applicationName)).toBe(1);

    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [named.applicationName]);

    await lost;
    expect(leader.held).toBe(false);
    expect(await replica.tryAcquire()).toBe(true);
    // Releasing what it no longer holds is no second loss.
    await leader.release();
    expect(losses).toBe(1);
  } finally {
    await Promise.all([leader.release(), replica.release(), admin.end()]);
  }
});
