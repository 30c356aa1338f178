import { createHash } from 'node:crypto';
import type { Request } from 'express';

/**
 * A strong entity tag derived from what determines the answer: the route, its parameters and
 * the checkpoint positions of the read models it reads. Equal inputs give equal bodies, so the
 * tag is known before the query runs and a 304 costs no read-model query.
 */
export function entityTag(key: string): string {
  return `"${createHash('sha256').update(key).digest('base64url').slice(0, 32)}"`;
}

/** True when `If-None-Match` lists `etag` (or `*`); weak comparison as RFC 9110 prescribes for GET. */
export function matchesIfNoneMatch(req: Request, etag: string): boolean {
  const header = req.get('If-None-Match');
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim() === '*' || opaque(candidate) === opaque(etag));
}
