import { PostgresEventStore, type EventStore } from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';
import type { AppendOptions, AppendResult } from '@neuroerp/infra';
import { LedgerCommands } from '../ledger/commands';
import { createLedgerCommandHandler } from '../ledger/handler';
import { context, dropSchema, openCompany, testDatabaseUrl, twoLineDraft, uniqueSchema } from '../ledger/test-support';
import { createProcessManagerRuntime } from './process-managers';
import { PostgresProcessManagerStore } from './store';
import type { WorkflowStarter } from './transaction-approval';

/** The event store of a process that dies between the two appends of a reversal: appends to fiscal years fail. */
function failingFiscalYearAppends(inner: EventStore): EventStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'appendToStream') {
        return (streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> =>
          streamId.startsWith('ledger.fiscal_year-') ? Promise.reject(new Error('connection lost')) : target.appendToStream(streamId, events, options);
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

const noWorkflows: WorkflowStarter = { start: () => Promise.reject(new Error('no workflow expected')) };

describe('reversal completion', () => {
  const schema = uniqueSchema('pm_reversal');
  let store: PostgresEventStore;
  let persistence: PostgresProcessManagerStore;

  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
    persistence = await PostgresProcessManagerStore.connect({ connectionString: testDatabaseUrl(), schema });
  });
  afterAll(async () => {
    await persistence?.close();
    await store?.close();
    await dropSchema(schema);
  });

  it('posts a reversal whose second append failed, without anybody repeating the command', async () => {
    const ledger = new LedgerCommands(createLedgerCommandHandler(store));
    await openCompany(ledger, 'acme', 2025);
    const accountant = context('alice', 'accountant');
    await ledger.draftTransaction(accountant, twoLineDraft('tx-1', 'acme', '2025-03-10'), { submit: true });
    await ledger.postTransaction(accountant, 'tx-1', undefined);

    const dying = new LedgerCommands(createLedgerCommandHandler(failingFiscalYearAppends(store)));
    const reversal = { transactionId: 'tx-1', reversalTransactionId: 'tx-1-rev', postingDate: '2025-03-20', reason: 'wrong customer' };
    await expect(dying.reverseTransaction(accountant, reversal, undefined)).rejects.toThrow('connection lost');
    expect((await ledger.getTransaction('tx-1'))?.resource.reversal).toMatchObject({ reversalTransactionId: 'tx-1-rev' });
    const postedBefore = await store.readStream('ledger.fiscal_year-acme-2025', { maxCount: 1000 });
    expect(postedBefore.filter((event) => event.type === 'ledger.transaction_posted')).toHaveLength(1);

    const runtime = createProcessManagerRuntime({ store, persistence, workflows: noWorkflows });
    await runtime.start();
    try {
      await runtime.waitFor((await store.readHead()).position, 15_000);
      const year = await store.readStream('ledger.fiscal_year-acme-2025', { maxCount: 1000 });
      const postings = year.filter((event) => event.type === 'ledger.transaction_posted').map((event) => event.data as { transactionId: string; reversesTransactionId: string | null });
      expect(postings.map((posting) => [posting.transactionId, posting.reversesTransactionId])).toEqual([
        ['tx-1', null],
        ['tx-1-rev', 'tx-1'],
      ]);
      const claim = (await store.readStream('ledger.transaction-tx-1', { maxCount: 100 })).find((event) => event.type === 'ledger.transaction_reversed');
      const reversalPosting = year.find((event) => (event.data as { transactionId: string }).transactionId === 'tx-1-rev');
      expect(reversalPosting?.metadata.causationId).toBe(claim?.eventId);

      // Repeating the command now appends nothing: the reversal is complete.
      const headBefore = await store.readHead();
      await ledger.reverseTransaction(accountant, reversal, undefined);
      expect(await store.readHead()).toEqual(headBefore);
    } finally {
      await runtime.stop();
    }
  });
});
