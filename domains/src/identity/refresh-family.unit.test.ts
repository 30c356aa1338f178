import { DeciderSpecification } from '../testing/decider-spec';
import * as family from './refresh-family';
import type { CommandMetadata } from './types';

const FAMILY_ID = '00000000-0000-4000-8000-00000000f001';
const USER_ID = '00000000-0000-4000-8000-000000000001';
const T0 = '2026-01-10T09:00:00.000Z';
const T1 = '2026-01-10T10:00:00.000Z';
const EXPIRES_0 = '2026-01-17T09:00:00.000Z';
const EXPIRES_1 = '2026-01-17T10:00:00.000Z';
const hash = (n: number) => n.toString(16).padStart(64, '0');
const meta = (now = T1): CommandMetadata => ({ actor: { userId: USER_ID, role: 'user' }, now });

const spec = DeciderSpecification.for(family);

const loggedIn: family.RefreshFamilyEvent = { type: 'identity.user_logged_in', data: { familyId: FAMILY_ID, userId: USER_ID, tokenHash: hash(1), loggedInAt: T0, expiresAt: EXPIRES_0 } };
const rotated: family.RefreshFamilyEvent = {
  type: 'identity.refresh_token_rotated',
  data: { familyId: FAMILY_ID, userId: USER_ID, previousTokenHash: hash(1), tokenHash: hash(2), rotatedAt: T1, expiresAt: EXPIRES_1 },
};
const loggedOut: family.RefreshFamilyEvent = { type: 'identity.user_logged_out', data: { familyId: FAMILY_ID, userId: USER_ID, loggedOutAt: T1 } };
const rotate = (presented: number, overrides: { now?: string; userActive?: boolean; next?: number } = {}): family.RotateRefreshToken => ({
  type: 'RotateRefreshToken',
  data: { familyId: FAMILY_ID, presentedTokenHash: hash(presented), newTokenHash: hash(overrides.next ?? 99), expiresAt: EXPIRES_1, userActive: overrides.userActive ?? true },
  metadata: meta(overrides.now),
});
const logOut = (presented: number): family.LogOut => ({ type: 'LogOut', data: { familyId: FAMILY_ID, presentedTokenHash: hash(presented) }, metadata: meta() });
const revokedFor = (reason: 'reuse_detected' | 'user_deleted', presented: number, now = T1): family.RefreshFamilyEvent => ({
  type: 'identity.refresh_family_revoked',
  data: { familyId: FAMILY_ID, userId: USER_ID, reason, presentedTokenHash: hash(presented), revokedAt: now },
});

describe('refresh-token family', () => {
  it('starts with a login that records only the token hash', () => {
    spec
      .given([])
      .when({ type: 'LogIn', data: { familyId: FAMILY_ID, userId: USER_ID, tokenHash: hash(1), expiresAt: EXPIRES_0 }, metadata: meta(T0) })
      .then([loggedIn]);
  });

  it('rotates the current token', () => {
    spec.given([loggedIn]).when(rotate(1, { next: 2 })).then([rotated]);
  });

  it('a rotated-away token presented again revokes the whole family (reuse detection)', () => {
    spec.given([loggedIn, rotated]).when(rotate(1)).then([revokedFor('reuse_detected', 1)]);
    // After that, even the newest token is dead.
    spec.given([loggedIn, rotated, revokedFor('reuse_detected', 1)]).when(rotate(2)).thenThrows('REFRESH_TOKEN_REVOKED');
  });

  it('an unknown token or family is invalid', () => {
    spec.given([loggedIn]).when(rotate(7)).thenThrows('REFRESH_TOKEN_INVALID');
    spec.given([]).when(rotate(1)).thenThrows('REFRESH_TOKEN_INVALID');
    spec.given([]).when(logOut(1)).thenThrows('REFRESH_TOKEN_INVALID');
  });

  it('an expired token records token_expired once, then fails with REFRESH_TOKEN_EXPIRED', () => {
    const late = '2026-01-17T09:00:00.000Z';
    const expired: family.RefreshFamilyEvent = {
      type: 'identity.token_expired',
      data: { familyId: FAMILY_ID, userId: USER_ID, tokenHash: hash(1), expiredAt: EXPIRES_0, presentedAt: late },
    };
    spec.given([loggedIn]).when(rotate(1, { now: late })).then([expired]);
    spec.given([loggedIn, expired]).when(rotate(1, { now: late })).thenThrows('REFRESH_TOKEN_EXPIRED');
  });

  it('the family of a deleted user is revoked at the next refresh', () => {
    spec.given([loggedIn]).when(rotate(1, { userActive: false })).then([revokedFor('user_deleted', 1)]);
  });

  it('logs out with the current token; logging out again is no change; logged-out families do not refresh', () => {
    spec.given([loggedIn, rotated]).when(logOut(2)).then([loggedOut]);
    spec.given([loggedIn, rotated, loggedOut]).when(logOut(2)).thenNothingHappened();
    spec.given([loggedIn, rotated, loggedOut]).when(rotate(2)).thenThrows('REFRESH_TOKEN_REVOKED');
    spec.given([loggedIn, rotated]).when(logOut(1)).then([revokedFor('reuse_detected', 1)]);
  });

  it(`stops after ROTATIONS_PER_FAMILY_MAX (${family.ROTATIONS_PER_FAMILY_MAX}) rotations`, () => {
    const events: family.RefreshFamilyEvent[] = [loggedIn];
    for (let n = 1; n <= family.ROTATIONS_PER_FAMILY_MAX; n += 1) {
      events.push({ type: 'identity.refresh_token_rotated', data: { familyId: FAMILY_ID, userId: USER_ID, previousTokenHash: hash(n), tokenHash: hash(n + 1), rotatedAt: T1, expiresAt: EXPIRES_1 } });
    }
    spec.given(events).when(rotate(family.ROTATIONS_PER_FAMILY_MAX + 1, { next: 5_000 })).thenThrows('REFRESH_FAMILY_EXHAUSTED');
  });
});
