import pg from 'pg';
import { closePool, migrateSchema, openPool, type SchemaMigration } from '@neuroerp/infra';

/** A command a process manager issued that the domain refused: kept for an operator, never retried by itself. */
export interface ProcessManagerRefusal {
  runtime: string;
  processManager: string;
  eventId: string;
  position: bigint;
  eventType: string;
  code: string;
  message: string;
}

/** What a process-manager runtime keeps durably: its checkpoint and the refusals it met. */
export interface ProcessManagerStore {
  /** The position of the last event the runtime completed; null before the first. */
  loadCheckpoint(runtime: string): Promise<bigint | null>;
  /** Never moves a checkpoint backwards (a stale writer cannot undo progress). */
  saveCheckpoint(runtime: string, position: bigint): Promise<void>;
  /** Idempotent per runtime, process manager and event (a redelivered event records once). */
  recordRefusal(refusal: ProcessManagerRefusal): Promise<void>;
  refusals(runtime: string): Promise<ProcessManagerRefusal[]>;
  close(): Promise<void>;
}

export interface PostgresProcessManagerStoreOptions {
  connectionString: string;
  /** PostgreSQL schema of the tables; the event store's schema is fine (tables are prefixed `process_manager_`). */
  schema: string;
  poolSizeMax?: number;
}

/** Refusals listed at most per call. */
export const REFUSALS_LISTED_MAX = 1000;
const MESSAGE_LENGTH_MAX = 2000;

const migrations: SchemaMigration[] = [
  {
    name: '0001_process_manager_checkpoints',
    async up(db, s) {
      await db.raw(`
        create table "${s}".process_manager_checkpoints (
          runtime text primary key,
          position bigint not null,
          updated_at timestamptz not null default now()
        );
        create table "${s}".process_manager_refusals (
          runtime text not null,
          process_manager text not null,
          event_id uuid not null,
          position bigint not null,
          event_type text not null,
          code text not null,
          message text not null,
          recorded_at timestamptz not null default now(),
          primary key (runtime, process_manager, event_id)
        );
      `);
    },
  },
];

/** The process-manager tables in PostgreSQL, next to the event store's. */
export class PostgresProcessManagerStore implements ProcessManagerStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  static async connect(options: PostgresProcessManagerStoreOptions): Promise<PostgresProcessManagerStore> {
    await migrateSchema(options.connectionString, options.schema, migrations, 'process_manager_migrations');
    const pool = openPool({ connectionString: options.connectionString, max: options.poolSizeMax ?? 2 });
    return new PostgresProcessManagerStore(pool, options.schema);
  }

  private table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  async loadCheckpoint(runtime: string): Promise<bigint | null> {
    const { rows } = await this.pool.query<{ position: string }>(`select position from ${this.table('process_manager_checkpoints')} where runtime = $1`, [runtime]);
    const row = rows[0];
    return row === undefined ? null : BigInt(row.position);
  }

  async saveCheckpoint(runtime: string, position: bigint): Promise<void> {
    await this.pool.query(
      `insert into ${this.table('process_manager_checkpoints')} as c (runtime, position) values ($1, $2)
       on conflict (runtime) do update set position = greatest(c.position, excluded.position), updated_at = now()`,
      [runtime, position.toString()],
    );
  }

  async recordRefusal(refusal: ProcessManagerRefusal): Promise<void> {
    await this.pool.query(
      `insert into ${this.table('process_manager_refusals')} (runtime, process_manager, event_id, position, event_type, code, message)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
      [refusal.runtime, refusal.processManager, refusal.eventId, refusal.position.toString(), refusal.eventType, refusal.code, refusal.message.slice(0, MESSAGE_LENGTH_MAX)],
    );
  }

  async refusals(runtime: string): Promise<ProcessManagerRefusal[]> {
    const { rows } = await this.pool.query<{ runtime: string; process_manager: string; event_id: string; position: string; event_type: string; code: string; message: string }>(
      `select runtime, process_manager, event_id, position, event_type, code, message from ${this.table('process_manager_refusals')}
        where runtime = $1 order by position, process_manager limit ${REFUSALS_LISTED_MAX}`,
      [runtime],
    );
    return rows.map((row) => ({
      runtime: row.runtime,
      processManager: row.process_manager,
      eventId: row.event_id,
      position: BigInt(row.position),
      eventType: row.event_type,
      code: row.code,
      message: row.message,
    }));
  }

  async close(): Promise<void> {
    await closePool(this.pool);
  }
}
