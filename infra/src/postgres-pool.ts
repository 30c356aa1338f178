import pg from 'pg';

/** The connections of each pool made by {@link openPool} that have not closed yet. */
const openConnections = new WeakMap<pg.Pool, Set<pg.Client>>();

/**
 * A connection pool that outlives its server's restarts and whose {@link closePool} waits for
 * the connections to close. A server that goes away (restart, failover, shutdown) makes pg emit
 * 'error' on idle clients (through the pool) and on checked-out ones; unhandled, either would end
 * the process. Handled here, the next query fails instead, where its caller handles it.
 */
export function openPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  const open = new Set<pg.Client>();
  openConnections.set(pool, open);
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    open.add(client);
    client.on('error', () => undefined);
  });
  // 'remove' comes once the client's socket has ended.
  pool.on('remove', (client) => open.delete(client));
  return pool;
}

/**
 * Ends the pool and resolves once every connection it opened has closed. pg's own `end()`
 * resolves when the pool has let go of its clients, before their sockets close: a PostgreSQL
 * stopped right after it would still see those sessions and terminate them (FATAL in its log,
 * and an 'error' event on each client).
 */
export async function closePool(pool: pg.Pool): Promise<void> {
  await pool.end();
  const open = openConnections.get(pool);
  if (open === undefined) return;
  while (open.size > 0) {
    await new Promise<void>((resolve) => pool.once('remove', () => resolve()));
  }
}
