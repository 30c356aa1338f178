import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { problem, sendProblem } from '../app';

export interface SecurityOptions {
  /** Origins allowed to call the API from a browser (`https://erp.example.com`); empty: no CORS headers at all. */
  corsOrigins?: readonly string[];
}

/** How long a browser may cache a CORS preflight answer. */
const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
/** The only routes that take multipart/form-data: attachment uploads (bounded by multer there). */
const MULTIPART_ROUTES: readonly RegExp[] = [/^\/api\/documents\/[A-Za-z0-9_-]+\/attachments\/?$/];
/** The only route that takes XML: the SAF-T import (parsed and bounded there). */
const XML_ROUTES: readonly RegExp[] = [/^\/api\/finance\/import\/saft\/?$/];

/**
 * The first middleware of the app, before the body parser:
 * - security headers (helmet): `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`,
 *   a strict Content-Security-Policy with `frame-ancestors 'none'`, HSTS, no referrer, …;
 * - CORS for the configured origins only (none by default);
 * - JSON bodies only: a POST/PUT/PATCH that carries a body of another content type gets
 *   415 UNSUPPORTED_MEDIA_TYPE (a body-less request passes); the one exception is
 *   multipart/form-data on attachment uploads (MULTIPART_ROUTES) and XML on the SAF-T
 *   import (XML_ROUTES).
 */
export function createSecurityMiddleware(options: SecurityOptions = {}): RequestHandler[] {
  const origins = new Set(options.corsOrigins ?? []);
  return [
    helmet({
      frameguard: { action: 'deny' },
      contentSecurityPolicy: { directives: { 'frame-ancestors': ["'none'"] } },
      referrerPolicy: { policy: 'no-referrer' },
    }),
    cors({
      origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id', 'X-Correlation-Id'],
      exposedHeaders: ['Location', 'ETag', 'Retry-After', 'Idempotent-Replayed', 'X-Request-Id', 'X-Correlation-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
      maxAge: CORS_PREFLIGHT_MAX_AGE_SECONDS,
    }),
    requireJsonBodies,
  ];
}

const requireJsonBodies: RequestHandler = (req, res, next) => {
  // `req.is` is null without a body, false for a body of another type.
  const multipartAllowed = req.method === 'POST' && MULTIPART_ROUTES.some((route) => route.test(req.path)) && req.is('multipart/form-data') !== false;
  const xmlAllowed = req.method === 'POST' && XML_ROUTES.some((route) => route.test(req.path)) && req.is(['application/xml', 'text/xml']) !== false;
  if (METHODS_WITH_BODY.has(req.method) && !multipartAllowed && !xmlAllowed && req.is(['application/json', 'application/*+json']) === false) {
    sendProblem(
      res,
      problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be JSON (Content-Type: application/json).', {
        instance: req.originalUrl,
        contentType: String(req.headers['content-type'] ?? '').slice(0, 100),
      }),
    );
    return;
  }
  next();
};
