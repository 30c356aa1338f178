import { z } from 'zod';
import { DISPLAY_NAME_LENGTH_MAX, passwordSchema, roleSchema, usernameSchema } from './primitives';

/** Request bodies of the auth and user routes. Unknown members are refused (a typo is an error, not a no-op). */

export const registerBodySchema = z
  .object({ username: usernameSchema, password: passwordSchema, displayName: z.string().trim().min(1).max(DISPLAY_NAME_LENGTH_MAX).optional() })
  .strict();
export type RegisterBody = z.infer<typeof registerBodySchema>;

export const loginBodySchema = z.object({ username: usernameSchema, password: passwordSchema }).strict();
export type LoginBody = z.infer<typeof loginBodySchema>;

/** Refresh and logout take the refresh token; its format is checked by the handler (a bad one is REFRESH_TOKEN_INVALID). */
export const refreshBodySchema = z.object({ refreshToken: z.string().min(1).max(200) }).strict();
export type RefreshBody = z.infer<typeof refreshBodySchema>;

export const logoutBodySchema = refreshBodySchema;
export type LogoutBody = z.infer<typeof logoutBodySchema>;

export const createUserBodySchema = registerBodySchema.extend({ role: roleSchema }).strict();
export type CreateUserBody = z.infer<typeof createUserBodySchema>;

export const changeRoleBodySchema = z.object({ role: roleSchema }).strict();
export type ChangeRoleBody = z.infer<typeof changeRoleBodySchema>;

export const USERS_PAGE_SIZE_MAX = 200;
export const USERS_PAGE_SIZE_DEFAULT = 50;

export const listUsersQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(USERS_PAGE_SIZE_MAX).default(USERS_PAGE_SIZE_DEFAULT),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;
