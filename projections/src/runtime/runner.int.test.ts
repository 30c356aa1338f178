import { randomUUID } from 'node:crypto';
import { eventually, newTestEvent, uniqueStreamId } from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';
import { createProjectionTestContext, fiscalYearStream, postedEvent, type ProjectionTestContext } from '../test-support';
import { generalLedgerProjection } from '../ledger/general-ledger';
import { accountBalancesProjection } from '../ledger/account-balances';
import { auditLogProjection } from '../ledger/audit-log';
import { createTableSet, listDeadLetters, readActiveTableSet, readCheckpoint, resolveRunnableTableSet } from './control';
import { retryDeadLetter } from './dead-letters';
import { ProjectionMetrics } from './metrics';
import { projectionStatus } from './operations';
import { rebuildProjection, tableChecksum } from './rebuild';
import { ProjectionRunner } from './runner';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projrt');
});
afterAll(async () => {
  await context.dispose();
});

function poisonEvent(): NewEvent {
  const event = postedEvent({ voucherNumber: 999, postingDate: '2026-02-01', lines: [['1200', 'debit', '1'], ['8400', 'credit', '1']] });
  return { ...event, data: { companyId: 'acme', lines: 'not an array' } };
}

async function countRows(schema: string, table: string): Promise<number> {
  const result = await context.db.raw(`select count(*)::int as n from "${schema}"."${table}"`);
  return (result.rows as { n: number }[])[0]?.n ?? -1;
}

