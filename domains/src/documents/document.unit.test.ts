import { documents as wire } from '@neuroerp/schemas';
import { DeciderSpecification } from '../testing/decider-spec';
import { detectContentType, normalizeContentType } from './attachments';
import { decide, DOCUMENT_REVIEWS_MAX, documentStreamId, evolve, initialState, type DocumentCommand, type DocumentEvent } from './document';

const spec = DeciderSpecification.for<DocumentCommand, DocumentEvent, ReturnType<typeof initialState>>({ decide, evolve, initialState });

const NOW = '2025-03-10T09:00:00.000Z';
const LATER = '2025-03-11T09:00:00.000Z';
const alice = { actor: { userId: 'alice', role: 'accountant' }, now: NOW };
const bob = { actor: { userId: 'bob', role: 'user' }, now: LATER };
const invoice = wire.exampleInvoiceContent;
const SHA = 'a'.repeat(64);

const create = (content: unknown = invoice, type: wire.DocumentType = 'sales_invoice'): DocumentCommand => ({
  type: 'CreateDocument',
  data: { documentId: 'doc-1', type, content: content as Record<string, unknown>, metadata: { customer: 'K-1' } },
  metadata: alice,
});
const created: DocumentEvent = {
  type: 'documents.document_created',
  data: { documentId: 'doc-1', type: 'sales_invoice', version: 1, content: invoice, metadata: { customer: 'K-1' }, createdBy: 'alice', createdAt: NOW },
};
const changedInvoice = { ...invoice, dueDate: '2025-05-09' };
/** `null`: no reason at all. */
const update = (reason: string | null = 'Zahlungsziel verlängert', content: unknown = changedInvoice): DocumentCommand => ({
  type: 'UpdateDocument',
  data: { documentId: 'doc-1', content: content as Record<string, unknown>, ...(reason === null ? {} : { reason }) },
  metadata: bob,
});
const updated: DocumentEvent = {
  type: 'documents.document_updated',
  data: { documentId: 'doc-1', version: 2, content: changedInvoice, metadata: { customer: 'K-1' }, reason: 'Zahlungsziel verlängert', updatedBy: 'bob', updatedAt: LATER },
};
const remove = (reason?: string): DocumentCommand => ({ type: 'DeleteDocument', data: { documentId: 'doc-1', ...(reason === undefined ? {} : { reason }) }, metadata: bob });
const deleted: DocumentEvent = { type: 'documents.document_deleted', data: { documentId: 'doc-1', reason: 'Dublette', deletedBy: 'bob', deletedAt: LATER } };
const attach = (overrides: Partial<wire.AddAttachmentBody> = {}): DocumentCommand => ({
  type: 'AddAttachment',
  data: { documentId: 'doc-1', fileName: 'rechnung.pdf', declaredContentType: 'application/pdf', detectedContentType: 'application/pdf', sizeBytes: 1234, sha256: SHA, ...overrides },
  metadata: alice,
});
const attached: DocumentEvent = {
  type: 'documents.attachment_added',
  data: { documentId: 'doc-1', sha256: SHA, fileName: 'rechnung.pdf', contentType: 'application/pdf', sizeBytes: 1234, addedBy: 'alice', addedAt: NOW },
};

