import { DeciderSpecification } from '../../testing/decider-spec';
import { draftBody, meta } from '../test-support';
import { companyDebitTotalMinor, toDraftLines, toPostedLines } from './lines';
import { decide, evolve, initialState, type TransactionEvent } from './transaction';

const spec = DeciderSpecification.for({ decide, evolve, initialState });

const drafted: TransactionEvent = {
  type: 'ledger.transaction_drafted',
  data: {
    transactionId: 'tx-1',
    companyId: 'acme',
    type: 'sales_invoice',
    documentDate: '2025-03-14',
    postingDate: '2025-03-15',
    description: null,
    linkedDocumentIds: ['invoice-4711'],
    lines: [
      { accountNumber: '1400', side: 'debit', amountMinor: '11900', currency: 'EUR', fxRate: null, dimensions: {}, text: null },
      { accountNumber: '8400', side: 'credit', amountMinor: '10000', currency: 'EUR', fxRate: null, dimensions: {}, text: null },
      { accountNumber: '1776', side: 'credit', amountMinor: '1900', currency: 'EUR', fxRate: null, dimensions: {}, text: null },
    ],
    draftedBy: 'alice',
  },
};
const submitted: TransactionEvent = { type: 'ledger.transaction_submitted', data: { transactionId: 'tx-1', submittedBy: 'alice' } };
const approved: TransactionEvent = { type: 'ledger.transaction_approved', data: { transactionId: 'tx-1', approvedBy: 'bob' } };
const HASH = 'a'.repeat(64);
const rejected: TransactionEvent = { type: 'ledger.transaction_rejected', data: { transactionId: 'tx-1', rejectedBy: 'bob', reason: 'wrong cost centre' } };
const reject = (userId: string, reason = 'wrong cost centre') => ({ type: 'RejectTransaction' as const, data: { transactionId: 'tx-1', reason }, metadata: meta(userId) });
const submit = (userId: string) => ({ type: 'SubmitTransaction' as const, data: { transactionId: 'tx-1' }, metadata: meta(userId) });
const approve = (userId: string) => ({ type: 'ApproveTransaction' as const, data: { transactionId: 'tx-1' }, metadata: meta(userId) });

describe('journal transaction lifecycle', () => {
  it('drafts with amounts in minor units', () => {
    spec.given([]).when({ type: 'DraftTransaction', data: draftBody(), metadata: meta('alice') }).then([drafted]);
  });

  it('drafting the same transaction again is no change, whoever sends it; other data fails', () => {
    spec.given([drafted]).when({ type: 'DraftTransaction', data: draftBody(), metadata: meta('bob') }).thenNothingHappened();
    spec.given([drafted]).when({ type: 'DraftTransaction', data: draftBody({ postingDate: '2025-03-16' }), metadata: meta() }).thenThrows('TRANSACTION_EXISTS_WITH_DIFFERENT_DATA');
  });

  it('submits a draft, then another user approves it', () => {
    spec.given([drafted]).when(submit('alice')).then([submitted]);
    spec.given([drafted, submitted]).when(submit('alice')).thenNothingHappened();
    spec.given([drafted, submitted]).when(approve('bob')).then([approved]);
    spec.given([drafted, submitted, approved]).when(approve('carol')).thenNothingHappened();
  });

  it('maker ≠ checker: the submitter cannot approve', () => {
    spec.given([drafted, submitted]).when(approve('alice')).thenThrows('APPROVER_IS_SUBMITTER');
  });

  it('approves only submitted transactions and submits only drafts', () => {
    spec.given([drafted]).when(approve('bob')).thenThrows('TRANSACTION_NOT_SUBMITTED');
    spec.given([drafted, submitted, approved]).when(submit('alice')).thenThrows('TRANSACTION_NOT_DRAFT');
    spec.given([]).when(submit('alice')).thenThrows('TRANSACTION_NOT_FOUND');
  });

  it('records the hash of the approved draft when the approval carries it', () => {
    spec
      .given([drafted, submitted])
      .when({ type: 'ApproveTransaction', data: { transactionId: 'tx-1', approvedHash: HASH }, metadata: meta('bob') })
      .then([{ type: 'ledger.transaction_approved', data: { transactionId: 'tx-1', approvedBy: 'bob', approvedHash: HASH } }]);
  });

  it('a rejection returns the submitted transaction to draft with the reason', () => {
    spec.given([drafted, submitted]).when(reject('bob')).then([rejected]);
    const state = [drafted, submitted, rejected].reduce(evolve, initialState());
    expect(state).toMatchObject({ status: 'draft', submittedBy: null, rejection: rejected.data });
  });

  it('after a rejection the draft can be submitted and approved again; the rejection stays on record', () => {
    const resubmitted: TransactionEvent = { type: 'ledger.transaction_submitted', data: { transactionId: 'tx-1', submittedBy: 'carol' } };
    spec.given([drafted, submitted, rejected]).when(submit('carol')).then([resubmitted]);
    spec.given([drafted, submitted, rejected, resubmitted]).when(approve('bob')).then([approved]);
    spec.given([drafted, submitted, rejected, resubmitted]).when(approve('carol')).thenThrows('APPROVER_IS_SUBMITTER');
    expect([drafted, submitted, rejected, resubmitted].reduce(evolve, initialState()).rejection).toEqual(rejected.data);
  });

  it('rejecting again after the rejection (a redelivered decision) changes nothing', () => {
    spec.given([drafted, submitted, rejected]).when(reject('bob')).thenNothingHappened();
  });

  it.each([
    ['the submitter rejects their own transaction', [drafted, submitted], reject('alice'), 'APPROVER_IS_SUBMITTER'],
    ['a draft never submitted', [drafted], reject('bob'), 'TRANSACTION_NOT_SUBMITTED'],
    ['an approved transaction', [drafted, submitted, approved], reject('carol'), 'TRANSACTION_NOT_SUBMITTED'],
    ['an unknown transaction', [], reject('bob'), 'TRANSACTION_NOT_FOUND'],
    ['a blank reason', [drafted, submitted], reject('bob', '   '), 'REJECTION_REASON_REQUIRED'],
    ['an approval of a rejected draft', [drafted, submitted, rejected], approve('bob'), 'TRANSACTION_NOT_SUBMITTED'],
  ] as const)('refuses %s', (_name, given, when, code) => {
    spec.given([...given]).when(when).thenThrows(code);
  });

  it('reserves reversal and closing types for the ledger itself', () => {
    spec.given([]).when({ type: 'DraftTransaction', data: draftBody({ type: 'reversal' }), metadata: meta() }).thenThrows('TRANSACTION_TYPE_RESERVED');
    spec.given([]).when({ type: 'DraftTransaction', data: draftBody({ type: 'closing' }), metadata: meta() }).thenThrows('TRANSACTION_TYPE_RESERVED');
  });
});

