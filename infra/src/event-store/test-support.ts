import { randomUUID } from 'node:crypto';
import type { NewEvent } from '@neuroerp/schemas';

/** Builds a valid new event for tests and benchmarks. */
export function newTestEvent(data: unknown = { amountMinor: '1250', currency: 'EUR' }, type = 'test.happened'): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      actor: { userId: 'user-1', role: 'accountant' },
      correlationId: randomUUID(),
      causationId: null,
      occurredAt: '2026-01-31T10:00:00.000Z',
      requestId: null,
    },
  };
}

/** A stream id unique to this call, so suites sharing a store never collide. */
export function uniqueStreamId(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}
