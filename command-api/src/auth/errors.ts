import { isDomainError } from '@neuroerp/domains';
import { EventStoreError } from '@neuroerp/infra';
import type { ZodIssue } from 'zod';
import { problem, type ProblemDetails } from '../app';

/**
 * Every code the auth and user routes answer with, and its HTTP status. The codes are API:
 * never rename one, only add. Domain codes (from `domains/identity`) are listed here too, so
 * that this table is the one place that maps identity failures to HTTP.
 */
export const IDENTITY_HTTP_STATUS = {
  VALIDATION_FAILED: 400,
  WEAK_PASSWORD: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  REFRESH_TOKEN_INVALID: 401,
  REFRESH_TOKEN_REUSED: 401,
  REFRESH_TOKEN_REVOKED: 401,
  REFRESH_TOKEN_EXPIRED: 401,
  REFRESH_FAMILY_EXHAUSTED: 401,
  FORBIDDEN: 403,
  USER_NOT_FOUND: 404,
  USERNAME_TAKEN: 409,
  USER_EXISTS_WITH_DIFFERENT_DATA: 409,
  USER_DELETED: 409,
  CANNOT_CHANGE_OWN_ROLE: 409,
  CANNOT_DELETE_SELF: 409,
  CONCURRENT_MODIFICATION: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  LOGIN_THROTTLED: 429,
} as const;

export type IdentityHttpCode = keyof typeof IDENTITY_HTTP_STATUS;

/** An expected failure of an auth or user route, answered as problem+json with its code. */
export class IdentityHttpError extends Error {
  override readonly name = 'IdentityHttpError';
  constructor(
    readonly code: IdentityHttpCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get status(): number {
    return IDENTITY_HTTP_STATUS[this.code];
  }
}

export function validationFailed(location: 'body' | 'query', issues: readonly ZodIssue[]): IdentityHttpError {
  const first = issues[0];
  const detail = first === undefined ? '' : `: ${location}${first.path.length > 0 ? `.${first.path.join('.')}` : ''}: ${first.message}`;
  return new IdentityHttpError('VALIDATION_FAILED', `The request ${location} is invalid${detail}`, {
    issues: issues.map((issue) => ({ location, path: issue.path.join('.'), message: issue.message, code: issue.code.toUpperCase() })),
  });
}

/** The problem for an expected failure, or null for anything else (a bug: the caller lets it become a 500). */
export function identityProblem(error: unknown): ProblemDetails | null {
  if (error instanceof IdentityHttpError) return problem(error.status, error.code, error.message, error.extra);
  if (isDomainError(error) && Object.prototype.hasOwnProperty.call(IDENTITY_HTTP_STATUS, error.code)) {
    return problem(IDENTITY_HTTP_STATUS[error.code as IdentityHttpCode], error.code, error.message, { ...error.details });
  }
  if (error instanceof EventStoreError && error.code === 'STORE_UNAVAILABLE') {
    return problem(503, 'STORE_UNAVAILABLE', 'The event store is not reachable; try again shortly.');
  }
  return null;
}
