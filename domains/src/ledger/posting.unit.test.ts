import type { ledger as wire } from '@neuroerp/schemas';
import { DomainError } from '../domain-error';
import { DeciderSpecification } from '../testing/decider-spec';
import { decidePost, decidePostReversal, decideReversal, type PostTransaction, type ReverseTransaction } from './posting';
import * as fiscalYear from './fiscal-years/fiscal-year';
import { chart, chartWith, COMPANY_ID, draftBody, fiscalYearOpened, fold, meta, periodEvent, transactionEvents, transactionState } from './test-support';
import type { TransactionState } from './transactions/transaction';
import type { LedgerEvent } from './types';

const opened = fiscalYearOpened();
const post = (transactionId = 'tx-1', userId = 'alice', now = '2025-03-15T10:00:00Z'): PostTransaction => ({ type: 'PostTransaction', data: { transactionId }, metadata: meta(userId, now) });

/** The fiscal-year stream is the one decidePost writes, so it is the spec's state. */
const postingSpec = (transaction: TransactionState, chartState = chart) =>
  DeciderSpecification.for({
    decide: (command: PostTransaction, state: fiscalYear.FiscalYearState): LedgerEvent[] => decidePost(transaction, state, chartState, command),
    evolve: fiscalYear.evolve,
    initialState: fiscalYear.initialState,
  });

function postedEvent(transaction: TransactionState, fiscalYearEvents: readonly LedgerEvent[], command = post()): LedgerEvent<'ledger.transaction_posted'> {
  const [event] = decidePost(transaction, fold(fiscalYearEvents), chart, command);
  return event;
}

const submitted = transactionState(transactionEvents());

