import type { ledger as wire } from '@neuroerp/schemas';
import { fail } from '../errors';
import { currencyScaleOf } from '../money';
import { assertNever, type Command, type LedgerEventOf } from '../types';

/**
 * The chart of accounts of one company: stream `ledger.chart_of_accounts-<companyId>`.
 *
 * An account is *opened* once and never deleted. *Blocked* means it takes no postings for
 * now (unblock undoes it); *archived* means it takes no postings ever again (final). One
 * stream per company keeps an import atomic (all accounts or none) and lets posting load
 * the whole chart with one read.
 */

export type AccountStatus = 'open' | 'blocked' | 'archived';

export interface Account {
  accountNumber: string;
  name: string;
  type: wire.AccountType;
  normalBalance: wire.NormalBalance;
  /** `null`: multi-currency. */
  currency: string | null;
  requiredDimensions: readonly string[];
  status: AccountStatus;
}

export interface ChartOfAccountsState {
  companyId: string | null;
  accounts: ReadonlyMap<string, Account>;
}

export type OpenAccount = Command<'OpenAccount', wire.OpenAccountBody>;
export type BlockAccount = Command<'BlockAccount', wire.BlockAccountBody>;
export type UnblockAccount = Command<'UnblockAccount', wire.UnblockAccountBody>;
export type ArchiveAccount = Command<'ArchiveAccount', wire.ArchiveAccountBody>;
export type ImportChartOfAccounts = Command<'ImportChartOfAccounts', wire.ImportChartOfAccountsBody>;
export type ChartOfAccountsCommand = OpenAccount | BlockAccount | UnblockAccount | ArchiveAccount | ImportChartOfAccounts;

export type ChartOfAccountsEvent = LedgerEventOf<
  'ledger.account_opened' | 'ledger.account_blocked' | 'ledger.account_unblocked' | 'ledger.account_archived'
>;

export function chartOfAccountsStreamId(companyId: string): string {
  return `ledger.chart_of_accounts-${companyId}`;
}

export function initialState(): ChartOfAccountsState {
  return { companyId: null, accounts: new Map() };
}

/** Asset and expense accounts normally carry a debit balance; the others a credit balance. */
export function defaultNormalBalance(type: wire.AccountType): wire.NormalBalance {
  return type === 'asset' || type === 'expense' ? 'debit' : 'credit';
}

export function decide(command: ChartOfAccountsCommand, state: ChartOfAccountsState): ChartOfAccountsEvent[] {
  const { type, data, metadata } = command;
  assertSameCompany(state, data.companyId);
  const by = metadata.actor.userId;
  switch (type) {
    case 'OpenAccount': {
      const opened = toAccountOpened(data.companyId, data, by);
      return isAlreadyOpened(state, opened) ? [] : [{ type: 'ledger.account_opened', data: opened }];
    }
    case 'ImportChartOfAccounts': {
      const seen = new Set<string>();
      const events: ChartOfAccountsEvent[] = [];
      for (const definition of data.accounts) {
        if (seen.has(definition.accountNumber)) {
          fail('CHART_IMPORT_DUPLICATE_ACCOUNT', `Account ${definition.accountNumber} appears twice in the import.`, { accountNumber: definition.accountNumber });
        }
        seen.add(definition.accountNumber);
        const opened = toAccountOpened(data.companyId, definition, by);
        if (!isAlreadyOpened(state, opened)) events.push({ type: 'ledger.account_opened', data: opened });
      }
      return events;
    }
    case 'BlockAccount': {
      const account = existingAccount(state, data.accountNumber);
      if (account.status === 'archived') return fail('ACCOUNT_ARCHIVED', `Account ${account.accountNumber} is archived.`, { accountNumber: account.accountNumber });
      if (account.status === 'blocked') return [];
      return [{ type: 'ledger.account_blocked', data: { companyId: data.companyId, accountNumber: data.accountNumber, reason: data.reason, blockedBy: by } }];
    }
    case 'UnblockAccount': {
      const account = existingAccount(state, data.accountNumber);
      if (account.status === 'archived') return fail('ACCOUNT_ARCHIVED', `Account ${account.accountNumber} is archived.`, { accountNumber: account.accountNumber });
      if (account.status === 'open') return [];
      return [{ type: 'ledger.account_unblocked', data: { companyId: data.companyId, accountNumber: data.accountNumber, unblockedBy: by } }];
    }
    case 'ArchiveAccount': {
      const account = existingAccount(state, data.accountNumber);
      if (account.status === 'archived') return [];
      return [{ type: 'ledger.account_archived', data: { companyId: data.companyId, accountNumber: data.accountNumber, archivedBy: by } }];
    }
    default:
      return assertNever(type);
  }
}

/** Pure: returns a new state. Ignores event types it does not know. */
export function evolve(state: ChartOfAccountsState, event: { type: string; data: unknown }): ChartOfAccountsState {
  return evolveAll(state, [event]);
}

