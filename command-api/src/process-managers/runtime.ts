import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { isDomainError } from '@neuroerp/domains';
import type { AppendOptions, AppendResult, EventStore, ReadAllOptions, ReadStreamOptions, Subscription, SubscribeToAllOptions } from '@neuroerp/infra';
import type { NewEvent, RecordedEvent } from '@neuroerp/schemas';
import type { CommandContext } from '../command-handling';
import type { ProcessManagerStore } from './store';

/**
 * The process-manager runtime: one catch-up subscription to the whole log, events handed to
 * the process managers one at a time in position order, a durable checkpoint per runtime.
 *
 * ## Exactly-once effects from at-least-once delivery
 *
 * The checkpoint is saved after an event's reactions are done, so a crash in between delivers
 * the event again. Every reaction is therefore idempotent twice over:
 * - every command a process manager issues gets a deterministic command id from the triggering
 *   event id and a key naming the reaction (`commandIdOf`); the events it appends get event ids
 *   derived from that (see CausedEventStore), and the event store answers an append of events
 *   it already holds with the earlier result instead of appending them again;
 * - the commands themselves are idempotent repeats in the deciders (the same draft, submit,
 *   approve, post or link again is no change), and ids of new things (the transaction of an
 *   invoice, the workflow of a submission) are derived from the triggering event id too.
 *
 * ## Causation and correlation
 *
 * Commands go through the same LedgerCommands and DocumentCommands the HTTP routes use, on
 * command handlers whose store is a CausedEventStore: every appended event gets
 * `causationId` = the triggering event's id and the triggering event's `correlationId`.
 *
 * ## Failures
 *
 * A command refused by the domain (a DomainError: a business answer, e.g. APPROVER_IS_SUBMITTER
 * when the workflow's approver submitted the transaction) is recorded as a refusal with the
 * event and the runtime goes on. Anything else is a crash: the runtime stops, `done` rejects,
 * and the supervisor restarts it from the last checkpoint.
 */

/** Events fetched ahead of the process managers at most. */
export const SUBSCRIPTION_BATCH_SIZE_MAX = 256;
/** Events no process manager handles are checkpointed at least this often. */
export const SKIPPED_EVENTS_PER_CHECKPOINT_MAX = 256;
/** Commands one event may cause (all process managers together): a runaway reaction is a bug. */
export const COMMANDS_PER_EVENT_MAX = 16;

assert.ok(SKIPPED_EVENTS_PER_CHECKPOINT_MAX >= 1 && SUBSCRIPTION_BATCH_SIZE_MAX >= 1, 'process-manager limits must be positive');

/** A UUID (version 8, name-based on SHA-256) from a name: the same name gives the same id, every time. */
export function deterministicUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The id of the command a process manager issues in reaction to `eventId`; `key` names the reaction ("draft-transaction"). */
export function commandIdOf(eventId: string, key: string): string {
  return deterministicUuid(`command/${eventId}/${key}`);
}

/** The command being issued: what CausedEventStore stamps on the events it appends. */
export interface Cause {
  /** The id and correlation id of the triggering event. */
  event: { eventId: string; metadata: { correlationId: string } };
  commandId: string;
}

/**
 * An EventStore decorator for the process managers' command handlers. While a command is being
 * issued (`within`), each appended event gets
 * - `eventId` derived from the command id, the stream and its index in the append, so that the
 *   same command issued again after a crash appends the same ids (the store replays, it does
 *   not duplicate);
 * - `causationId` = the triggering event's id and its `correlationId`.
 * Appending outside `within` is a programmer error. One command at a time: the runtime is
 * sequential, and the command handlers only append for the command that is being issued (a
 * command is answered only after its append).
 */
export class CausedEventStore implements EventStore {
  private cause: Cause | null = null;

  constructor(private readonly inner: EventStore) {}

  async within<T>(cause: Cause, issue: () => Promise<T>): Promise<T> {
    assert.equal(this.cause, null, 'process-manager commands are issued one at a time');
    this.cause = cause;
    try {
      return await issue();
    } finally {
      this.cause = null;
    }
  }

  appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const cause = this.cause;
    assert.ok(cause !== null, `a process manager appended to ${streamId} outside of a command`);
    const caused = events.map(
      (event, index): NewEvent => ({
        ...event,
        eventId: deterministicUuid(`event/${cause.commandId}/${streamId}/${index}`),
        metadata: { ...event.metadata, causationId: cause.event.eventId, correlationId: cause.event.metadata.correlationId },
      }),
    );
    return this.inner.appendToStream(streamId, caused, options);
  }

  readStream(streamId: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamId, options);
  }

  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  /** The inner store belongs to whoever passed it in; closing it is theirs. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** How a process manager issues one command in reaction to an event. */
export interface Reaction {
  /** The triggering event. */
  readonly event: RecordedEvent;
  /**
   * Runs `issue` as the command named `key` (unique per reaction to this event): its events
   * carry the event's causation and correlation. `issue` gets the command context to pass to
   * LedgerCommands / DocumentCommands (actor: `actor`, default the triggering event's actor)
   * and the deterministic command id.
   */
  command<T>(key: string, issue: (context: CommandContext, commandId: string) => Promise<T>, actor?: CommandContext['actor']): Promise<T>;
}

/** A process manager: reacts to some event types by issuing commands (through `reaction.command`). */
export interface ProcessManager {
  /** Stable, used in refusal records; e.g. `invoice-to-transaction`. */
  readonly name: string;
  handles(event: RecordedEvent): boolean;
  react(reaction: Reaction): Promise<void>;
}