describe('document decider', () => {
  it('names its stream documents.document-<id>', () => {
    expect(documentStreamId('doc-1')).toBe('documents.document-doc-1');
  });

  it('creates version 1 of a valid invoice', () => spec.given([]).when(create()).then([created]));
  it('repeats the same create without an event (idempotent)', () => spec.given([created]).when(create()).thenNothingHappened());
  it('refuses the same id with other content', () => spec.given([created]).when(create(changedInvoice)).thenThrows('DOCUMENT_EXISTS_WITH_DIFFERENT_DATA'));
  it('updates to version 2 with who, when and why', () => spec.given([created]).when(update()).then([updated]));
  it('treats an update with unchanged content as a retry', () => spec.given([created, updated]).when(update()).thenNothingHappened());
  it('validates an update against the type fixed at creation', () =>
    spec.given([created]).when(update('x', wire.exampleOrderContent)).thenThrows('DOCUMENT_CONTENT_INVALID'));
  it('deletes with a reason (tombstone)', () => spec.given([created]).when(remove('Dublette')).then([deleted]));
  it('repeats a delete without an event', () => spec.given([created, deleted]).when(remove('Dublette')).thenNothingHappened());
  it('adds an attachment recording its hash', () => spec.given([created]).when(attach()).then([attached]));
  it('does not add the same file twice', () => spec.given([created, attached]).when(attach({ fileName: 'copy.pdf' })).thenNothingHappened());
  it('accepts text/xml as application/xml', () =>
    spec
      .given([created])
      .when(attach({ declaredContentType: 'text/xml; charset=utf-8', detectedContentType: 'application/xml', fileName: 'x.xml' }))
      .then([{ type: 'documents.attachment_added', data: { ...attached.data, contentType: 'application/xml', fileName: 'x.xml' } }]));

  it('keeps every version summary in state', () => {
    const state = [created, updated].reduce(evolve, initialState());
    expect(state.versions.map((version) => [version.version, version.by, version.reason])).toEqual([
      [1, 'alice', null],
      [2, 'bob', 'Zahlungsziel verlängert'],
    ]);
    expect(state.content).toEqual(changedInvoice);
  });

  const line0 = invoice.lines[0] as wire.InvoiceLine;
  const withLine = (patch: Partial<wire.InvoiceLine>) => ({ ...invoice, lines: [{ ...line0, ...patch }, ...invoice.lines.slice(1)] });

  it.each<[string, DocumentEvent[], DocumentCommand, string]>([
    ['gross total off by one cent', [], create({ ...invoice, grossTotal: '410.51' }), 'INVOICE_TOTALS_MISMATCH'],
    ['net total not the sum of the lines', [], create({ ...invoice, netTotal: '351.00', grossTotal: '411.50' }), 'INVOICE_TOTALS_MISMATCH'],
    ['line net not quantity × price', [], create(withLine({ netAmount: '301.00', taxAmount: '57.19' })), 'LINE_AMOUNT_MISMATCH'],
    ['line tax not net × rate', [], create(withLine({ taxAmount: '57.01' })), 'LINE_TAX_MISMATCH'],
    ['invoice without a buyer', [], create({ ...invoice, buyer: undefined }), 'DOCUMENT_CONTENT_INVALID'],
    ['invoice with an unknown field', [], create({ ...invoice, discount: '5' }), 'DOCUMENT_CONTENT_INVALID'],
    ['invoice in an unknown currency', [], create({ ...invoice, currency: 'XYZ' }), 'CURRENCY_UNKNOWN'],
    ['due date before issue date', [], create({ ...invoice, dueDate: '2025-03-01' }), 'DUE_DATE_BEFORE_ISSUE_DATE'],
    ['three decimals in EUR', [], create({ ...invoice, netTotal: '350.001' }), 'AMOUNT_PRECISION_EXCEEDED'],
    ['order total not the sum', [], create({ ...wire.exampleOrderContent, netTotal: '50.00' }, 'order'), 'ORDER_TOTAL_MISMATCH'],
    ['contract with one party', [], create({ ...wire.exampleContractContent, parties: [invoice.seller] }, 'contract'), 'DOCUMENT_CONTENT_INVALID'],
    ['contract ending before it starts', [], create({ ...wire.exampleContractContent, endDate: '2024-12-31' }, 'contract'), 'CONTRACT_END_BEFORE_START'],
    ['receipt gross ≠ net + tax', [], create({ ...wire.exampleReceiptContent, grossTotal: '60.00' }, 'receipt'), 'RECEIPT_TOTALS_MISMATCH'],
    ['other without a title', [], create({ text: 'x' }, 'other'), 'DOCUMENT_CONTENT_INVALID'],
    ['update of a missing document', [], update(), 'DOCUMENT_NOT_FOUND'],
    ['update without a reason', [created], update(null), 'REASON_REQUIRED'],
    ['update with a blank reason', [created], update('   '), 'REASON_REQUIRED'],
    ['update with totals that do not add up', [created], update('x', { ...invoice, taxTotal: '60.00' }), 'INVOICE_TOTALS_MISMATCH'],
    ['update of a deleted document', [created, deleted], update(), 'DOCUMENT_DELETED'],
    ['create again after delete', [created, deleted], create(), 'DOCUMENT_DELETED'],
    ['delete without a reason', [created], remove(), 'REASON_REQUIRED'],
    ['delete of a missing document', [], remove('x'), 'DOCUMENT_NOT_FOUND'],
    ['attachment on a deleted document', [created, deleted], attach(), 'DOCUMENT_DELETED'],
    ['attachment on a missing document', [], attach(), 'DOCUMENT_NOT_FOUND'],
    ['attachment too large', [created], attach({ sizeBytes: wire.ATTACHMENT_BYTES_MAX + 1 }), 'ATTACHMENT_TOO_LARGE'],
    ['attachment of a disallowed type', [created], attach({ declaredContentType: 'application/x-msdownload', detectedContentType: null }), 'ATTACHMENT_TYPE_NOT_ALLOWED'],
    ['attachment whose bytes are not its type', [created], attach({ detectedContentType: 'image/png' }), 'ATTACHMENT_CONTENT_MISMATCH'],
    ['attachment with unrecognised bytes', [created], attach({ detectedContentType: null }), 'ATTACHMENT_CONTENT_MISMATCH'],
  ])('%s', (_name, given, command, code) => spec.given(given).when(command).thenThrows(code));

  it('refuses metadata beyond its bound', () => {
    const metadata = Object.fromEntries(Array.from({ length: wire.METADATA_KEYS_MAX + 1 }, (_, index) => [`k${index}`, 'v']));
    const command: DocumentCommand = { type: 'CreateDocument', data: { documentId: 'doc-1', type: 'sales_invoice', content: invoice, metadata }, metadata: alice };
    spec.given([]).when(command).thenThrows('METADATA_TOO_LARGE');
  });

  it('refuses more than ATTACHMENTS_PER_DOCUMENT_MAX attachments', () => {
    const many = Array.from({ length: wire.ATTACHMENTS_PER_DOCUMENT_MAX }, (_, index): DocumentEvent => ({
      type: 'documents.attachment_added',
      data: { ...(attached.data as wire.AttachmentAdded), sha256: index.toString(16).padStart(64, '0') },
    }));
    spec.given([created, ...many]).when(attach()).thenThrows('TOO_MANY_ATTACHMENTS');
  });
});

