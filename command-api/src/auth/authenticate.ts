import type { RequestHandler } from 'express';
import { sendProblem } from '../app';
import { identityProblem, IdentityHttpError } from './errors';
import type { AuthenticatedActor } from './permissions';
import type { TokenService } from './tokens';

/**
 * Paths that take no access token. A stale token sent to them by habit (a client refreshing
 * because its token expired) is ignored instead of refused.
 */
export const PUBLIC_API_PATHS: ReadonlySet<string> = new Set(['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout']);

/**
 * Paths whose clients cannot send headers (the browser's EventSource): they may pass the access
 * token as `?access_token=` instead (RFC 6750 §2.3). Request logs redact it (scripts server.ts).
 */
export const QUERY_TOKEN_PATHS: ReadonlySet<string> = new Set(['/api/stream']);

/** The access token of a request: the Bearer header, else `?access_token=` on QUERY_TOKEN_PATHS. */
function presentedAuthorization(req: Parameters<RequestHandler>[0]): string | undefined {
  if (req.headers.authorization !== undefined) return req.headers.authorization;
  const fromQuery = req.query.access_token;
  if (QUERY_TOKEN_PATHS.has(req.path) && typeof fromQuery === 'string') return `Bearer ${fromQuery}`;
  return undefined;
}

/**
 * Reads `Authorization: Bearer <access token>` on `/api/*` routes and puts the caller on
 * `res.locals.actor` (and the token's claims on `res.locals.accessToken`). Without the
 * header the request goes on anonymously and `requirePermission` answers 401
 * UNAUTHENTICATED where a permission is needed. A present but bad token is refused at once:
 * 401 TOKEN_EXPIRED (expired) or TOKEN_INVALID (malformed, wrong signature or key, wrong
 * issuer, audience or type). Expired access tokens are not recorded as events: they are
 * stateless and any client could replay one endlessly; `identity.token_expired` records the
 * expiry of a session's refresh token instead.
 */
export function createAuthenticate(tokens: TokenService): RequestHandler {
  return (req, res, next) => {
    const header = presentedAuthorization(req);
    if (header === undefined || !req.path.startsWith('/api/') || PUBLIC_API_PATHS.has(req.path)) {
      next();
      return;
    }
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    const verified = match?.[1] === undefined ? Promise.reject(new IdentityHttpError('TOKEN_INVALID', 'The Authorization header must be "Bearer <access token>".')) : tokens.verifyAccessToken(match[1]);
    verified.then(
      (claims) => {
        res.locals.actor = { userId: claims.userId, role: claims.role } satisfies AuthenticatedActor;
        res.locals.accessToken = claims;
        next();
      },
      (error: unknown) => {
        const body = identityProblem(error);
        if (body === null) {
          next(error);
          return;
        }
        res.set('WWW-Authenticate', `Bearer error="invalid_token"`);
        sendProblem(res, { ...body, instance: req.originalUrl });
      },
    );
  };
}
