import { usernamesByIds, usersProjection } from '@neuroerp/projections';
import type { RouteContext } from '../route';

/** The users read model (projections `usersProjection`): routes that show user ids read it optionally, for the user names. */
export const USERS = usersProjection.name;

/** Resolves a user id to its user name: null for no id, an id without a user (`system`, `self`) or while the users read model is not built. */
export type UserNameOf = (userId: string | null | undefined) => string | null;

/**
 * Loads the user names of every id in `userIds` with one query (none without ids or without
 * the users read model) and answers a lookup. Routes collect the ids of a whole answer first,
 * so a page costs one query, never one per row.
 */
export async function loadUserNames(context: Pick<RouteContext<unknown, unknown>, 'db' | 'controlSchema' | 'readModels'>, userIds: Iterable<string | null | undefined>): Promise<UserNameOf> {
  const ids = new Set<string>();
  for (const id of userIds) if (id !== null && id !== undefined && id !== '') ids.add(id);
  const names = ids.size === 0 || !context.readModels.has(USERS) ? new Map<string, string>() : await usernamesByIds(context.db, context.controlSchema, ids);
  return (userId) => (userId === null || userId === undefined ? null : (names.get(userId) ?? null));
}
