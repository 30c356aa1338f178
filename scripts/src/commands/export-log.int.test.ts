import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLedgerCommandHandler, LedgerCommands, loadSealKey, PeriodSealer, sealKeysDocument } from '@neuroerp/command-api';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import { PostgresEventStore, recordedEventToJson } from '@neuroerp/infra';
import { main } from '../cli';
import { EXPORT_MANIFEST_FILE, EXPORT_SEALS_FILE, exportLog, openExport, type ExportManifest } from './export-log';
import { CHAIN_BROKEN_EXIT_CODE, LOG_TRUNCATED_EXIT_CODE, SEAL_INVALID_EXIT_CODE, verifyExport } from './verify';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const actor = { actor: { userId: 'anna', role: 'accountant' }, correlationId: 'export-test', requestId: null };

/** `neuroerp export log` and `neuroerp verify [--export]` in this process, as the CLI runs them. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  process.exitCode = 0;
  try {
    await main(['node', 'neuroerp', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: written.join('') };
  } finally {
    spy.mockRestore();
    process.exitCode = 0;
  }
}

describe('export log and offline verify', () => {
  const schema = `test_export_log_${process.pid}`;
  let dataDir: string;
  let store: PostgresEventStore;
  let kid: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-export-'));
    Object.assign(process.env, { DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, DATA_DIR: dataDir, LOG_LEVEL: 'silent', SEAL_PRIVATE_KEY_PEM: '' });
    store = await PostgresEventStore.connect({ connectionString, schema });
    const { key } = await loadSealKey({ keysDir: path.join(dataDir, 'keys') });
    kid = key.kid;
    const handler = createLedgerCommandHandler(store);
    const commands = new LedgerCommands(handler, { sealer: new PeriodSealer({ handler, store, key, readHead: () => store.readHead() }) });
    await commands.importChart(actor, { companyId: 'acme', accounts: [...SKR03_DEMO_CHART] });
    await commands.openFiscalYear(actor, {
      companyId: 'acme',
      year: 2025,
      companyCurrency: SKR03_DEMO_SETTINGS.companyCurrency,
      approvalThreshold: '10000.00',
      roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
      retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
      openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
    });
    for (const [id, date, period] of [['jan-1', '2025-01-10', 1], ['feb-1', '2025-02-10', 2]] as const) {
      await commands.draftTransaction(actor, { transactionId: id, companyId: 'acme', type: 'journal', documentDate: date, postingDate: date, description: id, lines: [{ accountNumber: '1200', side: 'debit', amount: '10.00', currency: 'EUR' }, { accountNumber: '8400', side: 'credit', amount: '10.00', currency: 'EUR' }] }, { submit: true });
      await commands.postTransaction(actor, id, undefined);
      await commands.closePeriod(actor, { companyId: 'acme', year: 2025, period }, undefined);
    }
    await commands.draftTransaction(actor, { transactionId: 'mar-1', companyId: 'acme', type: 'journal', documentDate: '2025-03-01', postingDate: '2025-03-01', description: 'draft only', lines: [{ accountNumber: '1200', side: 'debit', amount: '1.00', currency: 'EUR' }, { accountNumber: '8400', side: 'credit', amount: '1.00', currency: 'EUR' }] }, { submit: false });
  });
  afterAll(async () => {
    await store.close();
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('verify on the database checks the chain and both seals', async () => {
    const result = await cli('verify');
    expect(result.stdout).toMatch(/^OK: \d+ events, chain head [0-9a-f]{64} at position \d+\nSEALS OK: 2 seals/);
    expect(result.code).toBe(0);
  });

  it('export log writes NDJSON, the public key and the seals; verify --export passes offline', async () => {
    const out = path.join(dataDir, 'export-ok');
    expect((await cli('export', 'log', '--out', out)).code).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(out, EXPORT_MANIFEST_FILE), 'utf8')) as ExportManifest;
    const head = await store.readHead();
    expect(manifest.head).toEqual({ position: head.position.toString(), hash: head.hash });
    expect(manifest.eventCount).toBe(Number(head.position));
    expect(JSON.parse(await readFile(path.join(out, 'seal-keys.json'), 'utf8'))).toEqual({ keys: [expect.objectContaining({ kid, alg: 'Ed25519' })] });
    expect((JSON.parse(await readFile(path.join(out, EXPORT_SEALS_FILE), 'utf8')) as { seals: unknown[] }).seals).toHaveLength(2);
    const result = await cli('verify', '--export', out);
    expect(result.stdout).toContain('SEALS OK: 2 seals');
    expect(result.code).toBe(0);
  });

  it('verify --export names an edited event in the NDJSON (exit 3)', async () => {
    const out = path.join(dataDir, 'export-edited');
    await exportLog({ store, head: await store.readHead(), keys: (await openExportKeys()).document, outDir: out, eventsPerFile: 4 });
    const file = path.join(out, 'events-000002.ndjson');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const edited = JSON.parse(lines[1] as string) as { globalPosition: string; metadata: { correlationId: string } };
    edited.metadata.correlationId = 'someone-else';
    lines[1] = JSON.stringify(edited);
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await cli('verify', '--export', out);
    expect(result.stdout).toContain(`BROKEN at position ${edited.globalPosition}: the event's content does not match its hash`);
    expect(result.code).toBe(CHAIN_BROKEN_EXIT_CODE);
  });

  it('verify --export detects the tail cut off after a seal even when the manifest is rewritten to match (exit 5)', async () => {
    const out = path.join(dataDir, 'export-cut');
    await exportLog({ store, head: await store.readHead(), keys: (await openExportKeys()).document, outDir: out, eventsPerFile: 4 });
    const seals = (JSON.parse(await readFile(path.join(out, EXPORT_SEALS_FILE), 'utf8')) as { seals: { position: string }[] }).seals;
    const lastSeal = BigInt(seals[seals.length - 1]?.position as string);
    const kept = [];
    for await (const event of (await openExport(out)).events()) if (event.globalPosition < lastSeal) kept.push(event);
    for (const name of (await readdir(out)).filter((name) => name.endsWith('.ndjson'))) await unlink(path.join(out, name));
    await writeFile(path.join(out, 'events-000001.ndjson'), `${kept.map(recordedEventToJson).join('\n')}\n`);
    const manifest = JSON.parse(await readFile(path.join(out, EXPORT_MANIFEST_FILE), 'utf8')) as ExportManifest;
    const newEnd = kept[kept.length - 1];
    manifest.head = { position: String(newEnd?.globalPosition), hash: newEnd?.hash as string };
    await writeFile(path.join(out, EXPORT_MANIFEST_FILE), JSON.stringify(manifest));

    const verification = await verifyExport(out);
    expect(verification.chain.firstBreak).toBeNull();
    expect(verification.sealBreaks).toEqual([expect.objectContaining({ kind: 'log_truncated', position: lastSeal })]);
    const result = await cli('verify', '--export', out);
    expect(result.stdout).toContain(`TRUNCATED: the log ends at position ${newEnd?.globalPosition}, before the seal known at position ${lastSeal}`);
    expect(result.code).toBe(LOG_TRUNCATED_EXIT_CODE);
  });

  it('verify --export --keys with a key that did not sign the seals fails them (exit 4)', async () => {
    const out = path.join(dataDir, 'export-ok');
    const otherKeys = path.join(dataDir, 'other-keys.json');
    const other = generateKeyPairSync('ed25519').privateKey;
    await writeFile(otherKeys, JSON.stringify(sealKeysDocument([{ kid: 'unused', privateKey: other }])));
    const result = await cli('verify', '--export', out, '--keys', otherKeys);
    expect(result.stdout).toContain(`is signed with key ${kid}, which is not among the published seal keys`);
    expect(result.code).toBe(SEAL_INVALID_EXIT_CODE);
  });

  async function openExportKeys() {
    const { key } = await loadSealKey({ keysDir: path.join(dataDir, 'keys') });
    return { document: sealKeysDocument([key]) };
  }
});
