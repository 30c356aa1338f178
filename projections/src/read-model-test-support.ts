import { randomUUID } from 'node:crypto';
import type { NewEvent } from '@neuroerp/schemas';
import { resolveRunnableTableSet } from './runtime/control';
import type { Projection } from './runtime/projection';
import { rebuildProjection, type RebuildResult } from './runtime/rebuild';
import { ProjectionRunner } from './runtime/runner';
import type { ProjectionTestContext } from './test-support';

/** A new event of any type (schema version 1) as a command handler would append it. */
export function newEvent<Data>(type: string, data: Data, actor: { userId: string; role?: string }, extra: { reason?: string; requestId?: string } = {}): NewEvent<Data> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      actor: { userId: actor.userId, role: actor.role ?? 'accountant' },
      correlationId: randomUUID(),
      causationId: null,
      occurredAt: new Date().toISOString(),
      requestId: extra.requestId ?? `req-${randomUUID().slice(0, 8)}`,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    },
  };
}

/** Runs projections up to the head (what the continuous runners do, synchronously). */
export async function projectToHead(context: ProjectionTestContext, projections: readonly Projection[]): Promise<void> {
  for (const projection of projections) {
    const tableSet = await resolveRunnableTableSet(context.db, context.controlSchema, projection);
    if (tableSet === null) throw new Error(`${projection.name}: no runnable table set`);
    await new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection }).catchUp(tableSet, { mode: 'continuous' });
  }
}

/** Rebuilds a projection from position 0 in small batches and verifies it against the live table set. */
export async function rebuildInSmallBatches(context: ProjectionTestContext, projection: Projection): Promise<RebuildResult> {
  return rebuildProjection({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection, headPosition: context.headPosition, batchSizeMax: 2 });
}

/** Dead letters of a projection: a read model test expects none. */
export async function deadLetterCount(context: ProjectionTestContext, name: string): Promise<number> {
  const result = await context.db.raw(`select count(*)::int as n from "${context.controlSchema}".projection_dead_letters where name = ?`, [name]);
  return (result.rows as { n: number }[])[0]?.n ?? 0;
}
