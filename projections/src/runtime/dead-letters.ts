import type { Knex } from 'knex';
import type { EventStore } from '@neuroerp/infra';
import { countChange, insertDeadLetter, readActiveTableSet } from './control';
import type { Projection } from './projection';

export type RetryOutcome = 'resolved' | 'failed_again' | 'not_active' | 'not_found';

/**
 * Re-applies one dead-lettered event to the table set it failed on, if that is still the
 * active one. The event is applied out of order, after later events: fine for the ledger
 * read models (sums and inserts keyed by position), a projection that depends on order must
 * not be retried this way but rebuilt.
 */
export async function retryDeadLetter(db: Knex, controlSchema: string, store: EventStore, projections: readonly Projection[], id: string): Promise<RetryOutcome> {
  return db.transaction(async (tx) => {
    const result = await tx.raw(`select * from "${controlSchema}".projection_dead_letters where id = ? and not resolved for update`, [id]);
    const letter = (result.rows as { name: string; version: number; build: number; position: string }[])[0];
    if (letter === undefined) return 'not_found';
    const projection = projections.find((candidate) => candidate.name === letter.name);
    const active = await readActiveTableSet(tx, controlSchema, letter.name, 'share');
    if (projection === undefined || active === null || active.version !== letter.version || active.build !== letter.build || projection.version !== letter.version) {
      return 'not_active';
    }
    const position = BigInt(letter.position);
    const [event] = await store.readAll({ fromPosition: position - 1n === 0n ? 'start' : position - 1n, maxCount: 1 });
    if (event === undefined || event.globalPosition !== position) throw new Error(`dead letter ${id}: no event at position ${position}`);
    try {
      await tx.transaction((savepoint) => projection.apply([event], { tx: savepoint, schema: active.schema }));
    } catch (error) {
      await insertDeadLetter(tx, controlSchema, active, event, error);
      await tx.raw(`update "${controlSchema}".projection_dead_letters set retried_at = now() where id = ?`, [id]);
      return 'failed_again';
    }
    await tx.raw(`update "${controlSchema}".projection_dead_letters set resolved = true, retried_at = now() where id = ?`, [id]);
    await countChange(tx, controlSchema, active);
    return 'resolved';
  });
}