describe('posting and the ledger link', () => {
  const post = (overrides: Partial<wire.PostDocumentBody> = {}): DocumentCommand => ({ type: 'PostDocument', data: { documentId: 'doc-1', companyId: 'acme', ...overrides }, metadata: bob });
  const posted: DocumentEvent = {
    type: 'documents.document_posted',
    data: { documentId: 'doc-1', type: 'sales_invoice', version: 1, companyId: 'acme', postingDate: '2025-03-10', expenseAccountNumber: null, postedBy: 'bob', postedAt: LATER },
  };
  const link = (transactionId = 'tx-1'): DocumentCommand => ({ type: 'LinkTransaction', data: { documentId: 'doc-1', transactionId }, metadata: alice });
  const linked: DocumentEvent = { type: 'documents.transaction_linked', data: { documentId: 'doc-1', transactionId: 'tx-1', linkedBy: 'alice', linkedAt: NOW } };
  const otherCreated = (type: wire.DocumentType, content: unknown): DocumentEvent => ({
    type: 'documents.document_created',
    data: { ...(created.data as wire.DocumentCreated), type, content: content as Record<string, unknown> },
  });

  it('posts an invoice at its current version, dated at its issue date by default', () => spec.given([created]).when(post()).then([posted]));
  it('posts on an explicit date', () =>
    spec.given([created]).when(post({ postingDate: '2025-03-31' })).then([{ ...posted, data: { ...(posted.data as wire.DocumentPosted), postingDate: '2025-03-31' } } as DocumentEvent]));
  it('posts the latest version', () =>
    spec.given([created, updated]).when(post()).then([{ ...posted, data: { ...(posted.data as wire.DocumentPosted), version: 2 } } as DocumentEvent]));
  it('repeats the same posting without an event', () => spec.given([created, posted]).when(post()).thenNothingHappened());
  it('links the booking transaction once; the same link again changes nothing', () => {
    spec.given([created, posted]).when(link()).then([linked]);
    spec.given([created, posted, linked]).when(link()).thenNothingHappened();
    expect([created, posted, linked].reduce(evolve, initialState())).toMatchObject({ transactionId: 'tx-1', posting: posted.data });
  });

  it.each<[string, DocumentEvent[], DocumentCommand, string]>([
    ['posting an order', [otherCreated('order', wire.exampleOrderContent)], post(), 'DOCUMENT_NOT_POSTABLE'],
    ['an expense account on a sales invoice', [created], post({ expenseAccountNumber: '4200' }), 'DOCUMENT_NOT_POSTABLE'],
    ['posting again with another company', [created, posted], post({ companyId: 'other' }), 'DOCUMENT_ALREADY_POSTED'],
    ['updating a posted invoice', [created, posted], update(), 'DOCUMENT_ALREADY_POSTED'],
    ['deleting a posted invoice', [created, posted], remove('Dublette'), 'DOCUMENT_ALREADY_POSTED'],
    ['posting a deleted document', [created, deleted], post(), 'DOCUMENT_DELETED'],
    ['posting an unknown document', [], post(), 'DOCUMENT_NOT_FOUND'],
    ['linking an unposted document', [created], link(), 'DOCUMENT_NOT_POSTED'],
    ['linking a second transaction', [created, posted, linked], link('tx-2'), 'DOCUMENT_TRANSACTION_ALREADY_LINKED'],
  ])('refuses %s', (_name, given, when, code) => spec.given(given).when(when).thenThrows(code));
});

