import type { Knex } from 'knex';
import { identity } from '@neuroerp/schemas';
import { assertPageSize } from '../ledger/shared';
import { activeSchema } from '../runtime/control';
import { parseEventData as parseData } from '../runtime/event-data';
import type { Projection } from '../runtime/projection';
import { isoInstant, replaceOnConflict, writeRows, type Page } from '../runtime/rows';

export const USER_CREATED = 'identity.user_created';
export const USER_ROLE_CHANGED = 'identity.user_role_changed';
export const USER_DELETED = 'identity.user_deleted';

interface UserRow {
  user_id: string;
  username: string;
  display_name: string | null;
  role: string;
  status: 'active' | 'deleted';
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  updated_position: string;
}

const USER_COLUMNS = ['user_id', 'username', 'display_name', 'role', 'status', 'created_at', 'created_by', 'updated_at', 'updated_by', 'updated_position'] as const satisfies readonly (keyof UserRow)[];

const instant = isoInstant;
const SELECT_ROW = `user_id, username, display_name, role, status, ${instant('created_at')}, created_by, ${instant('updated_at')}, updated_by, updated_position::text as updated_position`;

/**
 * Users (from `identity.user-<userId>` streams): user name, display name, role and whether the
 * account still exists. Never a password hash: the read model has no use for it.
 */
export const usersProjection: Projection = {
  name: 'users',
  version: 1,
  handles: [USER_CREATED, USER_ROLE_CHANGED, USER_DELETED],
  tables: [{ name: 'users', orderBy: ['user_id'] }],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".users (
        user_id text primary key,
        username text not null,
        display_name text,
        role text not null,
        status text not null check (status in ('active', 'deleted')),
        created_at timestamptz not null,
        created_by text not null,
        updated_at timestamptz not null,
        updated_by text not null,
        updated_position bigint not null
      );
      create index on "${schema}".users (username, user_id);
      create index on "${schema}".users (status, username, user_id);
      create index on "${schema}".users (role, username, user_id);
    `);
  },
  async apply(events, { tx, schema }) {
    const ids = [...new Set(events.map((event) => String((event.data as { userId?: unknown } | null)?.userId)))];
    const loaded = await tx.raw(`select ${SELECT_ROW} from "${schema}".users where user_id = any(?)`, [ids]);
    const rows = new Map((loaded.rows as UserRow[]).map((row) => [row.user_id, row]));
    const changed = new Set<string>();
    for (const event of events) {
      const position = event.globalPosition.toString();
      if (event.type === USER_CREATED) {
        const created = parseData(event, identity.userCreatedSchema);
        if (rows.has(created.userId)) continue;
        rows.set(created.userId, {
          user_id: created.userId,
          username: created.username,
          display_name: created.displayName,
          role: created.role,
          status: 'active',
          created_at: created.createdAt,
          created_by: created.createdBy,
          updated_at: created.createdAt,
          updated_by: created.createdBy,
          updated_position: position,
        });
        changed.add(created.userId);
        continue;
      }
      const userId = String((event.data as { userId?: unknown } | null)?.userId);
      const row = rows.get(userId);
      if (row === undefined) throw new Error(`${event.type} at ${position}: user ${userId} was never created`);
      if (BigInt(row.updated_position) >= event.globalPosition) continue;
      if (event.type === USER_ROLE_CHANGED) {
        const changedRole = parseData(event, identity.userRoleChangedSchema);
        Object.assign(row, { role: changedRole.role, updated_at: changedRole.changedAt, updated_by: changedRole.changedBy });
      } else if (event.type === USER_DELETED) {
        const deleted = parseData(event, identity.userDeletedSchema);
        Object.assign(row, { status: 'deleted', updated_at: deleted.deletedAt, updated_by: deleted.deletedBy });
      } else {
        throw new Error(`users projection: unexpected event type ${event.type}`);
      }
      row.updated_position = position;
      changed.add(userId);
    }
    const written = [...changed].map((id) => rows.get(id) as UserRow);
    await writeRows(tx, schema, 'users', USER_COLUMNS, written, replaceOnConflict(['user_id'], USER_COLUMNS));
  },
};

export interface UserSummary {
  userId: string;
  username: string;
  displayName: string | null;
  role: string;
  status: 'active' | 'deleted';
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** The keyset of the user list: user name, then user id (a name may come back after a delete). */
export interface UserCursor {
  username: string;
  userId: string;
}

function toSummary(row: UserRow): UserSummary {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    status: row.status,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** One page of users in user-name order, optionally of one status or role. */
export async function listUsers(
  db: Knex,
  controlSchema: string,
  query: { status?: 'active' | 'deleted'; role?: string; after?: UserCursor; limit: number },
): Promise<Page<UserSummary, UserCursor>> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, usersProjection.name);
  const conditions: string[] = [];
  const bindings: string[] = [];
  if (query.status !== undefined) {
    conditions.push('status = ?');
    bindings.push(query.status);
  }
  if (query.role !== undefined) {
    conditions.push('role = ?');
    bindings.push(query.role);
  }
  if (query.after !== undefined) {
    conditions.push('(username, user_id) > (?, ?)');
    bindings.push(query.after.username, query.after.userId);
  }
  const where = conditions.length === 0 ? '' : `where ${conditions.join(' and ')}`;
  const result = await db.raw(`select ${SELECT_ROW} from "${schema}".users ${where} order by username, user_id limit ?`, [...bindings, query.limit + 1]);
  const rows = result.rows as UserRow[];
  const items = rows.slice(0, query.limit).map(toSummary);
  const last = items[items.length - 1];
  return { items, next: rows.length > query.limit && last !== undefined ? { username: last.username, userId: last.userId } : null };
}

/** One user by id (also a deleted one), or null. */
export async function getUser(db: Knex, controlSchema: string, userId: string): Promise<UserSummary | null> {
  const schema = await activeSchema(db, controlSchema, usersProjection.name);
  const result = await db.raw(`select ${SELECT_ROW} from "${schema}".users where user_id = ?`, [userId]);
  const row = (result.rows as UserRow[])[0];
  return row === undefined ? null : toSummary(row);
}

/**
 * The user names of `userIds` in one statement (also of deleted users); ids without a user
 * (e.g. `system`) are absent from the map.
 */
export async function usernamesByIds(db: Knex, controlSchema: string, userIds: Iterable<string>): Promise<Map<string, string>> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Map();
  const schema = await activeSchema(db, controlSchema, usersProjection.name);
  const result = await db.raw(`select user_id, username from "${schema}".users where user_id = any(?::text[])`, [ids]);
  return new Map((result.rows as { user_id: string; username: string }[]).map((row) => [row.user_id, row.username]));
}
