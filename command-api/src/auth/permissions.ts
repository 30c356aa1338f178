import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { problem, sendProblem } from '../app';

/** The roles of NeuroERP: the seed's admin, user and guest, plus the finance roles. */
export const roles = ['admin', 'user', 'guest', 'accountant', 'approver', 'auditor'] as const;
export type Role = (typeof roles)[number];

/** Named permissions; every command route requires exactly one. */
export const permissions = [
  'finance:read',
  'finance:write',
  'finance:post',
  'finance:approve',
  'finance:reverse',
  'accounts:manage',
  'periods:manage',
  'periods:close',
  'periods:grant_exception',
  'documents:read',
  'documents:write',
  'workflows:read',
  'workflows:act',
  'workflows:define',
  'workflows:start',
  'audit:read',
  'users:read',
  'users:manage',
  /** Start projection rebuilds (admin). */
  'projections:manage',
] as const;
export type Permission = (typeof permissions)[number];

const read: Permission[] = ['finance:read', 'documents:read', 'workflows:read'];

/**
 * What each role may do. `auditor` reads everything, including the audit trail, and changes nothing.
 * Workflows: everyone reads; approvers and accountants act on steps assigned to them (the
 * decider checks the assignee); only admins publish definitions (`workflows:define`) and start
 * instances over HTTP (`workflows:start`; process managers start them in-process), because
 * the start names the maker, whom maker ≠ checker protects against.
 */
export const rolePermissions: Readonly<Record<Role, ReadonlySet<Permission>>> = Object.freeze({
  admin: new Set(permissions),
  user: new Set<Permission>([...read, 'finance:write', 'documents:write']),
  guest: new Set<Permission>(read),
  accountant: new Set<Permission>([
    ...read,
    'finance:write',
    'finance:post',
    'finance:reverse',
    'accounts:manage',
    'periods:manage',
    'periods:close',
    'documents:write',
    'workflows:act',
  ]),
  approver: new Set<Permission>([...read, 'finance:approve', 'workflows:act']),
  auditor: new Set<Permission>([...read, 'audit:read', 'users:read']),
});

/** The authenticated caller, put on `res.locals.actor` by the authentication middleware. */
export interface AuthenticatedActor {
  userId: string;
  role: Role;
}

export function can(actor: AuthenticatedActor, permission: Permission): boolean {
  return rolePermissions[actor.role].has(permission);
}

/** The caller of this request; only valid behind `requirePermission`. */
export function actorOf(res: Response): AuthenticatedActor {
  const actor = res.locals.actor as AuthenticatedActor | undefined;
  if (!actor) throw new Error('actorOf() used on a route without authentication');
  return actor;
}

/** 401 UNAUTHENTICATED without an actor, 403 FORBIDDEN when the role lacks the permission. */
export function requirePermission(permission: Permission): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const actor = res.locals.actor as AuthenticatedActor | undefined;
    if (!actor) {
      res.set('WWW-Authenticate', 'Bearer');
      sendProblem(res, problem(401, 'UNAUTHENTICATED', 'This request needs a valid bearer access token.', { instance: req.originalUrl }));
      return;
    }
    if (!can(actor, permission)) {
      sendProblem(
        res,
        problem(403, 'FORBIDDEN', `The role "${actor.role}" does not have the permission "${permission}".`, {
          instance: req.originalUrl,
          permission,
        }),
      );
      return;
    }
    next();
  };
}
