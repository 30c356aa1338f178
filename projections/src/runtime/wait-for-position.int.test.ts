import { auditLogProjection } from '../ledger/audit-log';
import { transactionsProjection } from '../ledger/transactions';
import { newEvent, projectToHead } from '../read-model-test-support';
import { createProjectionTestContext, type ProjectionTestContext } from '../test-support';
import { readActivePositions, waitForPosition, WAIT_FOR_POSITION_TIMEOUT_MS_MAX } from './wait-for-position';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projwait');
});
afterAll(async () => {
  await context.dispose();
});

const names = [auditLogProjection.name, transactionsProjection.name];
const wait = (position: bigint, timeoutMs: number) => waitForPosition(context.db, context.controlSchema, names, position, { timeoutMs });

describe('waitForPosition (read your writes)', () => {
  it('is false on timeout while a projection has no table set yet, true at once for nothing to wait for', async () => {
    await context.store.appendToStream('misc.thing-1', [newEvent('misc.thing_happened', { n: 1 }, { userId: 'u-1' })], { expectedVersion: 'no_stream' });
    const started = performance.now();
    expect(await wait(1n, 120)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(await waitForPosition(context.db, context.controlSchema, [], 1n, { timeoutMs: 0 })).toBe(true);
  });

  it('resolves true once every named projection has applied the position, waiting for the one that lags', async () => {
    const { position } = await context.store.appendToStream('misc.thing-2', [newEvent('misc.thing_happened', { n: 2 }, { userId: 'u-1' })], { expectedVersion: 'no_stream' });
    expect(position).toBe(2n);
    await projectToHead(context, [auditLogProjection]);
    // One of the two is at the position, the other has no table set: not yet.
    expect(await wait(position, 50)).toBe(false);

    const started = performance.now();
    let projecting: Promise<void> = Promise.resolve();
    const later = setTimeout(() => {
      projecting = projectToHead(context, [transactionsProjection]);
    }, 200);
    try {
      expect(await wait(position, 5_000)).toBe(true);
    } finally {
      clearTimeout(later);
      await projecting;
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(await readActivePositions(context.db, context.controlSchema, names)).toEqual(new Map([['audit_log', 2n], ['transactions', 2n]]));
    // A position beyond the head is never reached.
    expect(await wait(position + 1n, 60)).toBe(false);
    expect(await wait(position - 1n, 0)).toBe(true);
  });

  it('refuses a timeout beyond the limit', async () => {
    await expect(wait(1n, WAIT_FOR_POSITION_TIMEOUT_MS_MAX + 1)).rejects.toThrow(/timeoutMs/);
    await expect(wait(1n, -1)).rejects.toThrow(/timeoutMs/);
  });
});
