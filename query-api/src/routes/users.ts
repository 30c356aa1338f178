import { listUsers } from '@neuroerp/projections';
import { cursorParameter, encodeCursor, limitParameter, pageSchema } from '../http/pagination';
import { z } from '../http/zod';
import { defineRoute } from '../route';

/** The users read model (projections `usersProjection`). */
export const USERS = 'users';

export const usersRoute = defineRoute({
  path: '/users',
  operationId: 'queryUsers',
  summary: 'Users in user-name order (never password hashes). Auditors and admins only.',
  tags: ['query: users'],
  permission: 'users:read',
  reads: [USERS],
  query: z.object({
    status: z.enum(['active', 'deleted']).optional(),
    role: z.string().min(1).max(50).optional(),
    cursor: cursorParameter(z.tuple([z.string(), z.string()])),
    limit: limitParameter,
  }),
  response: pageSchema(
    z.object({
      userId: z.string(),
      username: z.string(),
      displayName: z.string().nullable(),
      role: z.string(),
      status: z.enum(['active', 'deleted']),
      createdAt: z.string(),
      createdBy: z.string(),
      updatedAt: z.string(),
      updatedBy: z.string(),
    }),
  ),
  async run(context) {
    const { query } = context;
    const page = await listUsers(context.db, context.controlSchema, {
      status: query.status,
      role: query.role,
      after: query.cursor === undefined ? undefined : { username: query.cursor[0], userId: query.cursor[1] },
      limit: query.limit,
    });
    return { items: page.items, nextCursor: page.next === null ? null : encodeCursor([page.next.username, page.next.userId]) };
  },
});
