import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { KeyObject } from 'node:crypto';
import {
  describeChainVerification,
  describeSealBreak,
  readWholeLog,
  sealKeysFromDocument,
  verifyLogWithSeals,
  type LogVerification,
  type SealAnchor,
} from '@neuroerp/infra';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp } from '../config';
import { openEventStore } from '../event-store-connection';
import { localSealKeys, openExport, type ExportedSeal } from './export-log';

/** Exit code when the chain is broken, including a tail cut off behind the recorded head (1 stays for failures to run at all). */
export const CHAIN_BROKEN_EXIT_CODE = 3;
/** Exit code when the chain is intact but a seal is not: bad signature, unknown key, Merkle root, close event or chain head. */
export const SEAL_INVALID_EXIT_CODE = 4;
/** Exit code when the log ends before a seal known from outside it (`seals.json` of an export, `--anchors`): its tail was cut off. */
export const LOG_TRUNCATED_EXIT_CODE = 5;

const EXIT_CODES_HELP =
  `Exit codes: 0 chain and every seal intact, 1 could not run, 2 invalid configuration, ` +
  `${CHAIN_BROKEN_EXIT_CODE} chain broken (edited, deleted, swapped events or a tail missing behind the recorded head), ` +
  `${SEAL_INVALID_EXIT_CODE} a seal does not verify (signature, key, Merkle root, close event or chain head), ` +
  `${LOG_TRUNCATED_EXIT_CODE} the log ends before a known seal (tail cut off after a seal). When several apply, the first in this order wins: ` +
  `${CHAIN_BROKEN_EXIT_CODE}, ${LOG_TRUNCATED_EXIT_CODE}, ${SEAL_INVALID_EXIT_CODE}.`;

interface VerifyOptions {
  json?: boolean;
  progress: boolean;
  export?: string;
  keys?: string;
  anchors?: string;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('Recompute the hash chain over the whole event log and check every period seal; name the first broken position.')
    .option('--json', 'print the result as one JSON object instead of sentences')
    .option('--no-progress', 'do not draw a progress bar')
    .option('--export <dir>', 'verify an exported log (`neuroerp export log`) offline, without a database')
    .option('--keys <file>', 'seal keys document to verify against (as served at /.well-known/neuroerp-seal-keys.json); default: the export\'s seal-keys.json, else this installation\'s key')
    .option('--anchors <file>', 'seals.json of an earlier export: each of its seals must still be in the log (detects a cut-off tail)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: VerifyOptions) => verify(options));
}

/** The exit code for a verification result (0 when everything holds). */
export function verificationExitCode(result: LogVerification): number {
  if (result.chain.firstBreak !== null) return CHAIN_BROKEN_EXIT_CODE;
  if (result.sealBreaks.some((brk) => brk.kind === 'log_truncated')) return LOG_TRUNCATED_EXIT_CODE;
  if (result.sealBreaks.length > 0) return SEAL_INVALID_EXIT_CODE;
  return 0;
}

/** The lines `verify` prints: the chain sentence first (unchanged), then one line about the seals or one per seal problem. */
export function describeLogVerification(result: LogVerification): string[] {
  const lines = [describeChainVerification(result.chain)];
  if (result.sealBreaks.length === 0) lines.push(`SEALS OK: ${result.seals.length} seals, every signature, Merkle root and chain head verified`);
  else lines.push(...result.sealBreaks.map(describeSealBreak));
  return lines;
}

async function readKeysFile(file: string): Promise<Map<string, KeyObject>> {
  try {
    return sealKeysFromDocument(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    throw new UsageError(`cannot use ${file} as a seal keys document: ${(error as Error).message}`);
  }
}

async function readAnchors(file: string): Promise<SealAnchor[]> {
  const parsed = JSON.parse(await readFile(file, 'utf8')) as { seals?: ExportedSeal[] };
  return (parsed.seals ?? []).map((seal) => ({ position: BigInt(seal.position), signature: seal.signature }));
}

function print(result: LogVerification, options: VerifyOptions, location: string): void {
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        { ok: result.ok, ...result.chain, headPosition: result.chain.headPosition?.toString() ?? null, store: location, seals: result.seals, sealBreaks: result.sealBreaks },
        (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
      )}\n`,
    );
  } else {
    process.stdout.write(`${describeLogVerification(result).join('\n')}\n`);
  }
  const code = verificationExitCode(result);
  if (code !== 0) process.exitCode = code;
}

/** `verify --export <dir>`: the same checks on an exported log, with no database. */
export async function verifyExport(dir: string, options: { keys?: string; anchors?: string } = {}): Promise<LogVerification> {
  const exported = await openExport(dir);
  const keys = options.keys !== undefined ? await readKeysFile(options.keys) : sealKeysFromDocument(exported.keys);
  const anchors = [...exported.anchors, ...(options.anchors !== undefined ? await readAnchors(options.anchors) : [])];
  const head = exported.manifest.head === null ? null : { position: BigInt(exported.manifest.head.position), hash: exported.manifest.head.hash };
  return verifyLogWithSeals(exported.events(), { keys, anchors, head });
}

async function verify(options: VerifyOptions): Promise<void> {
  if (options.export !== undefined) {
    const dir = path.resolve(options.export);
    print(await verifyExport(dir, options), options, `export ${dir}`);
    return;
  }
  const config = loadServerConfig();
  const keys = options.keys !== undefined ? await readKeysFile(options.keys) : sealKeysFromDocument(await localSealKeys(config));
  const anchors = options.anchors !== undefined ? await readAnchors(options.anchors) : [];
  const opened = await openEventStore(config);
  try {
    const head = await opened.store.readHead();
    const showProgress = options.progress && !options.json && process.stderr.isTTY === true;
    const bar = new SingleBar(
      { format: 'verifying |{bar}| {value}/{total} events | {eps} events/s | ETA {eta}s', stream: process.stderr },
      Presets.shades_classic,
    );
    const startedAt = performance.now();
    if (showProgress) bar.start(Number(head.position), 0, { eps: 0 });
    const result = await verifyLogWithSeals(readWholeLog(opened.store), {
      keys,
      anchors,
      head,
      onProgress: (checked) => {
        const seconds = (performance.now() - startedAt) / 1000;
        if (showProgress) bar.update(checked, { eps: Math.round(checked / Math.max(seconds, 0.001)) });
      },
    });
    if (showProgress) bar.stop();
    print(result, options, opened.location);
  } finally {
    await opened.close();
  }
}