describe('posting', () => {
  it('posts a submitted transaction below the approval threshold with voucher number 1', () => {
    const event = postedEvent(submitted, [opened]);
    expect(event.data).toMatchObject({ voucherNumber: 1, period: 3, fiscalYear: 2025, type: 'sales_invoice', approvedBy: null, postedUnderException: false, companyCurrency: 'EUR' });
    expect(event.data.lines.map((line) => [line.accountNumber, line.side, line.amountMinor, line.companyAmountMinor])).toEqual([
      ['1400', 'debit', '11900', '11900'],
      ['8400', 'credit', '10000', '10000'],
      ['1776', 'credit', '1900', '1900'],
    ]);
  });

  it('numbers vouchers gaplessly within the fiscal year', () => {
    const first = postedEvent(submitted, [opened]);
    const second = transactionState(transactionEvents(draftBody({ transactionId: 'tx-2' })));
    expect(postedEvent(second, [opened, first], post('tx-2')).data.voucherNumber).toBe(2);
  });

  it('a posted transaction never changes: posting it again is rejected', () => {
    postingSpec(submitted).given([opened, postedEvent(submitted, [opened])]).when(post()).thenThrows('TRANSACTION_ALREADY_POSTED');
  });

  it('a draft must be submitted first', () => {
    postingSpec(transactionState(transactionEvents(draftBody(), {}))).given([opened]).when(post()).thenThrows('TRANSACTION_NOT_SUBMITTED');
  });

  describe('approval threshold (10,000.00 EUR, company-currency debit total)', () => {
    const big = draftBody({
      lines: [
        { accountNumber: '1400', side: 'debit', amount: '11900.00', currency: 'EUR' },
        { accountNumber: '8400', side: 'credit', amount: '10000.00', currency: 'EUR' },
        { accountNumber: '1776', side: 'credit', amount: '1900.00', currency: 'EUR' },
      ],
    });
    it('above it, a submitted transaction needs approval', () => {
      postingSpec(transactionState(transactionEvents(big))).given([opened]).when(post()).thenThrows('APPROVAL_REQUIRED');
    });
    it('above it, an approved transaction posts and records the approver', () => {
      const approved = transactionState(transactionEvents(big, { submittedBy: 'alice', approvedBy: 'bob' }));
      expect(postedEvent(approved, [opened]).data.approvedBy).toBe('bob');
    });
    it('exactly at it, no approval is needed', () => {
      const atThreshold = fiscalYearOpened({ approvalThreshold: '119.00' });
      expect(postedEvent(submitted, [atThreshold]).data.voucherNumber).toBe(1);
      postingSpec(submitted).given([fiscalYearOpened({ approvalThreshold: '118.99' })]).when(post()).thenThrows('APPROVAL_REQUIRED');
    });
  });

  describe('periods', () => {
    const locked = periodEvent('ledger.period_soft_locked', 3);
    const exception = (grantee: string, until: string): LedgerEvent => ({
      type: 'ledger.posting_exception_granted',
      data: { companyId: COMPANY_ID, year: 2025, period: 3, grantee, until, reason: 'late invoice', grantedBy: 'root', grantedAt: '2025-03-15T09:00:00Z' },
    });
    it('a soft-locked period takes no postings without an exception', () => {
      postingSpec(submitted).given([opened, locked]).when(post()).thenThrows('PERIOD_SOFT_LOCKED');
    });
    it('the grantee posts while the exception lasts, and the posting says so', () => {
      const event = postedEvent(submitted, [opened, locked, exception('alice', '2025-03-15T12:00:00Z')]);
      expect(event.data.postedUnderException).toBe(true);
    });
    it('an expired exception, or one for somebody else, does not help', () => {
      postingSpec(submitted).given([opened, locked, exception('alice', '2025-03-15T10:00:00Z')]).when(post()).thenThrows('PERIOD_SOFT_LOCKED');
      postingSpec(submitted).given([opened, locked, exception('bob', '2025-03-16T10:00:00Z')]).when(post()).thenThrows('PERIOD_SOFT_LOCKED');
    });
    it('a closed period takes nothing', () => {
      postingSpec(submitted).given([opened, periodEvent('ledger.period_closed', 1), periodEvent('ledger.period_closed', 2), periodEvent('ledger.period_closed', 3)]).when(post()).thenThrows('PERIOD_CLOSED');
    });
  });

  describe('accounts', () => {
    it('rejects blocked accounts and missing required dimensions', () => {
      const blocked = chartWith({ type: 'ledger.account_blocked', data: { companyId: COMPANY_ID, accountNumber: '8400', reason: 'audit', blockedBy: 'root' } });
      postingSpec(submitted, blocked).given([opened]).when(post()).thenThrows('ACCOUNT_BLOCKED');
      const salaries = transactionState(
        transactionEvents(
          draftBody({
            lines: [
              { accountNumber: '4120', side: 'debit', amount: '3000.00', currency: 'EUR' },
              { accountNumber: '1740', side: 'credit', amount: '3000.00', currency: 'EUR' },
            ],
          }),
        ),
      );
      postingSpec(salaries).given([opened]).when(post()).thenThrows('DIMENSION_REQUIRED');
    });
  });

  it('posts a foreign-currency transaction with the rate used and an explicit rounding line', () => {
    const usd = transactionState(
      transactionEvents(
        draftBody({
          lines: [
            { accountNumber: '1210', side: 'debit', amount: '100.00', currency: 'USD', fxRate: '0.9' },
            { accountNumber: '1400', side: 'credit', amount: '33.33', currency: 'USD', fxRate: '0.9' },
            { accountNumber: '1400', side: 'credit', amount: '33.33', currency: 'USD', fxRate: '0.9' },
            { accountNumber: '1400', side: 'credit', amount: '33.34', currency: 'USD', fxRate: '0.9' },
          ],
        }),
      ),
    );
    const { lines } = postedEvent(usd, [opened]).data;
    expect(lines.at(-1)).toEqual({ accountNumber: '4999', side: 'debit', amountMinor: '1', currency: 'EUR', fxRate: null, dimensions: {}, text: 'Rounding difference from currency conversion', companyAmountMinor: '1', kind: 'rounding' });
  });
});

