import { ledger as wire } from '@neuroerp/schemas';
import { DeciderSpecification } from '../../testing/decider-spec';
import { COMPANY_ID, meta } from '../test-support';
import { decide, evolve, initialState, type ChartOfAccountsEvent } from './chart-of-accounts';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from './skr03';

const spec = DeciderSpecification.for({ decide, evolve, initialState });

const cashOpened: ChartOfAccountsEvent = {
  type: 'ledger.account_opened',
  data: { companyId: COMPANY_ID, accountNumber: '1000', name: 'Kasse', type: 'asset', normalBalance: 'debit', currency: 'EUR', requiredDimensions: [], openedBy: 'alice' },
};
const cash = { companyId: COMPANY_ID, accountNumber: '1000', name: 'Kasse', type: 'asset' as const, currency: 'EUR' };
const blocked: ChartOfAccountsEvent = { type: 'ledger.account_blocked', data: { companyId: COMPANY_ID, accountNumber: '1000', reason: 'audit', blockedBy: 'alice' } };
const archived: ChartOfAccountsEvent = { type: 'ledger.account_archived', data: { companyId: COMPANY_ID, accountNumber: '1000', archivedBy: 'alice' } };

describe('chart of accounts', () => {
  it('opens an account with the normal balance derived from its type', () => {
    spec.given([]).when({ type: 'OpenAccount', data: cash, metadata: meta() }).then([cashOpened]);
  });

  it.each([
    ['asset', 'debit'],
    ['expense', 'debit'],
    ['liability', 'credit'],
    ['equity', 'credit'],
    ['revenue', 'credit'],
  ] as const)('a %s account is normally on the %s side', (type, normalBalance) => {
    const [event] = decide({ type: 'OpenAccount', data: { ...cash, type }, metadata: meta() }, initialState());
    expect(event?.type === 'ledger.account_opened' && event.data.normalBalance).toBe(normalBalance);
  });

  it('keeps an explicit normal balance (contra accounts)', () => {
    const [event] = decide({ type: 'OpenAccount', data: { ...cash, normalBalance: 'credit' }, metadata: meta() }, initialState());
    expect(event?.type === 'ledger.account_opened' && event.data.normalBalance).toBe('credit');
  });

  it('opening the same account again is no change; with other data it fails', () => {
    spec.given([cashOpened]).when({ type: 'OpenAccount', data: cash, metadata: meta('bob') }).thenNothingHappened();
    spec.given([cashOpened]).when({ type: 'OpenAccount', data: { ...cash, name: 'Bargeld' }, metadata: meta() }).thenThrows('ACCOUNT_EXISTS_WITH_DIFFERENT_DATA');
  });

  it('blocks, unblocks and archives; never deletes', () => {
    const blockCommand = { type: 'BlockAccount' as const, data: { companyId: COMPANY_ID, accountNumber: '1000', reason: 'audit' }, metadata: meta() };
    spec.given([cashOpened]).when(blockCommand).then([blocked]);
    spec.given([cashOpened, blocked]).when(blockCommand).thenNothingHappened();
    spec
      .given([cashOpened, blocked])
      .when({ type: 'UnblockAccount', data: { companyId: COMPANY_ID, accountNumber: '1000' }, metadata: meta() })
      .then([{ type: 'ledger.account_unblocked', data: { companyId: COMPANY_ID, accountNumber: '1000', unblockedBy: 'alice' } }]);
    spec.given([cashOpened, blocked]).when({ type: 'ArchiveAccount', data: { companyId: COMPANY_ID, accountNumber: '1000' }, metadata: meta() }).then([archived]);
    spec.given([cashOpened, archived]).when({ type: 'UnblockAccount', data: { companyId: COMPANY_ID, accountNumber: '1000' }, metadata: meta() }).thenThrows('ACCOUNT_ARCHIVED');
    spec.given([cashOpened, archived]).when(blockCommand).thenThrows('ACCOUNT_ARCHIVED');
  });

  it('rejects an import that lists an account twice, and accepts a re-import of the same chart', () => {
    spec
      .given([])
      .when({ type: 'ImportChartOfAccounts', data: { companyId: COMPANY_ID, accounts: [cash, cash] }, metadata: meta() })
      .thenThrows('CHART_IMPORT_DUPLICATE_ACCOUNT');
    spec.given([cashOpened]).when({ type: 'ImportChartOfAccounts', data: { companyId: COMPANY_ID, accounts: [cash] }, metadata: meta() }).thenNothingHappened();
  });

  it('belongs to one company', () => {
    spec.given([cashOpened]).when({ type: 'OpenAccount', data: { ...cash, companyId: 'other' }, metadata: meta() }).thenThrows('COMPANY_MISMATCH');
  });
});

describe('SKR03 demo chart', () => {
  it('is a valid ImportChartOfAccounts body of about thirty accounts', () => {
    const body = wire.importChartOfAccountsBodySchema.parse({ companyId: COMPANY_ID, accounts: SKR03_DEMO_CHART });
    expect(body.accounts.length).toBeGreaterThanOrEqual(30);
    const events = decide({ type: 'ImportChartOfAccounts', data: body, metadata: meta() }, initialState());
    expect(events).toHaveLength(SKR03_DEMO_CHART.length);
  });

  it.each([
    ['1000', 'asset'],
    ['1200', 'asset'],
    ['1400', 'asset'],
    ['1576', 'asset'],
    ['1600', 'liability'],
    ['1776', 'liability'],
    ['0800', 'equity'],
    ['3400', 'expense'],
    ['4120', 'expense'],
    ['8400', 'revenue'],
    ['2660', 'revenue'],
    ['2150', 'expense'],
    ['9000', 'equity'],
  ])('has %s as %s', (accountNumber, type) => {
    expect(SKR03_DEMO_CHART.find((account) => account.accountNumber === accountNumber)?.type).toBe(type);
  });

  it('contains every account its settings refer to', () => {
    const numbers = new Set(SKR03_DEMO_CHART.map((account) => account.accountNumber));
    for (const [key, value] of Object.entries(SKR03_DEMO_SETTINGS)) {
      if (key.endsWith('AccountNumber')) expect(numbers.has(value)).toBe(true);
    }
  });
});
