import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import type { Knex } from 'knex';
import type { EventStore, Subscription } from '@neuroerp/infra';
import type { RecordedEvent } from '@neuroerp/schemas';
import { insertDeadLetter, readActiveTableSet, readCheckpoint, resolveRunnableTableSet, writeCheckpoint, type TableSet } from './control';
import { silentLogger, type ProjectionLogger } from './logger';
import type { ProjectionMetrics } from './metrics';
import { assertProjection, handlesEvent, type Projection } from './projection';

/** Events applied in one transaction at most. */
export const PROJECTION_BATCH_SIZE_MAX = 1_000;
/** A caught-up continuous runner applies what it has after waiting this long for more. */
export const BATCH_FLUSH_WINDOW_MS = 10;
/** Pause before a continuous runner retries after an infrastructure error, or looks again for a rebuilt table set. */
export const RUNNER_RETRY_DELAY_MS = 2_000;

/**
 * `continuous`: a failing event is dead-lettered and the projection goes on;
 * `rebuild`: the first failing event stops the rebuild.
 */
export type ApplyMode = 'continuous' | 'rebuild';

export type RunnerState = 'starting' | 'running' | 'waiting_for_rebuild' | 'retrying' | 'stopped';

export interface RunnerOptions {
  db: Knex;
  controlSchema: string;
  store: EventStore;
  projection: Projection;
  batchSizeMax?: number;
  metrics?: ProjectionMetrics;
  logger?: ProjectionLogger;
  /** The store's head position, for the lag gauges; without it the gauges stay unset. */
  headPosition?: () => Promise<bigint>;
}

/** Thrown inside a continuous batch when a rebuild switched the active table set meanwhile. */
class TableSetSwitchedError extends Error {
  constructor() {
    super('the active table set changed');
  }
}

/**
 * Applies one projection. Every batch runs in one PostgreSQL transaction that locks the table
 * set's checkpoint row, drops what the checkpoint already covers (so re-delivery and two
 * runners of the same projection are harmless), applies and moves the checkpoint.
 */
export class ProjectionRunner {
  readonly projection: Projection;
  private readonly options: RunnerOptions;
  private readonly batchSizeMax: number;
  private readonly logger: ProjectionLogger;
  private stopping = false;
  private subscription: Subscription | null = null;
  private wake: AbortController | null = null;
  private runPromise: Promise<void> | null = null;
  state: RunnerState = 'starting';

