import type { RecordedEvent } from '@neuroerp/schemas';

/** Parses the data of a schema-version-1 event with its catalogue schema; a malformed one throws (and is dead-lettered in continuous mode). */
export function parseEventData<Data>(event: RecordedEvent, schema: { parse(data: unknown): Data }): Data {
  if (event.schemaVersion !== 1) throw new Error(`${event.type}: unsupported schemaVersion ${event.schemaVersion}`);
  return schema.parse(event.data);
}

/** A string member of event data that may be absent (or that the catalogue does not define yet); anything but a non-empty string is null. */
export function optionalText(data: unknown, key: string): string | null {
  const value = (data as Record<string, unknown> | null)?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A string member of event data that must be there. */
export function requiredText(event: RecordedEvent, key: string): string {
  const value = optionalText(event.data, key);
  if (value === null) throw new Error(`${event.type} at ${event.globalPosition}: ${key} is required`);
  return value;
}
