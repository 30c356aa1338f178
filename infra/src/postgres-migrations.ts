import knex, { type Knex } from 'knex';
import pg from 'pg';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Refuses anything but a plain lower-case identifier, so that it can be put into SQL text. */
export function assertSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
}

/** One forward-only migration of a table set that lives in a configurable schema. */
export interface SchemaMigration {
  name: string;
  up(db: Knex, schema: string): Promise<void>;
}

/**
 * Creates `schema` if needed and applies the pending `migrations` with knex, keeping the
 * bookkeeping in `<schema>.<tableName>` so that each table set migrates independently.
 * Processes that start at once (the server and a CLI command, say) take turns: knex's own
 * lock table cannot guard the creation of its bookkeeping tables, a session advisory lock can.
 */
export async function migrateSchema(
  connectionString: string,
  schema: string,
  migrations: readonly SchemaMigration[],
  tableName: string,
): Promise<void> {
  assertSchemaName(schema);
  const lock = new pg.Client({ connectionString });
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(hashtext($1))', [`migrate ${schema}.${tableName}`]);
    await applyMigrations(connectionString, schema, migrations, tableName);
  } finally {
    // Ending the session releases its advisory lock.
    await lock.end().catch(() => undefined);
  }
}

async function applyMigrations(
  connectionString: string,
  schema: string,
  migrations: readonly SchemaMigration[],
  tableName: string,
): Promise<void> {
  const db = knex({ client: 'pg', connection: connectionString, pool: { min: 0, max: 1 } });
  try {
    await db.raw(`create schema if not exists "${schema}"`).catch((error: { code?: string }) => {
      // Two processes creating the schema at once: the loser sees a unique violation.
      if (error.code !== '23505') throw error;
    });
    await db.migrate.latest({
      migrationSource: {
        getMigrations: async () => [...migrations],
        getMigrationName: (migration: SchemaMigration) => migration.name,
        getMigration: async (migration: SchemaMigration) => ({
          up: (trx: Knex) => migration.up(trx, schema),
          down: async () => {
            throw new Error(`${tableName}: migrations are forward-only`);
          },
        }),
      },
      schemaName: schema,
      tableName,
    });
  } finally {
    await db.destroy();
  }
}
