/**
 * The identity bounded context: users, their unique user names and their login sessions
 * (refresh-token families). Pure: no I/O, no clock, no randomness; ids, token hashes,
 * password hashes and `now` arrive in the command.
 *
 * | aggregate       | stream id                              | events                                                                 |
 * |-----------------|----------------------------------------|------------------------------------------------------------------------|
 * | user            | `identity.user-<userId>`               | user_created, user_role_changed, user_deleted                          |
 * | user-name claim | `identity.username-<normalised name>`  | username_claimed                                                       |
 * | refresh family  | `identity.refresh_family-<familyId>`   | user_logged_in, refresh_token_rotated, user_logged_out, refresh_family_revoked, token_expired |
 *
 * Registration appends the claim first (expected version: the claim stream as loaded), then
 * the user (expected `no_stream`). Each command writes exactly one stream; on a version
 * conflict the handler reloads and decides again.
 */
export * from './types';
export * as user from './user';
export * as username from './username';
export * as refreshFamily from './refresh-family';
export { userStreamId } from './user';
export { usernameStreamId } from './username';
export { refreshFamilyStreamId, ROTATIONS_PER_FAMILY_MAX } from './refresh-family';
