import type { EventStore } from '@neuroerp/infra';
import type { identity as wire } from '@neuroerp/schemas';

/** What the user routes show of a user; never the password hash. */
export interface UserView {
  userId: string;
  username: string;
  displayName: string | null;
  role: wire.Role;
  createdAt: string;
}

/** Events fetched per read while catching up. */
const CATCH_UP_BATCH_SIZE = 1_000;
/** The directory is held in memory; beyond this many users it needs the projection read model. */
export const DIRECTORY_USERS_MAX = 100_000;

/**
 * An in-process view of all users, kept by reading the global log from its last position
 * before every query (pull-based catch-up; no subscription, so nothing runs in the
 * background). It reads every event of the log once, which is fine for the embedded profile;
 * the projections issue replaces it with a PostgreSQL read model.
 */
export class UserDirectory {
  private readonly users = new Map<string, UserView>();
  private usersCreatedEver = 0;
  private position: bigint | 'start' = 'start';
  private catchingUp: Promise<void> | null = null;

  constructor(private readonly eventStore: Pick<EventStore, 'readAll'>) {}

  /** Reads everything appended since the last call; concurrent callers share one read. */
  catchUp(): Promise<void> {
    this.catchingUp ??= this.readToEnd().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: UserView[]; total: number }> {
    await this.catchUp();
    const all = [...this.users.values()];
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }

  /** How many users were ever created, deleted ones included. */
  async createdCount(): Promise<number> {
    await this.catchUp();
    return this.usersCreatedEver;
  }

  private async readToEnd(): Promise<void> {
    for (;;) {
      const events = await this.eventStore.readAll({ fromPosition: this.position, maxCount: CATCH_UP_BATCH_SIZE });
      for (const event of events) {
        this.position = event.globalPosition;
        switch (event.type) {
          case 'identity.user_created': {
            const data = event.data as wire.UserCreated;
            this.usersCreatedEver += 1;
            if (this.users.size >= DIRECTORY_USERS_MAX) throw new Error(`more than ${DIRECTORY_USERS_MAX} users: the in-memory user directory needs the read model`);
            this.users.set(data.userId, { userId: data.userId, username: data.username, displayName: data.displayName, role: data.role, createdAt: data.createdAt });
            break;
          }
          case 'identity.user_role_changed': {
            const data = event.data as wire.UserRoleChanged;
            const user = this.users.get(data.userId);
            if (user) this.users.set(data.userId, { ...user, role: data.role });
            break;
          }
          case 'identity.user_deleted':
            this.users.delete((event.data as wire.UserDeleted).userId);
            break;
          default:
            break;
        }
      }
      if (events.length < CATCH_UP_BATCH_SIZE) return;
    }
  }
}
