import { documents } from '@neuroerp/schemas';
import { deadLetterCount, newEvent, projectToHead, rebuildInSmallBatches } from '../read-model-test-support';
import { createProjectionTestContext, type ProjectionTestContext } from '../test-support';
import { contentHash, documentsProjection, documentTitle, getDocument, listDocuments, type DocumentCursor } from './documents';

let context: ProjectionTestContext;

beforeAll(async () => {
  context = await createProjectionTestContext('projdocs');
});
afterAll(async () => {
  await context.dispose();
});

const clerk = { userId: 'clerk-1', role: 'user' };
const stream = (documentId: string) => `documents.document-${documentId}`;
const sha = 'cd'.repeat(32);

function created(documentId: string, type: documents.DocumentType, content: Record<string, unknown>, at = '2026-03-01T10:00:00.000Z') {
  return newEvent('documents.document_created', { documentId, type, version: 1, content, metadata: { source: 'upload' }, createdBy: clerk.userId, createdAt: at }, clerk);
}

const project = () => projectToHead(context, [documentsProjection]);

describe('documents read model', () => {
  it('derives titles from content, keeps every version with its content hash, tombstones deletes and records postings and transaction links', async () => {
    const invoice = documents.exampleInvoiceContent;
    const corrected = { ...invoice, invoiceNumber: 'RE-2025-0001-K' };
    await context.store.appendToStream(
      stream('inv-1'),
      [
        created('inv-1', 'sales_invoice', invoice),
        newEvent('documents.document_updated', { documentId: 'inv-1', version: 2, content: corrected, metadata: { source: 'upload' }, reason: 'typo in number', updatedBy: 'clerk-2', updatedAt: '2026-03-02T09:00:00.000Z' }, { userId: 'clerk-2' }),
        newEvent('documents.attachment_added', { documentId: 'inv-1', sha256: sha, fileName: 'inv.pdf', contentType: 'application/pdf', sizeBytes: 1234, addedBy: 'clerk-2', addedAt: '2026-03-02T09:30:00.000Z' }, { userId: 'clerk-2' }),
        newEvent('documents.document_posted', { documentId: 'inv-1', type: 'sales_invoice', version: 2, companyId: 'acme', postingDate: '2026-03-02', expenseAccountNumber: null, postedBy: 'acct-1', postedAt: '2026-03-03T08:00:00.000Z' }, { userId: 'acct-1' }),
        newEvent('documents.transaction_linked', { documentId: 'inv-1', transactionId: 'tx-inv-1', linkedBy: 'system', linkedAt: '2026-03-03T08:00:01.000Z' }, { userId: 'system' }),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(stream('po-1'), [created('po-1', 'purchase_invoice', invoice, '2026-03-04T10:00:00.000Z')], { expectedVersion: 'no_stream' });
    const review = (workflowId: string, outcome: 'approved' | 'rejected', reason: string, approvedHash: string | null, at: string) =>
      newEvent('documents.review_recorded', { documentId: 'ct-1', workflowId, outcome, reason, decidedBy: 'admin-1', approvedHash, recordedBy: 'admin-1', recordedAt: at }, { userId: 'admin-1', role: 'admin' });
    await context.store.appendToStream(
      stream('ct-1'),
      [
        created('ct-1', 'contract', documents.exampleContractContent),
        review('review-1', 'rejected', 'Haftung fehlt', null, '2026-03-01T11:00:00.000Z'),
        review('review-2', 'approved', 'all steps approved', contentHash(documents.exampleContractContent), '2026-03-01T12:00:00.000Z'),
      ],
      { expectedVersion: 'no_stream' },
    );
    await context.store.appendToStream(
      stream('memo-1'),
      [created('memo-1', 'other', documents.exampleOtherContent), newEvent('documents.document_deleted', { documentId: 'memo-1', reason: 'duplicate', deletedBy: 'clerk-2', deletedAt: '2026-03-05T12:00:00.000Z' }, { userId: 'clerk-2' })],
      { expectedVersion: 'no_stream' },
    );
    await project();

    const doc = await getDocument(context.db, context.controlSchema, 'inv-1');
    expect(doc).toMatchObject({
      documentId: 'inv-1',
      type: 'sales_invoice',
      title: 'Invoice RE-2025-0001-K · Kunde AG',
      version: 2,
      status: 'active',
      updatedAt: '2026-03-03T08:00:01.000Z',
      updatedBy: 'system',
      transactionId: 'tx-inv-1',
      postedVersion: 2,
      createdAt: '2026-03-01T10:00:00.000Z',
      createdBy: clerk.userId,
      content: corrected,
      metadata: { source: 'upload' },
      attachments: [{ sha256: sha, fileName: 'inv.pdf', contentType: 'application/pdf', sizeBytes: 1234, addedBy: 'clerk-2', addedAt: '2026-03-02T09:30:00.000Z' }],
    });
    expect(doc?.versions).toEqual([
      { version: 1, at: '2026-03-01T10:00:00.000Z', by: clerk.userId, reason: null, contentHash: contentHash(invoice), position: 1n },
      { version: 2, at: '2026-03-02T09:00:00.000Z', by: 'clerk-2', reason: 'typo in number', contentHash: contentHash(corrected), position: 2n },
    ]);
    // The hash does not depend on key order.
    expect(contentHash({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(contentHash({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(doc?.versions[0]?.contentHash).not.toBe(doc?.versions[1]?.contentHash);

    expect((await getDocument(context.db, context.controlSchema, 'po-1'))?.title).toBe('Invoice RE-2025-0001 · Valeo Demo GmbH');
    // The latest review is the document's; invoices without one say null.
    expect(await getDocument(context.db, context.controlSchema, 'ct-1')).toMatchObject({
      title: 'Wartungsvertrag',
      reviewOutcome: 'approved',
      reviewWorkflowId: 'review-2',
      updatedAt: '2026-03-01T12:00:00.000Z',
      updatedBy: 'admin-1',
      version: 1,
    });
    expect(doc).toMatchObject({ reviewOutcome: null, reviewWorkflowId: null });
    expect(await getDocument(context.db, context.controlSchema, 'memo-1')).toMatchObject({ status: 'deleted', deletedReason: 'duplicate', updatedBy: 'clerk-2', title: 'Protokoll der Sitzung' });
    expect(await getDocument(context.db, context.controlSchema, 'nope')).toBeNull();
    expect(documentTitle('receipt', 'r-1', documents.exampleReceiptContent)).toBe('Receipt Tankstelle Mitte · 2025-03-05');
    expect(documentTitle('order', 'o-1', documents.exampleOrderContent)).toBe('Order PO-77 · Kunde AG');
    expect(await deadLetterCount(context, 'documents')).toBe(0);
  });

  it('lists active documents only, most recently changed first, filtered by type and words, paged by keyset', async () => {
    const ids = async (query: { type?: string; text?: string; after?: DocumentCursor; limit?: number }) =>
      (await listDocuments(context.db, context.controlSchema, { limit: 50, ...query })).items.map((item) => item.documentId);
    expect(await ids({})).toEqual(['ct-1', 'po-1', 'inv-1']);
    expect(await ids({ type: 'sales_invoice' })).toEqual(['inv-1']);
    expect(await ids({ text: 'Kunde' })).toEqual(['inv-1']);
    expect(await ids({ text: 'Valeo' })).toEqual(['po-1']);
    expect(await ids({ text: 'RE-2025-0001-K' })).toEqual(['inv-1']);
    expect(await ids({ text: 'Protokoll' })).toEqual([]);

    const first = await listDocuments(context.db, context.controlSchema, { limit: 2 });
    expect(first.items.map((item) => item.documentId)).toEqual(['ct-1', 'po-1']);
    expect(first.next).not.toBeNull();
    const second = await listDocuments(context.db, context.controlSchema, { limit: 2, after: first.next ?? undefined });
    expect(second.items.map((item) => item.documentId)).toEqual(['inv-1']);
    expect(second.next).toBeNull();
  });

  it('a rebuild in batches of two equals the live tables', async () => {
    const before = await getDocument(context.db, context.controlSchema, 'inv-1');
    const contractBefore = await getDocument(context.db, context.controlSchema, 'ct-1');
    const rebuilt = await rebuildInSmallBatches(context, documentsProjection);
    expect(rebuilt.verification.outcome).toBe('equal');
    expect(rebuilt.switched).toBe(true);
    expect(rebuilt.verification.tables.map((table) => [table.table, table.liveRows, table.rebuiltRows])).toEqual([
      ['documents', 4, 4],
      ['document_versions', 5, 5],
    ]);
    expect(await getDocument(context.db, context.controlSchema, 'inv-1')).toEqual(before);
    expect(await getDocument(context.db, context.controlSchema, 'ct-1')).toEqual(contractBefore);
    expect(contractBefore?.reviewOutcome).toBe('approved');
  });
});
