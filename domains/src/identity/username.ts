import { assertNever, fail, type Command, type IdentityEventOf } from './types';

/**
 * The claim on one normalised user name: stream `identity.username-<username>`. The event
 * store serialises appends to one stream with the expected version, so of two registrations
 * racing for the same name exactly one claim is appended; the other is re-decided and gets
 * USERNAME_TAKEN. A claim is never released: the user names of deleted users stay reserved,
 * so a name in the audit trail always means one person.
 */

export interface UsernameState {
  claimedBy: string | null;
}

export type ClaimUsername = Command<'ClaimUsername', { username: string; userId: string }>;
export type UsernameCommand = ClaimUsername;
export type UsernameEvent = IdentityEventOf<'identity.username_claimed'>;

export function usernameStreamId(normalizedUsername: string): string {
  return `identity.username-${normalizedUsername}`;
}

export function initialState(): UsernameState {
  return { claimedBy: null };
}

export function decide(command: UsernameCommand, state: UsernameState): UsernameEvent[] {
  const { type, data, metadata } = command;
  switch (type) {
    case 'ClaimUsername':
      if (state.claimedBy === data.userId) return [];
      if (state.claimedBy !== null) return fail('USERNAME_TAKEN', `The user name "${data.username}" is taken.`, { username: data.username });
      return [{ type: 'identity.username_claimed', data: { username: data.username, userId: data.userId, claimedAt: metadata.now } }];
    default:
      return assertNever(type);
  }
}

export function evolve(state: UsernameState, event: { type: string; data: unknown }): UsernameState {
  const known = event as UsernameEvent;
  switch (known.type) {
    case 'identity.username_claimed':
      return { claimedBy: known.data.userId };
    default:
      return state;
  }
}
