import { ledger as wire } from '@neuroerp/schemas';
import { decidePost, decidePostReversal, decideReversal } from './posting';
import * as fiscalYear from './fiscal-years/fiscal-year';
import { decideCloseFiscalYear } from './fiscal-years/year-end';
import { allPeriodsClosed, chart, chartEvents, COMPANY_ID, fakeSeal, fiscalYearOpened, fold, meta, periodEvent, transactionEvents, transactionState } from './test-support';
import * as journalTransaction from './transactions/transaction';
import type { LedgerEvent } from './types';
import { decideSealPeriod, initialSealsState } from './seals';

/** Every event the deciders produce matches its catalogue schema and survives JSON unchanged. */
describe('ledger events against the catalogue', () => {
  const opened = fiscalYearOpened();
  const txEvents = transactionEvents(undefined, { submittedBy: 'alice', approvedBy: 'bob' });
  const tx = transactionState(txEvents);
  const [posted] = decidePost(tx, fold([opened]), chart, { type: 'PostTransaction', data: { transactionId: 'tx-1' }, metadata: meta() });
  const reverse = { type: 'ReverseTransaction' as const, data: { transactionId: 'tx-1', reversalTransactionId: 'rev-1', postingDate: '2025-03-20', reason: 'typo' }, metadata: meta() };
  const claims = decideReversal(tx, posted.data, fold([opened, posted]), reverse);
  const reversal = decidePostReversal(transactionState([...txEvents, ...claims]), posted.data, fold([opened, posted]), reverse);
  const closing = decideCloseFiscalYear(fold([opened, ...allPeriodsClosed()]), chart, {
    type: 'CloseFiscalYear',
    data: { companyId: COMPANY_ID, year: 2025, balances: [{ accountNumber: '1200', balance: '100.00' }, { accountNumber: '8400', balance: '-100.00' }], closingTransactionId: 'c', openingBalanceTransactionId: 'o' },
    metadata: meta(),
  });
  const submittedTx = transactionState(transactionEvents(undefined, { submittedBy: 'alice' }));
  const rejection = journalTransaction.decide({ type: 'RejectTransaction', data: { transactionId: 'tx-1', reason: 'wrong account' }, metadata: meta('bob') }, submittedTx);
  const events: LedgerEvent[] = [
    ...chartEvents,
    { type: 'ledger.account_blocked', data: { companyId: COMPANY_ID, accountNumber: '1000', reason: 'audit', blockedBy: 'root' } },
    { type: 'ledger.account_unblocked', data: { companyId: COMPANY_ID, accountNumber: '1000', unblockedBy: 'root' } },
    { type: 'ledger.account_archived', data: { companyId: COMPANY_ID, accountNumber: '1000', archivedBy: 'root' } },
    opened,
    periodEvent('ledger.period_soft_locked', 1),
    ...fiscalYear.decide(
      { type: 'GrantPostingException', data: { companyId: COMPANY_ID, year: 2025, period: 1, grantee: 'alice', until: '2025-03-16T10:00:00Z', reason: 'late' }, metadata: meta('root', '2025-03-15T10:00:00Z', 'admin') },
      fold([opened, periodEvent('ledger.period_soft_locked', 1)]),
    ),
    { type: 'ledger.period_reopened', data: { companyId: COMPANY_ID, year: 2025, period: 1, reopenedBy: 'root' } },
    periodEvent('ledger.period_closed', 1),
    ...txEvents,
    ...rejection,
    posted,
    ...claims,
    ...reversal,
    ...closing,
    ...decideSealPeriod(initialSealsState(), fakeSeal(1)),
  ];

  it.each(events.map((event, index) => [`${index}: ${event.type}`, event] as const))('%s', (_name, event) => {
    expect(wire.isLedgerEventType(event.type)).toBe(true);
    const entry = wire.ledgerEventCatalogue[event.type];
    expect(entry.schema.parse(event.data)).toEqual(event.data);
    expect(JSON.parse(JSON.stringify(event.data))).toEqual(event.data);
  });

  it('covers every event type in the catalogue', () => {
    const produced = new Set(events.map((event) => event.type));
    const missing = Object.keys(wire.ledgerEventCatalogue).filter((type) => !produced.has(type as wire.LedgerEventType));
    expect(missing).toEqual([]);
  });
});