  constructor(options: RunnerOptions) {
    assertProjection(options.projection);
    this.options = options;
    this.projection = options.projection;
    this.batchSizeMax = options.batchSizeMax ?? PROJECTION_BATCH_SIZE_MAX;
    if (!(this.batchSizeMax >= 1 && this.batchSizeMax <= PROJECTION_BATCH_SIZE_MAX * 10)) throw new Error(`batchSizeMax out of range: ${this.batchSizeMax}`);
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Applies `events` to `tableSet` and moves its checkpoint, inside the caller's transaction.
   * Events at or below the checkpoint are skipped. Returns the new checkpoint position.
   */
  async applyWithin(tx: Knex.Transaction, tableSet: TableSet, events: readonly RecordedEvent[], mode: ApplyMode): Promise<bigint> {
    // A span per batch (a no-op unless the OpenTelemetry SDK is registered), linked to the spans of the commands that wrote the events.
    const attributes = { 'neuroerp.projection': this.projection.name, 'neuroerp.projection.mode': mode, 'neuroerp.batch.events': events.length };
    return tracer().startActiveSpan(`projection apply ${this.projection.name}`, { attributes, links: traceLinks(events) }, async (span) => {
      try {
        const position = await this.applyBatch(tx, tableSet, events, mode);
        span.setAttribute('neuroerp.projection.position', position.toString());
        return position;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private async applyBatch(tx: Knex.Transaction, tableSet: TableSet, events: readonly RecordedEvent[], mode: ApplyMode): Promise<bigint> {
    const { controlSchema, metrics } = this.options;
    const name = this.projection.name;
    const checkpoint = await readCheckpoint(tx, controlSchema, tableSet, true);
    const fresh = events.filter((event) => event.globalPosition > checkpoint.position);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return checkpoint.position;
    let expected = checkpoint.position + 1n;
    for (const event of fresh) {
      if (event.globalPosition !== expected) {
        // Cannot happen with the PostgreSQL store (ADR 0002); if it does, it must be seen.
        this.logger.error({ projection: name, expected: expected.toString(), seen: event.globalPosition.toString() }, 'projection saw a gap in global positions');
        metrics?.positionGaps.inc({ projection: name });
      }
      expected = event.globalPosition + 1n;
    }
    const handled = fresh.filter((event) => handlesEvent(this.projection, event.type));
    if (handled.length > 0) {
      if (mode === 'rebuild') {
        await this.projection.apply(handled, { tx, schema: tableSet.schema });
      } else {
        await this.applyIsolatingPoison(tx, tableSet, handled);
      }
    }
    await writeCheckpoint(tx, controlSchema, tableSet, last.globalPosition, handled.length > 0);
    metrics?.eventsApplied.inc({ projection: name }, fresh.length);
    return last.globalPosition;
  }

  /**
   * The fast path applies the whole batch in one savepoint. If it fails, the batch is
   * re-applied event by event, each in its own savepoint; the failing ones are dead-lettered.
   */
  private async applyIsolatingPoison(tx: Knex.Transaction, tableSet: TableSet, events: readonly RecordedEvent[]): Promise<void> {
    try {
      await tx.transaction((savepoint) => this.projection.apply(events, { tx: savepoint, schema: tableSet.schema }));
      return;
    } catch {
      // Which event failed is found below, one savepoint per event.
    }
    for (const event of events) {
      try {
        await tx.transaction((savepoint) => this.projection.apply([event], { tx: savepoint, schema: tableSet.schema }));
      } catch (error) {
        await insertDeadLetter(tx, this.options.controlSchema, tableSet, event, error);
        this.options.metrics?.deadLetters.inc({ projection: this.projection.name });
        this.logger.error(
          { projection: this.projection.name, position: event.globalPosition.toString(), eventType: event.type, err: error },
          'projection dead-lettered an event',
        );
      }
    }
  }

  /**
   * Reads the global log after the table set's checkpoint in bounded batches and applies
   * them, one transaction per batch, up to `untilPosition` (default: whatever is there). An
   * aborted `signal` stops it between batches (it throws the signal's reason).
   */
  async catchUp(
    tableSet: TableSet,
    options: { mode: ApplyMode; untilPosition?: bigint; onProgress?: (position: bigint) => void; signal?: AbortSignal },
  ): Promise<bigint> {
    const { db, controlSchema, store } = this.options;
    let position = (await readCheckpoint(db, controlSchema, tableSet)).position;
    for (;;) {
      options.signal?.throwIfAborted();
      if (options.untilPosition !== undefined && position >= options.untilPosition) return position;
      const read = await store.readAll({ fromPosition: position === 0n ? 'start' : position, maxCount: this.batchSizeMax });
      const events = options.untilPosition === undefined ? read : read.filter((event) => event.globalPosition <= (options.untilPosition ?? 0n));
      if (events.length === 0) return position;
      position = await db.transaction((tx) => this.applyWithin(tx, tableSet, events, options.mode));
      options.onProgress?.(position);
    }
  }

  /** Starts continuous mode in the background; `stop()` ends it. */
  start(): void {
    if (this.runPromise !== null) throw new Error(`${this.projection.name}: runner already started`);
    this.runPromise = this.runContinuously();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.abort();
    await this.subscription?.stop();
    await this.runPromise;
    this.state = 'stopped';
  }

  private async pause(ms: number): Promise<void> {
    this.wake = new AbortController();
    await sleep(ms, undefined, { signal: this.wake.signal }).catch(() => undefined);
    this.wake = null;
  }

  private async runContinuously(): Promise<void> {
    const { db, controlSchema, projection } = { ...this.options, projection: this.projection };
    while (!this.stopping) {
      try {
        const tableSet = await resolveRunnableTableSet(db, controlSchema, projection);
        if (tableSet === null) {
          if (this.state !== 'waiting_for_rebuild') {
            this.logger.warn(
              { projection: projection.name, version: projection.version },
              'the active table set has another version: waiting for the switch to this one (a newer version is built at start; else run `neuroerp projections rebuild`)',
            );
          }
          this.state = 'waiting_for_rebuild';
          await this.pause(RUNNER_RETRY_DELAY_MS);
          continue;
        }
        this.state = 'running';
        await this.consume(tableSet);
      } catch (error) {
        if (this.stopping) break;
        if (error instanceof TableSetSwitchedError) continue;
        // Infrastructure failures (connection lost, …) are retried; a poison event never gets here.
        this.state = 'retrying';
        this.logger.error({ projection: projection.name, err: error }, 'projection runner failed; retrying');
        await this.pause(RUNNER_RETRY_DELAY_MS);
      }
    }
  }

  private async consume(tableSet: TableSet): Promise<void> {
    const { db, controlSchema, store } = this.options;
    const checkpoint = await readCheckpoint(db, controlSchema, tableSet);
    // The gauges show the distance to the head from the start, not only after the first batch.
    await this.updateLag(checkpoint.position, undefined, false);
    const subscription = store.subscribeToAll({ fromPosition: checkpoint.position === 0n ? 'start' : checkpoint.position, batchSizeMax: this.batchSizeMax });
    this.subscription = subscription;
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      let pending: Promise<IteratorResult<RecordedEvent>> | null = null;
      while (!this.stopping) {
        const first: IteratorResult<RecordedEvent> = await (pending ?? iterator.next());
        pending = null;
        if (first.done === true) return;
        const batch: RecordedEvent[] = [first.value];
        let caughtUp = false;
        while (batch.length < this.batchSizeMax) {
          const next = iterator.next();
          const winner = await Promise.race([next, sleep(BATCH_FLUSH_WINDOW_MS).then(() => null)]);
          if (winner === null) {
            pending = next;
            caughtUp = true;
            break;
          }
          if (winner.done === true) break;
          batch.push(winner.value);
        }
        const position = await db.transaction(async (tx) => {
          const active = await readActiveTableSet(tx, controlSchema, this.projection.name, 'share');
          if (active === null || active.schema !== tableSet.schema) throw new TableSetSwitchedError();
          return this.applyWithin(tx, tableSet, batch, 'continuous');
        });
        await this.updateLag(position, batch[batch.length - 1], caughtUp);
      }
    } finally {
      this.subscription = null;
      await subscription.stop();
    }
  }

  private async updateLag(position: bigint, last: RecordedEvent | undefined, caughtUp: boolean): Promise<void> {
    const { metrics, headPosition } = this.options;
    if (metrics === undefined || headPosition === undefined) return;
    const lag = (await headPosition()) - position;
    const labels = { projection: this.projection.name };
    metrics.lagEvents.set(labels, Number(lag > 0n ? lag : 0n));
    const ageSeconds = last === undefined ? 0 : (Date.now() - Date.parse(last.metadata.recordedAt)) / 1000;
    metrics.lagSeconds.set(labels, caughtUp && lag <= 0n ? 0 : Math.max(ageSeconds, 0));
  }
}

/** Looked up per use, so that an SDK registered (or replaced) after this module loaded is used. */
const tracer = () => trace.getTracer('@neuroerp/projections');
/** Links per batch span; a batch of 1,000 events would otherwise carry 1,000 links. */
const TRACE_LINKS_PER_BATCH_MAX = 32;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Links to the (distinct) command spans recorded in the events' `metadata.traceparent`. */
function traceLinks(events: readonly RecordedEvent[]): Link[] {
  const links = new Map<string, Link>();
  for (const event of events) {
    if (links.size >= TRACE_LINKS_PER_BATCH_MAX) break;
    const match = TRACEPARENT.exec(event.metadata.traceparent ?? '');
    if (match === null || links.has(match[0])) continue;
    links.set(match[0], { context: { traceId: match[1] as string, spanId: match[2] as string, traceFlags: Number.parseInt(match[3] as string, 16), isRemote: true } });
  }
  return [...links.values()];
}
