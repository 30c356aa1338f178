import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import {
  type PostgresDataKeyStore,
  BACKUP_KEY_BYTES,
  backupKeyId,
  createBackup,
  DirectoryBackupTarget,
  FULL_RETENTION_DAYS,
  INCREMENTAL_RETENTION_DAYS,
  listBackups,
  pruneBackups,
  restoreBackups,
  S3BackupTarget,
  type BackupTarget,
} from '@neuroerp/infra';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp, type ServerConfig } from '../config';
import { openEventStore } from '../event-store-connection';
import { openPrivacy } from '../privacy';
import { progressBar } from '../progress-bar';

const WHERE_HELP = 'the backup folder (default: BACKUP_S3_BUCKET when set, else BACKUP_DIR, else DATA_DIR/backups)';

export function register(program: Command): void {
  const backup = program
    .command('backup')
    .description('Back up the event log as encrypted, checksummed chunks plus an authenticated manifest.')
    .option('--full', 'the whole log (the weekly backup)')
    .option('--incremental', 'only what was appended since the newest backup (the daily backup)')
    .option('--out <dir>', WHERE_HELP)
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nRestore with \`neuroerp restore\`; apply retention with \`neuroerp backup prune\`.\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { full?: boolean; incremental?: boolean; out?: string; progress: boolean }) => runBackup(options));
  backup
    .command('list')
    .description('List the backups, oldest first, with their positions and sizes in events.')
    .option('--out <dir>', WHERE_HELP)
    .action((_options: unknown, command: Command) => listCommand(command.optsWithGlobals<{ out?: string }>()));
  backup
    .command('prune')
    .description(`Apply the retention policy: full backups ${FULL_RETENTION_DAYS} days, incrementals ${INCREMENTAL_RETENTION_DAYS} days; what the newest restore needs is always kept.`)
    .option('--out <dir>', WHERE_HELP)
    .action((_options: unknown, command: Command) => pruneCommand(command.optsWithGlobals<{ out?: string }>()));
  program
    .command('restore')
    .description('Restore the newest backup chain (full plus incrementals) into the configured, empty event store; checksums and the hash chain are verified.')
    .argument('[dir]', WHERE_HELP)
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nProjections rebuild from the restored log when the server starts.\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((dir: string | undefined, options: { progress: boolean }) => restoreCommand(dir, options));
}

/**
 * Where backups are kept: the folder given on the command line, else the bucket
 * BACKUP_S3_BUCKET (under BACKUP_S3_PREFIX, reached with the S3_* keys), else BACKUP_DIR,
 * else DATA_DIR/backups. The caller closes the target.
 */
export function openBackupTarget(config: ServerConfig, out: string | undefined): BackupTarget {
  if (out === undefined && config.BACKUP_S3_BUCKET !== undefined) {
    return new S3BackupTarget({
      bucket: config.BACKUP_S3_BUCKET,
      prefix: config.BACKUP_S3_PREFIX,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true',
    });
  }
  return new DirectoryBackupTarget(path.resolve(out ?? config.BACKUP_DIR ?? path.join(config.DATA_DIR, 'backups')));
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

async function runBackup(options: { full?: boolean; incremental?: boolean; out?: string; progress: boolean }): Promise<void> {
  if (options.full === options.incremental) throw new UsageError('give exactly one of --full and --incremental');
  const config = loadServerConfig();
  const key = await backupKey(config, true);
  const root = openBackupTarget(config, options.out);
  const opened = await openEventStore(config);
  const bar = progressBar(options.progress, 'backing up |{bar}| {value}/{total} events');
  try {
    const manifest = await withDataKeys(config, opened.connectionString, (dataKeys) =>
      createBackup({ source: opened.store, root, kind: options.full === true ? 'full' : 'incremental', key, now: new Date(), onProgress: bar.onProgress, dataKeys }),
    );
    bar.stop();
    process.stdout.write(
      `${manifest.kind} backup ${manifest.backupId}: ${manifest.eventCount} events (positions ${manifest.after.position}..${manifest.head.position}), ` +
        `${manifest.chunks.length} chunks, ${manifest.dataKeys?.count ?? 0} data keys of personal data, chain head ${manifest.head.hash} -> ${manifest.backupId} in ${root.description}\n`,
    );
  } finally {
    bar.stop();
    await opened.close();
    await root.close();
  }
}

async function listCommand(options: { out?: string }): Promise<void> {
  const config = loadServerConfig();
  const key = await backupKey(config, false);
  const root = openBackupTarget(config, options.out);
  try {
    const manifests = await listBackups(key, root);
    if (manifests.length === 0) {
      process.stdout.write(`no backups in ${root.description}\n`);
      return;
    }
    for (const manifest of manifests) {
      process.stdout.write(`${manifest.backupId.padEnd(29)}  ${manifest.kind.padEnd(11)}  positions ${manifest.after.position}..${manifest.head.position}  ${manifest.eventCount} events\n`);
    }
  } finally {
    await root.close();
  }
}

async function pruneCommand(options: { out?: string }): Promise<void> {
  const config = loadServerConfig();
  const key = await backupKey(config, false);
  const root = openBackupTarget(config, options.out);
  try {
    const { deleted, kept, discarded } = await pruneBackups({ root, key, now: new Date() });
    process.stdout.write(
      `deleted ${deleted.length} backups${deleted.length > 0 ? ` (${deleted.join(', ')})` : ''}; kept ${kept.length}` +
        `${discarded.length > 0 ? `; removed ${discarded.length} unfinished (${discarded.join(', ')})` : ''} in ${root.description}\n`,
    );
  } finally {
    await root.close();
  }
}

async function restoreCommand(dir: string | undefined, options: { progress: boolean }): Promise<void> {
  const config = loadServerConfig();
  const key = await backupKey(config, false);
  const root = openBackupTarget(config, dir);
  const opened = await openEventStore(config);
  const bar = progressBar(options.progress, 'restoring |{bar}| {value}/{total} events');
  try {
    // The data keys come back too (wrapped: the master keys must be configured as they were), and erasures in the log win.
    const result = await withDataKeys(config, opened.connectionString, (dataKeys) => restoreBackups({ root, key, target: opened.store, onProgress: bar.onProgress, dataKeys }));
    bar.stop();
    process.stdout.write(
      `restored ${result.eventCount} events from ${result.backupIds.length} backups (${result.backupIds.join(', ')}) into ${opened.location}; ` +
        `chain head ${result.head.hash} at position ${result.head.position}\n`,
    );
  } finally {
    bar.stop();
    await opened.close();
    await root.close();
  }
}

/** Runs `work` with the data keys of personal data beside the store (see `openPrivacy`). */
async function withDataKeys<Result>(config: ServerConfig, connectionString: string, work: (dataKeys: PostgresDataKeyStore) => Promise<Result>): Promise<Result> {
  const privacy = await openPrivacy(config, connectionString);
  try {
    return await work(privacy.keys);
  } finally {
    await privacy.close();
  }
}
