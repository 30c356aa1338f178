import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { privacy as personalData } from '@neuroerp/schemas';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp } from '../config';
import { openEventStore, type OpenedEventStore } from '../event-store-connection';
import { forgetSubject, openPrivacy, type ForgetReport, type Privacy } from '../privacy';
import { ProjectionService } from '../projections';

export function register(program: Command): void {
  const gdpr = program
    .command('gdpr')
    .description('Data-subject rights on personal data (encrypted per subject): find a subject id, erase a subject by destroying its key.')
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`);
  gdpr
    .command('subject-id')
    .description('Print the subject id of a user or of a business partner (party) in documents, as `gdpr forget` takes it.')
    .option('--user <userId>', 'a user id')
    .option('--vat-id <id>', 'a party by its VAT id')
    .option('--name <name>', 'a party without VAT id: its name as in the documents')
    .option('--postal-code <code>', 'with --name: the postal code of its address')
    .option('--country <code>', 'with --name: the ISO country code of its address')
    .action((options: SubjectIdOptions) => withStore(({ privacy }) => printSubjectId(privacy, options)));
  gdpr
    .command('forget')
    .argument('<subjectId>', 'user-<userId> or party-<32 hex> (see `gdpr subject-id`)')
    .description(
      "Erase a subject (GDPR Art. 17) by crypto-shredding: destroy its data key, record privacy.subject_forgotten in the log, rebuild the read models holding personal data and drop replay copies of them. " +
        'Amounts, the ledger and the hash chain stay intact and verifiable; the subject reads as "[erased]" everywhere, after any rebuild or replay. Irreversible.',
    )
    .requiredOption('--reason <text>', 'why (recorded in the log, e.g. the ticket of the erasure request)')
    .option('--actor <userId>', 'who asked for it (recorded in the log)', 'cli')
    .option('--yes', 'confirm: this cannot be undone')
    .option('--no-progress', 'do not draw progress bars')
    .option('--json', 'print the report as JSON')
    .action((subjectId: string, options: ForgetCliOptions) => withStore((opened) => forget(opened, subjectId, options)));
}

interface SubjectIdOptions {
  user?: string;
  vatId?: string;
  name?: string;
  postalCode?: string;
  country?: string;
}

interface ForgetCliOptions {
  reason: string;
  actor: string;
  yes?: boolean;
  progress: boolean;
  json?: boolean;
}

async function withStore(run: (opened: OpenedEventStore & { privacy: Privacy }) => Promise<void>): Promise<void> {
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  try {
    const privacy = await openPrivacy(config, opened.connectionString);
    try {
      await run({ ...opened, privacy });
    } finally {
      await privacy.close();
    }
  } finally {
    await opened.close();
  }
}

async function printSubjectId(privacy: Privacy, options: SubjectIdOptions): Promise<void> {
  const given = [options.user, options.vatId, options.name].filter((value) => value !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --user, --vat-id and --name');
  let ref: personalData.PersonalSubjectRef;
  if (options.user !== undefined) ref = { kind: 'user', id: options.user };
  else {
    const naturalKey = personalData.partyNaturalKey({ name: options.name, vatId: options.vatId, address: { postalCode: options.postalCode, country: options.country } });
    if (naturalKey === null) throw new UsageError('--name must not be empty');
    ref = { kind: 'party', naturalKey };
  }
  const subjectId = await privacy.cipher.subjectIdOf(ref);
  const parsed = personalData.subjectIdSchema.safeParse(subjectId);
  if (!parsed.success) throw new UsageError(`${subjectId}: ${parsed.error.issues[0]?.message ?? 'not a subject id'}`);
  process.stdout.write(`${subjectId}\n`);
}

async function forget(opened: OpenedEventStore & { privacy: Privacy }, subjectId: string, options: ForgetCliOptions): Promise<void> {
  if (options.yes !== true) throw new UsageError(`forgetting ${subjectId} cannot be undone: run again with --yes`);
  const config = loadServerConfig();
  const service = await ProjectionService.open({
    connectionString: opened.connectionString,
    eventStoreSchema: config.EVENT_STORE_SCHEMA,
    store: opened.store,
    reveal: (events) => opened.privacy.cipher.reveal(events),
  });
  const showProgress = options.progress && !options.json && process.stderr.isTTY === true;
  const bars = new MultiBar({ format: 'rebuilding {name} |{bar}| {value}/{total} events', stream: process.stderr }, Presets.shades_classic);
  const byName = new Map<string, SingleBar>();
  try {
    const report = await forgetSubject({
      privacy: opened.privacy,
      store: opened.store,
      projections: service,
      subjectId,
      reason: options.reason,
      actor: { userId: options.actor, role: 'admin' },
      now: new Date(),
      onRebuildProgress: (name, position, head) => {
        if (!showProgress) return;
        let bar = byName.get(name);
        if (bar === undefined) {
          bar = bars.create(Number(head), 0, { name });
          byName.set(name, bar);
        }
        bar.setTotal(Number(head));
        bar.update(Number(position));
      },
    });
    bars.stop();
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : describeForget(report));
  } finally {
    bars.stop();
    await service.close();
  }
}

function describeForget(report: ForgetReport): string {
  const lines = [
    report.alreadyForgotten
      ? `${report.subjectId} was already forgotten; read models rebuilt again`
      : `${report.subjectId} forgotten: ${report.keyDestroyed ? 'data key destroyed' : 'it had no data key yet (a tombstone keeps it from being recorded)'}, privacy.subject_forgotten at position ${report.position}`,
    ...report.rebuilt.map((item) => `  rebuilt ${item.name}: ${item.events} events in ${item.seconds.toFixed(1)} s${item.droppedTableSet === null ? '' : `, dropped the replaced tables ${item.droppedTableSet}`}`),
    ...(report.droppedReplays.length === 0 ? [] : [`  dropped replay copies: ${report.droppedReplays.join(', ')}`]),
    '  the ledger, the amounts and the hash chain are unchanged: `neuroerp verify` still passes',
  ];
  return `${lines.join('\n')}\n`;
}
