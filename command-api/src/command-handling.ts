import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { isSpanContextValid, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { EVENTS_PER_APPEND_MAX, EventStoreError, READ_COUNT_MAX, type EventStore } from '@neuroerp/infra';
import type { Actor, NewEvent, NewEventMetadata, RecordedEvent } from '@neuroerp/schemas';

/**
 * The generic command handler (Emmett's CommandHandler): load the streams a command needs,
 * call its pure decide function, append the result to the ONE stream it writes with the
 * version that was read as the expected version, and on WRONG_EXPECTED_VERSION read and
 * decide again, a bounded number of times. The domain stays pure: event ids and `now` come
 * from here.
 *
 * ## Caching and batching (why this is more than load → decide → append)
 *
 * All postings of a company and year go to one fiscal-year stream (docs/adr/0004). Two
 * things would make that stream the bottleneck, and both are handled here:
 *
 * - *Long streams.* Folded states are cached per stream with their version; a load reads
 *   only the events after it, in pages of READ_PAGE_EVENTS. The cache is safe because every
 *   append carries the expected version: a stale state can only cause a conflict and a
 *   retry, never a wrong write.
 * - *Contention.* Commands that write the same stream are queued per stream in this process.
 *   While one append is in flight, the next commands wait; then all waiting commands are
 *   decided one after the other, each on the state left by the ones before it, and their
 *   events go to the store as ONE append with ONE expected version (a command-level group
 *   commit, up to COMMANDS_PER_APPEND_MAX). The append is atomic, so either all of them are
 *   in the stream exactly as decided or none is and all are decided again. (Pipelining one
 *   append per command would be unsafe: if an earlier append fails because another process
 *   wrote, a later one expecting "earlier + 1" could pass the version check on the other
 *   process's event while having been decided on the failed one.) A command that is refused
 *   or finds nothing to do inside a batch is only answered once the batch is committed,
 *   because it was decided on the batch's state.
 *
 * - *Creates.* A command that normally creates its stream (`expectNew`, e.g. a draft with a
 *   fresh id) is decided on the empty state without reading the stream first; the append's
 *   `no_stream` expectation confirms that assumption, and anything else is decided again on a read.
 *
 * Only the written stream is protected by the expected version; streams that are only read
 * (the chart for a posting) may be a moment stale, as the ADR accepts.
 */

/** Attempts per command, the first included; each further attempt follows a version conflict. */
export const COMMAND_ATTEMPTS_MAX = 8;
/** Events per read when loading a stream; a fiscal year may hold up to a million postings. */
export const READ_PAGE_EVENTS = 1000;
/** Folded stream states kept in memory (least recently used are dropped): a transaction stream is needed for seconds, a fiscal year's stays. */
export const STREAM_STATES_CACHED_MAX = 2_000;
/** Commands decided together into one append to one stream. */
export const COMMANDS_PER_APPEND_MAX = 256;

assert.ok(READ_PAGE_EVENTS >= 1 && READ_PAGE_EVENTS <= READ_COUNT_MAX, 'READ_PAGE_EVENTS must be within the store read limit');
assert.ok(COMMAND_ATTEMPTS_MAX >= 2, 'a conflict must be retried at least once');

/** Looked up per use, so that an SDK registered (or replaced) after this module loaded is used. */
const tracer = () => trace.getTracer('@neuroerp/command-api');

/**
 * The W3C `traceparent` of a span (version 00), or undefined for the no-op span that
 * `@opentelemetry/api` hands out while no SDK is registered.
 */
export function traceparentOf(span: Span): string | undefined {
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return undefined;
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** An event as the folds see it: recorded, or about to be. */
export interface FoldableEvent {
  type: string;
  data: unknown;
  streamVersion: number;
}

/** How one kind of stream is folded into a state. */
export interface StreamModel<State> {
  /** For assertions and logs, e.g. `ledger.fiscal_year`. */
  readonly name: string;
  initialState(): State;
  /** Pure: folds events (in stream order) into a new state and never mutates `state`. */
  evolve(state: State, events: readonly FoldableEvent[]): State;
}

/** A stream's state as of `version`. */
export interface StreamSnapshot<State> {
  streamId: string;
  state: State;
  /** Version of the last event folded in; -1 when the stream has no events. */
  version: number;
  /** Global position of that event; 0 for an empty stream. */
  position: bigint;
}

/** An event as deciders return it. */
export interface DecidedEvent {
  type: string;
  data: unknown;
}

/** Who and what a command comes from; becomes every appended event's metadata. */
export interface CommandContext {
  actor: Actor;
  correlationId: string;
  /** pino-http's request id, when the command came over HTTP. */
  requestId: string | null;
  reason?: string;
}

/** Reads streams (always their committed state) for a command's decision or a query. */
export interface StreamReader {
  load<State>(model: StreamModel<State>, streamId: string): Promise<StreamSnapshot<State>>;
  /** One recorded event, or null when the stream has no event at `version`. */
  readEvent(streamId: string, version: number): Promise<RecordedEvent | null>;
}

export interface CommandDefinition<Written, Read> {
  /** The command's name for traces (`PostTransaction`); default: the written stream's model name. */
  name?: string;
  /** The one stream the command appends to. */
  stream: { model: StreamModel<Written>; streamId: string };
  /**
   * The written stream is normally new (a create with a fresh id): when it is not cached, the
   * first attempt decides on the empty state without reading it and appends with expected
   * version `no_stream`. If the stream exists after all, that append conflicts, or the decision
   * (a refusal, or nothing to do) is not trusted, and the command is decided again on a read.
   */
  expectNew?: boolean;
  /** Loads the other streams the decision needs; runs again on every attempt. */
  read?(reader: StreamReader): Promise<Read>;
  /** An HTTP precondition (If-Match) on what was loaded; throws to refuse. */
  precondition?(written: StreamSnapshot<Written>, read: Read): void;
  /** The pure decision: the events to append, or [] when the command was already carried out. */
  decide(written: StreamSnapshot<Written>, read: Read, now: string): readonly DecidedEvent[];
}

export interface CommandResult<Written, Read> {
  streamId: string;
  /** The stream's version after the command (the version read when nothing was appended). */
  streamVersion: number;
  /** Global position of the stream's last event after the command. */
  position: bigint;
  /** Events appended: 0 for a repeat of a command already carried out. */
  appended: number;
  /** The written stream's state after the command. */
  state: Written;
  /** What `read` loaded for the successful attempt. */
  read: Read;
  attempts: number;
}

/** Every attempt lost its version race; the client may simply retry. */
export class ConcurrencyConflictError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`Stream ${streamId} kept changing; gave up after ${attempts} attempts.`);
    this.name = 'ConcurrencyConflictError';
  }
}

