import { randomUUID } from 'node:crypto';
import { DEMO_COMPANY_ID } from '../demo-data';
import { request, startBenchApplication, type Answer } from './embedded-application';
import { percentile } from './measure';
import type { BenchSuite, SuiteOptions, SuiteOutcome, TargetCheck } from './suite';
import { formatCount, formatMs, formatTable } from './table';

/**
 * `npm run bench -- soak [--duration <s>] [--quick]`: the embedded default (an embedded
 * PostgreSQL in a temporary DATA_DIR, the demo data seeded, the whole application composed
 * in this process as `neuroerp start` composes it) under an open-loop load at a target rate:
 * reads of the query API (dashboard, transactions, trial balance) and writes (draft + submit
 * of a two-line journal transaction, with an Idempotency-Key), 4 reads to 1 write. First a raw
 * baseline at the same rate: GET /health (no database), so the figures have a peer.
 *
 * Rate limits are raised for the run (a soak measures the service, not the limiter, and all
 * requests come from one address and one user); authentication is real (RS256 per request).
 * RSS is the process's (client and server share it), sampled after the first tenth of the run
 * (warm-up) and at the end.
 */

const FULL = { rate: 500, durationSeconds: 300 } as const;
const QUICK = { rate: 200, durationSeconds: 30 } as const;
/** Requests in flight at most; a tick that would exceed it skips (shows as achieved_rps below target). */
const IN_FLIGHT_MAX = 256;
const TICK_MS = 10;
/** Targets from issue 8. */
const RSS_GROWTH_PCT_MAX = 10;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface CaseFigures {
  name: string;
  sent: number;
  errors: number;
  skipped: number;
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  rssStartMb: number;
  rssEndMb: number;
  rssGrowthPct: number;
  /** Live JS heap after a full GC, at warm-up and at the end (null without --expose-gc): growth here is a leak, RSS also counts V8's heap sizing. */
  liveHeapStartMb: number | null;
  liveHeapEndMb: number | null;
  errorSamples: string[];
}

function growthPct(start: number, end: number): number {
  return ((end - start) / start) * 100;
}

/** The JS heap still in use after a full garbage collection; null when the process runs without --expose-gc (npm run bench passes it). */
function liveHeapBytes(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  return process.memoryUsage().heapUsed;
}

