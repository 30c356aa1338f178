import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { seals as sealRules, sealsStreamId, fiscalYearStreamId } from '@neuroerp/domains';
import { computeEventHash, GENESIS_HASH, PostgresEventStore, readWholeLog, sealKeysFromDocument, verifyLogWithSeals, verifySealSignature } from '@neuroerp/infra';
import type { ledger as wire, RecordedEvent } from '@neuroerp/schemas';
import { LedgerCommands } from './commands';
import { createLedgerCommandHandler } from './handler';
import { buildInalterabilityReport, inalterabilityReportCsv } from './inalterability-report';
import { loadSealKey, sealKeysDocument, SEAL_KEY_FILE, type SealKey } from './seal-keys';
import { PeriodSealer } from './seals';
import { context, dropSchema, openCompany, testDatabaseUrl, twoLineDraft, uniqueSchema } from './test-support';

const COMPANY = 'acme';
const YEAR = 2025;
const accountant = context('anna', 'accountant');

interface Scenario {
  schema: string;
  store: PostgresEventStore;
  commands: LedgerCommands;
  keys: Map<string, import('node:crypto').KeyObject>;
  seal: RecordedEvent<wire.PeriodSealed>;
}

describe('period seals on the PostgreSQL event store', () => {
  let admin: pg.Client;
  let keysDir: string;
  let key: SealKey;
  let scenario: Scenario;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    keysDir = await mkdtemp(path.join(tmpdir(), 'seal-keys-'));
    ({ key } = await loadSealKey({ keysDir }));
  });
  afterAll(async () => {
    await admin.end();
    await rm(keysDir, { recursive: true, force: true });
  });

  /** Period 1 posted and closed (sealed); then a February posting and a February reversal of a January one; period 3 soft-locked and reopened. */
  beforeEach(async () => {
    const schema = uniqueSchema('seals');
    const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
    const handler = createLedgerCommandHandler(store);
    const commands = new LedgerCommands(handler, { sealer: new PeriodSealer({ handler, store, key, readHead: () => store.readHead() }) });
    await openCompany(commands, COMPANY, YEAR);
    for (const [id, date, amount] of [['jan-1', '2025-01-10', '119.00'], ['jan-2', '2025-01-20', '50.00']] as const) {
      await commands.draftTransaction(accountant, twoLineDraft(id, COMPANY, date, amount), { submit: true });
      await commands.postTransaction(accountant, id, undefined);
    }
    await commands.closePeriod(accountant, { companyId: COMPANY, year: YEAR, period: 1 }, undefined);
    await commands.draftTransaction(accountant, twoLineDraft('feb-1', COMPANY, '2025-02-05', '10.00'), { submit: true });
    await commands.postTransaction(accountant, 'feb-1', undefined);
    await commands.reverseTransaction(accountant, { transactionId: 'jan-2', reversalTransactionId: 'jan-2-rev', postingDate: '2025-02-10', reason: 'booked twice' }, undefined);
    await commands.softLockPeriod(accountant, { companyId: COMPANY, year: YEAR, period: 3 }, undefined);
    await commands.reopenPeriod({ ...accountant, reason: 'late supplier invoice' }, { companyId: COMPANY, year: YEAR, period: 3 }, undefined);
    const [seal] = await store.readStream(sealsStreamId(COMPANY), { direction: 'forwards', maxCount: 10 });
    scenario = { schema, store, commands, keys: sealKeysFromDocument(sealKeysDocument([key])), seal: seal as RecordedEvent<wire.PeriodSealed> };
  });
  afterEach(async () => {
    await scenario.store.close();
    await dropSchema(scenario.schema);
  });

  const verify = async (options: { anchors?: { position: bigint; signature: string }[] } = {}) =>
    verifyLogWithSeals(readWholeLog(scenario.store), { keys: scenario.keys, head: await scenario.store.readHead(), anchors: options.anchors });

  /** What an attacker with database superuser rights does: switch the guard off, then edit. */
  async function tamper(sql: string, ...values: unknown[]): Promise<void> {
    const table = `"${scenario.schema}".events`;
    await admin.query(`alter table ${table} disable trigger events_append_only`);
    try {
      await admin.query(sql.replaceAll('$schema', `"${scenario.schema}"`), values);
    } finally {
      await admin.query(`alter table ${table} enable trigger events_append_only`);
    }
  }

  async function positionOf(type: string, predicate: (data: Record<string, unknown>) => boolean): Promise<bigint> {
    for await (const event of readWholeLog(scenario.store)) if (event.type === type && predicate(event.data as Record<string, unknown>)) return event.globalPosition;
    throw new Error(`no ${type} in the log`);
  }

  it('closing a period appends a signed seal of the fiscal-year stream up to the close, once', async () => {
    const { seal } = scenario;
    expect(seal.type).toBe('ledger.period_sealed');
    expect(seal.data).toMatchObject({ companyId: COMPANY, year: YEAR, period: 1, kid: key.kid, alg: 'Ed25519', sealedBy: 'anna' });
    const yearEvents = await scenario.store.readStream(fiscalYearStreamId(COMPANY, YEAR), { direction: 'forwards', maxCount: 100 });
    const close = yearEvents.find((event) => event.type === 'ledger.period_closed') as RecordedEvent;
    expect(seal.data.body.closeEvent).toEqual({ position: close.globalPosition.toString(), hash: close.hash, streamVersion: close.streamVersion });
    expect(seal.data.body.merkleLeafCount).toBe(close.streamVersion + 1);
    expect(BigInt(seal.data.body.chainHead.position)).toBeGreaterThanOrEqual(close.globalPosition);
    expect(seal.data.body.closingBalances).toEqual([
      { accountNumber: '1200', balanceMinor: '16900' },
      { accountNumber: '8400', balanceMinor: '-16900' },
    ]);
    expect(verifySealSignature(seal.data.body, seal.data.signature, scenario.keys.get(key.kid) as never)).toBe(true);

    // Closing again appends nothing, neither to the year nor to the seals.
    const again = await scenario.commands.closePeriod(accountant, { companyId: COMPANY, year: YEAR, period: 1 }, undefined);
    expect(again.appended).toBe(0);
    expect(await scenario.store.readStream(sealsStreamId(COMPANY), { direction: 'forwards', maxCount: 10 })).toHaveLength(1);
  });

  it('verify passes on the untouched log and checks the seal', async () => {
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.chain.firstBreak).toBeNull();
    expect(result.seals).toEqual([expect.objectContaining({ position: scenario.seal.globalPosition, signatureValid: true, merkleRootValid: true, chainHeadValid: true, closeEventValid: true })]);
  });

  it('the trial balance regenerated as at seal time equals the sealed balances; later corrections are listed', async () => {
    const yearEvents = await scenario.store.readStream(fiscalYearStreamId(COMPANY, YEAR), { direction: 'forwards', maxCount: 100 });
    const body = scenario.seal.data.body;
    expect(sealRules.trialBalanceAsKnownAt(yearEvents, 1, BigInt(body.closeEvent.position))).toEqual(body.closingBalances);
    // Today the year to date through period 2 differs (February posting, reversal of jan-2) ...
    expect(sealRules.closingBalancesOf(yearEvents, 2)).not.toEqual(body.closingBalances);
    // ... and the reversal of a sealed posting is listed as a later correction.
    expect(sealRules.laterCorrections(yearEvents, 1, scenario.seal.globalPosition)).toEqual([
      expect.objectContaining({ transactionId: 'jan-2-rev', kind: 'reversal_of_sealed_posting', reversesTransactionId: 'jan-2', reason: 'booked twice' }),
    ]);
  });

  it('the inalterability report lists periods, the seal, the reopening with its reason and the later correction', async () => {
    const report = await buildInalterabilityReport({ store: scenario.store, keys: scenario.keys, readHead: () => scenario.store.readHead() });
    expect(report.verification).toMatchObject({ ok: true, sealProblems: [] });
    expect(report.periods).toHaveLength(12);
    expect(report.periods[0]).toMatchObject({ period: 1, status: 'closed', closedBy: 'anna', sealPosition: scenario.seal.globalPosition.toString() });
    expect(report.periods[2]).toMatchObject({ period: 3, status: 'open', sealPosition: null });
    expect(report.seals).toEqual([
      expect.objectContaining({ period: 1, kid: key.kid, signatureValid: true, merkleRootValid: true, chainHeadValid: true, asKnownAtMatches: true, laterCorrections: [expect.objectContaining({ transactionId: 'jan-2-rev' })] }),
    ]);
    expect(report.reopenEvents).toEqual([expect.objectContaining({ period: 3, reopenedBy: 'anna', reason: 'late supplier invoice' })]);
    const csv = inalterabilityReportCsv(report).split('\r\n');
    expect(csv[0]).toMatch(/^record,company_id,year,period,position,status,kid/);
    expect(csv.filter((line) => line.startsWith('seal,'))).toEqual([expect.stringContaining(`,valid,${key.kid},`)]);
    expect(csv.filter((line) => line.startsWith('reopen,'))).toEqual([expect.stringContaining('late supplier invoice')]);
    expect(csv.filter((line) => line.startsWith('correction,'))).toHaveLength(1);
  });

  it('names the position of an edited event in a sealed period', async () => {
    const target = await positionOf('ledger.transaction_posted', (data) => data.transactionId === 'jan-1');
    await tamper(`update $schema.events set data = jsonb_set(data, '{description}', '"edited"') where global_position = $1`, target.toString());
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.chain.firstBreak).toMatchObject({ kind: 'hash_mismatch', position: target });
  });

  /**
   * What a careful attacker does: edit the event at `target` and recompute every hash from
   * there on, and move the chain head, so that the hash chain is consistent again.
   */
  async function editAndRechain(target: bigint, edit: (data: Record<string, unknown>) => unknown): Promise<void> {
    const events: RecordedEvent[] = [];
    for await (const event of readWholeLog(scenario.store)) events.push(event);
    const table = `"${scenario.schema}".events`;
    await admin.query(`alter table ${table} disable trigger events_append_only`);
    try {
      let previous = GENESIS_HASH;
      for (const event of events) {
        const data = event.globalPosition === target ? edit(structuredClone(event.data) as Record<string, unknown>) : event.data;
        const hash = computeEventHash({ ...event, data, prevHash: previous });
        if (event.globalPosition >= target) {
          await admin.query(`update ${table} set data = $1, prev_hash = $2, hash = $3 where global_position = $4`, [JSON.stringify(data), previous, hash, event.globalPosition.toString()]);
        }
        previous = hash;
      }
      await admin.query(`update "${scenario.schema}".chain_head set hash = $1`, [previous]);
    } finally {
      await admin.query(`alter table ${table} enable trigger events_append_only`);
    }
  }

  it('an edit with the whole chain recomputed after it still breaks the seal (close event, Merkle root, chain head)', async () => {
    const target = await positionOf('ledger.transaction_posted', (data) => data.transactionId === 'jan-1');
    await editAndRechain(target, (data) => ({ ...data, description: 'edited' }));
    const result = await verify();
    expect(result.chain.firstBreak).toBeNull();
    expect(result.ok).toBe(false);
    expect(result.sealBreaks.map((brk) => brk.kind).sort()).toEqual(['seal_close_event_mismatch', 'seal_head_mismatch', 'seal_merkle_mismatch']);
    expect(result.sealBreaks.every((brk) => brk.position === scenario.seal.globalPosition)).toBe(true);
  });

  it('an altered seal fails its signature, even with the chain recomputed', async () => {
    await editAndRechain(scenario.seal.globalPosition, (data) => {
      const seal = data as unknown as wire.PeriodSealed;
      (seal.body.closingBalances[0] as wire.SealedBalance).balanceMinor = '1';
      return seal;
    });
    const result = await verify();
    expect(result.chain.firstBreak).toBeNull();
    expect(result.sealBreaks).toEqual([expect.objectContaining({ kind: 'seal_signature_invalid', position: scenario.seal.globalPosition, kid: key.kid })]);
  });

  it('detects the tail cut off after a seal: against the recorded head, and against a known seal when the head was moved too', async () => {
    const anchors = [{ position: scenario.seal.globalPosition, signature: scenario.seal.data.signature }];
    await tamper(`delete from $schema.events where global_position >= $1`, scenario.seal.globalPosition.toString());
    const cut = await verify({ anchors });
    expect(cut.chain.firstBreak).toMatchObject({ kind: 'head_mismatch' });

    const last = await admin.query<{ global_position: string; hash: string }>(`select global_position, hash from "${scenario.schema}".events order by global_position desc limit 1`);
    await admin.query(`update "${scenario.schema}".chain_head set position = $1, hash = $2`, [last.rows[0]?.global_position, last.rows[0]?.hash]);
    const consistent = await verify({ anchors });
    expect(consistent.chain.firstBreak).toBeNull();
    expect(consistent.ok).toBe(false);
    expect(consistent.sealBreaks).toEqual([expect.objectContaining({ kind: 'log_truncated', position: scenario.seal.globalPosition })]);
  });

  it('keeps the generated seal key in a 0600 file and loads the same key again', async () => {
    const file = path.join(keysDir, SEAL_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadSealKey({ keysDir });
    expect(again).toMatchObject({ source: 'loaded', file, key: { kid: key.kid } });
    expect(key.kid).toMatch(/^[0-9a-f]{16}$/);
  });
});
