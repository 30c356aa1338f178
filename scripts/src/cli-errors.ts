/**
 * An expected failure of a CLI command (a bad option, a missing file, a server that is not
 * there): the CLI prints its message as one line and exits 1, without a stack trace.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Node's system error codes that mean "a dependency is not reachable", not "a bug". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EACCES', 'ENOENT']);

/**
 * The text the CLI prints for a failed command: expected failures (UsageError, unreachable
 * dependencies, errors carrying a domain `code`) as one line; anything else with its stack,
 * because that is a defect to report.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^[A-Z][A-Z0-9_]+$/.test(code))) return `${error.message} (${code})`;
    if (error instanceof AggregateError && error.errors.length > 0) return describeFailure(error.errors[0]);
    return error.stack ?? error.message;
  }
  return String(error);
}