describe('company-currency conversion with an explicit rounding line', () => {
  // 100.00 USD received, split over three revenue lines; at 0.9 each third rounds up.
  const lines = toDraftLines([
    { accountNumber: '1210', side: 'debit', amount: '100.00', currency: 'USD', fxRate: '0.9' },
    { accountNumber: '8400', side: 'credit', amount: '33.33', currency: 'USD', fxRate: '0.9' },
    { accountNumber: '8400', side: 'credit', amount: '33.33', currency: 'USD', fxRate: '0.9' },
    { accountNumber: '8400', side: 'credit', amount: '33.34', currency: 'USD', fxRate: '0.9' },
  ]);

  it('converts each line and books the difference on the rounding account', () => {
    const posted = toPostedLines(lines, 'EUR', '4999');
    expect(posted.map((line) => [line.accountNumber, line.side, line.companyAmountMinor, line.kind])).toEqual([
      ['1210', 'debit', '9000', 'entry'],
      ['8400', 'credit', '3000', 'entry'], // 29.997
      ['8400', 'credit', '3000', 'entry'], // 29.997
      ['8400', 'credit', '3001', 'entry'], // 30.006
      ['4999', 'debit', '1', 'rounding'],
    ]);
    expect(posted[4]).toMatchObject({ currency: 'EUR', amountMinor: '1', fxRate: null });
    expect(companyDebitTotalMinor(posted)).toBe(9001n);
  });

  it('stores the rate used on every line', () => {
    expect(toPostedLines(lines, 'EUR', '4999').slice(0, 4).every((line) => line.fxRate === '0.9')).toBe(true);
  });

  it('needs no rounding line when the conversion is exact', () => {
    const exact = toDraftLines([
      { accountNumber: '1210', side: 'debit', amount: '100.00', currency: 'USD', fxRate: '0.9' },
      { accountNumber: '8400', side: 'credit', amount: '100.00', currency: 'USD', fxRate: '0.9' },
    ]);
    expect(toPostedLines(exact, 'EUR', '4999').some((line) => line.kind === 'rounding')).toBe(false);
  });

  it('refuses a company-currency difference that rounding cannot explain (two rates for one currency)', () => {
    const twoRates = toDraftLines([
      { accountNumber: '1210', side: 'debit', amount: '100.00', currency: 'USD', fxRate: '0.9' },
      { accountNumber: '8400', side: 'credit', amount: '100.00', currency: 'USD', fxRate: '0.95' },
    ]);
    expect(() => toPostedLines(twoRates, 'EUR', '4999')).toThrow(expect.objectContaining({ code: 'UNBALANCED_COMPANY_CURRENCY' }));
  });

  it('keeps a multi-currency transaction balanced in each currency and in company currency', () => {
    // A USD receivable settled from the EUR bank via a currency-exchange clearing pair.
    const mixed = toDraftLines([
      { accountNumber: '1200', side: 'credit', amount: '92.34', currency: 'EUR' },
      { accountNumber: '1360', side: 'debit', amount: '92.34', currency: 'EUR' },
      { accountNumber: '1400', side: 'credit', amount: '100.00', currency: 'USD', fxRate: '0.9234' },
      { accountNumber: '1400', side: 'debit', amount: '100.00', currency: 'USD', fxRate: '0.9234' },
    ]);
    expect(toPostedLines(mixed, 'EUR', '4999')).toHaveLength(4);
  });
});
