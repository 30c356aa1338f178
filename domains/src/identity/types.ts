import type { identity as wire } from '@neuroerp/schemas';
import { DomainError } from '../domain-error';

export type { Command, CommandMetadata } from '../command';

export interface IdentityEvent<Type extends wire.IdentityEventType = wire.IdentityEventType> {
  type: Type;
  data: wire.IdentityEventData<Type>;
}

export type IdentityEventOf<Types extends wire.IdentityEventType> = { [Type in Types]: IdentityEvent<Type> }[Types];

/**
 * Every code the identity context throws. The codes are API: never rename one, only add.
 * The command API adds the HTTP-level ones (INVALID_CREDENTIALS, TOKEN_EXPIRED, …).
 */
export const IDENTITY_ERROR_CODES = {
  USER_NOT_FOUND: 'No user with this id exists, or it was deleted.',
  USER_EXISTS_WITH_DIFFERENT_DATA: 'A user with this id was created with a different user name or role.',
  USER_DELETED: 'The user was deleted; deleted users do not come back.',
  USERNAME_TAKEN: 'Another user holds this user name (user names of deleted users stay reserved).',
  CANNOT_CHANGE_OWN_ROLE: 'An admin cannot change their own role (ask another admin): nobody locks themselves out by accident.',
  CANNOT_DELETE_SELF: 'An admin cannot delete their own account.',
  REFRESH_TOKEN_INVALID: 'The refresh token does not belong to this session.',
  REFRESH_TOKEN_REVOKED: 'The session was logged out or revoked; log in again.',
  REFRESH_TOKEN_REUSED: 'A refresh token that was already rotated away was presented again: the whole session is revoked.',
  REFRESH_TOKEN_EXPIRED: 'The refresh token is past its expiry; log in again.',
  REFRESH_FAMILY_EXHAUSTED: 'The session was refreshed ROTATIONS_PER_FAMILY_MAX times; log in again.',
} as const;

export type IdentityErrorCode = keyof typeof IDENTITY_ERROR_CODES;

export function fail(code: IdentityErrorCode, message: string, details: Record<string, string | number | boolean | null> = {}): never {
  throw new DomainError<IdentityErrorCode>(code, message, details);
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
