import { DeciderSpecification } from '../testing/decider-spec';
import * as user from './user';
import * as username from './username';
import type { CommandMetadata } from './types';

const NOW = '2026-01-10T09:00:00.000Z';
const USER_ID = '00000000-0000-4000-8000-000000000001';
const ADMIN_ID = '00000000-0000-4000-8000-0000000000ad';
const HASH = `scrypt$32768$8$1$${'s'.repeat(22)}$${'h'.repeat(43)}`;
const meta = (userId = ADMIN_ID, role = 'admin'): CommandMetadata => ({ actor: { userId, role }, now: NOW });

const users = DeciderSpecification.for(user);
const names = DeciderSpecification.for(username);

const create = (overrides: Partial<user.CreateUser['data']> = {}): user.CreateUser => ({
  type: 'CreateUser',
  data: { userId: USER_ID, username: 'alice', displayName: null, role: 'accountant', passwordHash: HASH, createdBy: ADMIN_ID, ...overrides },
  metadata: meta(),
});
const created: user.UserEvent = {
  type: 'identity.user_created',
  data: { userId: USER_ID, username: 'alice', displayName: null, role: 'accountant', passwordHash: HASH, createdBy: ADMIN_ID, createdAt: NOW },
};
const deleted: user.UserEvent = { type: 'identity.user_deleted', data: { userId: USER_ID, deletedBy: ADMIN_ID, deletedAt: NOW } };
const changeRole = (role: user.ChangeUserRole['data']['role'], actor = ADMIN_ID): user.ChangeUserRole => ({ type: 'ChangeUserRole', data: { userId: USER_ID, role }, metadata: meta(actor) });
const remove = (actor = ADMIN_ID): user.DeleteUser => ({ type: 'DeleteUser', data: { userId: USER_ID }, metadata: meta(actor) });

describe('user', () => {
  it('is created with the password hash, never the password', () => {
    users.given([]).when(create()).then([created]);
  });

  it('a repeated create is no change; the same id with another name or role fails', () => {
    users.given([created]).when(create({ passwordHash: `scrypt$32768$8$1$${'t'.repeat(22)}$${'h'.repeat(43)}` })).thenNothingHappened();
    users.given([created]).when(create({ username: 'bob' })).thenThrows('USER_EXISTS_WITH_DIFFERENT_DATA');
    users.given([created]).when(create({ role: 'admin' })).thenThrows('USER_EXISTS_WITH_DIFFERENT_DATA');
    users.given([created, deleted]).when(create()).thenThrows('USER_DELETED');
  });

  it('changes role; the same role is no change; nobody changes their own role', () => {
    users.given([created]).when(changeRole('approver')).then([
      { type: 'identity.user_role_changed', data: { userId: USER_ID, previousRole: 'accountant', role: 'approver', changedBy: ADMIN_ID, changedAt: NOW } },
    ]);
    users.given([created]).when(changeRole('accountant')).thenNothingHappened();
    users.given([created]).when(changeRole('admin', USER_ID)).thenThrows('CANNOT_CHANGE_OWN_ROLE');
    users.given([]).when(changeRole('admin')).thenThrows('USER_NOT_FOUND');
    users.given([created, deleted]).when(changeRole('admin')).thenThrows('USER_NOT_FOUND');
  });

  it('is deleted once, not by themselves; deleting again is no change', () => {
    users.given([created]).when(remove()).then([deleted]);
    users.given([created, deleted]).when(remove()).thenNothingHappened();
    users.given([created]).when(remove(USER_ID)).thenThrows('CANNOT_DELETE_SELF');
    users.given([]).when(remove()).thenThrows('USER_NOT_FOUND');
  });

  it('evolve folds the current role and ignores unknown events', () => {
    const changed = user.decide(changeRole('auditor'), user.evolve(user.initialState(), created));
    const state = [created, ...changed, { type: 'ledger.account_opened', data: {} }].reduce(user.evolve, user.initialState());
    expect(state).toMatchObject({ status: 'active', role: 'auditor', username: 'alice' });
  });
});

describe('user-name claim', () => {
  const claim = (userId = USER_ID): username.ClaimUsername => ({ type: 'ClaimUsername', data: { username: 'alice', userId }, metadata: meta(userId, 'guest') });
  const claimed: username.UsernameEvent = { type: 'identity.username_claimed', data: { username: 'alice', userId: USER_ID, claimedAt: NOW } };

  it('is claimed once; the same user claiming again is no change; anyone else gets USERNAME_TAKEN', () => {
    names.given([]).when(claim()).then([claimed]);
    names.given([claimed]).when(claim()).thenNothingHappened();
    names.given([claimed]).when(claim(ADMIN_ID)).thenThrows('USERNAME_TAKEN');
  });

  it('names streams after the normalised name and the user id', () => {
    expect(username.usernameStreamId('alice')).toBe('identity.username-alice');
    expect(user.userStreamId(USER_ID)).toBe(`identity.user-${USER_ID}`);
  });
});
