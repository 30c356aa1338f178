import { readActiveReadModels } from '@neuroerp/query-api';
import { request, startBenchApplication, type Answer } from './embedded-application';
import { percentile, runOperations, startProgress } from './measure';
import type { BenchSuite, SuiteOptions, SuiteOutcome, TargetCheck } from './suite';
import { formatCount, formatMs, formatTable } from './table';

/**
 * `npm run bench -- queries [--quick]`: the query API's read path on the embedded default (the
 * demo data, the application composed as `neuroerp start` composes it, RS256 authentication on
 * every request), closed loop with CONCURRENCY clients in this process:
 *
 * - `cached`: GET /api/query/trial-balance again and again: after the first, every answer
 *   comes from the response cache (the read models did not change), which costs one statement;
 * - `uncached`: the trial balance as known at a different instant each time
 *   (`?knownAt=`): a cache miss, so the repeatable-read transaction and the route's query;
 * - peers measured in the same run: `health` (GET /health: the HTTP server without
 *   authentication or database, the floor of any request) and `raw_versions` (the statement a
 *   cached answer costs, run straight on the query pool: the database floor of a cached read).
 */

const CONCURRENCY = 16;
const FULL = { requests: 20_000, uncachedRequests: 4_000 } as const;
const QUICK = { requests: 2_000, uncachedRequests: 400 } as const;
/** Gate: a cached read reaches at least this share of GET /health's rate (the HTTP floor). */
const CACHED_SHARE_OF_HEALTH_MIN = 0.4;
/** The read models the trial balance reads. */
const TRIAL_BALANCE_READS = ['account_balances', 'general_ledger'];

interface CaseFigures {
  name: string;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs `count` operations CONCURRENCY at a time and times each; any answer but 200 ends the benchmark. */
async function measure(name: string, count: number, operation: (index: number) => Promise<Answer | void>): Promise<CaseFigures> {
  const latencies: number[] = [];
  const progress = startProgress(name, count);
  const elapsedMs = await runOperations(
    count,
    CONCURRENCY,
    async (index) => {
      const begun = performance.now();
      const answer = await operation(index);
      latencies.push(performance.now() - begun);
      if (answer !== undefined && answer.status !== 200) throw new Error(`${name}: request ${index} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    },
    progress,
  );
  progress.stop();
  const figures = { name, requests: count, perSecond: (count / elapsedMs) * 1000, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  log(`  ${name}: ${formatCount(figures.perSecond)} requests/s, p50 ${formatMs(figures.p50Ms)} ms, p99 ${formatMs(figures.p99Ms)} ms`);
  return figures;
}

async function run(options: SuiteOptions): Promise<SuiteOutcome> {
  const plan = options.quick ? QUICK : FULL;
  log(`queries benchmark (${options.quick ? 'quick' : 'full'} run): ${CONCURRENCY} clients; ${plan.requests} requests per case, ${plan.uncachedRequests} uncached`);
  const bench = await startBenchApplication({ socketsMax: CONCURRENCY, log });
  try {
    const { agent, port } = bench;
    const auth = await bench.authorization('accountant', 'demo-accountant-2026!');
    const get = (pathName: string) => request(agent, port, 'GET', pathName, auth);
    // Warm-up: connections, the JIT, and the cached answer itself.
    for (let index = 0; index < 50; index += 1) await get('/api/query/trial-balance');
    const { db, controlSchema } = bench.application.projections;

    const health = await measure('health', plan.requests, () => request(agent, port, 'GET', '/health', {}));
    const rawVersions = await measure('raw_versions', plan.requests, async () => {
      const active = await readActiveReadModels(db, controlSchema, TRIAL_BALANCE_READS);
      if (active.size !== TRIAL_BALANCE_READS.length) throw new Error(`raw_versions: ${active.size} active read models, expected ${TRIAL_BALANCE_READS.length}`);
    });
    const cached = await measure('cached', plan.requests, () => get('/api/query/trial-balance'));
    const knownFrom = Date.now();
    const uncached = await measure('uncached', plan.uncachedRequests, (index) => get(`/api/query/trial-balance?knownAt=${new Date(knownFrom - index).toISOString()}`));

    const share = cached.perSecond / health.perSecond;
    const targets: TargetCheck[] = [
      {
        caseName: 'cached',
        statement: `cached >= ${CACHED_SHARE_OF_HEALTH_MIN * 100}% of health: ${(share * 100).toFixed(1)}%`,
        ratio: share / CACHED_SHARE_OF_HEALTH_MIN,
        passed: share >= CACHED_SHARE_OF_HEALTH_MIN,
      },
    ];
    const rows = [health, rawVersions, cached, uncached].map((figures) => [figures.name, formatCount(figures.requests), formatCount(figures.perSecond), formatMs(figures.p50Ms), formatMs(figures.p99Ms)]);
    const result = (figures: CaseFigures, extra = '') =>
      `RESULT suite=queries case=${figures.name} requests_per_s=${figures.perSecond.toFixed(0)} p50_ms=${figures.p50Ms.toFixed(2)} p99_ms=${figures.p99Ms.toFixed(2)} requests=${figures.requests} concurrency=${CONCURRENCY}${extra}`;
    return {
      report: formatTable(['case', 'requests', 'requests/s', 'p50 ms', 'p99 ms'], rows),
      targets,
      resultLines: [
        result(cached, ` health=${health.perSecond.toFixed(0)} raw_versions=${rawVersions.perSecond.toFixed(0)} share_of_health=${share.toFixed(3)}`),
        result(uncached),
        result(health),
        result(rawVersions),
      ],
    };
  } finally {
    await bench.close();
  }
}

export const queriesSuite: BenchSuite = {
  description: 'query API reads on the embedded default: cached and uncached trial balance vs GET /health and the raw versions statement',
  run,
};