describe('recording a review workflow', () => {
  const contractCreated: DocumentEvent = {
    type: 'documents.document_created',
    data: { documentId: 'doc-1', type: 'contract', version: 1, content: wire.exampleContractContent, metadata: {}, createdBy: 'alice', createdAt: NOW },
  };
  const HASH = 'b'.repeat(64);
  const carol = { actor: { userId: 'carol', role: 'admin' }, now: LATER };
  const record = (overrides: Partial<wire.RecordReviewBody> = {}): DocumentCommand => ({
    type: 'RecordReview',
    data: { documentId: 'doc-1', workflowId: 'review-1', outcome: 'approved', reason: ' all steps approved ', decidedBy: 'carol', approvedHash: HASH, ...overrides },
    metadata: carol,
  });
  const recorded: DocumentEvent = {
    type: 'documents.review_recorded',
    data: { documentId: 'doc-1', workflowId: 'review-1', outcome: 'approved', reason: 'all steps approved', decidedBy: 'carol', approvedHash: HASH, recordedBy: 'carol', recordedAt: LATER },
  };
  const rejected: DocumentEvent = {
    type: 'documents.review_recorded',
    data: { documentId: 'doc-1', workflowId: 'review-0', outcome: 'rejected', reason: 'Haftung fehlt', decidedBy: 'bob', approvedHash: null, recordedBy: 'carol', recordedAt: LATER },
  };

  it('records an approval with the trimmed reason, the decider and the approved hash', () => spec.given([contractCreated]).when(record()).then([recorded]));
  it('records a rejection without a hash', () =>
    spec
      .given([contractCreated])
      .when(record({ workflowId: 'review-0', outcome: 'rejected', reason: 'Haftung fehlt', decidedBy: 'bob', approvedHash: null }))
      .then([rejected]));
  it('is idempotent for the same workflow id, also when a later review came in between', () => {
    spec.given([contractCreated, recorded]).when(record()).thenNothingHappened();
    spec.given([contractCreated, rejected, recorded]).when(record({ workflowId: 'review-0', outcome: 'rejected', reason: 'Haftung fehlt', decidedBy: 'bob', approvedHash: null })).thenNothingHappened();
  });
  it('records a review of another workflow; the latest is the current one', () => {
    spec.given([contractCreated, rejected]).when(record()).then([recorded]);
    const state = [contractCreated, rejected, recorded].reduce(evolve, initialState());
    expect(state.reviews.map((review) => [review.workflowId, review.outcome])).toEqual([
      ['review-0', 'rejected'],
      ['review-1', 'approved'],
    ]);
    expect(state.version).toBe(1);
  });
  it('does not change content, version or posting', () => {
    const state = [contractCreated, recorded].reduce(evolve, initialState());
    expect(state).toMatchObject({ status: 'active', version: 1, content: wire.exampleContractContent, posting: null, transactionId: null });
  });

  const many = Array.from({ length: DOCUMENT_REVIEWS_MAX }, (_, index): DocumentEvent => ({ ...recorded, data: { ...(recorded.data as wire.ReviewRecorded), workflowId: `review-old-${index}` } }));
  it.each<[string, DocumentEvent[], DocumentCommand, string]>([
    ['a review of a missing document', [], record(), 'DOCUMENT_NOT_FOUND'],
    ['a review of a deleted document', [contractCreated, deleted], record(), 'DOCUMENT_DELETED'],
    ['a review without a reason', [contractCreated], record({ reason: '   ' }), 'REASON_REQUIRED'],
    ['an approval without the approved hash', [contractCreated], record({ approvedHash: null }), 'DOCUMENT_REVIEW_INVALID'],
    ['a rejection naming a hash', [contractCreated], record({ outcome: 'rejected' }), 'DOCUMENT_REVIEW_INVALID'],
    ['the same workflow ending differently', [contractCreated, recorded], record({ outcome: 'rejected', approvedHash: null }), 'DOCUMENT_REVIEW_ALREADY_RECORDED'],
    ['the same workflow with another decider', [contractCreated, recorded], record({ decidedBy: 'dave' }), 'DOCUMENT_REVIEW_ALREADY_RECORDED'],
    ['more than DOCUMENT_REVIEWS_MAX reviews', [contractCreated, ...many], record(), 'DOCUMENT_REVIEWS_EXHAUSTED'],
  ])('refuses %s', (_name, given, when, code) => spec.given(given).when(when).thenThrows(code));
});

describe('magic bytes', () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);
  const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'utf8'));
  it.each<[string, Uint8Array, wire.AttachmentContentType | null]>([
    ['PDF', ascii('%PDF-1.7\n'), 'application/pdf'],
    ['PNG', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'image/png'],
    ['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0), 'image/jpeg'],
    ['XML declaration', ascii('<?xml version="1.0"?><Invoice/>'), 'application/xml'],
    ['XML after BOM and blanks', Uint8Array.from([0xef, 0xbb, 0xbf, ...ascii('\n  <rsm:CrossIndustryInvoice/>')]), 'application/xml'],
    ['Windows executable', ascii('MZ\x90\x00'), null],
    ['plain text', ascii('hello'), null],
    ['empty', bytes(), null],
    ['truncated PNG', bytes(0x89, 0x50, 0x4e), null],
  ])('%s', (_name, input, expected) => expect(detectContentType(input)).toBe(expected));

  it('normalizes declared content types', () => {
    expect(normalizeContentType('Text/XML; charset=utf-8')).toBe('application/xml');
    expect(normalizeContentType('image/jpg')).toBe('image/jpeg');
    expect(normalizeContentType('application/pdf')).toBe('application/pdf');
  });
});
