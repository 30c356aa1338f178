import { assertNever, fail, type Command, type IdentityEventOf } from './types';

/**
 * A refresh-token family, i.e. one login session: stream `identity.refresh_family-<familyId>`.
 *
 * A login starts the family with its first refresh token; every refresh rotates it (the
 * presented token must be the current one, and a new one replaces it); logout ends it. Only
 * SHA-256 hashes of tokens are recorded. Presenting a token that was already rotated away
 * means two parties hold the family's tokens (theft or replay): the family is revoked as a
 * whole, so the thief's fresh token dies with the victim's old one. Because rotation and
 * revocation are appends to this one stream with the expected version, two refreshes racing
 * with the same token cannot both win: the loser is re-decided, sees its token rotated away
 * and revokes the family.
 *
 * "Expired": the current token's `expiresAt` (REFRESH_TOKEN_TTL after it was issued) is not
 * after `now`. The first presentation of an expired token records `identity.token_expired`;
 * later ones record nothing.
 */

/** A session refreshed this often must log in again; bounds the stream and the state. */
export const ROTATIONS_PER_FAMILY_MAX = 1_000;

export interface RefreshFamilyState {
  status: 'none' | 'active' | 'logged_out' | 'revoked';
  familyId: string | null;
  userId: string | null;
  currentTokenHash: string | null;
  currentExpiresAt: string | null;
  previousTokenHashes: ReadonlySet<string>;
  rotations: number;
  expiryRecorded: boolean;
}

export type LogIn = Command<'LogIn', { familyId: string; userId: string; tokenHash: string; expiresAt: string }>;
export type RotateRefreshToken = Command<
  'RotateRefreshToken',
  {
    familyId: string;
    presentedTokenHash: string;
    newTokenHash: string;
    expiresAt: string;
    /** Whether the family's user still exists (the handler reads the user stream); a deleted user's family is revoked. */
    userActive: boolean;
  }
>;
export type LogOut = Command<'LogOut', { familyId: string; presentedTokenHash: string }>;
export type RefreshFamilyCommand = LogIn | RotateRefreshToken | LogOut;

export type RefreshFamilyEvent = IdentityEventOf<
  'identity.user_logged_in' | 'identity.refresh_token_rotated' | 'identity.user_logged_out' | 'identity.refresh_family_revoked' | 'identity.token_expired'
>;

export function refreshFamilyStreamId(familyId: string): string {
  return `identity.refresh_family-${familyId}`;
}

export function initialState(): RefreshFamilyState {
  return { status: 'none', familyId: null, userId: null, currentTokenHash: null, currentExpiresAt: null, previousTokenHashes: new Set(), rotations: 0, expiryRecorded: false };
}

export function decide(command: RefreshFamilyCommand, state: RefreshFamilyState): RefreshFamilyEvent[] {
  const { type, metadata } = command;
  const now = metadata.now;
  switch (type) {
    case 'LogIn': {
      const { data } = command;
      if (state.status !== 'none') {
        if (state.userId === data.userId && state.previousTokenHashes.size === 0 && state.currentTokenHash === data.tokenHash) return [];
        // Family ids are random UUIDs: a collision is a bug, not a business case.
        throw new Error(`Refresh family ${data.familyId} exists already`);
      }
      return [{ type: 'identity.user_logged_in', data: { familyId: data.familyId, userId: data.userId, tokenHash: data.tokenHash, loggedInAt: now, expiresAt: data.expiresAt } }];
    }
    case 'RotateRefreshToken': {
      const { data } = command;
      const { familyId, userId } = knownFamily(state, data.familyId);
      if (state.status !== 'active') return fail('REFRESH_TOKEN_REVOKED', 'This session was logged out or revoked.', { familyId });
      if (data.presentedTokenHash !== state.currentTokenHash) return reuseOrInvalid(state, familyId, userId, data.presentedTokenHash, now);
      if (!data.userActive) return [revoked(familyId, userId, 'user_deleted', data.presentedTokenHash, now)];
      if (state.currentExpiresAt !== null && Date.parse(now) >= Date.parse(state.currentExpiresAt)) {
        if (state.expiryRecorded) return fail('REFRESH_TOKEN_EXPIRED', 'The refresh token has expired.', { familyId });
        return [{ type: 'identity.token_expired', data: { familyId, userId, tokenHash: data.presentedTokenHash, expiredAt: state.currentExpiresAt, presentedAt: now } }];
      }
      if (state.rotations >= ROTATIONS_PER_FAMILY_MAX) return fail('REFRESH_FAMILY_EXHAUSTED', 'This session was refreshed too often; log in again.', { familyId });
      if (data.newTokenHash === data.presentedTokenHash || state.previousTokenHashes.has(data.newTokenHash)) throw new Error('A new refresh token must never repeat an earlier one');
      return [
        {
          type: 'identity.refresh_token_rotated',
          data: { familyId, userId, previousTokenHash: data.presentedTokenHash, tokenHash: data.newTokenHash, rotatedAt: now, expiresAt: data.expiresAt },
        },
      ];
    }
    case 'LogOut': {
      const { data } = command;
      const { familyId, userId } = knownFamily(state, data.familyId);
      if (state.status !== 'active') return [];
      if (data.presentedTokenHash !== state.currentTokenHash) return reuseOrInvalid(state, familyId, userId, data.presentedTokenHash, now);
      return [{ type: 'identity.user_logged_out', data: { familyId, userId, loggedOutAt: now } }];
    }
    default:
      return assertNever(type);
  }
}

/** Pure; ignores event types it does not know. */
export function evolve(state: RefreshFamilyState, event: { type: string; data: unknown }): RefreshFamilyState {
  const known = event as RefreshFamilyEvent;
  switch (known.type) {
    case 'identity.user_logged_in': {
      const { data } = known;
      return { ...initialState(), status: 'active', familyId: data.familyId, userId: data.userId, currentTokenHash: data.tokenHash, currentExpiresAt: data.expiresAt };
    }
    case 'identity.refresh_token_rotated': {
      const { data } = known;
      const previousTokenHashes = new Set(state.previousTokenHashes);
      previousTokenHashes.add(data.previousTokenHash);
      return { ...state, currentTokenHash: data.tokenHash, currentExpiresAt: data.expiresAt, previousTokenHashes, rotations: state.rotations + 1 };
    }
    case 'identity.user_logged_out':
      return { ...state, status: 'logged_out' };
    case 'identity.refresh_family_revoked':
      return { ...state, status: 'revoked' };
    case 'identity.token_expired':
      return { ...state, expiryRecorded: true };
    default:
      return state;
  }
}

function knownFamily(state: RefreshFamilyState, familyId: string): { familyId: string; userId: string } {
  if (state.status === 'none' || state.userId === null) return fail('REFRESH_TOKEN_INVALID', 'No session has this refresh token.', { familyId });
  return { familyId, userId: state.userId };
}

function reuseOrInvalid(state: RefreshFamilyState, familyId: string, userId: string, presentedTokenHash: string, now: string): RefreshFamilyEvent[] {
  if (!state.previousTokenHashes.has(presentedTokenHash)) return fail('REFRESH_TOKEN_INVALID', 'The refresh token does not belong to this session.', { familyId });
  return [revoked(familyId, userId, 'reuse_detected', presentedTokenHash, now)];
}

function revoked(familyId: string, userId: string, reason: 'reuse_detected' | 'user_deleted', presentedTokenHash: string, now: string): RefreshFamilyEvent {
  return { type: 'identity.refresh_family_revoked', data: { familyId, userId, reason, presentedTokenHash, revokedAt: now } };
}
