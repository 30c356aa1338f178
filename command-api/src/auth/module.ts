import type { RequestHandler, Router } from 'express';
import type { EventStore } from '@neuroerp/infra';
import { createRateLimiters, type RateLimitOptions } from '../http/rate-limits';
import { createAuthenticate } from './authenticate';
import { IdentityService } from './identity-service';
import type { SigningKey } from './keys';
import type { ScryptCost } from './passwords';
import { createIdentityRouter } from './routes';
import { ACCESS_TOKEN_TTL_SECONDS_DEFAULT, JWT_ISSUER_DEFAULT, REFRESH_TOKEN_TTL_SECONDS_DEFAULT, TokenService } from './tokens';

export interface IdentityModuleDependencies {
  eventStore: Pick<EventStore, 'appendToStream' | 'readStream' | 'readAll'>;
  signingKey: SigningKey;
  issuer?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  rateLimits?: RateLimitOptions;
  clock?: () => Date;
  scryptCost?: ScryptCost;
}

/** Everything the server mounts for authentication and users. */
export interface IdentityModule {
  /**
   * App-wide, after the body parser and before every API router, in this order: the per-route
   * rate limits, authentication (sets `res.locals.actor`), the per-role rate limits.
   */
  middleware: RequestHandler[];
  /** `/api/auth/*`, `/api/users/*`, `/.well-known/jwks.json`. */
  router: Router;
  service: IdentityService;
  tokens: TokenService;
}

export function createIdentityModule(deps: IdentityModuleDependencies): IdentityModule {
  const accessTokenTtlSeconds = deps.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS_DEFAULT;
  const refreshTokenTtlSeconds = deps.refreshTokenTtlSeconds ?? REFRESH_TOKEN_TTL_SECONDS_DEFAULT;
  // A refresh token that dies before the access token it renews would be useless.
  if (!(refreshTokenTtlSeconds > accessTokenTtlSeconds)) throw new Error('the refresh token TTL must be longer than the access token TTL');
  const tokens = new TokenService({ key: deps.signingKey, issuer: deps.issuer ?? JWT_ISSUER_DEFAULT, accessTokenTtlSeconds, clock: deps.clock });
  const service = new IdentityService({ eventStore: deps.eventStore, tokens, refreshTokenTtlSeconds, clock: deps.clock, scryptCost: deps.scryptCost });
  const limits = createRateLimiters(deps.rateLimits);
  return {
    middleware: [limits.perRoute, createAuthenticate(tokens), limits.perRole],
    router: createIdentityRouter({ service, tokens, loginThrottles: limits.login }),
    service,
    tokens,
  };
}
