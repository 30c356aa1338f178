import pg from 'pg';
import type { Leadership } from './process-manager-supervisor';

/**
 * Leadership for work that must run once in a deployment (the process managers): a
 * PostgreSQL session-level advisory lock on a dedicated connection. Whoever holds the lock
 * leads; if that process dies, its connection closes, the lock is released, and another
 * replica's next `tryAcquire` takes over. A session that ends otherwise (a server restart) is
 * reported to `onLost`: the lock went with it.
 */
export class PostgresLeaderLock implements Leadership {
  private client: pg.Client | null = null;
  private readonly lostListeners: (() => void)[] = [];

  constructor(
    private readonly connectionString: string,
    /** The lock's name, e.g. `<schema>.process-managers`; hashed to the advisory-lock key. */
    private readonly name: string,
  ) {}

  get held(): boolean {
    return this.client !== null;
  }

  /** True once this process holds the lock (then it keeps it until `release`). */
  async tryAcquire(): Promise<boolean> {
    if (this.client !== null) return true;
    const client = new pg.Client({ connectionString: this.connectionString });
    // A lost session (server restart, failover) has released the lock: whoever held it no longer leads.
    client.on('error', () => this.lose(client));
    client.on('end', () => this.lose(client));
    await client.connect();
    try {
      const { rows } = await client.query<{ acquired: boolean }>('select pg_try_advisory_lock(hashtext($1)) as acquired', [this.name]);
      if (rows[0]?.acquired === true) {
        this.client = client;
        return true;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    await client.end();
    return false;
  }

  onLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  private lose(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    for (const listener of this.lostListeners) listener();
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
