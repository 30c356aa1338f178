import type { ErrorRequestHandler } from 'express';
import type { ZodIssue } from 'zod';
import { documents, isDomainError, LEDGER_ERROR_CODES, type LedgerErrorCode } from '@neuroerp/domains';
import { EventStoreError, PrivacyError } from '@neuroerp/infra';
import { problem, sendProblem, type ProblemDetails } from '../app';
import { ConcurrencyConflictError } from '../command-handling';

/** What a client is told to wait before retrying when the event store is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 2;

/** An expected HTTP failure; the error middleware answers it like every other error. */
export class HttpProblemError extends Error {
  constructor(
    readonly problem: ProblemDetails,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem.detail);
    this.name = 'HttpProblemError';
  }
}

/** A body, path parameter, query or header that its zod schema rejected. */
export class RequestValidationError extends Error {
  constructor(
    readonly location: 'body' | 'params' | 'query' | 'headers',
    readonly issues: readonly ZodIssue[],
  ) {
    super(`invalid request ${location}`);
    this.name = 'RequestValidationError';
  }
}

/**
 * The HTTP status of every ledger error code. A `Record` over all codes, so that a new code
 * does not compile until someone decides its status:
 * - 404: the thing named does not exist (`*_NOT_FOUND`), whether named in the path or a body;
 * - 409: the request conflicts with what exists (`*_EXISTS_WITH_DIFFERENT_DATA`, already posted
 *   or reversed): repeating it cannot succeed;
 * - 422: the request is well-formed but breaks a business rule (unbalanced, period closed,
 *   maker = checker, ...).
 */
export const LEDGER_ERROR_STATUS: Readonly<Record<LedgerErrorCode, 403 | 404 | 409 | 422>> = Object.freeze({
  AMOUNT_INVALID: 422,
  AMOUNT_PRECISION_EXCEEDED: 422,
  AMOUNT_NOT_POSITIVE: 422,
  AMOUNT_TOO_LARGE: 422,
  CURRENCY_UNKNOWN: 422,
  FX_RATE_INVALID: 422,
  FX_RATE_PRECISION_EXCEEDED: 422,
  FX_RATE_REQUIRED: 422,
  DATE_INVALID: 422,
  ACCOUNT_NOT_FOUND: 404,
  ACCOUNT_BLOCKED: 422,
  ACCOUNT_ARCHIVED: 422,
  ACCOUNT_EXISTS_WITH_DIFFERENT_DATA: 409,
  ACCOUNT_CURRENCY_MISMATCH: 422,
  DIMENSION_REQUIRED: 422,
  CHART_IMPORT_DUPLICATE_ACCOUNT: 422,
  COMPANY_MISMATCH: 422,
  TRANSACTION_NOT_FOUND: 404,
  TRANSACTION_EXISTS_WITH_DIFFERENT_DATA: 409,
  TRANSACTION_TYPE_RESERVED: 422,
  TOO_FEW_LINES: 422,
  TOO_MANY_LINES: 422,
  UNBALANCED_TRANSACTION: 422,
  UNBALANCED_COMPANY_CURRENCY: 422,
  TRANSACTION_NOT_DRAFT: 409,
  TRANSACTION_NOT_SUBMITTED: 422,
  APPROVER_IS_SUBMITTER: 422,
  APPROVAL_REQUIRED: 422,
  APPROVAL_THROUGH_WORKFLOW: 409,
  TRANSACTION_ALREADY_POSTED: 409,
  TRANSACTION_NOT_POSTED: 422,
  TRANSACTION_ALREADY_REVERSED: 409,
  REVERSAL_CANNOT_BE_REVERSED: 422,
  REVERSAL_REASON_REQUIRED: 422,
  REVERSAL_BEFORE_ORIGINAL: 422,
  REVERSAL_NOT_CLAIMED: 409,
  FISCAL_YEAR_NOT_OPEN: 422,
  FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA: 409,
  FISCAL_YEAR_CLOSED: 422,
  FISCAL_YEAR_HAS_OPEN_PERIODS: 422,
  FISCAL_YEAR_NOT_CONSECUTIVE: 422,
  PREVIOUS_FISCAL_YEAR_NOT_CLOSED: 422,
  POSTING_DATE_OUTSIDE_FISCAL_YEAR: 422,
  PERIOD_SOFT_LOCKED: 422,
  PERIOD_CLOSED: 422,
  PERIOD_NOT_SOFT_LOCKED: 422,
  PERIOD_CLOSE_OUT_OF_ORDER: 422,
  POSTING_EXCEPTION_REQUIRES_ADMIN: 403,
  POSTING_EXCEPTION_INVALID_WINDOW: 422,
  VOUCHER_NUMBERS_EXHAUSTED: 422,
  TRIAL_BALANCE_UNBALANCED: 422,
  BALANCE_DUPLICATE_ACCOUNT: 422,
} as Record<LedgerErrorCode, 403 | 404 | 409 | 422>);

