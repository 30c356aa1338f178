import { z } from 'zod';

/** Who caused an event: the authenticated user and the role they acted in. */
export const actorSchema = z.object({
  userId: z.string().min(1).max(200),
  role: z.string().min(1).max(100),
});
export type Actor = z.infer<typeof actorSchema>;

/**
 * Metadata a caller supplies with a new event. `recordedAt` is absent on purpose:
 * the event store assigns it, never the caller.
 */
export const newEventMetadataSchema = z.object({
  actor: actorSchema,
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200).nullable(),
  occurredAt: z.string().datetime({ offset: true }),
  requestId: z.string().min(1).max(200).nullable(),
  reason: z.string().max(2000).optional(),
  /**
   * W3C trace context (`00-<trace id>-<span id>-<flags>`) of the span that wrote the event,
   * so that relay, consumers and projections continue the command's trace. Optional:
   * absent when tracing is off and on every event written before it existed.
   */
  traceparent: z
    .string()
    .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')
    .optional(),
});
export type NewEventMetadata = z.infer<typeof newEventMetadataSchema>;

/** Metadata as recorded: what the caller said plus the store's own `recordedAt`. */
export type EventMetadata = NewEventMetadata & { recordedAt: string };

/** An event as a command handler hands it to the event store. */
export interface NewEvent<Data = unknown> {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: NewEventMetadata;
}

/**
 * The envelope of a recorded event (ARCHITECTURE.md). `globalPosition` is a total order
 * over all events; `hash` chains every event to the one before it.
 */
export interface RecordedEvent<Data = unknown> {
  eventId: string;
  streamId: string;
  streamVersion: number;
  globalPosition: bigint;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  prevHash: string;
  hash: string;
}