describe('reversal', () => {
  const originalPosted = postedEvent(submitted, [opened]);
  const posting: wire.TransactionPosted = originalPosted.data;
  const reverse = (reversalTransactionId = 'rev-1', postingDate = '2025-03-20', reason = 'wrong customer'): ReverseTransaction => ({
    type: 'ReverseTransaction',
    data: { transactionId: 'tx-1', reversalTransactionId, postingDate, reason },
    metadata: meta('alice', '2025-03-20T10:00:00Z'),
  });
  const fiscalYearEvents = [opened, originalPosted];
  const [claim] = decideReversal(submitted, posting, fold(fiscalYearEvents), reverse());
  if (claim === undefined) throw new Error('fixture: no claim');
  const claimed = transactionState([...transactionEvents(), claim]);

  it('step 1 records the reversal on the original transaction', () => {
    expect(claim).toEqual({
      type: 'ledger.transaction_reversed',
      data: { transactionId: 'tx-1', reversalTransactionId: 'rev-1', reversalPostingDate: '2025-03-20', reason: 'wrong customer', reversedBy: 'alice' },
    });
  });

  it('step 2 posts mirrored lines in the current period with the next voucher number', () => {
    const [reversal] = decidePostReversal(claimed, posting, fold(fiscalYearEvents), reverse());
    expect(reversal?.data).toMatchObject({ type: 'reversal', transactionId: 'rev-1', reversesTransactionId: 'tx-1', reason: 'wrong customer', voucherNumber: 2, postingDate: '2025-03-20' });
    expect(reversal?.data.lines.map((line) => [line.accountNumber, line.side, line.companyAmountMinor])).toEqual([
      ['1400', 'credit', '11900'],
      ['8400', 'debit', '10000'],
      ['1776', 'debit', '1900'],
    ]);
    if (reversal === undefined) throw new Error('no reversal');
    expect(decidePostReversal(claimed, posting, fold([...fiscalYearEvents, reversal]), reverse())).toEqual([]);
  });

  it('reversing twice is rejected, whatever id or fiscal year the second reversal uses', () => {
    const nextYear = fold([fiscalYearOpened({ year: 2026 })]);
    expect(() => decideReversal(claimed, posting, nextYear, reverse('rev-2', '2026-01-05'))).toThrow(expect.objectContaining({ code: 'TRANSACTION_ALREADY_REVERSED' }));
    expect(decideReversal(claimed, posting, fold(fiscalYearEvents), reverse())).toEqual([]);
  });

  it('a reversal cannot be reversed', () => {
    const [reversal] = decidePostReversal(claimed, posting, fold(fiscalYearEvents), reverse());
    if (reversal === undefined) throw new Error('no reversal');
    const command = { ...reverse('rev-of-rev'), data: { ...reverse().data, transactionId: 'rev-1', reversalTransactionId: 'rev-of-rev' } };
    expect(() => decideReversal(transactionState([]), reversal.data, fold([...fiscalYearEvents, reversal]), command)).toThrow(expect.objectContaining({ code: 'REVERSAL_CANNOT_BE_REVERSED' }));
  });

  it('only the claimed reversal posts, into an open period, never before the original', () => {
    expect(() => decidePostReversal(submitted, posting, fold(fiscalYearEvents), reverse())).toThrow(expect.objectContaining({ code: 'REVERSAL_NOT_CLAIMED' }));
    expect(() => decideReversal(submitted, posting, fold(fiscalYearEvents), reverse('rev-1', '2025-03-01'))).toThrow(expect.objectContaining({ code: 'REVERSAL_BEFORE_ORIGINAL' }));
    const march = fold([...fiscalYearEvents, periodEvent('ledger.period_closed', 1), periodEvent('ledger.period_closed', 2), periodEvent('ledger.period_closed', 3)]);
    expect(() => decideReversal(submitted, posting, march, reverse())).toThrow(expect.objectContaining({ code: 'PERIOD_CLOSED' }));
    expect(() => decidePostReversal(claimed, posting, march, reverse())).toThrow(expect.objectContaining({ code: 'PERIOD_CLOSED' }));
  });

  it('needs a reason and a posted original', () => {
    expect(() => decideReversal(submitted, posting, fold(fiscalYearEvents), reverse('rev-1', '2025-03-20', '  '))).toThrow(expect.objectContaining({ code: 'REVERSAL_REASON_REQUIRED' }));
    expect(() => decideReversal(submitted, null, fold(fiscalYearEvents), reverse())).toThrow(expect.objectContaining({ code: 'TRANSACTION_NOT_POSTED' }));
  });
});

