import type { z } from 'zod';
import {
  refreshFamilyRevokedSchema,
  refreshTokenRotatedSchema,
  tokenExpiredSchema,
  userCreatedSchema,
  userDeletedSchema,
  userLoggedInSchema,
  userLoggedOutSchema,
  usernameClaimedSchema,
  userRoleChangedSchema,
} from './events';

export interface IdentityEventCatalogueEntry {
  schemaVersion: number;
  schema: z.ZodTypeAny;
  stream: 'identity.user' | 'identity.username' | 'identity.refresh_family';
}

/**
 * Every identity event type with its schema version, data schema and stream family. The
 * seed's `user.created`, `user.deleted`, `user.login`, `user.logout` and `token.expired` are
 * `identity.user_created`, `identity.user_deleted`, `identity.user_logged_in`,
 * `identity.user_logged_out` and `identity.token_expired`.
 */
export const identityEventCatalogue = {
  'identity.user_created': { schemaVersion: 1, schema: userCreatedSchema, stream: 'identity.user' },
  'identity.user_role_changed': { schemaVersion: 1, schema: userRoleChangedSchema, stream: 'identity.user' },
  'identity.user_deleted': { schemaVersion: 1, schema: userDeletedSchema, stream: 'identity.user' },
  'identity.username_claimed': { schemaVersion: 1, schema: usernameClaimedSchema, stream: 'identity.username' },
  'identity.user_logged_in': { schemaVersion: 1, schema: userLoggedInSchema, stream: 'identity.refresh_family' },
  'identity.refresh_token_rotated': { schemaVersion: 1, schema: refreshTokenRotatedSchema, stream: 'identity.refresh_family' },
  'identity.user_logged_out': { schemaVersion: 1, schema: userLoggedOutSchema, stream: 'identity.refresh_family' },
  'identity.refresh_family_revoked': { schemaVersion: 1, schema: refreshFamilyRevokedSchema, stream: 'identity.refresh_family' },
  'identity.token_expired': { schemaVersion: 1, schema: tokenExpiredSchema, stream: 'identity.refresh_family' },
} as const satisfies Record<string, IdentityEventCatalogueEntry>;

export type IdentityEventType = keyof typeof identityEventCatalogue;
export type IdentityEventData<Type extends IdentityEventType> = z.infer<(typeof identityEventCatalogue)[Type]['schema']>;

export function isIdentityEventType(type: string): type is IdentityEventType {
  return Object.prototype.hasOwnProperty.call(identityEventCatalogue, type);
}