/**
 * Folds many events with one copy of the state instead of one per event; the command
 * handler uses this to load a chart of thousands of accounts.
 */
export function evolveAll(state: ChartOfAccountsState, events: Iterable<{ type: string; data: unknown }>): ChartOfAccountsState {
  let companyId = state.companyId;
  const accounts = new Map(state.accounts);
  for (const event of events) {
    const known = event as ChartOfAccountsEvent;
    switch (known.type) {
      case 'ledger.account_opened': {
        const { data } = known;
        companyId = data.companyId;
        accounts.set(data.accountNumber, {
          accountNumber: data.accountNumber,
          name: data.name,
          type: data.type,
          normalBalance: data.normalBalance,
          currency: data.currency,
          requiredDimensions: data.requiredDimensions,
          status: 'open',
        });
        break;
      }
      case 'ledger.account_blocked':
        setStatus(accounts, known.data.accountNumber, 'blocked');
        break;
      case 'ledger.account_unblocked':
        setStatus(accounts, known.data.accountNumber, 'open');
        break;
      case 'ledger.account_archived':
        setStatus(accounts, known.data.accountNumber, 'archived');
        break;
      default:
        break;
    }
  }
  return { companyId, accounts };
}

/**
 * Throws unless a line on `accountNumber` in `currency` with `dimensions` may post now:
 * the account exists, is open (not blocked, not archived), accepts the currency and the
 * line carries every dimension the account requires.
 */
export function assertAccountAcceptsLine(
  chart: ChartOfAccountsState,
  line: { accountNumber: string; currency: string; dimensions: Readonly<Record<string, string>> },
): Account {
  const account = existingAccount(chart, line.accountNumber);
  const details = { accountNumber: account.accountNumber };
  if (account.status === 'archived') fail('ACCOUNT_ARCHIVED', `Account ${account.accountNumber} is archived.`, details);
  if (account.status === 'blocked') fail('ACCOUNT_BLOCKED', `Account ${account.accountNumber} is blocked.`, details);
  if (account.currency !== null && account.currency !== line.currency) {
    fail('ACCOUNT_CURRENCY_MISMATCH', `Account ${account.accountNumber} is kept in ${account.currency}, not ${line.currency}.`, {
      ...details,
      accountCurrency: account.currency,
      lineCurrency: line.currency,
    });
  }
  for (const dimension of account.requiredDimensions) {
    if (!line.dimensions[dimension]) {
      fail('DIMENSION_REQUIRED', `Account ${account.accountNumber} requires the dimension ${dimension}.`, { ...details, dimension });
    }
  }
  return account;
}

export function existingAccount(chart: ChartOfAccountsState, accountNumber: string): Account {
  const account = chart.accounts.get(accountNumber);
  if (account === undefined) return fail('ACCOUNT_NOT_FOUND', `Account ${accountNumber} does not exist.`, { accountNumber });
  return account;
}

function assertSameCompany(state: ChartOfAccountsState, companyId: string): void {
  if (state.companyId !== null && state.companyId !== companyId) {
    fail('COMPANY_MISMATCH', 'This chart of accounts belongs to another company.', { companyId });
  }
}

function toAccountOpened(companyId: string, definition: wire.AccountDefinition, openedBy: string): wire.AccountOpened {
  if (definition.currency !== null) currencyScaleOf(definition.currency);
  return {
    companyId,
    accountNumber: definition.accountNumber,
    name: definition.name,
    type: definition.type,
    normalBalance: definition.normalBalance ?? defaultNormalBalance(definition.type),
    currency: definition.currency,
    requiredDimensions: [...new Set(definition.requiredDimensions ?? [])].sort(),
    openedBy,
  };
}

/** Idempotent open: the same definition again is no change; a different one is an error. */
function isAlreadyOpened(state: ChartOfAccountsState, opened: wire.AccountOpened): boolean {
  const existing = state.accounts.get(opened.accountNumber);
  if (existing === undefined) return false;
  const same =
    existing.name === opened.name &&
    existing.type === opened.type &&
    existing.normalBalance === opened.normalBalance &&
    existing.currency === opened.currency &&
    existing.requiredDimensions.join(',') === opened.requiredDimensions.join(',');
  if (!same) {
    fail('ACCOUNT_EXISTS_WITH_DIFFERENT_DATA', `Account ${opened.accountNumber} exists with a different definition.`, { accountNumber: opened.accountNumber });
  }
  return true;
}

function setStatus(accounts: Map<string, Account>, accountNumber: string, status: AccountStatus): void {
  const account = accounts.get(accountNumber);
  // An event for an unknown account cannot have been decided by this decider: corrupt stream.
  if (account === undefined) throw new Error(`Event for unknown account ${accountNumber}`);
  accounts.set(accountNumber, { ...account, status });
}
