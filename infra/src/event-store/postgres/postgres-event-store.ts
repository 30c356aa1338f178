import { EventEmitter } from 'node:events';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import pg from 'pg';
import type { NewEvent, RecordedEvent } from '@neuroerp/schemas';
import { closePool, openPool } from '../../postgres-pool';
import { EventStoreError } from '../errors';
import { ChainVerifier } from '../hash-chain';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeToAllOptions,
  Subscription,
} from '../port';
import { assertValidCount, assertValidExpectedVersion, assertValidStreamId, validateAppend } from '../validation';
import { planBatch, type AppendRequest, type BatchPlan, type BatchState, type ExistingEvent } from './batch-plan';
import { GroupCommitQueue, QueueFullError } from './group-commit';
import { assertSchemaName, migrateEventStore } from './migrations';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './row-mapping';
import { PollingSubscription } from './subscription';

/** Looked up per use, so that an SDK registered (or replaced) after this module loaded is used. */
const tracer = () => trace.getTracer('@neuroerp/infra');

/** Bounds of the group commit. */
export const GROUP_COMMIT_APPENDS_MAX = 256;
export const GROUP_COMMIT_WINDOW_MS = 0;
export const APPEND_QUEUE_LENGTH_MAX = 10_000;
/**
 * Event-loop turns between two group commits. A writer's next append is often queued from the
 * answer to its previous one (a command's second append; the command handler's per-stream
 * writer, which itself waits one turn to collect the commands that the same answers set
 * free): without these turns it missed the next batch and waited for the one after it.
 */
const APPEND_TURNS_BETWEEN_BATCHES = 2;
/** After the LISTEN connection is lost, the wait before it is opened again (subscriptions poll meanwhile). */
export const LISTENER_RESTART_DELAY_MS = 1_000;
/** Stream versions this process remembers for the one-round-trip path; beyond it the memory starts afresh. */
export const KNOWN_STREAM_VERSIONS_MAX = 20_000;

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** PostgreSQL schema holding the event store's tables. */
  schema?: string;
  /** Connections for reads and subscriptions; appends use one dedicated connection. */
  poolSizeMax?: number;
  groupCommitAppendsMax?: number;
  groupCommitWindowMs?: number;
  /** How often a caught-up subscription looks for new events when no notification arrives. */
  subscriptionPollMs?: number;
}