export interface CommandHandlerOptions {
  store: EventStore;
  /** The schema version each event type is written with (the event catalogue). */
  schemaVersionOf(type: string): number;
  clock?: () => Date;
  newEventId?: () => string;
}

/** How a queued command ended in its batch. */
type Settled<Written> =
  | { kind: 'done'; streamVersion: number; position: bigint; appended: number; state: Written }
  | { kind: 'refused'; error: unknown }
  /** Decide again from a fresh read (a version conflict, or the batch failed for another command). */
  | { kind: 'retry'; solo: boolean }
  | { kind: 'failed'; error: unknown };

interface Pending {
  command: CommandDefinition<unknown, unknown>;
  read: unknown;
  context: CommandContext;
  /** Decide on the cached state of the written stream without reading what came after it. */
  cached: boolean;
  /** The command expects a new stream: with `cached`, a stream not in the cache is taken to be empty without a read. */
  expectNew: boolean;
  /** Written in a batch of its own: set after a batch failed for a reason other than a conflict. */
  solo: boolean;
  /** W3C trace context of the command's span, copied into its events' metadata; absent when tracing is off. */
  traceparent: string | undefined;
  settle(settled: Settled<unknown>): void;
}

interface CachedSnapshot {
  model: string;
  snapshot: StreamSnapshot<unknown>;
}

