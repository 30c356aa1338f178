import { z } from 'zod';
import { DISPLAY_NAME_LENGTH_MAX, passwordHashSchema, roleSchema, sha256HexSchema, timestampSchema, userIdSchema, usernameSchema } from './primitives';

/**
 * Event data of the identity context. No event ever holds a password or a raw token: users
 * carry the scrypt hash (with its salt), refresh-token families the SHA-256 of each token.
 *
 * Streams: `identity.user-<userId>` (created, role changed, deleted),
 * `identity.username-<username>` (the claim that makes a user name unique),
 * `identity.refresh_family-<familyId>` (one login session: logged in, rotated, logged out,
 * revoked, token expired).
 */

const actorIdSchema = z.string().min(1).max(200);

export const userCreatedSchema = z.object({
  userId: userIdSchema,
  username: usernameSchema,
  displayName: z.string().max(DISPLAY_NAME_LENGTH_MAX).nullable(),
  role: roleSchema,
  passwordHash: passwordHashSchema,
  /** `self` for a registration, else the admin's user id. */
  createdBy: actorIdSchema,
  createdAt: timestampSchema,
});
export type UserCreated = z.infer<typeof userCreatedSchema>;

export const userRoleChangedSchema = z.object({
  userId: userIdSchema,
  previousRole: roleSchema,
  role: roleSchema,
  changedBy: actorIdSchema,
  changedAt: timestampSchema,
});
export type UserRoleChanged = z.infer<typeof userRoleChangedSchema>;

export const userDeletedSchema = z.object({ userId: userIdSchema, deletedBy: actorIdSchema, deletedAt: timestampSchema });
export type UserDeleted = z.infer<typeof userDeletedSchema>;

export const usernameClaimedSchema = z.object({ username: usernameSchema, userId: userIdSchema, claimedAt: timestampSchema });
export type UsernameClaimed = z.infer<typeof usernameClaimedSchema>;

/** A login: the first event of a refresh-token family, with the hash of its first refresh token. */
export const userLoggedInSchema = z.object({
  familyId: userIdSchema,
  userId: userIdSchema,
  tokenHash: sha256HexSchema,
  loggedInAt: timestampSchema,
  expiresAt: timestampSchema,
});
export type UserLoggedIn = z.infer<typeof userLoggedInSchema>;

export const refreshTokenRotatedSchema = z.object({
  familyId: userIdSchema,
  userId: userIdSchema,
  previousTokenHash: sha256HexSchema,
  tokenHash: sha256HexSchema,
  rotatedAt: timestampSchema,
  expiresAt: timestampSchema,
});
export type RefreshTokenRotated = z.infer<typeof refreshTokenRotatedSchema>;

export const userLoggedOutSchema = z.object({ familyId: userIdSchema, userId: userIdSchema, loggedOutAt: timestampSchema });
export type UserLoggedOut = z.infer<typeof userLoggedOutSchema>;

/**
 * Why a family was revoked: `reuse_detected` (a rotated-away token was presented again: it was
 * stolen or replayed, so every token of the family dies), `user_deleted` (found at refresh).
 */
export const revocationReasonSchema = z.enum(['reuse_detected', 'user_deleted']);
export type RevocationReason = z.infer<typeof revocationReasonSchema>;

export const refreshFamilyRevokedSchema = z.object({
  familyId: userIdSchema,
  userId: userIdSchema,
  reason: revocationReasonSchema,
  /** The hash of the token that was presented when the family was revoked. */
  presentedTokenHash: sha256HexSchema,
  revokedAt: timestampSchema,
});
export type RefreshFamilyRevoked = z.infer<typeof refreshFamilyRevokedSchema>;

/** The family's current refresh token was presented after it had expired (recorded once per family). */
export const tokenExpiredSchema = z.object({
  familyId: userIdSchema,
  userId: userIdSchema,
  tokenHash: sha256HexSchema,
  expiredAt: timestampSchema,
  presentedAt: timestampSchema,
});
export type TokenExpired = z.infer<typeof tokenExpiredSchema>;
