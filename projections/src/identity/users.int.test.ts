import { randomUUID } from 'node:crypto';
import { deadLetterCount, newEvent, projectToHead, rebuildInSmallBatches } from '../read-model-test-support';
import { createProjectionTestContext, type ProjectionTestContext } from '../test-support';
import { getUser, listUsers, usersProjection } from './users';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projusers');
});
afterAll(async () => {
  await context.dispose();
});

const admin = { userId: randomUUID(), role: 'admin' };
const passwordHash = `scrypt$16384$8$1$${'a'.repeat(22)}$${'b'.repeat(43)}`;
const ids = { alice: randomUUID(), bob: randomUUID(), carol: randomUUID() };
const stream = (userId: string) => `identity.user-${userId}`;

function created(userId: string, username: string, role: string, at: string) {
  return newEvent('identity.user_created', { userId, username, displayName: username.toUpperCase(), role, passwordHash, createdBy: admin.userId, createdAt: at }, admin);
}

describe('users read model', () => {
  it('given created, role-changed and deleted users: rows with user name, role and status (never a password hash), listed by name and rebuilt equal', async () => {
    await context.store.appendToStream(
      stream(ids.bob),
      [created(ids.bob, 'bob', 'user', '2026-01-02T08:00:00.000Z'), newEvent('identity.user_role_changed', { userId: ids.bob, previousRole: 'user', role: 'approver', changedBy: admin.userId, changedAt: '2026-01-03T08:00:00.000Z' }, admin)],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(stream(ids.alice), [created(ids.alice, 'alice', 'accountant', '2026-01-01T08:00:00.000Z')], { expectedVersion: 'no_stream' });
    await context.store.appendToStream(
      stream(ids.carol),
      [created(ids.carol, 'carol', 'auditor', '2026-01-04T08:00:00.000Z'), newEvent('identity.user_deleted', { userId: ids.carol, deletedBy: admin.userId, deletedAt: '2026-01-05T08:00:00.000Z' }, admin)],
      { expectedVersion: 'no_stream' },
    );
    // Login sessions are not users: the projection does not even read them.
    await context.store.appendToStream(
      `identity.refresh_family-${randomUUID()}`,
      [newEvent('identity.user_logged_in', { familyId: randomUUID(), userId: ids.alice, tokenHash: 'e'.repeat(64), loggedInAt: '2026-01-06T08:00:00.000Z', expiresAt: '2026-01-07T08:00:00.000Z' }, admin)],
      { expectedVersion: 'no_stream' },
    );
    await projectToHead(context, [usersProjection]);

    expect(await getUser(context.db, context.controlSchema, ids.bob)).toEqual({
      userId: ids.bob,
      username: 'bob',
      displayName: 'BOB',
      role: 'approver',
      status: 'active',
      createdAt: '2026-01-02T08:00:00.000Z',
      createdBy: admin.userId,
      updatedAt: '2026-01-03T08:00:00.000Z',
      updatedBy: admin.userId,
    });
    expect(await getUser(context.db, context.controlSchema, ids.carol)).toMatchObject({ status: 'deleted', role: 'auditor', updatedAt: '2026-01-05T08:00:00.000Z' });
    expect(await getUser(context.db, context.controlSchema, randomUUID())).toBeNull();
    const schema = (await context.db.raw(`select schema_name from "${context.controlSchema}".projection_active_versions where name = 'users'`)).rows[0].schema_name as string;
    const columns = await context.db.raw(`select column_name from information_schema.columns where table_schema = ? and table_name = 'users'`, [schema]);
    expect((columns.rows as { column_name: string }[]).map((row) => row.column_name)).not.toContain('password_hash');

    const names = async (query: Omit<Parameters<typeof listUsers>[2], 'limit'>) => (await listUsers(context.db, context.controlSchema, { limit: 50, ...query })).items.map((user) => user.username);
    expect(await names({})).toEqual(['alice', 'bob', 'carol']);
    expect(await names({ status: 'active' })).toEqual(['alice', 'bob']);
    expect(await names({ role: 'approver' })).toEqual(['bob']);
    const first = await listUsers(context.db, context.controlSchema, { limit: 2 });
    expect(first.next).toEqual({ username: 'bob', userId: ids.bob });
    expect((await listUsers(context.db, context.controlSchema, { limit: 2, after: first.next ?? undefined })).items.map((user) => user.username)).toEqual(['carol']);
    expect(await deadLetterCount(context, 'users')).toBe(0);

    const rebuilt = await rebuildInSmallBatches(context, usersProjection);
    expect(rebuilt.verification.outcome).toBe('equal');
    expect(rebuilt.verification.tables[0]).toMatchObject({ table: 'users', liveRows: 3, rebuiltRows: 3 });
    expect(rebuilt.switched).toBe(true);
  });
});
