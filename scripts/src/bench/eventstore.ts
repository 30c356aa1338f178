import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { EVENTS_PER_APPEND_MAX, READ_COUNT_MAX } from '@neuroerp/infra';
import {
  EmmettSide,
  OursSide,
  POOL_CONNECTIONS_MAX,
  RawSide,
  SIDE_NAMES,
  ScratchDatabases,
  eventMetadata,
  ledgerTransactionPosted,
  type EventStoreSide,
  type SideName,
} from './eventstore-sides';
import { median, percentile, runOperations, startProgress, timeEach } from './measure';
import type { BenchSuite, SuiteOptions, SuiteOutcome, TargetCheck } from './suite';
import { formatCount, formatMs, formatRatio, formatTable } from './table';

/** Concurrent writers in `append_c16`. */
const WRITERS_CONCURRENT = 16;
/** Store instances in `append_c16_replicas`: command-API replicas sharing one database and one hash chain. */
const REPLICAS = 8;
const BATCH_EVENTS = 100;
const READ_STREAM_EVENTS = 1000;
/** The quick run does this many times fewer operations. */
const QUICK_DIVISOR = 10;
/**
 * Each case is measured in rounds, the sides taking turns in a rotating order, so that a
 * slow phase of the machine (a disk flush, a neighbour's burst) is shared by all sides
 * instead of landing on whichever happened to run then.
 */
const ROUNDS = 5;
/** Keeps payloads distinct across operations (different invoice numbers and amounts). */
const SEQUENCE_STRIDE = 1_000_000;

// Every concurrent writer needs its own pooled connection on the emmett and raw sides, and
// every append and read must stay within the store's own limits.
if (WRITERS_CONCURRENT > POOL_CONNECTIONS_MAX) throw new Error('bench limits: WRITERS_CONCURRENT > POOL_CONNECTIONS_MAX');
if (BATCH_EVENTS > EVENTS_PER_APPEND_MAX || READ_STREAM_EVENTS > EVENTS_PER_APPEND_MAX || READ_STREAM_EVENTS > READ_COUNT_MAX) {
  throw new Error('bench limits: a batch or the read stream exceeds the event store limits');
}

type CaseName = 'append_c1' | 'append_c16' | 'append_c16_replicas' | 'append_occ' | 'append_batch100' | 'read_stream';
type Unit = 'events_per_s' | 'ms';

interface CasePlan {
  /** Measured operations per side: appends, or reads for `read_stream`. */
  operations: number;
  /** Operations run first and thrown away: JIT, connection pool, plan and buffer caches. */
  warmup: number;
}

/** Full-run sizes: a few seconds per side per case on the reference machine (docs/benchmarks.md). */
const FULL_PLAN: Record<CaseName, CasePlan> = {
  append_c1: { operations: 5000, warmup: 500 },
  append_c16: { operations: 20_000, warmup: 2000 },
  append_c16_replicas: { operations: 20_000, warmup: 2000 },
  append_occ: { operations: 5000, warmup: 500 },
  append_batch100: { operations: 500, warmup: 50 },
  read_stream: { operations: 400, warmup: 40 },
};

function planFor(caseName: CaseName, quick: boolean): CasePlan {
  const full = FULL_PLAN[caseName];
  if (!quick) return full;
  const scaled = (n: number) => Math.max(ROUNDS, Math.round(n / QUICK_DIVISOR));
  return { operations: scaled(full.operations), warmup: scaled(full.warmup) };
}

/** Splits `total` into `ROUNDS` near-equal parts. */
function roundSizes(total: number): number[] {
  return Array.from({ length: ROUNDS }, (_, round) => Math.floor((total * (round + 1)) / ROUNDS) - Math.floor((total * round) / ROUNDS));
}