export class CommandHandler implements StreamReader {
  private readonly store: EventStore;
  private readonly schemaVersionOf: (type: string) => number;
  private readonly clock: () => Date;
  private readonly newEventId: () => string;
  /** Committed states only. Map order is the LRU order. */
  private readonly committed = new Map<string, CachedSnapshot>();
  /** Commands waiting to be written, per stream; an entry exists while the stream's writer runs. */
  private readonly queues = new Map<string, Pending[]>();

  constructor(options: CommandHandlerOptions) {
    this.store = options.store;
    this.schemaVersionOf = options.schemaVersionOf;
    this.clock = options.clock ?? (() => new Date());
    this.newEventId = options.newEventId ?? randomUUID;
  }

  /**
   * A reader that answers from the cache without asking the store when it holds the stream
   * (and reads it otherwise). Only this process's own appends are in it, so it may miss
   * another process's recent events: fine for a first attempt, whose refusals and conflicts are
   * always checked again with fresh reads (see handle).
   */
  readonly cached: StreamReader = {
    load: (model, streamId) => {
      const hit = this.committed.get(streamId);
      if (hit === undefined) return this.load(model, streamId);
      assert.equal(hit.model, model.name, `stream ${streamId} folded as ${hit.model}, not ${model.name}`);
      return Promise.resolve(hit.snapshot as StreamSnapshot<never>);
    },
    readEvent: (streamId, version) => this.readEvent(streamId, version),
  };

