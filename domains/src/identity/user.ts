import type { identity as wire } from '@neuroerp/schemas';
import { assertNever, fail, type Command, type IdentityEventOf } from './types';

/**
 * A user account: stream `identity.user-<userId>`. Created once (with the scrypt hash of the
 * password, never the password), its role changes, and it is deleted for good. Deleting is
 * a fact in the log, not an erasure: the history of who did what stays readable. The user
 * name is made unique by the separate claim stream (./username.ts), which the handler
 * appends to first.
 */

export interface UserState {
  status: 'none' | 'active' | 'deleted';
  userId: string | null;
  username: string | null;
  displayName: string | null;
  role: wire.Role | null;
  passwordHash: string | null;
  createdAt: string | null;
}

export type CreateUser = Command<
  'CreateUser',
  { userId: string; username: string; displayName: string | null; role: wire.Role; passwordHash: string; createdBy: string }
>;
export type ChangeUserRole = Command<'ChangeUserRole', { userId: string; role: wire.Role }>;
export type DeleteUser = Command<'DeleteUser', { userId: string }>;
export type UserCommand = CreateUser | ChangeUserRole | DeleteUser;

export type UserEvent = IdentityEventOf<'identity.user_created' | 'identity.user_role_changed' | 'identity.user_deleted'>;

export function userStreamId(userId: string): string {
  return `identity.user-${userId}`;
}

export function initialState(): UserState {
  return { status: 'none', userId: null, username: null, displayName: null, role: null, passwordHash: null, createdAt: null };
}

export function decide(command: UserCommand, state: UserState): UserEvent[] {
  const { type, metadata } = command;
  switch (type) {
    case 'CreateUser': {
      const { data } = command;
      if (state.status === 'deleted') return fail('USER_DELETED', 'This user was deleted.', { userId: data.userId });
      if (state.status === 'active') {
        // A retried create is no change; the password hash differs on every attempt (fresh salt), so it is not compared.
        if (state.username === data.username && state.role === data.role) return [];
        return fail('USER_EXISTS_WITH_DIFFERENT_DATA', 'A user with this id exists with a different user name or role.', { userId: data.userId });
      }
      return [
        {
          type: 'identity.user_created',
          data: { userId: data.userId, username: data.username, displayName: data.displayName, role: data.role, passwordHash: data.passwordHash, createdBy: data.createdBy, createdAt: metadata.now },
        },
      ];
    }
    case 'ChangeUserRole': {
      const { data } = command;
      const current = activeRole(state, data.userId);
      if (current === data.role) return [];
      if (metadata.actor.userId === data.userId) return fail('CANNOT_CHANGE_OWN_ROLE', 'You cannot change your own role.', { userId: data.userId });
      return [{ type: 'identity.user_role_changed', data: { userId: data.userId, previousRole: current, role: data.role, changedBy: metadata.actor.userId, changedAt: metadata.now } }];
    }
    case 'DeleteUser': {
      const { data } = command;
      if (state.status === 'deleted') return [];
      activeRole(state, data.userId);
      if (metadata.actor.userId === data.userId) return fail('CANNOT_DELETE_SELF', 'You cannot delete your own account.', { userId: data.userId });
      return [{ type: 'identity.user_deleted', data: { userId: data.userId, deletedBy: metadata.actor.userId, deletedAt: metadata.now } }];
    }
    default:
      return assertNever(type);
  }
}

/** Pure; ignores event types it does not know. */
export function evolve(state: UserState, event: { type: string; data: unknown }): UserState {
  const known = event as UserEvent;
  switch (known.type) {
    case 'identity.user_created': {
      const { data } = known;
      return { status: 'active', userId: data.userId, username: data.username, displayName: data.displayName, role: data.role, passwordHash: data.passwordHash, createdAt: data.createdAt };
    }
    case 'identity.user_role_changed':
      return { ...state, role: known.data.role };
    case 'identity.user_deleted':
      return { ...state, status: 'deleted' };
    default:
      return state;
  }
}

function activeRole(state: UserState, userId: string): wire.Role {
  if (state.status !== 'active' || state.role === null) return fail('USER_NOT_FOUND', 'No such user.', { userId });
  return state.role;
}
