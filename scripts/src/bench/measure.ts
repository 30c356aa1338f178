import cliProgress from 'cli-progress';

/** Bounds that keep a typo in a case plan from running for hours or opening too many connections. */
export const OPERATIONS_PER_RUN_MAX = 1_000_000;
export const CONCURRENCY_MAX = 64;

/** A progress display for one measured run: a bar on an interactive terminal, nothing otherwise. */
export interface Progress {
  tick(): void;
  stop(): void;
}

/**
 * The bar goes to stderr so that stdout stays a clean, parseable record of the run (the
 * `RESULT` lines); without a terminal the per-case lines printed by the suite are the progress.
 */
export function startProgress(label: string, total: number): Progress {
  if (!process.stderr.isTTY) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `  ${label} [{bar}] {value}/{total} {duration_formatted}`, hideCursor: true, clearOnComplete: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

/**
 * Runs `operation(index)` for index 0..count-1 with `concurrency` workers, each taking the
 * next index as soon as its previous operation has finished (a closed loop, like request
 * handlers that each wait for their append). Returns the elapsed wall-clock milliseconds.
 */
export async function runOperations(
  count: number,
  concurrency: number,
  operation: (index: number) => Promise<void>,
  progress?: Progress,
): Promise<number> {
  if (!Number.isInteger(count) || count < 1 || count > OPERATIONS_PER_RUN_MAX) throw new RangeError(`operation count out of range: ${count}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > CONCURRENCY_MAX) {
    throw new RangeError(`concurrency out of range: ${concurrency}`);
  }
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await operation(index);
      progress?.tick();
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Times each call on its own (sequentially) and returns the durations in milliseconds. */
export async function timeEach(count: number, operation: (index: number) => Promise<void>, progress?: Progress): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1 || count > OPERATIONS_PER_RUN_MAX) throw new RangeError(`operation count out of range: ${count}`);
  const durations: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = process.hrtime.bigint();
    await operation(index);
    durations.push(Number(process.hrtime.bigint() - started) / 1e6);
    progress?.tick();
  }
  return durations;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) throw new RangeError('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] as number;
}
