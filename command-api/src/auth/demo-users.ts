import { DomainError } from '@neuroerp/domains';
import type { identity as wire } from '@neuroerp/schemas';
import type { IdentityService } from './identity-service';

/**
 * The demo accounts of the embedded profile, one per role; user name = role. The passwords
 * are public (README): never enable them on a reachable server.
 */
export const DEMO_USERS: readonly { username: string; role: wire.Role; password: string }[] = Object.freeze(
  (['admin', 'accountant', 'approver', 'auditor', 'user', 'guest'] as const).map((role) => ({ username: role, role, password: `demo-${role}-2026!` })),
);

/**
 * Creates the demo accounts when no user was ever created. Returns the user names created
 * (empty when users exist). Two instances starting at once are safe: the user-name claims
 * decide, the loser skips.
 */
export async function ensureDemoUsers(service: IdentityService): Promise<string[]> {
  if ((await service.directory.createdCount()) > 0) return [];
  const system = { userId: 'system', role: 'admin' };
  const created: string[] = [];
  for (const demo of DEMO_USERS) {
    try {
      await service.createUser({ username: demo.username, password: demo.password, role: demo.role, displayName: `Demo ${demo.role}` }, system, { requestId: null });
      created.push(demo.username);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'USERNAME_TAKEN')) throw error;
    }
  }
  return created;
}