/**
 * The HTTP status of every documents error code. Content codes from the zod content schemas
 * (INVOICE_TOTALS_MISMATCH, LINE_AMOUNT_MISMATCH, ...) follow the shape rule: 422.
 * - 410: the document is deleted (a tombstone): it takes no commands, its current version is gone;
 * - 413 / 415: the upload is too large / not an allowed type, or its bytes are not its type;
 * - 409 ATTACHMENT_TAMPERED: the stored file no longer matches the hash its event recorded.
 */
export const DOCUMENTS_ERROR_STATUS: Readonly<Record<documents.DocumentsErrorCode, 400 | 404 | 409 | 410 | 413 | 415 | 422>> = Object.freeze({
  DOCUMENT_NOT_FOUND: 404,
  DOCUMENT_EXISTS_WITH_DIFFERENT_DATA: 409,
  DOCUMENT_DELETED: 410,
  DOCUMENT_VERSION_NOT_FOUND: 404,
  DOCUMENT_VERSIONS_EXHAUSTED: 422,
  DOCUMENT_CONTENT_INVALID: 422,
  METADATA_TOO_LARGE: 422,
  REASON_REQUIRED: 422,
  TOO_MANY_ATTACHMENTS: 422,
  ATTACHMENT_TOO_LARGE: 413,
  ATTACHMENT_TYPE_NOT_ALLOWED: 415,
  ATTACHMENT_CONTENT_MISMATCH: 415,
  ATTACHMENT_FILE_REQUIRED: 400,
  ATTACHMENT_NOT_FOUND: 404,
  ATTACHMENT_TAMPERED: 409,
} as Record<documents.DocumentsErrorCode, 400 | 404 | 409 | 410 | 413 | 415 | 422>);

/** Status of a DomainError code: the ledger and documents tables, else a rule by the code's shape (other contexts). */
export function domainErrorStatus(code: string): number {
  if (Object.hasOwn(LEDGER_ERROR_CODES, code)) return LEDGER_ERROR_STATUS[code as LedgerErrorCode];
  if (Object.hasOwn(documents.DOCUMENTS_ERROR_CODES, code)) return DOCUMENTS_ERROR_STATUS[code as documents.DocumentsErrorCode];
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.includes('_EXISTS_WITH_DIFFERENT_DATA') || code.includes('_ALREADY_')) return 409;
  return 422;
}

/** One issue of a 400 VALIDATION_FAILED: where, what, and the domain's code when the schema names one. */
export interface ValidationIssue {
  location: string;
  path: string;
  message: string;
  code: string;
}

function toValidationIssue(location: string, issue: ZodIssue): ValidationIssue {
  const domainCode = issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : null;
  return { location, path: issue.path.join('.'), message: issue.message, code: domainCode ?? issue.code.toUpperCase() };
}

/**
 * A zod failure is 400. Its `code` is VALIDATION_FAILED, except when there is exactly one
 * issue and the schema gave it a domain code (AMOUNT_PRECISION_EXCEEDED, CURRENCY_UNKNOWN,
 * DATE_INVALID, ...): then that code, so clients see the same code whether the wire schema or
 * the domain caught the problem. Every issue carries its own code either way.
 */
