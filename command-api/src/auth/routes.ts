import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ZodType, ZodTypeDef } from 'zod';
import { identity as wire } from '@neuroerp/schemas';
import { problem, sendProblem } from '../app';
import { identityProblem, validationFailed } from './errors';
import type { IdentityService, RequestContext } from './identity-service';
import { actorOf, requirePermission, rolePermissions } from './permissions';
import type { AccessTokenClaims, TokenService } from './tokens';

export interface IdentityRouterDependencies {
  service: IdentityService;
  tokens: TokenService;
  /** Failed-login throttles, run before the login handler. */
  loginThrottles?: RequestHandler[];
}

/** How long clients may cache the JWKS; a key rotation must keep the old key published at least this long. */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * The auth routes (`/api/auth/*`), the user routes (`/api/users/*`) and the JWKS. Expects
 * the body parser and the authenticate middleware in front of it.
 */
export function createIdentityRouter(deps: IdentityRouterDependencies): Router {
  const { service, tokens } = deps;
  const router = Router();

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).json(tokens.publicJwks());
  });

  router.post('/api/auth/register', handle(async (req, res) => {
    const user = await service.register(parse(wire.registerBodySchema, req.body), context(req));
    res.status(201).location(`/api/users/${user.userId}`).json({ user });
  }));

  router.post('/api/auth/login', ...(deps.loginThrottles ?? []), handle(async (req, res) => {
    const pair = await service.login(parse(wire.loginBodySchema, req.body), context(req));
    res.set('Cache-Control', 'no-store').json(pair);
  }));

  router.post('/api/auth/refresh', handle(async (req, res) => {
    const pair = await service.refresh(parse(wire.refreshBodySchema, req.body).refreshToken, context(req));
    res.set('Cache-Control', 'no-store').json(pair);
  }));

  router.post('/api/auth/logout', handle(async (req, res) => {
    await service.logout(parse(wire.logoutBodySchema, req.body).refreshToken, context(req));
    res.status(204).end();
  }));

  router.get('/api/auth/verify', requireActor, (_req, res) => {
    const actor = actorOf(res);
    const claims = res.locals.accessToken as AccessTokenClaims;
    res.set('Cache-Control', 'no-store').json({
      active: true,
      userId: actor.userId,
      role: actor.role,
      permissions: [...rolePermissions[actor.role]],
      sessionId: claims.sessionId,
      expiresAt: claims.expiresAt.toISOString(),
    });
  });

  router.get('/api/users', requirePermission('users:read'), handle(async (req, res) => {
    const page = parse(wire.listUsersQuerySchema, req.query, 'query');
    const { items, total } = await service.directory.list(page);
    res.json({ items, total, limit: page.limit, offset: page.offset });
  }));

  router.get('/api/users/:userId', requirePermission('users:read'), handle(async (req, res) => {
    res.json({ user: await service.getUser(String(req.params.userId)) });
  }));

  router.post('/api/users', requirePermission('users:manage'), handle(async (req, res) => {
    const user = await service.createUser(parse(wire.createUserBodySchema, req.body), actorOf(res), context(req));
    res.status(201).location(`/api/users/${user.userId}`).json({ user });
  }));

  router.put('/api/users/:userId/role', requirePermission('users:manage'), handle(async (req, res) => {
    const { role } = parse(wire.changeRoleBodySchema, req.body);
    res.json({ user: await service.changeRole(String(req.params.userId), role, actorOf(res), context(req)) });
  }));

  router.delete('/api/users/:userId', requirePermission('users:manage'), handle(async (req, res) => {
    await service.deleteUser(String(req.params.userId), actorOf(res), context(req));
    res.status(204).end();
  }));

  return router;
}

/** Any authenticated caller; `requirePermission` with a permission every role has would say the same less clearly. */
const requireActor: RequestHandler = (req, res, next) => {
  if (res.locals.actor !== undefined) {
    next();
    return;
  }
  res.set('WWW-Authenticate', 'Bearer');
  sendProblem(res, problem(401, 'UNAUTHENTICATED', 'This request needs a valid bearer access token.', { instance: req.originalUrl }));
};

function parse<Output>(schema: ZodType<Output, ZodTypeDef, unknown>, value: unknown, location: 'body' | 'query' = 'body'): Output {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw validationFailed(location, result.error.issues);
  return result.data;
}

function context(req: Request): RequestContext {
  const id = (req as Request & { id?: unknown }).id;
  return { requestId: typeof id === 'string' || typeof id === 'number' ? String(id) : null };
}

/** Expected failures become problem+json here; anything else goes to the app's error middleware (500). */
function handle(run: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    run(req, res).catch((error: unknown) => {
      const body = identityProblem(error);
      if (body === null) {
        next(error);
        return;
      }
      if (body.status === 401) res.set('WWW-Authenticate', 'Bearer');
      sendProblem(res, { ...body, instance: req.originalUrl });
    });
  };
}
