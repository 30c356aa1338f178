import knex, { type Knex } from 'knex';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Refuses anything but a plain lower-case identifier, so that it can be put into SQL text. */
export function assertSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
}

interface Migration {
  name: string;
  up(db: Knex, schema: string): Promise<void>;
}

/**
 * The event store's tables. Global positions are assigned under the row lock of
 * `chain_head`, so they are gapless and in commit order (see docs/adr/0002).
 */
const migrations: Migration[] = [
  {
    name: '0001_event_store',
    async up(db, s) {
      await db.raw(`
        create table "${s}".events (
          global_position bigint primary key,
          event_id uuid not null unique,
          stream_id text not null,
          stream_version bigint not null,
          type text not null,
          schema_version integer not null,
          data jsonb not null,
          metadata jsonb not null,
          recorded_at timestamptz not null,
          prev_hash text not null,
          hash text not null,
          unique (stream_id, stream_version)
        );
        create table "${s}".streams (
          stream_id text primary key,
          version bigint not null
        );
        create table "${s}".chain_head (
          singleton boolean primary key default true check (singleton),
          position bigint not null,
          hash text not null
        );
        insert into "${s}".chain_head (position, hash) values (0, repeat('0', 64));

        create function "${s}".reject_event_change() returns trigger language plpgsql as $$
        begin
          raise exception 'the event log is append-only: % on %.events is not allowed', tg_op, tg_table_schema
            using errcode = 'restrict_violation';
        end $$;
        create trigger events_append_only before update or delete on "${s}".events
          for each row execute function "${s}".reject_event_change();
        create trigger events_no_truncate before truncate on "${s}".events
          for each statement execute function "${s}".reject_event_change();
      `);
    },
  },
];

function migrationSource(schema: string): Knex.MigrationSource<Migration> {
  return {
    getMigrations: async () => migrations,
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({
      up: (db: Knex) => migration.up(db, schema),
      down: async () => {
        throw new Error('event store migrations are forward-only');
      },
    }),
  };
}

/** Creates or upgrades the event store's tables in `schema`. Safe to run concurrently. */
export async function migrateEventStore(connectionString: string, schema: string): Promise<void> {
  assertSchemaName(schema);
  const db = knex({ client: 'pg', connection: connectionString, pool: { min: 0, max: 1 } });
  try {
    await db.raw(`create schema if not exists "${schema}"`).catch((error: { code?: string }) => {
      // Two processes creating the schema at once: the loser sees a unique violation.
      if (error.code !== '23505') throw error;
    });
    await db.migrate.latest({
      migrationSource: migrationSource(schema),
      schemaName: schema,
      tableName: 'knex_migrations',
    });
  } finally {
    await db.destroy();
  }
}
