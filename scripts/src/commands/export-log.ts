import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { findSealKey, sealKeysDocument } from '@neuroerp/command-api';
import { readWholeLog, recordedEventFromJson, recordedEventToJson, SEAL_EVENT_TYPE, type EventStore, type SealAnchor, type SealKeysDocument } from '@neuroerp/infra';
import { ledger, type RecordedEvent } from '@neuroerp/schemas';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp, type ServerConfig } from '../config';
import { openEventStore } from '../event-store-connection';

/**
 * `npx neuroerp export log --out <dir>`: the whole event log for offline verification
 * (`npx neuroerp verify --export <dir>`, docs/adr/0006-period-seals.md). The folder holds
 * - `events-000001.ndjson`, ...: one recorded event per line (the envelope as stored, the
 *   global position as a decimal string), EXPORT_EVENTS_PER_FILE per file, in position order;
 * - `seal-keys.json`: the public seal keys, as `/.well-known/neuroerp-seal-keys.json` serves them;
 * - `seals.json`: every seal (position, key id, signature, chain head), kept apart from the
 *   events so that a log cut off after a seal is caught even if the manifest is rewritten;
 * - `manifest.json`: the format, the chain head at export, the event count and the files.
 */

export const EXPORT_FORMAT = 'neuroerp-log-export/1';
export const EXPORT_EVENTS_PER_FILE = 100_000;
export const EXPORT_MANIFEST_FILE = 'manifest.json';
export const EXPORT_KEYS_FILE = 'seal-keys.json';
export const EXPORT_SEALS_FILE = 'seals.json';

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  head: { position: string; hash: string } | null;
  eventCount: number;
  files: { name: string; events: number; firstPosition: string; lastPosition: string }[];
}

export interface ExportedSeal {
  position: string;
  companyId: string;
  year: number;
  period: number;
  kid: string;
  signature: string;
  chainHead: { position: string; hash: string };
}

const chunkName = (index: number) => `events-${String(index).padStart(6, '0')}.ndjson`;

/** Writes the export of `store` into `outDir` (created; must not hold an earlier export). */
export async function exportLog(options: {
  store: Pick<EventStore, 'readAll'>;
  head: { position: bigint; hash: string } | null;
  keys: SealKeysDocument;
  outDir: string;
  eventsPerFile?: number;
  now?: () => Date;
}): Promise<ExportManifest> {
  const eventsPerFile = options.eventsPerFile ?? EXPORT_EVENTS_PER_FILE;
  await mkdir(options.outDir, { recursive: true });
  if ((await readdir(options.outDir)).includes(EXPORT_MANIFEST_FILE)) throw new UsageError(`${options.outDir} holds an export already; choose an empty folder`);
  const files: ExportManifest['files'] = [];
  const seals: ExportedSeal[] = [];
  let lines: string[] = [];
  let first: RecordedEvent | null = null;
  let last: RecordedEvent | null = null;
  let eventCount = 0;
  const flush = async () => {
    if (lines.length === 0 || first === null || last === null) return;
    const name = chunkName(files.length + 1);
    await writeFile(path.join(options.outDir, name), `${lines.join('\n')}\n`, { flag: 'wx' });
    files.push({ name, events: lines.length, firstPosition: first.globalPosition.toString(), lastPosition: last.globalPosition.toString() });
    lines = [];
    first = null;
  };
  for await (const event of readWholeLog(options.store)) {
    // Events appended while exporting are left for the next export: the export ends at the head read before.
    if (options.head !== null && event.globalPosition > options.head.position) break;
    first ??= event;
    last = event;
    lines.push(recordedEventToJson(event));
    eventCount += 1;
    if (event.type === SEAL_EVENT_TYPE) {
      const seal = event.data as ledger.PeriodSealed;
      seals.push({ position: event.globalPosition.toString(), companyId: seal.companyId, year: seal.year, period: seal.period, kid: seal.kid, signature: seal.signature, chainHead: seal.body.chainHead });
    }
    if (lines.length >= eventsPerFile) await flush();
  }
  await flush();
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    exportedAt: (options.now ?? (() => new Date()))().toISOString(),
    head: options.head === null ? null : { position: options.head.position.toString(), hash: options.head.hash },
    eventCount,
    files,
  };
  await writeFile(path.join(options.outDir, EXPORT_KEYS_FILE), `${JSON.stringify(options.keys, null, 2)}\n`);
  await writeFile(path.join(options.outDir, EXPORT_SEALS_FILE), `${JSON.stringify({ seals }, null, 2)}\n`);
  await writeFile(path.join(options.outDir, EXPORT_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export interface ReadExport {
  manifest: ExportManifest;
  keys: unknown;
  anchors: SealAnchor[];
  events(): AsyncGenerator<RecordedEvent>;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Opens an export folder: the manifest, keys and seals, and the events file by file (no database). */
export async function openExport(dir: string): Promise<ReadExport> {
  const manifest = (await readJson(path.join(dir, EXPORT_MANIFEST_FILE))) as ExportManifest;
  if (manifest.format !== EXPORT_FORMAT) throw new UsageError(`${dir} is not a ${EXPORT_FORMAT} export`);
  const sealsFile = (await readJson(path.join(dir, EXPORT_SEALS_FILE))) as { seals?: ExportedSeal[] };
  const anchors = (sealsFile.seals ?? []).map((seal) => ({ position: BigInt(seal.position), signature: seal.signature }));
  return {
    manifest,
    keys: await readJson(path.join(dir, EXPORT_KEYS_FILE)),
    anchors,
    async *events() {
      // Every events-*.ndjson in the folder, not only those the manifest lists: a file added or dropped shows in the chain.
      const names = (await readdir(dir)).filter((name) => /^events-[0-9]{6}\.ndjson$/.test(name)).sort();
      for (const name of names) {
        const lines = createInterface({ input: createReadStream(path.join(dir, name), 'utf8'), crlfDelay: Infinity });
        for await (const line of lines) if (line.trim() !== '') yield recordedEventFromJson(line);
      }
    },
  };
}

/** The public seal keys of this installation, without generating a key. */
export async function localSealKeys(config: ServerConfig): Promise<SealKeysDocument> {
  const key = await findSealKey({ privateKeyPem: config.SEAL_PRIVATE_KEY_PEM, keysDir: path.join(config.DATA_DIR, 'keys') });
  return sealKeysDocument(key === null ? [] : [key]);
}

export function register(program: Command): void {
  const exportCommand = program.commands.find((command) => command.name() === 'export') ?? program.command('export').description('Export data for auditors and other systems.');
  exportCommand
    .command('log')
    .description('Export the whole event log as NDJSON plus the public seal keys, for `neuroerp verify --export <dir>`.')
    .requiredOption('--out <dir>', 'the folder to write (created; must not hold an export already)')
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { out: string }) => runExport(options));
}

async function runExport(options: { out: string }): Promise<void> {
  const config = loadServerConfig();
  const keys = await localSealKeys(config);
  const opened = await openEventStore(config);
  try {
    const head = await opened.store.readHead();
    const manifest = await exportLog({ store: opened.store, head, keys, outDir: path.resolve(options.out) });
    process.stdout.write(`Exported ${manifest.eventCount} events in ${manifest.files.length} files to ${path.resolve(options.out)} (chain head ${manifest.head?.position ?? 0}).\n`);
  } finally {
    await opened.close();
  }
}
