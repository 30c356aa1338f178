import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IdempotencyStore, StoredResponse } from '@neuroerp/infra';
import { canonicalJson } from '@neuroerp/domains';
import { problem } from '../app';
import { HttpProblemError } from './errors';

/**
 * `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header, as Stripe does it).
 *
 * - The key is scoped to the caller (user id): two users may use the same key.
 * - The request's fingerprint is SHA-256 over method, path (with query) and the canonical JSON
 *   of the body (keys sorted), so formatting and key order do not matter.
 * - Same key, same fingerprint, completed: the stored status, body and headers (content type,
 *   ETag, Location) are replayed with `Idempotent-Replayed: true`; nothing runs again.
 * - Same key, other fingerprint: 409 IDEMPOTENCY_KEY_REUSED (whether completed or running).
 * - Same key and fingerprint while the first request still runs: 409
 *   IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After.
 * - Responses with status < 500 are stored (a 4xx is the command's answer and replays too);
 *   after a 5xx or an aborted request the key is released so that the client can retry.
 * - Keys are kept IDEMPOTENCY_KEY_TTL_MS (24 h), then may be used afresh.
 * - With `required` (every finance command POST), a POST without the header is
 *   428 IDEMPOTENCY_KEY_REQUIRED.
 *
 * Mount it after authentication and body parsing: it needs the actor and the parsed body.
 */

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** Printable ASCII, no spaces, at most this long (UUIDs and ULIDs fit easily). */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
const KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_LENGTH_MAX}}$`);
/** Headers of a stored response that are replayed. */
const REPLAYED_HEADERS = ['content-type', 'etag', 'location'] as const;
/** How long a client should wait when the same request is still running. */
const IN_PROGRESS_RETRY_AFTER_SECONDS = 1;

export interface IdempotencyOptions {
  /** Answer 428 IDEMPOTENCY_KEY_REQUIRED to a POST without the header. */
  required: boolean;
}

export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${url}\n${canonicalJson(body ?? null)}`).digest('hex');
}

function scopeOf(res: Response): string {
  const actor = res.locals.actor as { userId?: unknown } | undefined;
  if (typeof actor?.userId !== 'string') throw new Error('idempotency() is mounted before authentication');
  return `user:${actor.userId}`;
}

export function idempotency(store: IdempotencyStore, options: IdempotencyOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    const key = req.get(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined) {
      if (!options.required) {
        next();
        return;
      }
      next(new HttpProblemError(problem(428, 'IDEMPOTENCY_KEY_REQUIRED', `Every command POST needs an ${IDEMPOTENCY_KEY_HEADER} header (a unique value per intended operation, e.g. a UUID).`)));
      return;
    }
    if (!KEY_PATTERN.test(key)) {
      next(new HttpProblemError(problem(400, 'IDEMPOTENCY_KEY_INVALID', `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} printable ASCII characters without spaces.`)));
      return;
    }
    const scope = scopeOf(res);
    const fingerprint = requestFingerprint(req.method, req.originalUrl, req.body);
    store.begin(scope, key, fingerprint).then(
      (claim) => {
        if (claim.outcome === 'started') {
          recordResponse(store, scope, key, req, res);
          next();
          return;
        }
        if (claim.fingerprint !== fingerprint) {
          next(new HttpProblemError(problem(409, 'IDEMPOTENCY_KEY_REUSED', `This ${IDEMPOTENCY_KEY_HEADER} was used for a different request; use a new key for a new operation.`)));
          return;
        }
        if (claim.outcome === 'in_progress') {
          next(
            new HttpProblemError(problem(409, 'IDEMPOTENCY_KEY_IN_PROGRESS', 'The first request with this key is still being processed.'), {
              'Retry-After': String(IN_PROGRESS_RETRY_AFTER_SECONDS),
            }),
          );
          return;
        }
        replay(res, claim.response);
      },
      (error: unknown) => next(error),
    );
  };
}

function replay(res: Response, stored: StoredResponse): void {
  for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
  res.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  res.status(stored.status).send(JSON.stringify(stored.body));
}

/**
 * Stores the response before it is sent (so that a retry arriving right after the answer finds
 * it), by wrapping `res.json`: every answer of the command routes, problems included, goes
 * through it. A request that ends without an answer releases the key.
 */
function recordResponse(store: IdempotencyStore, scope: string, key: string, req: Request, res: Response): void {
  const send = res.json.bind(res);
  let settled = false;
  const release = () =>
    store.release(scope, key).catch((error: unknown) => {
      req.log?.error({ err: error }, 'could not release an idempotency key');
    });
  res.json = (body: unknown) => {
    if (settled) return send(body);
    settled = true;
    if (res.statusCode >= 500) {
      void release().finally(() => send(body));
      return res;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    for (const name of REPLAYED_HEADERS) {
      const value = res.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    store.complete(scope, key, { status: res.statusCode, headers, body }).then(
      () => send(body),
      (error: unknown) => {
        // The command has been carried out; its answer is sent even though it could not be
        // stored. A retry is then executed again, which ledger commands absorb (ids in the body).
        req.log?.error({ err: error }, 'could not store the response of an idempotency key');
        void release().finally(() => send(body));
      },
    );
    return res;
  };
  res.once('close', () => {
    if (!settled) {
      settled = true;
      void release();
    }
  });
}
