import type { Command } from 'commander';
import { addMasterKeyVersion, MASTER_KEY_ROTATION_DAYS, masterKeyAgeDays, PostgresDataKeyStore, type MasterKeyRing } from '@neuroerp/infra';
import { loadServerConfig, serverConfigHelp } from '../config';
import { openEventStore } from '../event-store-connection';
import { openPrivacy, type Privacy } from '../privacy';
import { progressBar } from '../progress-bar';

export function register(program: Command): void {
  const keys = program
    .command('keys')
    .description(`Master keys that wrap the per-subject data keys of personal data: status and rotation (due every ${MASTER_KEY_ROTATION_DAYS} days).`)
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`);
  keys
    .command('status')
    .description('The current master key version and its age, data keys per master key version, forgotten subjects.')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExit codes: 0 rotation not due, 3 rotation due (older than 30 days, or data keys still under an older version).')
    .action((options: { json?: boolean }) => withPrivacy((privacy) => status(privacy, options)));
  keys
    .command('rotate')
    .description('Add a new master key version (to DATA_DIR/keys/privacy-master-keys.json) and re-wrap every data key with it. Ciphertexts stay as they are and readable.')
    .option('--rewrap-only', 'do not add a version: re-wrap under the newest one (for keys from PRIVACY_MASTER_KEYS, after adding a version there and restarting)')
    .option('--no-progress', 'do not draw a progress bar')
    .action((options: { rewrapOnly?: boolean; progress: boolean }) => withPrivacy((privacy, connectKeys) => rotate(privacy, connectKeys, options)));
}

export const ROTATION_DUE_EXIT_CODE = 3;

/** Opens the data keys beside the store; `connectKeys` opens them again over another ring (after adding a version). */
type ConnectKeys = (ring: MasterKeyRing) => Promise<PostgresDataKeyStore>;

async function withPrivacy(run: (privacy: Privacy, connectKeys: ConnectKeys) => Promise<void>): Promise<void> {
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  try {
    const privacy = await openPrivacy(config, opened.connectionString);
    try {
      await run(privacy, (ring) => PostgresDataKeyStore.connect({ connectionString: opened.connectionString, schema: config.EVENT_STORE_SCHEMA, ring }));
    } finally {
      await privacy.close();
    }
  } finally {
    await opened.close();
  }
}

async function status(privacy: Privacy, options: { json?: boolean }): Promise<void> {
  const now = new Date();
  const ring = privacy.keys.ring;
  const stored = await privacy.keys.status();
  const ageDays = masterKeyAgeDays(ring, now);
  const underOlder = stored.byMasterVersion.filter((entry) => entry.version !== ring.current.version).reduce((sum, entry) => sum + entry.dataKeys, 0);
  const due = ageDays >= MASTER_KEY_ROTATION_DAYS || underOlder > 0;
  const report = {
    source: ring.source.kind === 'file' ? ring.source.file : 'PRIVACY_MASTER_KEYS',
    currentVersion: ring.current.version,
    currentCreatedAt: ring.current.createdAt,
    ageDays,
    rotationDue: due,
    dataKeysByMasterVersion: stored.byMasterVersion,
    dataKeysUnderOlderVersions: underOlder,
    forgottenSubjects: stored.forgottenSubjects,
    masterVersionsSeen: stored.masterVersions,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`master key version ${report.currentVersion} (${report.source}), created ${report.currentCreatedAt}, ${ageDays} days old; rotation every ${MASTER_KEY_ROTATION_DAYS} days: ${due ? 'DUE, run `neuroerp keys rotate`' : 'not due'}\n`);
    for (const entry of stored.byMasterVersion) process.stdout.write(`  version ${entry.version}: ${entry.dataKeys} data keys\n`);
    process.stdout.write(`  ${stored.forgottenSubjects} forgotten subjects (tombstones)\n`);
  }
  if (due) process.exitCode = ROTATION_DUE_EXIT_CODE;
}

async function rotate(privacy: Privacy, connectKeys: ConnectKeys, options: { rewrapOnly?: boolean; progress: boolean }): Promise<void> {
  let keys = privacy.keys;
  let opened: PostgresDataKeyStore | null = null;
  if (options.rewrapOnly !== true) {
    const ring = await addMasterKeyVersion(privacy.keys.ring, new Date());
    // The data keys over the grown ring (connecting records the new version's fingerprint).
    opened = await connectKeys(ring);
    keys = opened;
    process.stdout.write(`added master key version ${ring.current.version} to ${ring.source.kind === 'file' ? ring.source.file : 'PRIVACY_MASTER_KEYS'}\n`);
  }
  try {
    const bar = progressBar(options.progress, 're-wrapping |{bar}| {value}/{total} data keys');
    const result = await keys.rewrapAll(bar.onProgress);
    bar.stop();
    process.stdout.write(`re-wrapped ${result.rewrapped} data keys under master key version ${keys.ring.current.version}; ciphertexts unchanged\n`);
  } finally {
    await opened?.close();
  }
}
