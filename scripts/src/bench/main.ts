import { z } from 'zod';
import { commandsSuite } from './commands';
import { eventStoreSuite } from './eventstore';
import { projectionsSuite } from './projections';
import { queriesSuite } from './queries';
import { soakSuite } from './soak';
import type { BenchSuite } from './suite';

/**
 * `npm run bench -- <suite> [--quick] [--gate]`
 *
 * Exit codes: 0 done (targets are reported, not enforced), 1 a run error or, with `--gate`,
 * a missed target, 2 bad usage or configuration.
 */

/** Suites by name; add a new one here. */
const suites: Record<string, BenchSuite> = {
  eventstore: eventStoreSuite,
  commands: commandsSuite,
  projections: projectionsSuite,
  queries: queriesSuite,
  soak: soakSuite,
};

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function usage(): string {
  const names = Object.entries(suites).map(([name, suite]) => `  ${name.padEnd(12)} ${suite.description}`);
  return [
    'usage: npm run bench -- <suite> [--quick] [--gate] [--duration <s>] [--rate <n>]',
    '',
    'suites:',
    ...names,
    '',
    'options:',
    '  --quick      about 10x fewer operations: a smoke run, not figures to quote',
    '  --gate       exit with code 1 when a product target is missed',
    '  --duration <s>  seconds a time-based suite (soak) runs; default: the suite\'s own',
    '  --rate <n>      requests per second a rate-based suite (soak) offers; default: the suite\'s own',
    '',
    `environment: DATABASE_URL  PostgreSQL server for the scratch databases (default ${DEFAULT_DATABASE_URL};`,
    '             the commands suite starts an embedded PostgreSQL in a temporary directory unless it is set)',
  ].join('\n');
}

interface Invocation {
  suite: BenchSuite;
  quick: boolean;
  gate: boolean;
  durationSeconds?: number;
  ratePerSecond?: number;
}

/** Removes `--name <integer>` from args: undefined when absent, null when its value is not an integer in [min, max]. */
function takeIntegerOption(args: string[], name: string, min: number, max: number): number | undefined | null {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return Number.isInteger(value) && value >= min && value <= max ? value : null;
}

function parseArguments(input: readonly string[]): Invocation | null {
  const args = [...input];
  const durationSeconds = takeIntegerOption(args, '--duration', 1, 86_400);
  const ratePerSecond = takeIntegerOption(args, '--rate', 1, 100_000);
  if (durationSeconds === null || ratePerSecond === null) return null;
  const flags = args.filter((arg) => arg.startsWith('-'));
  const positional = args.filter((arg) => !arg.startsWith('-'));
  const unknownFlags = flags.filter((flag) => flag !== '--quick' && flag !== '--gate');
  const name = positional[0];
  if (positional.length !== 1 || unknownFlags.length > 0 || name === undefined || !Object.hasOwn(suites, name)) return null;
  return {
    suite: suites[name] as BenchSuite,
    quick: flags.includes('--quick'),
    gate: flags.includes('--gate'),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
  };
}

/** The bench's environment; `bench/main.ts` is the one place it is read. */
const benchConfigSchema = z.object({
  DATABASE_URL: z
    .preprocess(
      (value) => (value === '' ? undefined : value),
      z
        .string()
        .url('must be a URL such as postgres://user@host:5432/database')
        .refine((url) => /^postgres(ql)?:\/\//.test(url), 'must start with postgres:// or postgresql://')
        .default(DEFAULT_DATABASE_URL),
    )
    .describe(
      'PostgreSQL server the bench creates (and drops) its scratch databases on; the role needs CREATEDB. ' +
        `Default ${DEFAULT_DATABASE_URL}.`,
    ),
});

function loadBenchConfig(): Readonly<z.infer<typeof benchConfigSchema>> | null {
  const result = benchConfigSchema.safeParse(process.env);
  if (result.success) return Object.freeze(result.data);
  // The value is not echoed: it may carry a password.
  for (const issue of result.error.issues) process.stderr.write(`bench: ${issue.path.join('.')}: ${issue.message}\n`);
  return null;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const invocation = parseArguments(args);
  if (!invocation) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  const config = loadBenchConfig();
  if (!config) return 2;
  const databaseUrlFromEnvironment = (process.env.DATABASE_URL ?? '') !== '';
  const outcome = await invocation.suite.run({
    quick: invocation.quick,
    databaseUrl: config.DATABASE_URL,
    databaseUrlFromEnvironment,
    ...(invocation.durationSeconds === undefined ? {} : { durationSeconds: invocation.durationSeconds }),
    ...(invocation.ratePerSecond === undefined ? {} : { ratePerSecond: invocation.ratePerSecond }),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('');
  out(outcome.report);
  out('');
  for (const target of outcome.targets) out(`${target.passed ? 'PASS' : 'FAIL'} ${target.caseName}: ${target.statement}`);
  out('');
  for (const line of outcome.resultLines) out(line);
  const missed = outcome.targets.filter((target) => !target.passed).length;
  if (missed > 0 && invocation.gate) {
    process.stderr.write(`${missed} target(s) missed (--gate)\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
