import { privacy, type RecordedEvent } from '@neuroerp/schemas';
import type { Projection } from './projection';

/** Decrypts the personal fields of events (or puts `ERASED` where the subject was forgotten). */
export type RevealPersonalData = (events: readonly RecordedEvent[]) => Promise<RecordedEvent[]>;

/** Whether a projection reads events that carry personal data (its tables then hold plaintext, and forgetting rebuilds it). */
export function holdsPersonalData(projection: Projection): boolean {
  return projection.handles.includes('*') ? false : projection.handles.some((type) => privacy.PERSONAL_DATA_EVENT_TYPES.includes(type));
}

/**
 * The projection applied to revealed events, whatever the source (the store's subscription,
 * Kafka, a rebuild or a replay): read models get plaintext, or `ERASED` for a forgotten
 * subject, so a rebuild after `gdpr forget` can never bring the data back.
 */
export function revealingPersonalData(projection: Projection, reveal: RevealPersonalData): Projection {
  if (!holdsPersonalData(projection)) return projection;
  const carriesPersonalData = (events: readonly RecordedEvent[]) => events.some((event) => privacy.PERSONAL_DATA[event.type] !== undefined);
  return { ...projection, apply: async (events, context) => projection.apply(carriesPersonalData(events) ? await reveal(events) : events, context) };
}
