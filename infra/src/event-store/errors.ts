/** Stable machine-readable codes of every expected event-store failure. */
export const eventStoreErrorCodes = [
  'WRONG_EXPECTED_VERSION',
  'INVALID_STREAM_ID',
  'INVALID_EXPECTED_VERSION',
  'EMPTY_APPEND',
  'EVENT_TOO_LARGE',
  'INVALID_EVENT',
  'DUPLICATE_EVENT_ID',
  'STORE_UNAVAILABLE',
  /** A restore whose events do not continue the log exactly (position, chain or stream version). */
  'IMPORT_REJECTED',
] as const;
export type EventStoreErrorCode = (typeof eventStoreErrorCodes)[number];

/** An expected failure of an event-store call, identified by its stable `code`. */
export class EventStoreError extends Error {
  constructor(
    readonly code: EventStoreErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EventStoreError';
  }
}

export function wrongExpectedVersion(
  streamId: string,
  expected: unknown,
  actual: number | 'no_stream',
): EventStoreError {
  return new EventStoreError(
    'WRONG_EXPECTED_VERSION',
    `Stream "${streamId}" is at ${String(actual)}, the append expected ${String(expected)}.`,
    { streamId, expectedVersion: String(expected), actualVersion: String(actual) },
  );
}
