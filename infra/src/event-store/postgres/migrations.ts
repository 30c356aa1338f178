import { assertSchemaName, migrateSchema, type SchemaMigration } from '../../postgres-migrations';

export { assertSchemaName };

/**
 * The event store's tables. Global positions are assigned under the row lock of
 * `chain_head`, so they are gapless and in commit order (see docs/adr/0002).
 */
const migrations: SchemaMigration[] = [
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
  {
    name: '0002_append_fast_path',
    async up(db, s) {
      // One round trip for a group commit planned from what this process knows (its last
      // chain head and stream versions). Every assumption is checked here, under the
      // chain-head row lock taken first; if any fails, the whole call fails and the writer
      // falls back to the locking path, which reads everything afresh (docs/adr/0002).
      await db.raw(`
        create function "${s}".append_planned(
          p_head_position bigint, p_head_hash text, p_new_head_position bigint, p_new_head_hash text,
          p_stream_ids text[], p_previous_versions bigint[], p_new_versions bigint[],
          p_positions bigint[], p_event_ids uuid[], p_event_stream_ids text[], p_stream_versions bigint[],
          p_types text[], p_schema_versions integer[], p_data jsonb[], p_metadata jsonb[],
          p_recorded_at timestamptz[], p_prev_hashes text[], p_hashes text[], p_channel text
        ) returns void language plpgsql as $$
        declare
          v_updated integer;
          v_existing integer;
        begin
          update "${s}".chain_head set position = p_new_head_position, hash = p_new_head_hash
           where position = p_head_position and hash = p_head_hash;
          if not found then
            raise exception 'chain head moved' using errcode = 'serialization_failure';
          end if;
          update "${s}".streams s set version = u.new_version
            from unnest(p_stream_ids, p_previous_versions, p_new_versions) as u(stream_id, previous_version, new_version)
           where s.stream_id = u.stream_id and u.previous_version >= 0 and s.version = u.previous_version;
          get diagnostics v_updated = row_count;
          select count(*) into v_existing from unnest(p_previous_versions) as v where v >= 0;
          if v_updated <> v_existing then
            raise exception 'stream version moved' using errcode = 'serialization_failure';
          end if;
          insert into "${s}".streams (stream_id, version)
          select u.stream_id, u.new_version
            from unnest(p_stream_ids, p_previous_versions, p_new_versions) as u(stream_id, previous_version, new_version)
           where u.previous_version < 0;
          insert into "${s}".events
            (global_position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
          select * from unnest(p_positions, p_event_ids, p_event_stream_ids, p_stream_versions, p_types, p_schema_versions,
                               p_data, p_metadata, p_recorded_at, p_prev_hashes, p_hashes);
          perform pg_notify(p_channel, p_new_head_position::text);
        end $$;
      `);
    },
  },
];

/** Creates or upgrades the event store's tables in `schema`. Safe to run concurrently. */
export async function migrateEventStore(connectionString: string, schema: string): Promise<void> {
  await migrateSchema(connectionString, schema, migrations, 'knex_migrations');
}
