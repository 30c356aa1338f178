import { allProjections, waitForPosition, type Knex } from '@neuroerp/projections';
import { QueryProblemError } from '../http/problem';

/** The active table set of one projection and how far it has applied the event log. */
export interface ActiveReadModel {
  name: string;
  schema: string;
  position: bigint;
  /** How many times its tables changed: the same count means the same content, whatever the position. */
  changes: bigint;
}

/** The version of each read model this code reads (its tables' shape); another version's tables are not read. */
const READ_MODEL_VERSIONS: ReadonlyMap<string, number> = new Map(allProjections.map((projection) => [projection.name, projection.version]));

/**
 * The active table sets (what queries read, per `projection_active_versions`) and their
 * checkpoint positions, in one statement. Never hard-codes a schema: a rebuild switches the
 * active row and the next request reads the new tables. A table set of another version than
 * this code's (an upgrade is building the new one) counts as not built.
 */
export async function readActiveReadModels(db: Knex, controlSchema: string, names?: readonly string[]): Promise<Map<string, ActiveReadModel>> {
  const filter = names === undefined ? '' : 'where a.name = any(?)';
  const result = await db.raw(
    `select a.name, a.version, a.schema_name, c.position::text as position, c.changes::text as changes
       from "${controlSchema}".projection_active_versions a
       join "${controlSchema}".projection_checkpoints c on c.name = a.name and c.version = a.version and c.build = a.build
       ${filter} order by a.name`,
    names === undefined ? [] : [[...names]],
  );
  const rows = result.rows as { name: string; version: number; schema_name: string; position: string; changes: string }[];
  const readable = rows.filter((row) => (READ_MODEL_VERSIONS.get(row.name) ?? row.version) === row.version);
  return new Map(readable.map((row) => [row.name, { name: row.name, schema: row.schema_name, position: BigInt(row.position), changes: BigInt(row.changes) }]));
}

/**
 * Like {@link readActiveReadModels} but every `required` name must be built in this code's
 * version: else 503 READ_MODEL_NOT_READY. The `optional` ones are read in the same query where
 * they are.
 */
export async function requireActiveReadModels(
  db: Knex,
  controlSchema: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Promise<Map<string, ActiveReadModel>> {
  const active = await readActiveReadModels(db, controlSchema, [...required, ...optional]);
  const missing = required.filter((name) => !active.has(name));
  if (missing.length > 0) {
    throw new QueryProblemError(503, 'READ_MODEL_NOT_READY', `The read model(s) ${missing.join(', ')} are not built yet in this release's version (a first build or an upgrade is running); try again shortly.`, {
      readModels: missing,
      headers: { 'Retry-After': '1' },
    });
  }
  return active;
}

/** How long `?after=` waits at most, in milliseconds. */
export const AFTER_WAIT_MS_MAX = 5_000;
/** A wait for read models to reach a position: true when they did within the timeout. */
export type WaitForPosition = (names: readonly string[], position: bigint, timeoutMs: number) => Promise<boolean>;

/** The projections helper over the control table (it polls the checkpoints; the runtime does not NOTIFY). */
export function controlTableWaitForPosition(db: Knex, controlSchema: string): WaitForPosition {
  return (names, position, timeoutMs) => waitForPosition(db, controlSchema, names, position, { timeoutMs });
}
