import type { ledger } from '@neuroerp/schemas';
import { deadLetterCount, newEvent, projectToHead, rebuildInSmallBatches } from '../read-model-test-support';
import { createProjectionTestContext, type ProjectionTestContext } from '../test-support';
import { chartAccounts, chartOfAccountsProjection, getChartAccount, listChartAccounts } from './chart-of-accounts';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projchart');
});
afterAll(async () => {
  await context.dispose();
});

const admin = { userId: 'admin-1', role: 'admin' };
const stream = (companyId: string) => `ledger.chart_of_accounts-${companyId}`;

function opened(companyId: string, accountNumber: string, name: string, type: ledger.AccountType, extra: Partial<ledger.AccountOpened> = {}) {
  const data: ledger.AccountOpened = {
    companyId,
    accountNumber,
    name,
    type,
    normalBalance: type === 'asset' || type === 'expense' ? 'debit' : 'credit',
    currency: null,
    requiredDimensions: [],
    openedBy: admin.userId,
    ...extra,
  };
  return newEvent('ledger.account_opened', data, admin);
}

const project = () => projectToHead(context, [chartOfAccountsProjection]);

describe('chart of accounts read model', () => {
  it('folds an imported chart, single opens, blocks, unblocks and archives per company; a repeated open changes nothing', async () => {
    // An import: one account_opened per account, in one append.
    await context.store.appendToStream(
      stream('acme'),
      [
        opened('acme', '1200', 'Bank', 'asset', { currency: 'EUR' }),
        opened('acme', '1400', 'Forderungen aus Lieferungen und Leistungen', 'asset'),
        opened('acme', '8400', 'Erlöse 19 % USt', 'revenue', { requiredDimensions: ['cost_centre'] }),
        opened('acme', '0800', 'Gezeichnetes Kapital', 'equity'),
        opened('acme', '2990', 'Wertberichtigung', 'asset', { normalBalance: 'credit' }),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(stream('other'), [opened('other', '1200', 'Kasse', 'asset')], { expectedVersion: 'no_stream' });
    await project();
    await context.store.appendToStream(
      stream('acme'),
      [
        newEvent('ledger.account_blocked', { companyId: 'acme', accountNumber: '1400', reason: 'audit', blockedBy: admin.userId }, admin),
        newEvent('ledger.account_blocked', { companyId: 'acme', accountNumber: '8400', reason: 'audit', blockedBy: admin.userId }, admin),
        newEvent('ledger.account_unblocked', { companyId: 'acme', accountNumber: '8400', unblockedBy: admin.userId }, admin),
        newEvent('ledger.account_archived', { companyId: 'acme', accountNumber: '2990', archivedBy: admin.userId }, admin),
        // Opened again with the same definition (what an idempotent import would not even emit): no change.
        opened('acme', '1200', 'Bank', 'asset', { currency: 'EUR' }),
      ],
      { expectedVersion: 'any' },
    );
    await project();

    expect(await getChartAccount(context.db, context.controlSchema, 'acme', '8400')).toEqual({
      companyId: 'acme',
      accountNumber: '8400',
      name: 'Erlöse 19 % USt',
      type: 'revenue',
      normalBalance: 'credit',
      currency: null,
      requiredDimensions: ['cost_centre'],
      status: 'open',
      updatedPosition: 9n,
    });
    expect(await getChartAccount(context.db, context.controlSchema, 'acme', '1200')).toMatchObject({ name: 'Bank', currency: 'EUR', status: 'open', updatedPosition: 1n });
    expect(await getChartAccount(context.db, context.controlSchema, 'acme', '2990')).toMatchObject({ type: 'asset', normalBalance: 'credit', status: 'archived' });
    expect(await getChartAccount(context.db, context.controlSchema, 'other', '1200')).toMatchObject({ name: 'Kasse', status: 'open' });
    expect(await getChartAccount(context.db, context.controlSchema, 'acme', '9999')).toBeNull();

    const all = await chartAccounts(context.db, context.controlSchema, 'acme');
    expect(all.map((account) => [account.accountNumber, account.status])).toEqual([
      ['0800', 'open'],
      ['1200', 'open'],
      ['1400', 'blocked'],
      ['2990', 'archived'],
      ['8400', 'open'],
    ]);
    expect((await chartAccounts(context.db, context.controlSchema, 'acme', ['8400', '1400', '4711'])).map((account) => account.accountNumber)).toEqual(['1400', '8400']);
    expect(await chartAccounts(context.db, context.controlSchema, 'acme', [])).toEqual([]);
    expect(await deadLetterCount(context, 'chart_of_accounts')).toBe(0);
  });

  it('lists a company\'s accounts in account-number order, filtered by status, paged by keyset', async () => {
    const numbers = async (query: { status?: 'open' | 'blocked' | 'archived'; after?: string; limit?: number }) =>
      (await listChartAccounts(context.db, context.controlSchema, { companyId: 'acme', limit: 50, ...query })).items.map((account) => account.accountNumber);
    expect(await numbers({})).toEqual(['0800', '1200', '1400', '2990', '8400']);
    expect(await numbers({ status: 'open' })).toEqual(['0800', '1200', '8400']);
    expect(await numbers({ status: 'blocked' })).toEqual(['1400']);
    const first = await listChartAccounts(context.db, context.controlSchema, { companyId: 'acme', limit: 3 });
    expect(first.next).toBe('1400');
    expect(await numbers({ after: first.next ?? undefined, limit: 3 })).toEqual(['2990', '8400']);
    expect((await listChartAccounts(context.db, context.controlSchema, { companyId: 'acme', limit: 5 })).next).toBeNull();
  });

  it('a rebuild in batches of two equals the live tables', async () => {
    const before = await chartAccounts(context.db, context.controlSchema, 'acme');
    const rebuilt = await rebuildInSmallBatches(context, chartOfAccountsProjection);
    expect(rebuilt.verification.outcome).toBe('equal');
    expect(rebuilt.switched).toBe(true);
    expect(rebuilt.verification.tables.map((table) => [table.table, table.liveRows, table.rebuiltRows])).toEqual([['accounts', 6, 6]]);
    expect(await chartAccounts(context.db, context.controlSchema, 'acme')).toEqual(before);
  });

  it('an event for an account never opened is dead-lettered, not applied (after the rebuild: a rebuild stops at it)', async () => {
    await context.store.appendToStream(stream('ghost'), [newEvent('ledger.account_blocked', { companyId: 'ghost', accountNumber: '1000', reason: 'x', blockedBy: admin.userId }, admin)], {
      expectedVersion: 'no_stream',
    });
    await project();
    expect(await deadLetterCount(context, 'chart_of_accounts')).toBe(1);
    expect(await chartAccounts(context.db, context.controlSchema, 'ghost')).toEqual([]);
  });
});