/** The contestants in the order of round `round`: a rotation, so every side goes first once. */
function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function newStreamId(): string {
  return `ledger.transaction-${randomUUID()}`;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One measured line of a case: a side, or a reference such as raw bulk COPY. */
interface Contestant {
  label: string;
  side: EventStoreSide;
  /** Performs append number `index` of this contestant (indexes continue across warm-up and rounds). */
  append(index: number, sequence: number): Promise<void>;
}

interface AppendTally {
  appends: number;
  elapsedMs: number;
  transactions: number;
}

interface CaseResult {
  unit: Unit;
  bySide: Record<SideName, number>;
  /** Raw bulk references of `append_batch100`, events per second. */
  rawBulk?: { copy: number; unnest: number };
  /** `append_c16_replicas`: ours with the writers spread over {@link REPLICAS} store instances, events per second. */
  oursReplicas?: number;
}

class EventStoreBench {
  private readonly results = new Map<CaseName, CaseResult>();
  /** Events each side should hold at the end: checked against its table, so no side can silently drop writes. */
  private readonly eventsWritten: Record<SideName, number> = { ours: 0, emmett: 0, raw: 0 };
  private sequence = 0;

  constructor(
    private readonly sides: Record<SideName, EventStoreSide>,
    /** More instances of our store on the `ours` database, for `append_c16_replicas`. */
    private readonly replicas: OursSide[],
    private readonly databases: ScratchDatabases,
    private readonly quick: boolean,
  ) {}

  private nextSequence(): number {
    this.sequence += SEQUENCE_STRIDE;
    return this.sequence;
  }

  /**
   * Warms every contestant up, then measures them in rotating rounds. Returns events per
   * second by label, and prints per-round figures and transaction counts (distinct `xmin`
   * of the rows written: how many appends shared one commit, i.e. the group commit at work).
   */
  private async measureAppends(caseName: CaseName, concurrency: number, eventsPerAppend: number, contestants: Contestant[]): Promise<Map<string, number>> {
    const plan = planFor(caseName, this.quick);
    const done = new Map<string, number>(contestants.map((c) => [c.label, 0]));
    const tally = new Map<string, AppendTally>(contestants.map((c) => [c.label, { appends: 0, elapsedMs: 0, transactions: 0 }]));
    const runSlice = async (contestant: Contestant, count: number, progress?: ReturnType<typeof startProgress>) => {
      const first = done.get(contestant.label) ?? 0;
      const base = this.nextSequence();
      const elapsedMs = await runOperations(count, concurrency, (i) => contestant.append(first + i, base + i * eventsPerAppend), progress);
      done.set(contestant.label, first + count);
      this.eventsWritten[contestant.side.name] += count * eventsPerAppend;
      return elapsedMs;
    };

    for (const contestant of contestants) {
      contestant.side.activate();
      await runSlice(contestant, plan.warmup);
    }
    const sizes = roundSizes(plan.operations);
    for (const [round, size] of sizes.entries()) {
      const figures: string[] = [];
      for (const contestant of rotated(contestants, round)) {
        contestant.side.activate();
        await this.databases.checkpoint();
        const before = await contestant.side.writeStats();
        const progress = startProgress(`${caseName} round ${round + 1}/${ROUNDS} ${contestant.label}`, size);
        const elapsedMs = await runSlice(contestant, size, progress);
        progress.stop();
        const after = await contestant.side.writeStats();
        const sum = tally.get(contestant.label) as AppendTally;
        sum.appends += size;
        sum.elapsedMs += elapsedMs;
        sum.transactions += after.transactions - before.transactions;
        figures.push(`${contestant.label} ${formatCount(((size * eventsPerAppend) / elapsedMs) * 1000)}`);
      }
      log(`  round ${round + 1}/${ROUNDS}: ${figures.join(', ')} events/s`);
    }

    const eventsPerSecond = new Map<string, number>();
    for (const contestant of contestants) {
      const { appends, elapsedMs, transactions } = tally.get(contestant.label) as AppendTally;
      const rate = ((appends * eventsPerAppend) / elapsedMs) * 1000;
      eventsPerSecond.set(contestant.label, rate);
      log(
        `  ${caseName} ${contestant.label}: ${formatCount(rate)} events/s  (${formatCount(appends)} appends in ${(elapsedMs / 1000).toFixed(2)} s;` +
          ` ${formatCount(transactions)} transactions: ${(appends / transactions).toFixed(1)} appends per commit,` +
          ` one commit every ${(elapsedMs / transactions).toFixed(3)} ms)`,
      );
    }
    return eventsPerSecond;
  }

  private bySide(figures: Map<string, number>): Record<SideName, number> {
    const pick = (name: SideName) => {
      const figure = figures.get(name);
      if (figure === undefined) throw new Error(`no figure for ${name}`);
      return figure;
    };
    return { ours: pick('ours'), emmett: pick('emmett'), raw: pick('raw') };
  }

  private plainContestants(append: (side: EventStoreSide, index: number, sequence: number) => Promise<void>): Contestant[] {
    return SIDE_NAMES.map((name) => {
      const side = this.sides[name];
      return { label: name, side, append: (index, sequence) => append(side, index, sequence) };
    });
  }

  async appendC1(): Promise<void> {
    log('append_c1: 1 event per append, a new stream each, one writer');
    const figures = await this.measureAppends(
      'append_c1',
      1,
      1,
      this.plainContestants((side, _, sequence) => side.appendToNewStream(newStreamId(), 1, sequence)),
    );
    this.results.set('append_c1', { unit: 'events_per_s', bySide: this.bySide(figures) });
  }

  async appendC16(): Promise<void> {
    log(`append_c16: 1 event per append, a new stream each, ${WRITERS_CONCURRENT} concurrent writers`);
    const figures = await this.measureAppends(
      'append_c16',
      WRITERS_CONCURRENT,
      1,
      this.plainContestants((side, _, sequence) => side.appendToNewStream(newStreamId(), 1, sequence)),
    );
    this.results.set('append_c16', { unit: 'events_per_s', bySide: this.bySide(figures) });
  }

  async appendC16Replicas(): Promise<void> {
    log(
      `append_c16_replicas: as append_c16, ours with the ${WRITERS_CONCURRENT} writers spread over ${this.replicas.length} store instances` +
        ' (replicas of the command API: every commit contends for the one chain head)',
    );
    const figures = await this.measureAppends('append_c16_replicas', WRITERS_CONCURRENT, 1, [
      ...this.plainContestants((side, _, sequence) => side.appendToNewStream(newStreamId(), 1, sequence)),
      {
        label: `ours-${this.replicas.length}-replicas`,
        side: this.sides.ours,
        append: (index, sequence) => (this.replicas[index % this.replicas.length] as OursSide).appendToNewStream(newStreamId(), 1, sequence),
      },
    ]);
    this.results.set('append_c16_replicas', {
      unit: 'events_per_s',
      bySide: this.bySide(figures),
      oursReplicas: figures.get(`ours-${this.replicas.length}-replicas`) as number,
    });
  }

  async appendOcc(): Promise<void> {
    log('append_occ: 1 event per append to one stream, expected version checked, one writer');
    // One stream per side for warm-up and all rounds: append number i finds i events there.
    const streams = new Map<SideName, string>(SIDE_NAMES.map((name) => [name, newStreamId()]));
    const figures = await this.measureAppends(
      'append_occ',
      1,
      1,
      this.plainContestants((side, index, sequence) => side.appendExpecting(streams.get(side.name) as string, index, sequence)),
    );
    this.results.set('append_occ', { unit: 'events_per_s', bySide: this.bySide(figures) });
  }

  async appendBatch100(): Promise<void> {
    log(`append_batch100: ${BATCH_EVENTS} events per append, a new stream each, one writer`);
    log('  raw = 100 single-row INSERTs in one transaction; raw bulk = one COPY FROM STDIN, or one INSERT ... SELECT FROM unnest(...), per batch');
    const raw = this.sides.raw as RawSide;
    const figures = await this.measureAppends('append_batch100', 1, BATCH_EVENTS, [
      ...this.plainContestants((side, _, sequence) => side.appendToNewStream(newStreamId(), BATCH_EVENTS, sequence)),
      { label: 'raw-bulk-copy', side: raw, append: (_, sequence) => raw.bulkCopy(newStreamId(), BATCH_EVENTS, sequence) },
      { label: 'raw-bulk-unnest', side: raw, append: (_, sequence) => raw.bulkUnnest(newStreamId(), BATCH_EVENTS, sequence) },
    ]);
    this.results.set('append_batch100', {
      unit: 'events_per_s',
      bySide: this.bySide(figures),
      rawBulk: { copy: figures.get('raw-bulk-copy') as number, unnest: figures.get('raw-bulk-unnest') as number },
    });
  }

  async readStream(): Promise<void> {
    log(`read_stream: read a ${formatCount(READ_STREAM_EVENTS)}-event stream fully, one reader`);
    const plan = planFor('read_stream', this.quick);
    const streams = new Map<SideName, string>();
    const durations = new Map<SideName, number[]>(SIDE_NAMES.map((name) => [name, []]));
    const readerOf = (side: EventStoreSide) => async () => {
      const count = await side.readStream(streams.get(side.name) as string, READ_STREAM_EVENTS);
      if (count !== READ_STREAM_EVENTS) throw new Error(`${side.name} read ${count} events, expected ${READ_STREAM_EVENTS}`);
    };
    for (const name of SIDE_NAMES) {
      const side = this.sides[name];
      side.activate();
      const streamId = newStreamId();
      streams.set(name, streamId);
      await side.appendToNewStream(streamId, READ_STREAM_EVENTS, this.nextSequence());
      this.eventsWritten[name] += READ_STREAM_EVENTS;
      await timeEach(plan.warmup, readerOf(side));
    }
    for (const [round, size] of roundSizes(plan.operations).entries()) {
      const figures: string[] = [];
      for (const name of rotated(SIDE_NAMES, round)) {
        const side = this.sides[name];
        side.activate();
        await this.databases.checkpoint();
        const progress = startProgress(`read_stream round ${round + 1}/${ROUNDS} ${name}`, size);
        const slice = await timeEach(size, readerOf(side), progress);
        progress.stop();
        durations.get(name)?.push(...slice);
        figures.push(`${name} ${formatMs(median(slice))}`);
      }
      log(`  round ${round + 1}/${ROUNDS}: ${figures.join(', ')} ms median`);
    }
    const bySide = { ours: 0, emmett: 0, raw: 0 };
    for (const name of SIDE_NAMES) {
      const all = durations.get(name) as number[];
      bySide[name] = median(all);
      log(
        `  read_stream ${name}: ${formatMs(bySide[name])} ms median  (${all.length} reads;` +
          ` p90 ${formatMs(percentile(all, 0.9))} ms, min ${formatMs(Math.min(...all))} ms)`,
      );
    }
    this.results.set('read_stream', { unit: 'ms', bySide });
  }

  /** Every side must hold exactly the events it acknowledged. */
  async verifyWrites(): Promise<void> {
    for (const name of SIDE_NAMES) {
      const { events } = await this.sides[name].writeStats();
      if (events !== this.eventsWritten[name]) {
        throw new Error(`${name} holds ${events} events but acknowledged ${this.eventsWritten[name]}`);
      }
    }
    log(`writes verified: ${SIDE_NAMES.map((name) => `${name} ${formatCount(this.eventsWritten[name])}`).join(', ')} events`);
  }

  private result(caseName: CaseName): CaseResult {
    const result = this.results.get(caseName);
    if (!result) throw new Error(`case ${caseName} has not run`);
    return result;
  }

  report(): string {
    const header = ['case', 'unit', 'ours', 'emmett', 'raw', 'ours/emmett', 'ours/raw'];
    const rows: string[][] = [];
    for (const [caseName, { unit, bySide, rawBulk, oursReplicas }] of this.results) {
      const format = unit === 'ms' ? formatMs : formatCount;
      rows.push([
        caseName,
        unit === 'ms' ? 'ms (median)' : 'events/s',
        format(bySide.ours),
        format(bySide.emmett),
        format(bySide.raw),
        formatRatio(bySide.ours / bySide.emmett),
        formatRatio(bySide.ours / bySide.raw),
      ]);
      if (rawBulk) {
        rows.push(['  raw bulk: COPY', 'events/s', '', '', formatCount(rawBulk.copy), '', formatRatio(bySide.ours / rawBulk.copy)]);
        rows.push(['  raw bulk: unnest INSERT', 'events/s', '', '', formatCount(rawBulk.unnest), '', formatRatio(bySide.ours / rawBulk.unnest)]);
      }
      if (oursReplicas !== undefined) {
        rows.push([`  ours on ${REPLICAS} replicas`, 'events/s', formatCount(oursReplicas), '', '', formatRatio(oursReplicas / bySide.emmett), formatRatio(oursReplicas / bySide.raw)]);
      }
    }
    return formatTable(header, rows);
  }

  targets(): TargetCheck[] {
    const c16 = this.result('append_c16').bySide;
    const replicas = this.result('append_c16_replicas');
    const c1 = this.result('append_c1').bySide;
    const occ = this.result('append_occ').bySide;
    const batch = this.result('append_batch100');
    const read = this.result('read_stream').bySide;
    const atLeast = (caseName: CaseName, statement: string, ratio: number, minimum: number): TargetCheck => ({
      caseName,
      statement: `${statement}: ratio ${ratio.toFixed(2)}, target >= ${minimum.toFixed(2)}`,
      ratio,
      passed: ratio >= minimum,
    });
    const readRatio = read.ours / read.raw;
    return [
      atLeast('append_c16', 'ours >= 5x emmett', c16.ours / c16.emmett, 5),
      atLeast('append_c16', 'ours >= 1.5x raw', c16.ours / c16.raw, 1.5),
      // One hash chain serializes the replicas' commits (one or two events each, four round trips under the lock); the gate
      // is that contention does not collapse throughput, as it did while every replica first tried the one-round-trip
      // path (1.4% of one store then, 9% now; docs/benchmarks.md).
      atLeast('append_c16_replicas', `ours on ${REPLICAS} replicas >= 5% of ours on one`, (replicas.oursReplicas ?? Number.NaN) / replicas.bySide.ours, 0.05),
      atLeast('append_c1', 'ours >= raw', c1.ours / c1.raw, 1),
      atLeast('append_occ', 'ours >= raw', occ.ours / occ.raw, 1),
      atLeast('append_batch100', 'ours >= 50% of raw bulk (COPY)', batch.bySide.ours / (batch.rawBulk?.copy ?? Number.NaN), 0.5),
      {
        caseName: 'read_stream',
        statement: `ours time <= 1.5x raw time: ratio ${readRatio.toFixed(2)}, target <= 1.50`,
        ratio: readRatio,
        passed: readRatio <= 1.5,
      },
    ];
  }

  resultLines(): string[] {
    const lines: string[] = [];
    const bulk = this.result('append_batch100').rawBulk;
    if (bulk) {
      lines.push(
        `REFERENCE suite=eventstore case=append_batch100 raw_bulk_copy=${Math.round(bulk.copy)} raw_bulk_unnest=${Math.round(bulk.unnest)} unit=events_per_s`,
      );
    }
    for (const [caseName, { unit, bySide, oursReplicas }] of this.results) {
      const value = (n: number) => (unit === 'ms' ? n.toFixed(2) : String(Math.round(n)));
      const replicas = oursReplicas === undefined ? '' : ` ours_${REPLICAS}_replicas=${value(oursReplicas)}`;
      lines.push(
        `RESULT suite=eventstore case=${caseName} ours=${value(bySide.ours)}${replicas} emmett=${value(bySide.emmett)} raw=${value(bySide.raw)} unit=${unit}`,
      );
    }
    return lines;
  }
}

async function openSides(databases: ScratchDatabases): Promise<{ sides: Record<SideName, EventStoreSide>; replicas: OursSide[] }> {
  const opened: EventStoreSide[] = [];
  try {
    const oursDatabase = await databases.create('ours');
    const ours = await OursSide.open(oursDatabase);
    opened.push(ours);
    const replicas: OursSide[] = [];
    for (let i = 0; i < REPLICAS; i += 1) {
      replicas.push(await OursSide.open(oursDatabase));
      opened.push(replicas[i] as OursSide);
    }
    const emmett = await EmmettSide.open(await databases.create('emmett'));
    opened.push(emmett);
    const raw = await RawSide.open(await databases.create('raw'));
    opened.push(raw);
    return { sides: { ours, emmett, raw }, replicas };
  } catch (error) {
    for (const side of opened) await side.close();
    throw error;
  }
}

async function run(options: SuiteOptions): Promise<SuiteOutcome> {
  const databases = await ScratchDatabases.connect(options.databaseUrl);
  // Ctrl-C must not leave scratch databases behind.
  const onInterrupt = () => {
    void databases.dropAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    const sample = JSON.stringify(ledgerTransactionPosted(123_456));
    log(`eventstore benchmark (${options.quick ? 'quick' : 'full'} run) on ${await databases.serverDescription()}`);
    log(
      `payload: ${Buffer.byteLength(sample)} bytes of event data and ${Buffer.byteLength(JSON.stringify(eventMetadata()))} bytes of metadata` +
        ' (ours and emmett store the metadata, raw does not); each side in its own fresh database;' +
        ` ${ROUNDS} rounds per case, sides in rotating order, CHECKPOINT before each side's turn`,
    );
    const { sides, replicas } = await openSides(databases);
    try {
      const bench = new EventStoreBench(sides, replicas, databases, options.quick);
      await bench.appendC1();
      await bench.appendC16();
      await bench.appendC16Replicas();
      await bench.appendOcc();
      await bench.appendBatch100();
      await bench.readStream();
      await bench.verifyWrites();
      return { report: bench.report(), targets: bench.targets(), resultLines: bench.resultLines() };
    } finally {
      for (const side of [...Object.values(sides), ...replicas]) await side.close();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    await databases.close();
  }
}

export const eventStoreSuite: BenchSuite = {
  description: 'append and read throughput of the PostgreSQL event store vs emmett-postgresql vs raw pg',
  run,
};