/** Open loop: every tick starts the requests the target rate asks for by now, unless IN_FLIGHT_MAX are in flight. */
async function runAtRate(name: string, rate: number, durationSeconds: number, operation: (index: number) => Promise<Answer>): Promise<CaseFigures> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let skipped = 0;
  let inFlight = 0;
  let rssStart = process.memoryUsage().rss;
  let liveHeapStart = liveHeapBytes();
  let warmedUp = false;
  const started = performance.now();
  const durationMs = durationSeconds * 1000;
  const pending = new Set<Promise<void>>();
  let lastProgress = started;
  let lastCompleted = 0;
  while (performance.now() - started < durationMs) {
    const elapsed = performance.now() - started;
    if (!warmedUp && elapsed >= durationMs / 10) {
      warmedUp = true;
      rssStart = process.memoryUsage().rss;
      liveHeapStart = liveHeapBytes();
    }
    const due = Math.floor((elapsed / 1000) * rate);
    while (sent + skipped < due) {
      if (inFlight >= IN_FLIGHT_MAX) {
        skipped += 1;
        continue;
      }
      const index = sent;
      sent += 1;
      inFlight += 1;
      const begun = performance.now();
      const done = operation(index).then(
        (answer) => {
          latencies.push(performance.now() - begun);
          if (answer.status < 200 || answer.status >= 300) {
            errors += 1;
            if (errorSamples.length < 5) errorSamples.push(`${answer.status} ${answer.body.slice(0, 200)}`);
          }
        },
        (error: unknown) => {
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
        },
      );
      const tracked = done.finally(() => {
        inFlight -= 1;
        completed += 1;
        pending.delete(tracked);
      });
      pending.add(tracked);
    }
    const now = performance.now();
    if (now - lastProgress >= 5000) {
      const rss = process.memoryUsage().rss;
      log(
        `  ${name}: ${Math.round((now - started) / 1000)} s, ${formatCount(((completed - lastCompleted) / (now - lastProgress)) * 1000)} req/s, ` +
          `in flight ${inFlight}, errors ${errors}, skipped ${skipped}, rss ${(rss / 2 ** 20).toFixed(0)} MB`,
      );
      lastProgress = now;
      lastCompleted = completed;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  const elapsedMs = performance.now() - started;
  const rssEnd = process.memoryUsage().rss;
  const liveHeapEnd = liveHeapBytes();
  return {
    name,
    sent,
    errors,
    skipped,
    achievedRps: (completed / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    rssStartMb: rssStart / 2 ** 20,
    rssEndMb: rssEnd / 2 ** 20,
    rssGrowthPct: growthPct(rssStart, rssEnd),
    liveHeapStartMb: liveHeapStart === null ? null : liveHeapStart / 2 ** 20,
    liveHeapEndMb: liveHeapEnd === null ? null : liveHeapEnd / 2 ** 20,
    errorSamples,
  };
}

function soakPlan(options: SuiteOptions): { rate: number; durationSeconds: number } {
  const plan = options.quick ? QUICK : FULL;
  return { rate: options.ratePerSecond ?? plan.rate, durationSeconds: options.durationSeconds ?? plan.durationSeconds };
}

async function run(options: SuiteOptions): Promise<SuiteOutcome> {
  const { rate, durationSeconds } = soakPlan(options);
  log(`soak benchmark (${options.quick ? 'quick' : 'full'} run): ${rate} requests/s for ${durationSeconds} s`);
  const bench = await startBenchApplication({ socketsMax: IN_FLIGHT_MAX, log });
  try {
    const { agent, port } = bench;
    const auth = await bench.authorization('accountant', 'demo-accountant-2026!');
    const runId = randomUUID().slice(0, 8);
    const today = new Date().toISOString().slice(0, 10);
    const reads = ['/api/query/dashboard', '/api/query/transactions?limit=20', '/api/query/trial-balance'];
    const mixed = (index: number): Promise<Answer> => {
      if (index % 5 === 4) {
        const amount = `${10 + (index % 900)}.${String(index % 100).padStart(2, '0')}`;
        const body = JSON.stringify({
          transactionId: `soak-${runId}-${index}`,
          companyId: DEMO_COMPANY_ID,
          type: 'journal',
          documentDate: today,
          postingDate: today,
          description: `soak ${index}`,
          lines: [
            { accountNumber: '1200', side: 'debit', amount, currency: 'EUR' },
            { accountNumber: '8400', side: 'credit', amount, currency: 'EUR' },
          ],
          submit: true,
        });
        return request(agent, port, 'POST', '/api/finance/transactions', { ...auth, 'idempotency-key': randomUUID() }, body);
      }
      return request(agent, port, 'GET', reads[index % reads.length] as string, auth);
    };

    const baselineSeconds = Math.max(10, Math.round(durationSeconds / 5));
    log(`raw_health: GET /health at ${rate} requests/s for ${baselineSeconds} s`);
    const raw = await runAtRate('raw_health', rate, baselineSeconds, () => request(agent, port, 'GET', '/health', {}));
    log(`mixed: 4 reads (dashboard, transactions, trial balance) : 1 write (draft + submit) at ${rate} requests/s for ${durationSeconds} s`);
    const soak = await runAtRate('mixed', rate, durationSeconds, mixed);
    for (const figures of [raw, soak]) for (const sample of figures.errorSamples) log(`  ${figures.name} error: ${sample}`);

    const targets: TargetCheck[] = [
      { caseName: 'mixed', statement: `errors = 0: ${soak.errors}`, ratio: soak.errors, passed: soak.errors === 0 },
      {
        caseName: 'mixed',
        statement: `RSS growth < ${RSS_GROWTH_PCT_MAX}%: ${soak.rssGrowthPct.toFixed(1)}%`,
        ratio: soak.rssGrowthPct / RSS_GROWTH_PCT_MAX,
        passed: soak.rssGrowthPct < RSS_GROWTH_PCT_MAX,
      },
      { caseName: 'mixed', statement: `achieved rate >= 95% of ${rate} req/s: ${soak.achievedRps.toFixed(0)}`, ratio: soak.achievedRps / rate, passed: soak.achievedRps >= rate * 0.95 },
    ];
    const row = (figures: CaseFigures) => [
      figures.name,
      formatCount(figures.sent),
      String(figures.errors),
      String(figures.skipped),
      formatCount(figures.achievedRps),
      formatMs(figures.p50Ms),
      formatMs(figures.p99Ms),
      `${figures.rssStartMb.toFixed(0)} → ${figures.rssEndMb.toFixed(0)} MB (${figures.rssGrowthPct.toFixed(1)}%)`,
      figures.liveHeapStartMb === null || figures.liveHeapEndMb === null ? 'n/a' : `${figures.liveHeapStartMb.toFixed(0)} → ${figures.liveHeapEndMb.toFixed(0)} MB (${growthPct(figures.liveHeapStartMb, figures.liveHeapEndMb).toFixed(1)}%)`,
    ];
    const result = (figures: CaseFigures) =>
      `RESULT suite=soak case=${figures.name} errors=${figures.errors} rss_growth_pct=${figures.rssGrowthPct.toFixed(1)} p99_ms=${figures.p99Ms.toFixed(2)} ` +
      `achieved_rps=${figures.achievedRps.toFixed(0)} target_rps=${rate} duration_s=${figures.name === 'mixed' ? durationSeconds : baselineSeconds} requests=${figures.sent} skipped=${figures.skipped}` +
      (figures.liveHeapStartMb === null || figures.liveHeapEndMb === null ? '' : ` live_heap_growth_pct=${growthPct(figures.liveHeapStartMb, figures.liveHeapEndMb).toFixed(1)}`);
    return {
      report: formatTable(['case', 'requests', 'errors', 'skipped', 'achieved req/s', 'p50 ms', 'p99 ms', 'RSS (after warm-up → end)', 'live heap after full GC'], [row(raw), row(soak)]),
      targets,
      resultLines: [result(soak), result(raw)],
    };
  } finally {
    await bench.close();
  }
}

export const soakSuite: BenchSuite = {
  description: 'embedded default under mixed query reads and draft+submit writes at a target rate (default 500 req/s, 300 s) vs GET /health',
  run,
};
