import type { Knex } from 'knex';
import type { EventStore } from '@neuroerp/infra';
import { countUnresolvedDeadLetters, listCheckpoints, readActiveTableSet, readCheckpoint, type CheckpointRow } from './control';
import type { Projection } from './projection';
import type { RunnerState } from './runner';

export interface ProjectionStatus {
  name: string;
  /** The code's version of the projection. */
  version: number;
  /** What queries read, or null before the first build. */
  active: { version: number; build: number; schema: string } | null;
  position: string | null;
  headPosition: string;
  lagEvents: string | null;
  lagSeconds: number | null;
  /** This process's runner state when it runs one; else derived: 'live', 'needs_rebuild', 'not_built'. */
  state: string;
  deadLetters: number;
  /** Table sets being built by a rebuild right now (or left by a crashed one). */
  building: { version: number; build: number; position: string }[];
}

/**
 * Status per projection: position, lag in events and seconds (age of the oldest unapplied
 * event), state and unresolved dead letters. Positions are strings: JSON has no bigint.
 */
export async function projectionStatus(
  db: Knex,
  controlSchema: string,
  store: EventStore,
  projections: readonly Projection[],
  headPosition: bigint,
  runnerStates: ReadonlyMap<string, RunnerState> = new Map(),
): Promise<ProjectionStatus[]> {
  const checkpoints = await listCheckpoints(db, controlSchema);
  const deadLetters = await countUnresolvedDeadLetters(db, controlSchema);
  const statuses: ProjectionStatus[] = [];
  for (const projection of projections) {
    const active = await readActiveTableSet(db, controlSchema, projection.name);
    const checkpoint: CheckpointRow | null = active === null ? null : await readCheckpoint(db, controlSchema, active);
    let lagSeconds: number | null = null;
    if (checkpoint !== null) {
      lagSeconds = 0;
      if (checkpoint.position < headPosition) {
        const [next] = await store.readAll({ fromPosition: checkpoint.position === 0n ? 'start' : checkpoint.position, maxCount: 1 });
        if (next !== undefined) lagSeconds = Math.max(0, (Date.now() - Date.parse(next.metadata.recordedAt)) / 1000);
      }
    }
    const derived = active === null ? 'not_built' : active.version === projection.version ? 'live' : 'needs_rebuild';
    statuses.push({
      name: projection.name,
      version: projection.version,
      active: active === null ? null : { version: active.version, build: active.build, schema: active.schema },
      position: checkpoint?.position.toString() ?? null,
      headPosition: headPosition.toString(),
      lagEvents: checkpoint === null ? null : (headPosition > checkpoint.position ? headPosition - checkpoint.position : 0n).toString(),
      lagSeconds,
      state: runnerStates.get(projection.name) ?? derived,
      deadLetters: deadLetters.get(projection.name) ?? 0,
      building: checkpoints
        .filter((row) => row.name === projection.name && row.state === 'building')
        .map((row) => ({ version: row.version, build: row.build, position: row.position.toString() })),
    });
  }
  return statuses;
}
