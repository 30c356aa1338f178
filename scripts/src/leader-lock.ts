import pg from 'pg';

/**
 * Leadership for work that must run once in a deployment (the process managers): a
 * PostgreSQL session-level advisory lock on a dedicated connection. Whoever holds the lock
 * leads; if that process dies, its connection closes, the lock is released, and another
 * replica's next `tryAcquire` takes over.
 */
export class PostgresLeaderLock {
  private client: pg.Client | null = null;

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
    client.on('error', () => undefined);
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

  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