export function validationProblem(error: RequestValidationError): ProblemDetails {
  const issues = error.issues.map((issue) => toValidationIssue(error.location, issue));
  const only = issues.length === 1 ? issues[0] : undefined;
  const domainCoded = only !== undefined && error.issues[0]?.code === 'custom' && /^[A-Z][A-Z0-9_]*$/.test(only.code);
  const code = domainCoded ? only.code : 'VALIDATION_FAILED';
  const detail = issues
    .slice(0, 3)
    .map((issue) => `${issue.location}${issue.path === '' ? '' : `.${issue.path}`}: ${issue.message}`)
    .join('; ');
  return problem(400, code, `The request ${error.location} is invalid: ${detail}${issues.length > 3 ? '; ...' : ''}`, { issues });
}

/** Errors raised by express's body parser carry a `type` and a status. */
interface BodyParserError extends Error {
  type: string;
  status: number;
  expose?: boolean;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return error instanceof Error && typeof (error as Partial<BodyParserError>).type === 'string' && typeof (error as Partial<BodyParserError>).status === 'number';
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // 08xxx connection exceptions; 57P01..57P03 admin or crash shutdown and "the database system is shutting down / starting up".
  return typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code === 'ECONNREFUSED' || code === 'ECONNRESET');
}

/** Maps any error to problem+json (and headers). Unexpected errors are 500 INTERNAL without details. */
export function problemFromError(error: unknown): { problem: ProblemDetails; headers: Record<string, string> } {
  const plain = (body: ProblemDetails) => ({ problem: body, headers: {} });
  if (error instanceof HttpProblemError) return { problem: error.problem, headers: { ...error.headers } };
  if (error instanceof RequestValidationError) return plain(validationProblem(error));
  if (isDomainError(error)) return plain(problem(domainErrorStatus(error.code), error.code, error.message, { details: error.details }));
  if (error instanceof ConcurrencyConflictError) {
    return { problem: problem(409, error.code, error.message, { streamId: error.streamId }), headers: { 'Retry-After': '1' } };
  }
  if (error instanceof EventStoreError) {
    if (error.code === 'STORE_UNAVAILABLE') {
      return { problem: problem(503, 'STORE_UNAVAILABLE', 'The event store is not reachable; retry later.'), headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) } };
    }
    if (error.code === 'EVENT_TOO_LARGE') return plain(problem(413, 'EVENT_TOO_LARGE', error.message));
  }
  // Personal data of an erased subject is never recorded again (crypto-shredding); 410: the subject is gone for good.
  if (error instanceof PrivacyError && error.code === 'SUBJECT_FORGOTTEN') return plain(problem(410, 'SUBJECT_FORGOTTEN', error.message));
  if (isConnectionFailure(error)) {
    return { problem: problem(503, 'STORE_UNAVAILABLE', 'The database is not reachable; retry later.'), headers: { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) } };
  }
  if (isBodyParserError(error)) {
    switch (error.type) {
      case 'entity.parse.failed':
        return plain(problem(400, 'MALFORMED_JSON', 'The request body is not valid JSON.'));
      case 'entity.too.large':
        return plain(problem(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${error.limit ?? 'the limit of'} bytes.`, { limitBytes: error.limit ?? null }));
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return plain(problem(415, 'UNSUPPORTED_MEDIA_TYPE', error.message));
      default:
        if (error.expose && error.status >= 400 && error.status < 500) return plain(problem(error.status, 'BAD_REQUEST', error.message));
    }
  }
  // No message, no stack: internals stay in the log.
  return plain(problem(500, 'INTERNAL', 'An unexpected error occurred; it has been logged.'));
}

/** The one place where errors become HTTP answers (RFC 7807 problem+json with a stable `code`). */
export const problemErrorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    // Too late for a problem document; let express end the connection.
    next(error);
    return;
  }
  const { problem: body, headers } = problemFromError(error);
  if (body.status >= 500) req.log?.error({ err: error }, 'request failed unexpectedly');
  for (const [name, value] of Object.entries(headers)) res.set(name, value);
  sendProblem(res, { ...body, instance: req.originalUrl });
};
