import { toCsv } from '../http/csv';
import { cursorParameter, limitParameter, pageSchema, toPage } from '../http/pagination';
import { dateParameter, fromNotAfterTo } from '../http/parameters';
import { QueryProblemError } from '../http/problem';
import { z } from '../http/zod';
import { AUDIT_LOG, EXPORT_ROWS_MAX } from '../read-models/ledger';
import { loadUserNames, USERS } from '../read-models/users';
import { defineRoute } from '../route';

const auditEntrySchema = z.object({
  position: z.string(),
  recordedAt: z.string(),
  type: z.string(),
  streamId: z.string(),
  streamVersion: z.number().int(),
  actor: z.object({ userId: z.string(), role: z.string() }),
  actorName: z.string().nullable().describe('The user name of `actor.userId` (users read model); null when unknown (e.g. `system`).'),
  requestId: z.string().nullable(),
  correlationId: z.string(),
  reason: z.string().nullable(),
  hash: z.string(),
  prevHash: z.string(),
});
const auditResponse = pageSchema(auditEntrySchema);
type AuditResponse = z.infer<typeof auditResponse>;

interface AuditRow {
  position: string;
  recorded_at: Date;
  event_type: string;
  stream_id: string;
  stream_version: number;
  actor_user_id: string;
  actor_role: string;
  request_id: string | null;
  correlation_id: string;
  reason: string | null;
  hash: string;
  prev_hash: string;
}

export const auditLogRoute = defineRoute({
  path: '/audit-log',
  operationId: 'queryAuditLog',
  summary: 'Every event in position order with who, when, why, request and hash-chain link.',
  tags: ['query: audit'],
  permission: 'finance:read',
  reads: [AUDIT_LOG],
  optionalReads: [USERS],
  query: z.object({
    from: dateParameter.optional().describe('First day (UTC) of `recordedAt`.'),
    to: dateParameter.optional().describe('Last day (UTC) of `recordedAt`.'),
    actor: z.string().min(1).max(200).optional().describe('User id of the actor.'),
    type: z.string().min(1).max(200).optional().describe('Event type, e.g. `ledger.transaction_posted`.'),
    cursor: cursorParameter(z.tuple([z.string().regex(/^[0-9]+$/)])),
    limit: limitParameter,
  }),
  refine: fromNotAfterTo,
  response: auditResponse,
  csv: {
    filename: () => 'audit-log.csv',
    render: (body: AuditResponse) =>
      toCsv(
        [
          { header: 'position', value: (row) => row.position },
          { header: 'recordedAt', value: (row) => row.recordedAt },
          { header: 'type', value: (row) => row.type },
          { header: 'streamId', value: (row) => row.streamId },
          { header: 'streamVersion', value: (row) => row.streamVersion },
          { header: 'actor', value: (row) => row.actor.userId },
          { header: 'actorName', value: (row) => row.actorName },
          { header: 'role', value: (row) => row.actor.role },
          { header: 'requestId', value: (row) => row.requestId },
          { header: 'correlationId', value: (row) => row.correlationId },
          { header: 'reason', value: (row) => row.reason },
          { header: 'hash', value: (row) => row.hash },
        ],
        body.items,
      ),
  },
  async run(context): Promise<AuditResponse> {
    const { query } = context;
    const schema = context.schemaOf(AUDIT_LOG);
    const conditions = ['true'];
    const bindings: string[] = [];
    const where = (condition: string, ...values: string[]) => {
      conditions.push(condition);
      bindings.push(...values);
    };
    if (query.from !== undefined) where(`recorded_at >= ?::date::timestamp at time zone 'UTC'`, query.from);
    if (query.to !== undefined) where(`recorded_at < (?::date + 1)::timestamp at time zone 'UTC'`, query.to);
    if (query.actor !== undefined) where('actor_user_id = ?', query.actor);
    if (query.type !== undefined) where('event_type = ?', query.type);
    const csv = query.format === 'csv';
    if (csv) {
      const count = await context.db.raw(`select count(*)::int as n from "${schema}".audit_events where ${conditions.join(' and ')}`, bindings);
      const n = (count.rows as { n: number }[])[0]?.n ?? 0;
      if (n > EXPORT_ROWS_MAX) throw new QueryProblemError(400, 'EXPORT_TOO_LARGE', `${n} events exceed the export limit of ${EXPORT_ROWS_MAX}; narrow the filters.`);
    }
    if (query.cursor !== undefined) where('position > ?::bigint', query.cursor[0]);
    const pageSize = csv ? EXPORT_ROWS_MAX : query.limit;
    const result = await context.db.raw(
      `select position::text as position, recorded_at, event_type, stream_id, stream_version, actor_user_id, actor_role, request_id, correlation_id, reason, hash, prev_hash
         from "${schema}".audit_events where ${conditions.join(' and ')} order by audit_events.position limit ?`,
      [...bindings, pageSize + 1],
    );
    const rows = result.rows as AuditRow[];
    const nameOf = await loadUserNames(context, rows.slice(0, pageSize).map((row) => row.actor_user_id));
    return toPage(
      rows,
      pageSize,
      (row) => [row.position],
      (row) => ({
        position: row.position,
        recordedAt: row.recorded_at.toISOString(),
        type: row.event_type,
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        actor: { userId: row.actor_user_id, role: row.actor_role },
        actorName: nameOf(row.actor_user_id),
        requestId: row.request_id,
        correlationId: row.correlation_id,
        reason: row.reason,
        hash: row.hash,
        prevHash: row.prev_hash,
      }),
    );
  },
});
