/** What every benchmark suite receives from `bench/main.ts`. */
export interface SuiteOptions {
  /** About ten times fewer operations per case: a smoke run, not a measurement to quote. */
  quick: boolean;
  /** PostgreSQL server the suite creates its scratch databases on (never touches existing ones). */
  databaseUrl: string;
  /** True when DATABASE_URL was set; suites that default to an embedded PostgreSQL use the server only then. */
  databaseUrlFromEnvironment: boolean;
  /** `--duration <s>`: how long a time-based suite (soak) runs; absent: the suite's default. */
  durationSeconds?: number;
  /** `--rate <n>`: requests per second a rate-based suite (soak) offers; absent: the suite's default. */
  ratePerSecond?: number;
}

/** A product target checked after a run: always a ratio between two sides, never an absolute time. */
export interface TargetCheck {
  caseName: string;
  /** Human-readable statement of the target, e.g. `ours >= 5x emmett`. */
  statement: string;
  ratio: number;
  passed: boolean;
}

export interface SuiteOutcome {
  /** The readable summary (a table), printed after the suite's progress lines. */
  report: string;
  targets: TargetCheck[];
  /** Machine-readable lines, printed last: `RESULT suite=<suite> case=<case> ... unit=<unit>`. */
  resultLines: string[];
}

export interface BenchSuite {
  /** One line for the usage text. */
  description: string;
  run(options: SuiteOptions): Promise<SuiteOutcome>;
}