/**
 * The concurrency design end to end, with a minimal in-memory store that appends to one
 * stream with an expected version (like the real port) and a handler that reloads and
 * re-decides on conflict.
 */
describe('a post and a period close racing on the fiscal-year stream', () => {
  class ConflictError extends Error {}
  class Store {
    private readonly streams = new Map<string, LedgerEvent[]>();
    read(streamId: string): { events: LedgerEvent[]; version: number } {
      const events = this.streams.get(streamId) ?? [];
      return { events: [...events], version: events.length };
    }
    append(streamId: string, expectedVersion: number, events: readonly LedgerEvent[]): void {
      const current = this.streams.get(streamId) ?? [];
      if (current.length !== expectedVersion) throw new ConflictError(`expected ${expectedVersion}, stream at ${current.length}`);
      this.streams.set(streamId, [...current, ...events]);
    }
  }
  const streamId = fiscalYear.fiscalYearStreamId(COMPANY_ID, 2025);
  const closeMarch = (n: number) => ({ type: 'ClosePeriod' as const, data: { companyId: COMPANY_ID, year: 2025, period: n }, metadata: meta('controller') });

  /** Load → decide → append with expected version; on conflict reload and decide again. */
  function handle(store: Store, decideOn: (state: fiscalYear.FiscalYearState) => readonly LedgerEvent[], beforeAppend: () => void = () => undefined): string {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const { events, version } = store.read(streamId);
      let decided: readonly LedgerEvent[];
      try {
        decided = decideOn(fold(events));
      } catch (error) {
        if (error instanceof DomainError) return error.code;
        throw error;
      }
      if (attempt === 1) beforeAppend();
      try {
        store.append(streamId, version, decided);
        return 'ok';
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    return 'gave up';
  }

  function seeded(): Store {
    const store = new Store();
    store.append(streamId, 0, [opened, periodEvent('ledger.period_closed', 1), periodEvent('ledger.period_closed', 2)]);
    return store;
  }

  it('when the close lands first, the post is re-decided and refused: nothing lands in the closed period', () => {
    const store = seeded();
    const result = handle(
      store,
      (state) => decidePost(submitted, state, chart, post()),
      () => expect(handle(store, (state) => fiscalYear.decide(closeMarch(3), state))).toBe('ok'),
    );
    expect(result).toBe('PERIOD_CLOSED');
    expect(store.read(streamId).events.filter((event) => event.type === 'ledger.transaction_posted')).toHaveLength(0);
  });

  it('when the post lands first, the close is re-decided and closes a period that includes the posting', () => {
    const store = seeded();
    const result = handle(
      store,
      (state) => fiscalYear.decide(closeMarch(3), state),
      () => expect(handle(store, (state) => decidePost(submitted, state, chart, post()))).toBe('ok'),
    );
    expect(result).toBe('ok');
    expect(store.read(streamId).events.map((event) => event.type).slice(-2)).toEqual(['ledger.transaction_posted', 'ledger.period_closed']);
  });

  it('two racing posts get voucher numbers 1 and 2, no gap and no duplicate', () => {
    const store = seeded();
    const second = transactionState(transactionEvents(draftBody({ transactionId: 'tx-2' })));
    const result = handle(
      store,
      (state) => decidePost(second, state, chart, post('tx-2')),
      () => expect(handle(store, (state) => decidePost(submitted, state, chart, post()))).toBe('ok'),
    );
    expect(result).toBe('ok');
    const vouchers = store.read(streamId).events.flatMap((event) => (event.type === 'ledger.transaction_posted' ? [(event as LedgerEvent<'ledger.transaction_posted'>).data.voucherNumber] : []));
    expect(vouchers).toEqual([1, 2]);
  });
});