/**
 * The PostgreSQL event store. Appends from one process are group-committed: one
 * transaction per batch, serialized across processes by the row lock on `chain_head`,
 * which is what makes global positions gapless and commit-ordered (docs/adr/0002).
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly channel: string;
  private readonly appends: GroupCommitQueue<AppendRequest, AppendResult>;
  private readonly wakeups = new EventEmitter();
  private listener: { release: () => void } | null = null;
  private listenerStarting: Promise<void> | null = null;
  private listenerRestart: NodeJS.Timeout | null = null;
  private readonly subscriptionPollMs: number;
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;
  /**
   * What this process believes the chain head and some stream versions are, from its own
   * last commits. Only a guess: the one-round-trip path checks it in the database and
   * falls back to the locking path when it is wrong (another process wrote meanwhile).
   */
  private knownHead: { position: bigint; hash: string } | null = null;
  private readonly knownStreamVersions = new Map<string, number>();
  /**
   * Set when the one-round-trip path was refused: other writers are active. While set, every
   * batch takes the locking path, because a doomed attempt queues for the chain-head lock as
   * well and doubles the waiters (8 contending writers: 440 → 2,800 appends/s without it).
   * Cleared when a locked commit finds the head where this process's own last commit left it.
   */
  private othersWriting = false;
  private ownLastHead: { position: bigint; hash: string } | null = null;
  private lastRecordedAtMs = 0;
  private readonly commitCounts = { planned: 0, locked: 0, plannedFallbacks: 0 };

  private constructor(options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'event_store';
    assertSchemaName(this.schema);
    this.channel = `${this.schema}_appended`;
    this.pool = openPool({ connectionString: options.connectionString, max: options.poolSizeMax ?? 10 });
    this.subscriptionPollMs = options.subscriptionPollMs ?? 1000;
    this.wakeups.setMaxListeners(0);
    this.appends = new GroupCommitQueue((requests) => this.commitBatch(requests), {
      requestsPerBatchMax: options.groupCommitAppendsMax ?? GROUP_COMMIT_APPENDS_MAX,
      windowMs: options.groupCommitWindowMs ?? GROUP_COMMIT_WINDOW_MS,
      queueLengthMax: APPEND_QUEUE_LENGTH_MAX,
      turnsBetweenBatches: APPEND_TURNS_BETWEEN_BATCHES,
    });
  }

  /** Migrates the schema and returns a ready store. */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    await migrateEventStore(options.connectionString, options.schema ?? 'event_store');
    return new PostgresEventStore(options);
  }

  private table(name: 'events' | 'streams' | 'chain_head'): string {
    return `"${this.schema}".${name}`;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    assertValidStreamId(streamId);
    assertValidExpectedVersion(options?.expectedVersion);
    const serialized = validateAppend(events);
    // A span per append (a no-op unless the OpenTelemetry SDK is registered); group commit may share its transaction with others.
    return tracer().startActiveSpan(
      'event_store append',
      { attributes: { 'db.system': 'postgresql', 'neuroerp.stream.id': streamId, 'neuroerp.append.events': events.length, 'neuroerp.append.expected_version': String(options.expectedVersion) } },
      async (span) => {
        try {
          const result = await this.appends.submit({ streamId, expectedVersion: options.expectedVersion, events: serialized });
          span.setAttribute('neuroerp.append.position', result.position.toString());
          return result;
        } catch (error) {
          const storeError = toStoreError(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: storeError instanceof Error ? storeError.message : String(storeError) });
          throw storeError;
        } finally {
          span.end();
        }
      },
    );
  }

  private async commitBatch(requests: AppendRequest[]): Promise<(AppendResult | Error)[]> {
    const planned = this.othersWriting ? null : this.planFromKnownState(requests);
    if (planned) {
      try {
        await this.pool.query({ name: `${this.schema}_append_planned`, text: this.appendPlannedSql, values: this.plannedValues(planned) });
        this.remember(planned.plan.head, planned.plan.streamVersions);
        this.ownLastHead = planned.plan.head;
        this.commitCounts.planned += 1;
        return planned.plan.results;
      } catch {
        this.commitCounts.plannedFallbacks += 1;
        this.othersWriting = true;
        // Another process moved the head or a stream, an event id exists already, or the
        // connection failed (perhaps after committing). The locking path sorts out all of
        // these from the database's own state: a committed batch comes back as a retry.
        this.forget(requests);
      }
    }
    return this.commitBatchLocked(requests);
  }

  private get appendPlannedSql(): string {
    return `select "${this.schema}".append_planned(${Array.from({ length: 19 }, (_, i) => `$${i + 1}`).join(', ')})`;
  }

  /** The store assigns `recordedAt`: this process's clock, never going backwards. */
  private nextRecordedAt(): string {
    this.lastRecordedAtMs = Math.max(Date.now(), this.lastRecordedAtMs);
    return new Date(this.lastRecordedAtMs).toISOString();
  }

  /**
   * Plans a batch from the remembered head and stream versions when that is possible and
   * every append would succeed; otherwise null (the locking path decides).
   */
  private planFromKnownState(requests: AppendRequest[]): { plan: BatchPlan; previousVersions: Map<string, number> } | null {
    if (this.knownHead === null) return null;
    const assumed = new Map<string, number>();
    const assumedNew = new Set<string>();
    for (const { streamId, expectedVersion } of requests) {
      if (assumed.has(streamId) || assumedNew.has(streamId)) continue;
      const known = this.knownStreamVersions.get(streamId);
      if (known !== undefined) assumed.set(streamId, known);
      else if (typeof expectedVersion === 'number') assumed.set(streamId, expectedVersion);
      else if (expectedVersion === 'no_stream' || expectedVersion === 'any') assumedNew.add(streamId);
      else return null;
    }
    const plan = planBatch(requests, {
      head: this.knownHead,
      recordedAt: this.nextRecordedAt(),
      streamVersions: assumed,
      existingEvents: new Map(),
    });
    if (plan.events.length === 0 || plan.results.some((result) => result instanceof Error)) return null;
    return { plan, previousVersions: assumed };
  }

  private plannedValues({ plan, previousVersions }: { plan: BatchPlan; previousVersions: Map<string, number> }): unknown[] {
    const touched = lastVersionPerStream(plan);
    return [
      this.knownHead?.position.toString(),
      this.knownHead?.hash,
      plan.head.position.toString(),
      plan.head.hash,
      [...touched.keys()],
      [...touched.keys()].map((streamId) => previousVersions.get(streamId) ?? -1),
      [...touched.values()],
      ...eventColumns(plan),
      this.channel,
    ];
  }

  private remember(head: { position: bigint; hash: string }, streamVersions: Map<string, number>): void {
    this.knownHead = head;
    if (this.knownStreamVersions.size + streamVersions.size > KNOWN_STREAM_VERSIONS_MAX) this.knownStreamVersions.clear();
    for (const [streamId, version] of streamVersions) this.knownStreamVersions.set(streamId, version);
  }

  private forget(requests: AppendRequest[]): void {
    this.knownHead = null;
    for (const { streamId } of requests) this.knownStreamVersions.delete(streamId);
  }

  /**
   * How this process's group commits went: `planned` took one round trip, `locked` took the
   * locking path, `plannedFallbacks` counts planned attempts the database refused.
   */
  commitStatistics(): Readonly<{ planned: number; locked: number; plannedFallbacks: number }> {
    return { ...this.commitCounts };
  }

  /** The authoritative path: lock the chain head, read the streams and event ids, decide, write. */
  private async commitBatchLocked(requests: AppendRequest[]): Promise<(AppendResult | Error)[]> {
    this.commitCounts.locked += 1;
    const client = await this.pool.connect();
    let released = false;
    try {
      const [, headResult] = (await client.query(
        `begin; select position, hash from ${this.table('chain_head')} for update`,
      )) as unknown as pg.QueryResult[];
      const head = headResult?.rows[0] as { position: string; hash: string };
      // Before this process's first commit there is nothing to compare with: assume it writes alone.
      this.othersWriting = this.ownLastHead !== null && !isSameHead(this.ownLastHead, head);
      const state = await this.loadBatchState(client, requests, head);
      const plan = planBatch(requests, state);
      if (plan.events.length === 0) {
        await client.query('rollback');
        this.remember(state.head, state.streamVersions);
        return plan.results;
      }
      await this.insertPlanned(client, plan);
      await client.query('commit');
      this.remember(plan.head, plan.streamVersions);
      this.ownLastHead = plan.head;
      return plan.results;
    } catch (error) {
      // A failed batch leaves nothing behind: roll back, or drop the connection if even that fails.
      await client.query('rollback').catch(() => {
        client.release(true);
        released = true;
      });
      throw error;
    } finally {
      if (!released) client.release();
    }
  }

  private async loadBatchState(
    client: pg.PoolClient,
    requests: AppendRequest[],
    head: { position: string; hash: string },
  ): Promise<BatchState> {
    const streamIds = [...new Set(requests.map((r) => r.streamId))];
    const eventIds = requests.flatMap((r) => r.events.map(({ event }) => event.eventId));
    const { rows } = await client.query<{ kind: 's' | 'e'; stream_id: string; version: string; event_id: string | null; position: string | null }>(
      `select 's' as kind, stream_id, version, null::text as event_id, null::bigint as position
         from ${this.table('streams')} where stream_id = any($1::text[])
       union all
       select 'e', stream_id, stream_version, event_id::text, global_position
         from ${this.table('events')} where event_id = any($2::uuid[])`,
      [streamIds, eventIds],
    );
    const streamVersions = new Map<string, number>();
    const existingEvents = new Map<string, ExistingEvent>();
    for (const row of rows) {
      if (row.kind === 's') streamVersions.set(row.stream_id, Number(row.version));
      else
        existingEvents.set(row.event_id as string, {
          streamId: row.stream_id,
          streamVersion: Number(row.version),
          globalPosition: BigInt(row.position as string),
        });
    }
    return { head: { position: BigInt(head.position), hash: head.hash }, recordedAt: this.nextRecordedAt(), streamVersions, existingEvents };
  }

  private async insertPlanned(client: pg.PoolClient, plan: BatchPlan): Promise<void> {
    await this.insertEvents(client, { events: plan.events, json: plan.json }, lastVersionPerStream(plan), plan.head, `${this.schema}_insert_planned`);
  }

  /** Inserts the events, sets their streams' versions and the chain head, and wakes the listeners: one statement. */
  private async insertEvents(
    client: pg.PoolClient,
    batch: { events: readonly RecordedEvent[]; json: readonly { data: string; metadata: string }[] },
    streamVersions: ReadonlyMap<string, number>,
    head: { position: bigint; hash: string },
    statementName?: string,
  ): Promise<void> {
    await client.query({
      ...(statementName === undefined ? {} : { name: statementName }),
      text: `with inserted as (
         insert into ${this.table('events')}
           (global_position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
         select * from unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::int[],
                              $7::jsonb[], $8::jsonb[], $9::timestamptz[], $10::text[], $11::text[])
       ), streams as (
         insert into ${this.table('streams')} (stream_id, version)
         select * from unnest($12::text[], $13::bigint[])
         on conflict (stream_id) do update set version = excluded.version
       ), head as (
         update ${this.table('chain_head')} set position = $14, hash = $15
       )
       select pg_notify($16, $14::text)`,
      values: [...eventColumns(batch), [...streamVersions.keys()], [...streamVersions.values()], head.position.toString(), head.hash, this.channel],
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertValidStreamId(streamId);
    assertValidCount(options.maxCount);
    const backwards = options.direction === 'backwards';
    const from = options.fromVersion ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    const { rows } = await this.pool.query<EventRow>({
      name: `${this.schema}_read_stream_${backwards ? 'backwards' : 'forwards'}`,
      text: `select ${EVENT_COLUMNS} from ${this.table('events')}
        where stream_id = $1 and stream_version ${backwards ? '<=' : '>='} $2
        order by stream_version ${backwards ? 'desc' : 'asc'} limit $3`,
      values: [streamId, from, options.maxCount],
    });
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertValidCount(options.maxCount);
    const after = options.fromPosition === 'start' ? 0n : options.fromPosition;
    const { rows } = await this.pool.query<EventRow>({
      name: `${this.schema}_read_all`,
      text: `select ${EVENT_COLUMNS} from ${this.table('events')}
        where global_position > $1 order by global_position limit $2`,
      values: [after.toString(), options.maxCount],
    });
    return rows.map(toRecordedEvent);
  }

  /** The recorded head of the hash chain: the last position and its hash. */
  /**
   * Restores recorded events exactly as they were (ids, positions, versions, hashes): the
   * restore path of a backup, never a way to write new events. The events must continue
   * the log where it ends (the first one's `prevHash` is the current head, positions
   * follow without a gap, stream versions follow each stream's last one) and every hash
   * must recompute; otherwise nothing is written and an IMPORT_REJECTED error says why.
   * Subscribers are woken as for an append.
   */
  async importRecorded(events: readonly RecordedEvent[]): Promise<{ head: { position: bigint; hash: string } }> {
    this.assertOpen();
    const client = await this.pool.connect();
    let released = false;
    try {
      const [, headResult] = (await client.query(
        `begin; select position, hash from ${this.table('chain_head')} for update`,
      )) as unknown as pg.QueryResult[];
      const headRow = headResult?.rows[0] as { position: string; hash: string };
      const head = { position: BigInt(headRow.position), hash: headRow.hash };
      if (events.length === 0) {
        await client.query('rollback');
        return { head };
      }
      const verifier = new ChainVerifier(head);
      let expectedPosition = head.position + 1n;
      for (const event of events) {
        if (event.globalPosition !== expectedPosition) {
          throw importRejected(`position ${event.globalPosition} does not follow ${expectedPosition - 1n}`, event.globalPosition);
        }
        if (!verifier.check(event)) throw importRejected(`the hash chain breaks at position ${event.globalPosition}`, event.globalPosition);
        expectedPosition += 1n;
      }
      const lastVersions = new Map<string, number>();
      const firstVersions = new Map<string, number>();
      for (const event of events) {
        const last = lastVersions.get(event.streamId);
        if (last !== undefined && event.streamVersion !== last + 1) {
          throw importRejected(`stream ${event.streamId} version ${event.streamVersion} does not follow ${last}`, event.globalPosition);
        }
        if (last === undefined) firstVersions.set(event.streamId, event.streamVersion);
        lastVersions.set(event.streamId, event.streamVersion);
      }
      const { rows } = await client.query<{ stream_id: string; version: string }>(
        `select stream_id, version from ${this.table('streams')} where stream_id = any($1::text[])`,
        [[...firstVersions.keys()]],
      );
      const currentVersions = new Map(rows.map((row) => [row.stream_id, Number(row.version)]));
      for (const [streamId, first] of firstVersions) {
        const current = currentVersions.get(streamId) ?? -1;
        if (first !== current + 1) throw importRejected(`stream ${streamId} is at version ${current}; the import starts it at ${first}`, null);
      }
      const last = events[events.length - 1] as RecordedEvent;
      const newHead = { position: last.globalPosition, hash: last.hash };
      const json = events.map((event) => ({ data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) }));
      await this.insertEvents(client, { events, json }, lastVersions, newHead);
      await client.query('commit');
      this.knownHead = null;
      this.knownStreamVersions.clear();
      return { head: newHead };
    } catch (error) {
      await client.query('rollback').catch(() => {
        client.release(true);
        released = true;
      });
      throw error;
    } finally {
      if (!released) client.release();
    }
  }

  async readHead(): Promise<{ position: bigint; hash: string }> {
    const { rows } = await this.pool.query<{ position: string; hash: string }>(
      `select position, hash from ${this.table('chain_head')}`,
    );
    const row = rows[0];
    if (!row) throw new Error('chain_head row is missing');
    return { position: BigInt(row.position), hash: row.hash };
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    void this.ensureListener();
    const subscription = new PollingSubscription({
      fromPosition: options.fromPosition,
      batchSizeMax: options.batchSizeMax ?? 500,
      pollMs: this.subscriptionPollMs,
      readAll: (o) => this.readAll(o),
      wakeups: this.wakeups,
      onStop: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * One LISTEN connection per store wakes every caught-up subscription at once. When it is
   * lost (a server restart), the subscriptions fall back to polling and it is started again.
   */
  private ensureListener(): Promise<void> {
    if (this.listenerStarting) return this.listenerStarting;
    this.listenerStarting = (async () => {
      const client = await this.pool.connect();
      // Given back once, whoever comes first: a lost connection, a failed LISTEN or close() (after
      // which a server stopping can still raise 'error' before the socket ends).
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        client.release(true);
      };
      client.on('notification', () => this.wakeups.emit('appended'));
      client.on('error', () => {
        if (this.listener?.release === release) {
          this.listener = null;
          this.listenerStarting = null;
          this.restartListenerLater();
        }
        release();
      });
      try {
        await client.query(`listen "${this.channel}"`);
      } catch (error) {
        release();
        throw error;
      }
      this.listener = { release };
      // What was appended before it listened is read now, not at the subscriptions' next poll.
      this.wakeups.emit('appended');
    })().catch(() => {
      this.listenerStarting = null;
      this.restartListenerLater();
    });
    return this.listenerStarting;
  }

  /** Starts the listener again after a delay, while subscriptions need it. */
  private restartListenerLater(): void {
    if (this.closed || this.subscriptions.size === 0 || this.listenerRestart !== null) return;
    this.listenerRestart = setTimeout(() => {
      this.listenerRestart = null;
      if (!this.closed && this.subscriptions.size > 0) void this.ensureListener();
    }, LISTENER_RESTART_DELAY_MS);
    this.listenerRestart.unref();
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listenerRestart !== null) clearTimeout(this.listenerRestart);
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.listenerStarting;
    this.listener?.release();
    this.listener = null;
    await closePool(this.pool);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }
}

/** Whether the chain head read from the database is the one this process's last commit wrote. */
function isSameHead(own: { position: bigint; hash: string } | null, head: { position: string; hash: string }): boolean {
  return own !== null && own.position === BigInt(head.position) && own.hash === head.hash;
}

/** The last version each stream of the batch reaches. */
function lastVersionPerStream(plan: BatchPlan): Map<string, number> {
  const touched = new Map<string, number>();
  for (const event of plan.events) touched.set(event.streamId, event.streamVersion);
  return touched;
}

/** The eleven event columns of a batch, as the arrays `unnest` takes. */
function eventColumns(plan: { events: readonly RecordedEvent[]; json: readonly { data: string; metadata: string }[] }): unknown[] {
  return [
    plan.events.map((e) => e.globalPosition.toString()),
    plan.events.map((e) => e.eventId),
    plan.events.map((e) => e.streamId),
    plan.events.map((e) => e.streamVersion),
    plan.events.map((e) => e.type),
    plan.events.map((e) => e.schemaVersion),
    plan.json.map((j) => j.data),
    plan.json.map((j) => j.metadata),
    plan.events.map((e) => e.metadata.recordedAt),
    plan.events.map((e) => e.prevHash),
    plan.events.map((e) => e.hash),
  ];
}

function importRejected(reason: string, position: bigint | null): EventStoreError {
  return new EventStoreError('IMPORT_REJECTED', `The events cannot be restored: ${reason}.`, position === null ? {} : { position: position.toString() });
}

function toStoreError(error: unknown): unknown {
  if (error instanceof EventStoreError) return error;
  if (error instanceof QueueFullError) {
    return new EventStoreError('STORE_UNAVAILABLE', error.message, { queueLengthMax: error.queueLengthMax });
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === 'ECONNREFUSED' || code === 'ECONNRESET')) {
    return new EventStoreError('STORE_UNAVAILABLE', 'The event store database is not reachable; the append may be retried with the same event ids.', {
      cause: code,
    });
  }
  return error;
}
