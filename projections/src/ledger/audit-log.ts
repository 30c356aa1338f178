import type { Knex } from 'knex';
import { activeSchema } from '../runtime/control';
import type { Projection } from '../runtime/projection';
import { assertPageSize, insertRows } from './shared';

/** The audit log: one row per event of every kind, with who, when, why and its place in the hash chain. */
export const auditLogProjection: Projection = {
  name: 'audit_log',
  version: 1,
  handles: ['*'],
  tables: [{ name: 'audit_events', orderBy: ['position'] }],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".audit_events (
        position bigint primary key,
        event_id text not null,
        stream_id text not null,
        stream_version integer not null,
        event_type text not null,
        schema_version integer not null,
        actor_user_id text not null,
        actor_role text not null,
        occurred_at timestamptz not null,
        recorded_at timestamptz not null,
        correlation_id text not null,
        causation_id text,
        request_id text,
        reason text,
        prev_hash text not null,
        hash text not null
      );
      create index on "${schema}".audit_events (correlation_id);
      create index on "${schema}".audit_events (actor_user_id, position);
      create index on "${schema}".audit_events (stream_id, stream_version);
    `);
  },
  async apply(events, { tx, schema }) {
    const rows = events.map((event) => ({
      position: event.globalPosition.toString(),
      event_id: event.eventId,
      stream_id: event.streamId,
      stream_version: event.streamVersion,
      event_type: event.type,
      schema_version: event.schemaVersion,
      actor_user_id: event.metadata.actor.userId,
      actor_role: event.metadata.actor.role,
      occurred_at: event.metadata.occurredAt,
      recorded_at: event.metadata.recordedAt,
      correlation_id: event.metadata.correlationId,
      causation_id: event.metadata.causationId,
      request_id: event.metadata.requestId,
      reason: event.metadata.reason ?? null,
      prev_hash: event.prevHash,
      hash: event.hash,
    }));
    await insertRows(tx, schema, 'audit_events', rows, 'on conflict (position) do nothing');
  },
};

export interface AuditEntry {
  position: bigint;
  eventId: string;
  streamId: string;
  streamVersion: number;
  eventType: string;
  actor: { userId: string; role: string };
  occurredAt: string;
  recordedAt: string;
  correlationId: string;
  causationId: string | null;
  requestId: string | null;
  reason: string | null;
  prevHash: string;
  hash: string;
}

/** A page of the audit log in position order, optionally for one correlation id, actor or stream. */
export async function auditLogEntries(
  db: Knex,
  controlSchema: string,
  query: { afterPosition?: bigint; correlationId?: string; actorUserId?: string; streamId?: string; limit: number },
): Promise<AuditEntry[]> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, auditLogProjection.name);
  const builder = db.withSchema(schema).table('audit_events').select('*', db.raw('position::text as position_text')).orderBy('position').limit(query.limit);
  if (query.afterPosition !== undefined) builder.where('position', '>', query.afterPosition.toString());
  if (query.correlationId !== undefined) builder.where('correlation_id', query.correlationId);
  if (query.actorUserId !== undefined) builder.where('actor_user_id', query.actorUserId);
  if (query.streamId !== undefined) builder.where('stream_id', query.streamId);
  const rows = (await builder) as Record<string, unknown>[];
  return rows.map((row) => ({
    position: BigInt(row.position_text as string),
    eventId: row.event_id as string,
    streamId: row.stream_id as string,
    streamVersion: row.stream_version as number,
    eventType: row.event_type as string,
    actor: { userId: row.actor_user_id as string, role: row.actor_role as string },
    occurredAt: (row.occurred_at as Date).toISOString(),
    recordedAt: (row.recorded_at as Date).toISOString(),
    correlationId: row.correlation_id as string,
    causationId: row.causation_id as string | null,
    requestId: row.request_id as string | null,
    reason: row.reason as string | null,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  }));
}