export interface ProcessManagerRuntimeOptions {
  /** The checkpoint key, e.g. `process-managers`. */
  name: string;
  /** The event store subscribed to (the plain one; commands go through `causedStore`). */
  store: EventStore;
  /** The decorator the process managers' command handlers were built on. */
  causedStore: CausedEventStore;
  persistence: ProcessManagerStore;
  processManagers: readonly ProcessManager[];
  batchSizeMax?: number;
}

/**
 * Runs process managers over the log from their checkpoint. `start()` resolves once the
 * subscription runs; `stop()` ends it after the event in progress, with its checkpoint saved.
 */
export class ProcessManagerRuntime {
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private checkpoint: bigint | null = null;
  private skippedSinceCheckpoint = 0;
  private readonly waiters = new Set<{ position: bigint; resolve: () => void; reject: (error: unknown) => void }>();
  private failure: unknown = null;

  constructor(private readonly options: ProcessManagerRuntimeOptions) {
    const names = options.processManagers.map((manager) => manager.name);
    assert.equal(new Set(names).size, names.length, 'process manager names are unique');
  }

  /** The position of the last event whose reactions are complete (and checkpointed or about to be). */
  get position(): bigint | null {
    return this.checkpoint;
  }

  async start(): Promise<void> {
    assert.equal(this.loop, null, 'a runtime starts once');
    this.checkpoint = await this.options.persistence.loadCheckpoint(this.options.name);
    const subscription = this.options.store.subscribeToAll({
      fromPosition: this.checkpoint ?? 'start',
      batchSizeMax: this.options.batchSizeMax ?? SUBSCRIPTION_BATCH_SIZE_MAX,
    });
    this.subscription = subscription;
    this.loop = this.run(subscription);
  }

  /** Resolves when the runtime stopped; rejects with the error that crashed it. */
  get done(): Promise<void> {
    assert.ok(this.loop !== null, 'the runtime was not started');
    return this.loop;
  }

  /** Stops after the event in progress and saves the checkpoint; rethrows the crash, if it crashed. */
  async stop(): Promise<void> {
    if (this.subscription === null || this.loop === null) return;
    await this.subscription.stop();
    await this.loop;
  }

  /** Resolves once every event up to `position` has been reacted to (for tests and readiness). */
  waitFor(position: bigint, timeoutMs: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.checkpoint !== null && this.checkpoint >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`process managers did not reach position ${position} within ${timeoutMs} ms (at ${this.checkpoint ?? 'start'})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Resolves once the runtime has reacted to every event in the log, including the events its
   * own reactions appended (a posted invoice is drafted, and its submission then posted): for a
   * start that must not serve before the process managers are idle, and for tests.
   */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ahead = await this.options.store.readAll({ fromPosition: this.checkpoint ?? 'start', maxCount: SUBSCRIPTION_BATCH_SIZE_MAX });
      const last = ahead.at(-1);
      if (last === undefined) return;
      await this.waitFor(last.globalPosition, Math.max(0, deadline - Date.now()));
    }
  }

  private async run(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) {
        const handled = await this.react(event);
        this.checkpoint = event.globalPosition;
        this.skippedSinceCheckpoint = handled ? 0 : this.skippedSinceCheckpoint + 1;
        if (handled || this.skippedSinceCheckpoint >= SKIPPED_EVENTS_PER_CHECKPOINT_MAX) await this.saveCheckpoint();
        this.notify();
      }
      if (this.skippedSinceCheckpoint > 0) await this.saveCheckpoint();
    } catch (error) {
      this.failure = error;
      for (const waiter of this.waiters) waiter.reject(error);
      this.waiters.clear();
      await subscription.stop();
      throw error;
    }
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.checkpoint === null) return;
    await this.options.persistence.saveCheckpoint(this.options.name, this.checkpoint);
    this.skippedSinceCheckpoint = 0;
  }

  private notify(): void {
    for (const waiter of this.waiters) {
      if (this.checkpoint !== null && this.checkpoint >= waiter.position) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Hands the event to every process manager that handles it; true when any did. */
  private async react(event: RecordedEvent): Promise<boolean> {
    let handled = false;
    let commands = 0;
    for (const manager of this.options.processManagers) {
      if (!manager.handles(event)) continue;
      handled = true;
      const keys = new Set<string>();
      const reaction: Reaction = {
        event,
        command: async (key, issue, actor) => {
          assert.ok(!keys.has(key), `${manager.name} issued the command ${key} twice for event ${event.eventId}`);
          keys.add(key);
          commands += 1;
          assert.ok(commands <= COMMANDS_PER_EVENT_MAX, `event ${event.eventId} caused more than ${COMMANDS_PER_EVENT_MAX} commands`);
          const commandId = commandIdOf(event.eventId, `${manager.name}/${key}`);
          const context: CommandContext = { actor: actor ?? event.metadata.actor, correlationId: event.metadata.correlationId, requestId: null };
          return this.options.causedStore.within({ event, commandId }, () => issue(context, commandId));
        },
      };
      try {
        await manager.react(reaction);
      } catch (error) {
        if (!isDomainError(error)) throw error;
        // The domain's answer to this reaction: recorded, and the runtime goes on.
        await this.options.persistence.recordRefusal({
          runtime: this.options.name,
          processManager: manager.name,
          eventId: event.eventId,
          position: event.globalPosition,
          eventType: event.type,
          code: error.code,
          message: error.message,
        });
      }
    }
    return handled;
  }
}
