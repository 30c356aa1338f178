/**
 * An expected business failure with a stable SCREAMING code (STYLE.md, Errors). The
 * command API maps it once, in one middleware, to RFC 7807 problem+json with `code` as a
 * member; tests assert on `code`, never on `message`. Programmer errors are not
 * DomainErrors: they are assertions that crash.
 */
export class DomainError<Code extends string = string> extends Error {
  override readonly name = 'DomainError';
  readonly code: Code;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;

  constructor(code: Code, message: string, details: Record<string, string | number | boolean | null> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
