import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { embeddedPostgresConnectionString, PostgresEventStore, startEmbeddedPostgres } from '@neuroerp/infra';
import type { ServerConfig } from './config';

export interface OpenedEventStore {
  store: PostgresEventStore;
  /** Where the store lives, without credentials, for messages. */
  location: string;
  /** The PostgreSQL connection string of the store's database (read models live there too). */
  connectionString: string;
  close(): Promise<void>;
}

async function reachable(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the event store the server uses, for CLI tools: DATABASE_URL when set; otherwise
 * the embedded cluster under DATA_DIR — the running server's if it is up, else started
 * just for this command and stopped again by `close()`.
 */
export async function openEventStore(config: ServerConfig): Promise<OpenedEventStore> {
  const schema = config.EVENT_STORE_SCHEMA;
  if (config.DATABASE_URL !== undefined) {
    const store = await PostgresEventStore.connect({ connectionString: config.DATABASE_URL, schema });
    return { store, location: `DATABASE_URL (schema ${schema})`, connectionString: config.DATABASE_URL, close: () => store.close() };
  }
  const databaseDir = path.join(config.DATA_DIR, 'pg');
  const location = `embedded PostgreSQL in ${databaseDir} (schema ${schema})`;
  // A running server may use another port than this shell's EMBEDDED_PG_PORT: PostgreSQL
  // writes the port it listens on into line 4 of postmaster.pid.
  const port = (await runningPort(databaseDir)) ?? config.EMBEDDED_PG_PORT;
  const running = await embeddedPostgresConnectionString({ databaseDir, port }).catch(() => null);
  if (running !== null && (await reachable(running))) {
    const store = await PostgresEventStore.connect({ connectionString: running, schema });
    return { store, location, connectionString: running, close: () => store.close() };
  }
  const embedded = await startEmbeddedPostgres({ databaseDir, port: config.EMBEDDED_PG_PORT });
  try {
    const store = await PostgresEventStore.connect({ connectionString: embedded.connectionString, schema });
    return {
      store,
      location,
      connectionString: embedded.connectionString,
      close: async () => {
        await store.close();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** The port of the PostgreSQL running on `databaseDir`, from its postmaster.pid; null if none. */
async function runningPort(databaseDir: string): Promise<number | null> {
  const pid = await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const port = Number(pid?.split('\n')[3]);
  return Number.isInteger(port) && port > 0 && port <= 65_535 ? port : null;
}
