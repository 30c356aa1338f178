import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Options, type RateLimitInfo, type Store } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { identity as wire } from '@neuroerp/schemas';
import { problem, sendProblem } from '../app';
import type { AuthenticatedActor } from '../auth/permissions';

/**
 * Rate limits, fixed windows of one minute unless said otherwise; counters in Redis when a
 * client is given (shared by every instance), else in process memory.
 *
 * - per route group and client IP (ROUTE_RATE_LIMITS_PER_MINUTE);
 * - per authenticated user, by role (ROLE_RATE_LIMITS_PER_MINUTE);
 * - failed logins per account and per IP (LOGIN_THROTTLE), answered with LOGIN_THROTTLED.
 *
 * A limited request gets 429 with `Retry-After` (seconds) and problem+json RATE_LIMITED.
 * If Redis fails, requests pass (availability first); the limiter logs the error.
 */

export const RATE_LIMIT_WINDOW_MS = 60_000;

export const routeGroups = ['auth', 'users', 'documents', 'finance', 'workflows', 'query'] as const;
export type RouteGroup = (typeof routeGroups)[number];

export const ROUTE_RATE_LIMITS_PER_MINUTE: Readonly<Record<RouteGroup, number>> = Object.freeze({ auth: 100, users: 1000, documents: 500, finance: 200, workflows: 500, query: 2000 });

/** Which paths belong to which group (prefix match). */
export const ROUTE_GROUP_PREFIXES: Readonly<Record<RouteGroup, readonly string[]>> = Object.freeze({
  auth: ['/api/auth', '/.well-known'],
  users: ['/api/users'],
  documents: ['/api/documents'],
  finance: ['/api/ledger', '/api/finance'],
  workflows: ['/api/workflows'],
  query: ['/api/query', '/api/stream'],
});

/**
 * Requests per minute per user by role. admin, user, guest as specified; accountant 300 (posts in
 * bulk at month end), approver 200 and auditor 200 (reviewing and reading lists).
 */
export const ROLE_RATE_LIMITS_PER_MINUTE: Readonly<Record<wire.Role, number>> = Object.freeze({
  admin: 1000,
  user: 100,
  guest: 10,
  accountant: 300,
  approver: 200,
  auditor: 200,
});

/** Failed logins allowed per window, per account (user name) and per client IP. */
export interface LoginThrottle {
  windowMs: number;
  failuresPerAccountMax: number;
  failuresPerIpMax: number;
}
export const LOGIN_THROTTLE: Readonly<LoginThrottle> = Object.freeze({ windowMs: 15 * 60_000, failuresPerAccountMax: 5, failuresPerIpMax: 50 });

export interface RateLimitOptions {
  /** Shared counters; null or absent: in-memory counters per process. */
  redis?: Redis | null;
  /** Override limits (tests inject tiny ones). */
  windowMs?: number;
  routeLimits?: Partial<Record<RouteGroup, number>>;
  roleLimits?: Partial<Record<wire.Role, number>>;
  login?: Partial<LoginThrottle>;
  /** Redis key prefix, so that several deployments (or tests) can share one Redis. */
  keyPrefix?: string;
}

export interface RateLimiters {
  /** Per route group and IP; mount app-wide before authentication. */
  perRoute: RequestHandler;
  /** Per user and role; mount after authentication (anonymous requests pass). */
  perRole: RequestHandler;
  /** Failed-login throttles (per account, per IP); mount on the login route after the body parser. */
  login: RequestHandler[];
}

export function createRateLimiters(options: RateLimitOptions = {}): RateLimiters {
  const windowMs = options.windowMs ?? RATE_LIMIT_WINDOW_MS;
  const routeLimits = { ...ROUTE_RATE_LIMITS_PER_MINUTE, ...options.routeLimits };
  const roleLimits = { ...ROLE_RATE_LIMITS_PER_MINUTE, ...options.roleLimits };
  const login = { ...LOGIN_THROTTLE, ...options.login };
  const store = (name: string): Store | undefined => (options.redis ? redisStore(options.redis, `${options.keyPrefix ?? 'neuroerp:rl:'}${name}:`) : undefined);

  const byGroup = new Map<RouteGroup, RequestHandler>(
    routeGroups.map((group) => [
      group,
      limiter({ windowMs, limit: routeLimits[group], keyGenerator: clientIp, store: store(`route:${group}`), handler: limited('RATE_LIMITED', `route group "${group}"`) }),
    ]),
  );
  const perRoute: RequestHandler = (req, res, next) => {
    const group = routeGroupOf(req.path);
    const handler = group === null ? undefined : byGroup.get(group);
    if (handler === undefined) {
      next();
      return;
    }
    void handler(req, res, next);
  };

  const perRole = limiter({
    windowMs,
    limit: (_req, res) => roleLimits[(res.locals.actor as AuthenticatedActor).role],
    skip: (_req, res) => res.locals.actor === undefined,
    keyGenerator: (_req, res) => (res.locals.actor as AuthenticatedActor).userId,
    store: store('role'),
    handler: limited('RATE_LIMITED', 'your role'),
  });

  const loginOptions = { windowMs: login.windowMs, skipSuccessfulRequests: true, handler: limited('LOGIN_THROTTLED', 'failed logins') };
  const perAccount = limiter({
    ...loginOptions,
    limit: login.failuresPerAccountMax,
    keyGenerator: (req) => {
      const username = (req.body as { username?: unknown } | undefined)?.username;
      return typeof username === 'string' ? wire.normalizeUsername(username).slice(0, wire.USERNAME_LENGTH_MAX) : '(none)';
    },
    store: store('login:account'),
  });
  const perIp = limiter({ ...loginOptions, limit: login.failuresPerIpMax, keyGenerator: clientIp, store: store('login:ip') });
  return { perRoute, perRole, login: [perIp, perAccount] };
}

export function routeGroupOf(path: string): RouteGroup | null {
  for (const group of routeGroups) {
    if (ROUTE_GROUP_PREFIXES[group].some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return group;
  }
  return null;
}

/** A Redis client for the rate limiters; the caller quits it on shutdown. */
export function createRedisClient(url: string): Redis {
  // Fail fast instead of queueing requests while Redis is down (the limiters then let requests pass).
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
}

function redisStore(redis: Redis, prefix: string): Store {
  return new RedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply> });
}

function limiter(options: Partial<Options>): RequestHandler {
  return rateLimit({ standardHeaders: 'draft-6', legacyHeaders: false, passOnStoreError: true, ...options });
}

function clientIp(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

function limited(code: 'RATE_LIMITED' | 'LOGIN_THROTTLED', scope: string): Options['handler'] {
  return (req: Request, res: Response, _next, options) => {
    const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
    const resetMs = info?.resetTime ? info.resetTime.getTime() - Date.now() : options.windowMs;
    const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    res.set('Retry-After', String(retryAfterSeconds));
    sendProblem(
      res,
      problem(429, code, `Too many requests for ${scope}; retry after ${retryAfterSeconds} seconds.`, {
        instance: req.originalUrl,
        limit: info?.limit ?? null,
        windowSeconds: Math.round(options.windowMs / 1000),
        retryAfterSeconds,
      }),
    );
  };
}
