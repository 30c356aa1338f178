import { z } from 'zod';

/**
 * Wire primitives of the identity context: user names, passwords, roles and tokens. User
 * names are compared after normalisation (trimmed, lower-case), so "Alice" and "alice " are
 * one account. Passwords never appear in events: only their scrypt hash does.
 */

/** The roles of NeuroERP: the seed's admin, user and guest, plus the finance roles. */
export const ROLES = ['admin', 'user', 'guest', 'accountant', 'approver', 'auditor'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const USERNAME_LENGTH_MIN = 3;
export const USERNAME_LENGTH_MAX = 64;
/** A normalised user name: starts with a letter or digit; letters, digits, `.`, `_`, `-`. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** Short passwords are guessable; long ones would make scrypt a denial-of-service lever. */
export const PASSWORD_LENGTH_MIN = 12;
export const PASSWORD_LENGTH_MAX = 128;
export const DISPLAY_NAME_LENGTH_MAX = 200;
/** A refresh token is `<familyId>.<secret>`: the family (session) id and 32 random bytes in base64url. */
export const REFRESH_TOKEN_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** SHA-256 in lower-case hex: how refresh tokens are stored in events. */
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** `scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>`: the self-describing password hash. */
export const PASSWORD_HASH_PATTERN = /^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{32,}$/;

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** A user name as typed; normalised to lower case without surrounding white space. */
export const usernameSchema = z
  .string()
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .min(USERNAME_LENGTH_MIN, `A user name has at least ${USERNAME_LENGTH_MIN} characters.`)
      .max(USERNAME_LENGTH_MAX, `A user name has at most ${USERNAME_LENGTH_MAX} characters.`)
      .regex(USERNAME_PATTERN, 'A user name consists of a-z, 0-9, ".", "_" and "-" and starts with a letter or digit.'),
  );

/** Any password within the length bounds; the strength policy is {@link passwordPolicyViolations}. */
export const passwordSchema = z.string().min(1).max(PASSWORD_LENGTH_MAX);

/**
 * Why a new password is too weak (empty when it is fine): at least PASSWORD_LENGTH_MIN
 * characters, at least one letter and at least one character that is not a letter. Checked
 * on register and create only; login accepts whatever was once accepted.
 */
export function passwordPolicyViolations(password: string): string[] {
  const violations: string[] = [];
  if ([...password].length < PASSWORD_LENGTH_MIN) violations.push(`at least ${PASSWORD_LENGTH_MIN} characters`);
  if (!/\p{L}/u.test(password)) violations.push('at least one letter');
  if (!/[^\p{L}]/u.test(password)) violations.push('at least one digit, space or symbol');
  return violations;
}

export const userIdSchema = z.string().regex(UUID_PATTERN, 'must be a lower-case UUID');
export const timestampSchema = z.string().datetime({ offset: true });
export const sha256HexSchema = z.string().regex(SHA256_HEX_PATTERN, 'must be a SHA-256 hex digest');
export const passwordHashSchema = z.string().regex(PASSWORD_HASH_PATTERN, 'must be an scrypt password hash');
