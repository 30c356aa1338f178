import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';

/** How often the checkpoints are read while waiting (the runner does not NOTIFY on commit, so this polls). */
export const WAIT_FOR_POSITION_POLL_MS = 25;
/** Longest wait a caller may ask for; the query API waits at most 5 s. */
export const WAIT_FOR_POSITION_TIMEOUT_MS_MAX = 30_000;

/**
 * The checkpoint position of the active table set (what queries read) of each named projection;
 * a projection without an active table set is absent.
 */
export async function readActivePositions(db: Knex, controlSchema: string, projectionNames: readonly string[]): Promise<Map<string, bigint>> {
  const result = await db.raw(
    `select a.name, c.position::text as position
       from "${controlSchema}".projection_active_versions a
       join "${controlSchema}".projection_checkpoints c on c.name = a.name and c.version = a.version and c.build = a.build
      where a.name = any(?)`,
    [[...projectionNames]],
  );
  return new Map((result.rows as { name: string; position: string }[]).map((row) => [row.name, BigInt(row.position)]));
}

/**
 * Read-your-writes: resolves true once the active table set of every named projection has
 * applied `position` (a command response's global position), false when `timeoutMs` passed
 * first. A projection that has no active table set yet has applied nothing. Reads the
 * checkpoints at once, then every WAIT_FOR_POSITION_POLL_MS (or `pollMs`).
 */
export async function waitForPosition(
  db: Knex,
  controlSchema: string,
  projectionNames: readonly string[],
  position: bigint,
  options: { timeoutMs: number; pollMs?: number },
): Promise<boolean> {
  const pollMs = options.pollMs ?? WAIT_FOR_POSITION_POLL_MS;
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs < 0 || options.timeoutMs > WAIT_FOR_POSITION_TIMEOUT_MS_MAX) {
    throw new Error(`timeoutMs must be 0..${WAIT_FOR_POSITION_TIMEOUT_MS_MAX}, got ${options.timeoutMs}`);
  }
  if (!(pollMs >= 1 && pollMs <= 1_000)) throw new Error(`pollMs must be 1..1000, got ${pollMs}`);
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const positions = await readActivePositions(db, controlSchema, projectionNames);
    if (projectionNames.every((name) => (positions.get(name) ?? -1n) >= position)) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await sleep(Math.min(pollMs, left));
  }
}