  /**
   * Runs a command: load → decide → append with expected version → retry on conflict. The
   * first attempt decides on cached states; a refusal or a conflict on it is not trusted but
   * decided again on states read from the store, so a stale cache can cost a retry, never a
   * wrong answer (only the written stream is protected against staleness in what is appended;
   * read streams may be a moment stale, docs/adr/0004).
   */
  async handle<Written, Read = undefined>(command: CommandDefinition<Written, Read>, context: CommandContext): Promise<CommandResult<Written, Read>> {
    const { streamId, model } = command.stream;
    const type = command.name ?? model.name;
    // One span per command (a no-op unless the OpenTelemetry SDK is registered, scripts/src/telemetry.ts).
    return tracer().startActiveSpan(`command ${type}`, { attributes: { 'neuroerp.command.type': type, 'neuroerp.stream.id': streamId, 'neuroerp.correlation_id': context.correlationId } }, async (span) => {
      try {
        const result = await this.handleTraced(command, context, span);
        span.setAttributes({ 'neuroerp.command.outcome': result.appended > 0 ? 'appended' : 'unchanged', 'neuroerp.command.attempts': result.attempts, 'neuroerp.stream.version': result.streamVersion });
        return result;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        span.setAttribute('neuroerp.command.outcome', typeof code === 'string' ? code : 'failed');
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private async handleTraced<Written, Read>(command: CommandDefinition<Written, Read>, context: CommandContext, span: Span): Promise<CommandResult<Written, Read>> {
    const { streamId, model } = command.stream;
    const traceparent = traceparentOf(span);
    let solo = false;
    let cached = true;
    for (let attempt = 1; attempt <= COMMAND_ATTEMPTS_MAX; attempt += 1) {
      const read = command.read ? await command.read(cached ? this.cached : this) : (undefined as Read);
      const settled = (await this.enqueue(streamId, model as StreamModel<unknown>, {
        command: command as unknown as CommandDefinition<unknown, unknown>,
        read,
        context,
        cached,
        expectNew: command.expectNew === true,
        solo,
        traceparent,
      })) as Settled<Written>;
      switch (settled.kind) {
        case 'done':
          return { streamId, streamVersion: settled.streamVersion, position: settled.position, appended: settled.appended, state: settled.state, read, attempts: attempt };
        case 'refused':
          if (cached) {
            cached = false;
            continue;
          }
          throw settled.error;
        case 'failed':
          throw settled.error;
        case 'retry':
          cached = false;
          solo = solo || settled.solo;
          continue;
      }
    }
    throw new ConcurrencyConflictError(streamId, COMMAND_ATTEMPTS_MAX);
  }

  private enqueue(streamId: string, model: StreamModel<unknown>, pending: Omit<Pending, 'settle'>): Promise<Settled<unknown>> {
    return new Promise((settle) => {
      const entry: Pending = { ...pending, settle };
      const queue = this.queues.get(streamId);
      if (queue !== undefined) {
        queue.push(entry);
        return;
      }
      const fresh = [entry];
      this.queues.set(streamId, fresh);
      void this.drain(streamId, model, fresh);
    });
  }

  /** The stream's writer: one batch at a time until nobody waits. */
  private async drain(streamId: string, model: StreamModel<unknown>, queue: Pending[]): Promise<void> {
    try {
      while (queue.length > 0) {
        // A batch ends before the next command that must be written alone.
        let size = 1;
        if (!(queue[0] as Pending).solo) {
          while (size < queue.length && size < COMMANDS_PER_APPEND_MAX && !(queue[size] as Pending).solo) size += 1;
        }
        await this.writeBatch(streamId, model, queue.splice(0, size));
        // One event-loop turn before the next batch: commands set free by the same commit
        // (e.g. postings whose drafts were appended in it) join it instead of the one after.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.queues.delete(streamId);
    }
  }

  /** Decides a batch on the stream's current state and appends its events at once. Settles every command; never throws. */
  private async writeBatch(streamId: string, model: StreamModel<unknown>, batch: Pending[]): Promise<void> {
    let base: StreamSnapshot<unknown>;
    // Decided on an empty state that was assumed, not read: only an append (expecting no stream) confirms it.
    const assumedNew = batch.every((pending) => pending.cached && pending.expectNew) && !this.committed.has(streamId);
    try {
      if (assumedNew) base = { streamId, state: model.initialState(), version: -1, position: 0n };
      else base = await (batch.every((pending) => pending.cached) ? this.cached : this).load(model, streamId);
    } catch (error) {
      for (const pending of batch) pending.settle({ kind: 'failed', error });
      return;
    }
    const now = this.clock().toISOString();
    let state = base.state;
    let version = base.version;
    const events: NewEvent[] = [];
    const decisions: { pending: Pending; outcome: 'appended' | 'unchanged' | 'refused'; error?: unknown; version: number; state: unknown; eventsBefore: number; eventsAfter: number }[] = [];
    for (const pending of batch) {
      const snapshot: StreamSnapshot<unknown> = { streamId, state, version, position: base.position };
      const eventsBefore = events.length;
      try {
        pending.command.precondition?.(snapshot, pending.read);
        const decided = pending.command.decide(snapshot, pending.read, now);
        if (decided.length > 0 && eventsBefore > 0 && eventsBefore + decided.length > EVENTS_PER_APPEND_MAX) {
          pending.settle({ kind: 'retry', solo: true });
          continue;
        }
        if (decided.length > 0) {
          state = model.evolve(
            state,
            decided.map((event, index) => ({ type: event.type, data: event.data, streamVersion: version + 1 + index })),
          );
          version += decided.length;
          for (const event of decided) {
            events.push({ eventId: this.newEventId(), type: event.type, schemaVersion: this.schemaVersionOf(event.type), data: event.data, metadata: this.metadata(pending.context, now, pending.traceparent) });
          }
        }
        decisions.push({ pending, outcome: decided.length > 0 ? 'appended' : 'unchanged', version, state, eventsBefore, eventsAfter: events.length });
      } catch (error) {
        decisions.push({ pending, outcome: 'refused', error, version, state, eventsBefore, eventsAfter: eventsBefore });
      }
    }
    if (assumedNew && decisions.some((decision) => decision.outcome === 'unchanged')) {
      // "Nothing to do" on a state that was not read is no answer: decide again on a read.
      for (const decision of decisions) decision.pending.settle({ kind: 'retry', solo: false });
      return;
    }
    if (events.length === 0) {
      for (const decision of decisions) {
        if (decision.outcome === 'refused') decision.pending.settle({ kind: 'refused', error: decision.error });
        else decision.pending.settle({ kind: 'done', streamVersion: base.version, position: base.position, appended: 0, state: base.state });
      }
      return;
    }
    let position: bigint;
    try {
      ({ position } = await this.store.appendToStream(streamId, events, { expectedVersion: base.version < 0 ? 'no_stream' : base.version }));
    } catch (error) {
      const conflict = error instanceof EventStoreError && error.code === 'WRONG_EXPECTED_VERSION';
      const appending = decisions.filter((decision) => decision.outcome === 'appended').length;
      for (const decision of decisions) {
        // Whatever was decided on this batch's state is void; a batch that failed for one
        // command's events (too large, invalid) is retried one command at a time.
        if (conflict) decision.pending.settle({ kind: 'retry', solo: false });
        else if (appending > 1 || decision.outcome !== 'appended') decision.pending.settle({ kind: 'retry', solo: appending > 1 });
        else decision.pending.settle({ kind: 'failed', error });
      }
      return;
    }
    this.remember(streamId, model.name, { streamId, state, version, position });
    // One append gets consecutive global positions, so each command's last event is found by counting back.
    const positionAfter = (eventsAfter: number) => (eventsAfter === 0 ? base.position : position - BigInt(events.length - eventsAfter));
    for (const decision of decisions) {
      if (decision.outcome === 'refused') decision.pending.settle({ kind: 'refused', error: decision.error });
      else {
        decision.pending.settle({
          kind: 'done',
          streamVersion: decision.version,
          position: positionAfter(decision.eventsAfter),
          appended: decision.eventsAfter - decision.eventsBefore,
          state: decision.state,
        });
      }
    }
  }

  private metadata(context: CommandContext, now: string, traceparent: string | undefined): NewEventMetadata {
    return {
      actor: { userId: context.actor.userId, role: context.actor.role },
      correlationId: context.correlationId,
      causationId: null,
      occurredAt: now,
      requestId: context.requestId,
      ...(context.reason !== undefined ? { reason: context.reason } : {}),
      ...(traceparent !== undefined ? { traceparent } : {}),
    };
  }

  /** The committed state of a stream: the cached fold plus the events after it, read in pages. */
  async load<State>(model: StreamModel<State>, streamId: string): Promise<StreamSnapshot<State>> {
    const cached = this.committed.get(streamId);
    if (cached !== undefined) assert.equal(cached.model, model.name, `stream ${streamId} folded as ${cached.model}, not ${model.name}`);
    let snapshot = (cached?.snapshot as StreamSnapshot<State> | undefined) ?? { streamId, state: model.initialState(), version: -1, position: 0n };
    for (;;) {
      const page = await this.store.readStream(streamId, { fromVersion: snapshot.version + 1, maxCount: READ_PAGE_EVENTS });
      const last = page[page.length - 1];
      if (last !== undefined) {
        snapshot = { streamId, state: model.evolve(snapshot.state, page), version: last.streamVersion, position: last.globalPosition };
      }
      if (page.length < READ_PAGE_EVENTS) break;
    }
    this.remember(streamId, model.name, snapshot);
    return snapshot;
  }

  async readEvent(streamId: string, version: number): Promise<RecordedEvent | null> {
    const [event] = await this.store.readStream(streamId, { fromVersion: version, maxCount: 1 });
    return event !== undefined && event.streamVersion === version ? event : null;
  }

  /** Keeps the newest committed snapshot per stream, most recently used last. */
  private remember(streamId: string, model: string, snapshot: StreamSnapshot<unknown>): void {
    const cached = this.committed.get(streamId);
    if (cached !== undefined && cached.snapshot.version > snapshot.version) return;
    this.committed.delete(streamId);
    this.committed.set(streamId, { model, snapshot });
    if (this.committed.size > STREAM_STATES_CACHED_MAX) {
      const oldest = this.committed.keys().next().value;
      if (oldest !== undefined) this.committed.delete(oldest);
    }
  }
}