describe('projection runner', () => {
  const stream = fiscalYearStream('runtime', 2026);

  it('applies batches with the checkpoint in one transaction, and re-delivery changes nothing', async () => {
    const events = Array.from({ length: 25 }, (_unused, index) =>
      postedEvent({ companyId: 'runtime', voucherNumber: index + 1, postingDate: '2026-01-15', lines: [['1200', 'debit', '100'], ['8400', 'credit', '100']] }),
    );
    await context.store.appendToStream(stream, events, { expectedVersion: 'any' });
    const runner = new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: generalLedgerProjection, batchSizeMax: 7 });
    const tableSet = await resolveRunnableTableSet(context.db, context.controlSchema, generalLedgerProjection);
    if (tableSet === null) throw new Error('expected a first build');
    const head = await context.headPosition();
    expect(await runner.catchUp(tableSet, { mode: 'continuous' })).toBe(head);
    expect(await countRows(tableSet.schema, 'ledger_lines')).toBe(50);
    const before = await tableChecksum(context.db, tableSet.schema, 'ledger_lines');

    // Re-delivery of everything: the checkpoint filters it out.
    const all = await context.store.readAll({ fromPosition: 'start', maxCount: 1_000 });
    await context.db.transaction((tx) => runner.applyWithin(tx, tableSet, all, 'continuous'));
    expect(await tableChecksum(context.db, tableSet.schema, 'ledger_lines')).toEqual(before);
    expect((await readCheckpoint(context.db, context.controlSchema, tableSet)).position).toBe(head);
  });

  it('two runners of the same projection racing over the same events apply each event once', async () => {
    const tableSet = await createTableSet(context.db, context.controlSchema, accountBalancesProjection, true);
    const make = () => new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: accountBalancesProjection, batchSizeMax: 3 });
    await Promise.all([make().catchUp(tableSet, { mode: 'continuous' }), make().catchUp(tableSet, { mode: 'continuous' })]);
    const result = await context.db.raw(`select debit_minor::text as d from "${tableSet.schema}".account_balances_daily where account_number = '1200'`);
    expect(result.rows).toEqual([{ d: '2500' }]);
  });

  it('counts a position gap with a metric', async () => {
    const metrics = new ProjectionMetrics();
    const tableSet = await createTableSet(context.db, context.controlSchema, auditLogProjection, true);
    const runner = new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: auditLogProjection, metrics });
    const all = await context.store.readAll({ fromPosition: 'start', maxCount: 10 });
    const withGap = [all[0], all[2]].filter((event) => event !== undefined);
    await context.db.transaction((tx) => runner.applyWithin(tx, tableSet, withGap, 'continuous'));
    expect((await metrics.positionGaps.get()).values[0]?.value).toBe(1);
  });

  it('continuous mode dead-letters a poison event, counts it and goes on; a retry fails again', async () => {
    const metrics = new ProjectionMetrics();
    const runner = new ProjectionRunner({
      db: context.db,
      controlSchema: context.controlSchema,
      store: context.store,
      projection: generalLedgerProjection,
      metrics,
      headPosition: context.headPosition,
    });
    runner.start();
    const good = postedEvent({ companyId: 'runtime', voucherNumber: 26, postingDate: '2026-01-20', lines: [['1200', 'debit', '5'], ['8400', 'credit', '5']] });
    await context.store.appendToStream(stream, [poisonEvent(), good], { expectedVersion: 'any' });
    const head = await context.headPosition();
    const tableSet = await readActiveTableSet(context.db, context.controlSchema, generalLedgerProjection.name);
    if (tableSet === null) throw new Error('no active table set');
    await eventually('the checkpoint at the head', async () => (await readCheckpoint(context.db, context.controlSchema, tableSet)).position, (position) => position === head, { timeoutMs: 10_000 });
    expect(runner.state).toBe('running');
    await runner.stop();
    expect(await countRows(tableSet.schema, 'ledger_lines')).toBe(52);
    const letters = await listDeadLetters(context.db, context.controlSchema, { name: 'general_ledger', limit: 10 });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ position: head - 1n, eventType: 'ledger.transaction_posted' });
    expect(letters[0]?.error).toContain('ZodError');
    expect((await metrics.deadLetters.get()).values[0]?.value).toBe(1);
    expect((await metrics.lagEvents.get()).values[0]?.value).toBe(0);
    expect(await retryDeadLetter(context.db, context.controlSchema, context.store, [generalLedgerProjection], letters[0]?.id ?? '')).toBe('failed_again');

    const status = await projectionStatus(context.db, context.controlSchema, context.store, [generalLedgerProjection], head);
    expect(status[0]).toMatchObject({ name: 'general_ledger', position: head.toString(), lagEvents: '0', lagSeconds: 0, state: 'live', deadLetters: 1 });
  });

  it('rebuild mode stops on the first failing event and drops its half-built tables; the live table set keeps serving', async () => {
    const before = await readActiveTableSet(context.db, context.controlSchema, generalLedgerProjection.name);
    await expect(
      rebuildProjection({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: generalLedgerProjection, headPosition: context.headPosition }),
    ).rejects.toThrow(/ZodError|Expected array/);
    expect(await readActiveTableSet(context.db, context.controlSchema, generalLedgerProjection.name)).toEqual(before);
    const building = await context.db.raw(`select count(*)::int as n from "${context.controlSchema}".projection_checkpoints where state = 'building'`);
    expect(building.rows).toEqual([{ n: 0 }]);
  });

  it('follows a switch of the active table set while running', async () => {
    const runner = new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: auditLogProjection, batchSizeMax: 50 });
    runner.start();
    const result = await rebuildProjection({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: auditLogProjection, headPosition: context.headPosition, skipVerify: true });
    expect(result.switched).toBe(true);
    await context.store.appendToStream(`test-${randomUUID()}`, [postedEvent({ voucherNumber: 1, postingDate: '2026-03-01', lines: [['1200', 'debit', '1'], ['8400', 'credit', '1']] })], { expectedVersion: 'any' });
    const head = await context.headPosition();
    await eventually('the checkpoint at the head', async () => (await readCheckpoint(context.db, context.controlSchema, result.rebuilt)).position, (position) => position === head, { timeoutMs: 10_000 });
    await runner.stop();
    expect(await countRows(result.rebuilt.schema, 'audit_events')).toBe(Number(head));
  });

  it('rebuild verifies equal and switches while writers append and a live runner applies concurrently', async () => {
    const runner = new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: auditLogProjection, batchSizeMax: 20 });
    runner.start();
    let writing = true;
    const writer = (async () => {
      let voucher = 1_000;
      while (writing) {
        const events = Array.from({ length: 5 }, () => postedEvent({ companyId: 'concurrent', voucherNumber: (voucher += 1), postingDate: '2026-04-01', lines: [['1200', 'debit', '7'], ['8400', 'credit', '7']] }));
        await context.store.appendToStream(`test-${randomUUID()}`, events, { expectedVersion: 'no_stream' });
      }
    })();
    let result: Awaited<ReturnType<typeof rebuildProjection>>;
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      result = await rebuildProjection({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: auditLogProjection, headPosition: context.headPosition, batchSizeMax: 50 });
    } finally {
      writing = false;
      await writer;
    }
    expect(result.verification.outcome).toBe('equal');
    expect(result.switched).toBe(true);
    const head = await context.headPosition();
    expect(result.position).toBeLessThanOrEqual(head);
    await eventually('the checkpoint at the head', async () => (await readCheckpoint(context.db, context.controlSchema, result.rebuilt)).position, (position) => position === head, { timeoutMs: 10_000 });
    await runner.stop();
    expect(await countRows(result.rebuilt.schema, 'audit_events')).toBe(Number(head));
    expect(await countRows(result.previous?.schema ?? '', 'audit_events')).toBeGreaterThan(0);
  });

  it('counts a change of its tables only for batches with events it handles', async () => {
    const runner = new ProjectionRunner({ db: context.db, controlSchema: context.controlSchema, store: context.store, projection: generalLedgerProjection });
    const tableSet = await resolveRunnableTableSet(context.db, context.controlSchema, generalLedgerProjection);
    if (tableSet === null) throw new Error('expected the table set of the first case');
    await runner.catchUp(tableSet, { mode: 'continuous' });
    const start = await readCheckpoint(context.db, context.controlSchema, tableSet);

    await context.store.appendToStream(uniqueStreamId('ignored'), [newTestEvent({ note: 'not a ledger event' }, 'test.ignored')], { expectedVersion: 'no_stream' });
    await runner.catchUp(tableSet, { mode: 'continuous' });
    const afterIgnored = await readCheckpoint(context.db, context.controlSchema, tableSet);
    expect([afterIgnored.position, afterIgnored.changes]).toEqual([start.position + 1n, start.changes]);

    const posted = postedEvent({ companyId: 'runtime', voucherNumber: 9026, postingDate: '2026-01-16', lines: [['1200', 'debit', '5'], ['8400', 'credit', '5']] });
    await context.store.appendToStream(stream, [posted], { expectedVersion: 'any' });
    await runner.catchUp(tableSet, { mode: 'continuous' });
    const afterPosted = await readCheckpoint(context.db, context.controlSchema, tableSet);
    expect([afterPosted.position, afterPosted.changes]).toEqual([start.position + 2n, start.changes + 1n]);
  });
});
