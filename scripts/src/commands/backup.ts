import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { BACKUP_KEY_BYTES, backupKeyId, createBackup, FULL_RETENTION_DAYS, INCREMENTAL_RETENTION_DAYS, listBackups, pruneBackups, restoreBackups, type Progress } from '@neuroerp/infra';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp, type ServerConfig } from '../config';
import { openEventStore } from '../event-store-connection';

export function register(program: Command): void {
  const backup = program
    .command('backup')
    .description('Back up the event log as encrypted, checksummed chunks plus an authenticated manifest.')
    .option('--full', 'the whole log (the weekly backup)')
    .option('--incremental', 'only what was appended since the newest backup in the folder (the daily backup)')
    .option('--out <dir>', 'the backup folder (default: BACKUP_DIR, else DATA_DIR/backups)')
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nRestore with \`neuroerp restore\`; apply retention with \`neuroerp backup prune\`.\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { full?: boolean; incremental?: boolean; out?: string; progress: boolean }) => runBackup(options));
  backup
    .command('list')
    .description('List the backups in the folder, oldest first, with their positions and sizes in events.')
    .option('--out <dir>', 'the backup folder (default: BACKUP_DIR, else DATA_DIR/backups)')
    .action((_options: unknown, command: Command) => listCommand(command.optsWithGlobals<{ out?: string }>()));
  backup
    .command('prune')
    .description(`Apply the retention policy: full backups ${FULL_RETENTION_DAYS} days, incrementals ${INCREMENTAL_RETENTION_DAYS} days; what the newest restore needs is always kept.`)
    .option('--out <dir>', 'the backup folder (default: BACKUP_DIR, else DATA_DIR/backups)')
    .action((_options: unknown, command: Command) => pruneCommand(command.optsWithGlobals<{ out?: string }>()));
  program
    .command('restore')
    .description('Restore the newest backup chain (full plus incrementals) into the configured, empty event store; checksums and the hash chain are verified.')
    .argument('[dir]', 'the backup folder (default: BACKUP_DIR, else DATA_DIR/backups)')
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nProjections rebuild from the restored log when the server starts.\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((dir: string | undefined, options: { progress: boolean }) => restoreCommand(dir, options));
}

function backupRoot(config: ServerConfig, out: string | undefined): string {
  return path.resolve(out ?? config.BACKUP_DIR ?? path.join(config.DATA_DIR, 'backups'));
}

/** BACKUP_KEY, else DATA_DIR/keys/backup.key, created when `create` is true. */
async function backupKey(config: ServerConfig, create: boolean): Promise<Buffer> {
  if (config.BACKUP_KEY !== undefined) return Buffer.from(config.BACKUP_KEY, 'base64');
  const file = path.join(config.DATA_DIR, 'keys', 'backup.key');
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing !== null) return Buffer.from(existing.trim(), 'base64');
  if (!create) throw new UsageError(`no backup key: set BACKUP_KEY to the key the backups were written with (there is no ${file})`);
  const key = randomBytes(BACKUP_KEY_BYTES);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  process.stderr.write(`neuroerp: generated the backup key ${backupKeyId(key)} in ${file}; keep a copy away from this machine, the backups cannot be read without it\n`);
  return key;
}

function progressBar(enabled: boolean, label: string): { onProgress: Progress; stop(): void } {
  const show = enabled && process.stderr.isTTY === true;
  const bar = new SingleBar({ format: `${label} |{bar}| {value}/{total} events`, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!show) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

async function runBackup(options: { full?: boolean; incremental?: boolean; out?: string; progress: boolean }): Promise<void> {
  if (options.full === options.incremental) throw new UsageError('give exactly one of --full and --incremental');
  const config = loadServerConfig();
  const root = backupRoot(config, options.out);
  const key = await backupKey(config, true);
  const opened = await openEventStore(config);
  const bar = progressBar(options.progress, 'backing up');
  try {
    const manifest = await createBackup({ source: opened.store, root, kind: options.full === true ? 'full' : 'incremental', key, now: new Date(), onProgress: bar.onProgress });
    bar.stop();
    process.stdout.write(
      `${manifest.kind} backup ${manifest.backupId}: ${manifest.eventCount} events (positions ${manifest.after.position}..${manifest.head.position}), ` +
        `${manifest.chunks.length} chunks, chain head ${manifest.head.hash} -> ${path.join(root, manifest.backupId)}\n`,
    );
  } finally {
    bar.stop();
    await opened.close();
  }
}

async function listCommand(options: { out?: string }): Promise<void> {
  const config = loadServerConfig();
  const root = backupRoot(config, options.out);
  const manifests = await listBackups(await backupKey(config, false), root);
  if (manifests.length === 0) {
    process.stdout.write(`no backups in ${root}\n`);
    return;
  }
  for (const manifest of manifests) {
    process.stdout.write(`${manifest.backupId.padEnd(29)}  ${manifest.kind.padEnd(11)}  positions ${manifest.after.position}..${manifest.head.position}  ${manifest.eventCount} events\n`);
  }
}

async function pruneCommand(options: { out?: string }): Promise<void> {
  const config = loadServerConfig();
  const root = backupRoot(config, options.out);
  const { deleted, kept } = await pruneBackups({ root, key: await backupKey(config, false), now: new Date() });
  process.stdout.write(`deleted ${deleted.length} backups${deleted.length > 0 ? ` (${deleted.join(', ')})` : ''}; kept ${kept.length}\n`);
}

async function restoreCommand(dir: string | undefined, options: { progress: boolean }): Promise<void> {
  const config = loadServerConfig();
  const root = backupRoot(config, dir);
  const key = await backupKey(config, false);
  const opened = await openEventStore(config);
  const bar = progressBar(options.progress, 'restoring');
  try {
    const result = await restoreBackups({ root, key, target: opened.store, onProgress: bar.onProgress });
    bar.stop();
    process.stdout.write(
      `restored ${result.eventCount} events from ${result.backupIds.length} backups (${result.backupIds.join(', ')}) into ${opened.location}; ` +
        `chain head ${result.head.hash} at position ${result.head.position}\n`,
    );
  } finally {
    bar.stop();
    await opened.close();
  }
}
