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
    'usage: npm run bench -- <suite> [--quick] [--gate] [--duration <s>]',
    '',
    'suites:',
    ...names,
    '',
    'options:',
    '  --quick      about 10x fewer operations: a smoke run, not figures to quote',
    '  --gate       exit with code 1 when a product target is missed',
    '  --duration <s>  seconds a time-based suite (soak) runs; default: the suite\'s own',
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
}

function parseArguments(input: readonly string[]): Invocation | null {
  const args = [...input];
  let durationSeconds: number | undefined;
  const durationAt = args.indexOf('--duration');
  if (durationAt >= 0) {
    const value = Number(args[durationAt + 1]);
    if (!Number.isInteger(value) || value < 1 || value > 86_400) return null;
    durationSeconds = value;
    args.splice(durationAt, 2);
  }
  const flags = args.filter((arg) => arg.startsWith('-'));
  const positional = args.filter((arg) => !arg.startsWith('-'));
  const unknownFlags = flags.filter((flag) => flag !== '--quick' && flag !== '--gate');
  const name = positional[0];
  if (positional.length !== 1 || unknownFlags.length > 0 || name === undefined || !Object.hasOwn(suites, name)) return null;
  return { suite: suites[name] as BenchSuite, quick: flags.includes('--quick'), gate: flags.includes('--gate'), ...(durationSeconds === undefined ? {} : { durationSeconds }) };
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
