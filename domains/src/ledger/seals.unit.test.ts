import { ledger as wire } from '@neuroerp/schemas';
import { fakeSeal } from './test-support';
import { closingBalancesOf, decideSealPeriod, evolveSeals, initialSealsState, laterCorrections, sealOf, sealsStreamId, trialBalanceAsKnownAt } from './seals';

function posted(transactionId: string, period: number, lines: [string, 'debit' | 'credit', string][], reversesTransactionId: string | null = null): { type: string; data: unknown } {
  return {
    type: 'ledger.transaction_posted',
    data: {
      transactionId,
      period,
      voucherNumber: 1,
      postingDate: `2025-${String(period).padStart(2, '0')}-15`,
      reversesTransactionId,
      reason: reversesTransactionId === null ? null : 'wrong account',
      lines: lines.map(([accountNumber, side, companyAmountMinor]) => ({ accountNumber, side, companyAmountMinor })),
    } as unknown as wire.TransactionPosted,
  };
}

const at = <Event extends object>(event: Event, position: number) => ({ ...event, globalPosition: BigInt(position) }) as Event & { globalPosition: bigint };

describe('period seals (pure part)', () => {
  const events = [
    at(posted('t1', 1, [['1200', 'debit', '11900'], ['8400', 'credit', '11900']]), 2),
    at(posted('t2', 1, [['1200', 'debit', '100'], ['1000', 'credit', '100']]), 3),
    at({ type: 'ledger.period_closed', data: { period: 1 } }, 4),
    at(posted('t3', 2, [['1200', 'debit', '500'], ['8400', 'credit', '500']]), 6),
    at(posted('t1-rev', 2, [['1200', 'credit', '11900'], ['8400', 'debit', '11900']], 't1'), 8),
  ];

  it('closing balances are year to date through the period, debit minus credit, zeros left out, sorted', () => {
    expect(closingBalancesOf(events, 1)).toEqual([
      { accountNumber: '1000', balanceMinor: '-100' },
      { accountNumber: '1200', balanceMinor: '12000' },
      { accountNumber: '8400', balanceMinor: '-11900' },
    ]);
    // After the reversal in period 2, 8400 nets to -500 and 1200 to 600.
    expect(closingBalancesOf(events, 2)).toEqual([
      { accountNumber: '1000', balanceMinor: '-100' },
      { accountNumber: '1200', balanceMinor: '600' },
      { accountNumber: '8400', balanceMinor: '-500' },
    ]);
  });

  it('the trial balance as known at the close ignores everything recorded later', () => {
    expect(trialBalanceAsKnownAt(events, 1, 4n)).toEqual(closingBalancesOf(events.slice(0, 3), 1));
    expect(trialBalanceAsKnownAt(events, 2, 6n)).toEqual([
      { accountNumber: '1000', balanceMinor: '-100' },
      { accountNumber: '1200', balanceMinor: '12500' },
      { accountNumber: '8400', balanceMinor: '-12400' },
    ]);
  });

  it('lists reversals of sealed postings recorded after the seal as later corrections, not other later postings', () => {
    expect(laterCorrections(events, 1, 5n)).toEqual([
      expect.objectContaining({ transactionId: 't1-rev', kind: 'reversal_of_sealed_posting', reversesTransactionId: 't1', globalPosition: '8', period: 2, reason: 'wrong account' }),
    ]);
    expect(laterCorrections(events, 1, 8n)).toEqual([]);
  });

  it('seals a period once: the second seal appends nothing', () => {
    const first = decideSealPeriod(initialSealsState(), fakeSeal(1));
    expect(first).toEqual([{ type: 'ledger.period_sealed', data: fakeSeal(1) }]);
    const state = first.reduce(evolveSeals, initialSealsState());
    expect(sealOf(state, 2025, 1)).toEqual(fakeSeal(1));
    expect(decideSealPeriod(state, { ...fakeSeal(1), sealedBy: 'someone-else' })).toEqual([]);
    expect(decideSealPeriod(state, fakeSeal(2))).toHaveLength(1);
  });

  it('refuses a seal whose body is about another period', () => {
    expect(() => decideSealPeriod(initialSealsState(), { ...fakeSeal(1), period: 2 })).toThrow('does not match');
  });

  it('the seal event matches its catalogue schema and the seals stream is per company', () => {
    expect(wire.ledgerEventCatalogue['ledger.period_sealed'].schema.parse(fakeSeal(1))).toEqual(fakeSeal(1));
    expect(sealsStreamId('acme')).toBe('ledger.seals-acme');
  });
});
