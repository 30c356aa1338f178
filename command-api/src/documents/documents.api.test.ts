import { randomUUID } from 'node:crypto';
import { writeFile, rm } from 'node:fs/promises';
import request from 'supertest';
import { documents as wire } from '@neuroerp/schemas';
import { documentsOpenApi } from '../openapi';
import { uniqueSchema } from '../ledger/test-support';
import { documentsTestBed, type DocumentsTestBed } from './test-support';

const schema = uniqueSchema('documents_api');
let bed: DocumentsTestBed;

interface As {
  user?: string;
  role?: string;
  key?: string | null;
  ifMatch?: string;
}
const writer: As = { user: 'alice', role: 'accountant' };
const guest: As = { user: 'gus', role: 'guest' };

const invoice = wire.exampleInvoiceContent;
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'), Buffer.alloc(2000, 0x20), Buffer.from('%%EOF\n')]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const XML = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<rsm:CrossIndustryInvoice xmlns:rsm="urn:x"/>\n');

function authed(test: request.Test, as: As): request.Test {
  let result = as.user === undefined ? test : test.set('X-Test-User', as.user).set('X-Test-Role', as.role ?? 'accountant');
  if (as.ifMatch !== undefined) result = result.set('If-Match', as.ifMatch);
  return result;
}
function withKey(test: request.Test, as: As): request.Test {
  return as.key === null ? test : test.set('Idempotency-Key', as.key ?? randomUUID());
}
const create = (body: unknown, as: As = writer) => withKey(authed(request(bed.app).post('/api/documents'), as), as).send(body as object);
const put = (id: string, body: unknown, as: As = writer) => authed(request(bed.app).put(`/api/documents/${id}`), as).send(body as object);
const remove = (id: string, body: unknown, as: As = writer) => authed(request(bed.app).delete(`/api/documents/${id}`), as).send(body as object);
const get = (path: string, as: As = writer) => authed(request(bed.app).get(`/api/documents${path}`), as);
const postDocument = (id: string, body: unknown, as: As = writer) => withKey(authed(request(bed.app).post(`/api/documents/${id}/post`), as), as).send(body as object);
const upload = (id: string, bytes: Buffer, fileName: string, contentType: string, as: As = writer) =>
  withKey(authed(request(bed.app).post(`/api/documents/${id}/attachments`), as), as).attach('file', bytes, { filename: fileName, contentType });

function expectProblem(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
}

let sequence = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(sequence += 1)}`;
const ACTIVE = newId('active');
const DELETED = newId('deleted');
let activeEtag = '';

beforeAll(async () => {
  bed = await documentsTestBed(schema);
  const created = await create({ documentId: ACTIVE, type: 'sales_invoice', content: invoice, metadata: { customer: 'K-1' } });
  expect(created.status).toBe(201);
  activeEtag = created.headers.etag as string;
  expect((await create({ documentId: DELETED, type: 'other', content: wire.exampleOtherContent })).status).toBe(201);
  expect((await remove(DELETED, { reason: 'Dublette' })).status).toBe(200);
});

afterAll(async () => {
  await bed?.close();
});

describe('documents: create, update, versions, delete', () => {
  it('creates every document type (201), repeats idempotently (200) and serves the current version with an ETag', async () => {
    for (const type of wire.documentTypes) {
      const id = newId(type);
      const body = { documentId: id, type, content: wire.exampleDocumentContents[type] };
      const first = await create(body);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ documentId: id, type, version: 1, status: 'active', streamId: `documents.document-${id}`, streamVersion: 0 });
      expect(first.headers.location).toBe(`/api/documents/${id}`);
      const again = await create(body);
      expect(again.status).toBe(200);
      const fetched = await get(`/${id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.headers.etag).toBe('"0"');
      expect(fetched.body.content).toEqual(wire.exampleDocumentContents[type]);
    }
  });

  it('updates with If-Match and a reason; every version stays retrievable with who, when and why', async () => {
    const id = newId('versioned');
    const created = await create({ documentId: id, type: 'sales_invoice', content: invoice });
    const changed = { ...invoice, dueDate: '2025-05-09' };
    const updated = await put(id, { content: changed, reason: 'Zahlungsziel verlängert' }, { ...writer, user: 'bob', ifMatch: created.headers.etag as string });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, updatedBy: 'bob', createdBy: 'alice' });
    const versions = await get(`/${id}/versions`);
    expect(versions.body.versions).toEqual([
      expect.objectContaining({ version: 1, by: 'alice', reason: null }),
      expect.objectContaining({ version: 2, by: 'bob', reason: 'Zahlungsziel verlängert' }),
    ]);
    expect((await get(`/${id}/versions/1`)).body.content).toEqual(invoice);
    expect((await get(`/${id}/versions/2`)).body).toMatchObject({ version: 2, content: changed, reason: 'Zahlungsziel verlängert' });
    const events = await bed.store.readStream(`documents.document-${id}`, { fromVersion: 0, maxCount: 10 });
    expect(events.map((event) => [event.type, event.metadata.reason ?? null])).toEqual([
      ['documents.document_created', null],
      ['documents.document_updated', 'Zahlungsziel verlängert'],
    ]);
  });

  it('deletes as a tombstone: the current version is gone (410), the history stays', async () => {
    expectProblem(await get(`/${DELETED}`), 410, 'DOCUMENT_DELETED');
    const versions = await get(`/${DELETED}/versions`);
    expect(versions.status).toBe(200);
    expect(versions.body.status).toBe('deleted');
    expect((await get(`/${DELETED}/versions/1`)).body.content).toEqual(wire.exampleOtherContent);
    expect((await remove(DELETED, { reason: 'again' })).status).toBe(200);
  });
});

describe('attachments', () => {
  it('stores a PDF under its SHA-256, records the hash and serves the same bytes', async () => {
    const id = newId('attach');
    await create({ documentId: id, type: 'purchase_invoice', content: invoice });
    const key = randomUUID();
    const added = await upload(id, PDF, 'rechnung.pdf', 'application/pdf', { ...writer, key });
    expect(added.status).toBe(201);
    const sha256 = added.body.attachments[0].sha256 as string;
    expect(added.body.attachments).toEqual([expect.objectContaining({ fileName: 'rechnung.pdf', contentType: 'application/pdf', sizeBytes: PDF.length })]);
    const replay = await upload(id, PDF, 'rechnung.pdf', 'application/pdf', { ...writer, key });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const events = await bed.store.readStream(`documents.document-${id}`, { fromVersion: 1, maxCount: 10 });
    expect(events.map((event) => event.type)).toEqual(['documents.attachment_added']);
    expect((events[0]?.data as wire.AttachmentAdded).sha256).toBe(sha256);
    const downloaded = await get(`/${id}/attachments/${sha256}`).buffer(true);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers['content-type']).toBe('application/pdf');
    expect(Buffer.compare(downloaded.body as Buffer, PDF)).toBe(0);
    const xml = await upload(id, XML, 'x-rechnung.xml', 'text/xml');
    expect(xml.status).toBe(201);
    expect(xml.body.attachments[1]).toMatchObject({ contentType: 'application/xml' });
  });

  it('refuses a file whose bytes no longer match the recorded hash (tampered or missing)', async () => {
    const id = newId('tamper');
    await create({ documentId: id, type: 'receipt', content: wire.exampleReceiptContent });
    const bytes = Buffer.concat([PNG, Buffer.from(randomUUID())]);
    const added = await upload(id, bytes, 'beleg.png', 'image/png');
    const sha256 = added.body.attachments[0].sha256 as string;
    await writeFile(bed.files.pathOf(sha256), Buffer.concat([PNG, Buffer.from('forged')]));
    expectProblem(await get(`/${id}/attachments/${sha256}`), 409, 'ATTACHMENT_TAMPERED');
    await rm(bed.files.pathOf(sha256));
    expectProblem(await get(`/${id}/attachments/${sha256}`), 409, 'ATTACHMENT_TAMPERED');
  });
});

describe('bad input: every row a 4xx with its code', () => {
  const line0 = invoice.lines[0] as wire.InvoiceLine;
  const createOf = (type: wire.DocumentType, content: unknown) => () => create({ documentId: newId('bad'), type, content });
  const unknownSha = 'f'.repeat(64);
  const rows: [string, () => request.Test, number, string][] = [
    ['sales invoice without a buyer', createOf('sales_invoice', { ...invoice, buyer: undefined }), 422, 'DOCUMENT_CONTENT_INVALID'],
    ['purchase invoice with a malformed VAT id', createOf('purchase_invoice', { ...invoice, seller: { ...invoice.seller, vatId: 'de 1' } }), 422, 'DOCUMENT_CONTENT_INVALID'],
    ['order without lines', createOf('order', { ...wire.exampleOrderContent, lines: [] }), 422, 'DOCUMENT_CONTENT_INVALID'],
    ['contract with one party', createOf('contract', { ...wire.exampleContractContent, parties: [invoice.seller] }), 422, 'DOCUMENT_CONTENT_INVALID'],
    ['receipt with an unknown payment method', createOf('receipt', { ...wire.exampleReceiptContent, paymentMethod: 'barter' }), 422, 'DOCUMENT_CONTENT_INVALID'],
    ['other without a title', createOf('other', { text: 'x' }), 422, 'DOCUMENT_CONTENT_INVALID'],
    ['invoice whose gross total is off by a cent', createOf('sales_invoice', { ...invoice, grossTotal: '410.51' }), 422, 'INVOICE_TOTALS_MISMATCH'],
    ['invoice line net ≠ quantity × price', createOf('sales_invoice', { ...invoice, lines: [{ ...line0, netAmount: '301.00', taxAmount: '57.19' }, invoice.lines[1]] }), 422, 'LINE_AMOUNT_MISMATCH'],
    ['invoice line tax ≠ net × rate', createOf('sales_invoice', { ...invoice, lines: [{ ...line0, taxAmount: '57.01' }, invoice.lines[1]] }), 422, 'LINE_TAX_MISMATCH'],
    ['order total ≠ sum of lines', createOf('order', { ...wire.exampleOrderContent, netTotal: '49.91' }), 422, 'ORDER_TOTAL_MISMATCH'],
    ['receipt gross ≠ net + tax', createOf('receipt', { ...wire.exampleReceiptContent, grossTotal: '59.51' }), 422, 'RECEIPT_TOTALS_MISMATCH'],
    ['unknown document type', createOf('memo' as wire.DocumentType, { title: 'x' }), 400, 'VALIDATION_FAILED'],
    ['oversized metadata', () => create({ documentId: newId('bad'), type: 'other', content: { title: 'x' }, metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }), 400, 'METADATA_TOO_LARGE'],
    ['same id, different content', () => create({ documentId: ACTIVE, type: 'sales_invoice', content: { ...invoice, dueDate: '2025-06-01' } }), 409, 'DOCUMENT_EXISTS_WITH_DIFFERENT_DATA'],
    ['update without a reason', () => put(ACTIVE, { content: { ...invoice, dueDate: '2025-06-01' } }, { ...writer, ifMatch: activeEtag }), 422, 'REASON_REQUIRED'],
    ['update with totals that do not add up', () => put(ACTIVE, { content: { ...invoice, taxTotal: '60.00' }, reason: 'x' }, { ...writer, ifMatch: activeEtag }), 422, 'INVOICE_TOTALS_MISMATCH'],
    ['update without If-Match', () => put(ACTIVE, { content: invoice, reason: 'x' }), 428, 'IF_MATCH_REQUIRED'],
    ['update with a stale If-Match', () => put(ACTIVE, { content: invoice, reason: 'x' }, { ...writer, ifMatch: '"99"' }), 412, 'PRECONDITION_FAILED'],
    ['delete without a reason', () => remove(ACTIVE, {}), 422, 'REASON_REQUIRED'],
    ['update of a deleted document', () => put(DELETED, { content: { title: 'y' }, reason: 'x' }, { ...writer, ifMatch: '"1"' }), 410, 'DOCUMENT_DELETED'],
    ['create again over a deleted document', () => create({ documentId: DELETED, type: 'other', content: wire.exampleOtherContent }), 410, 'DOCUMENT_DELETED'],
    ['attachment on a deleted document', () => upload(DELETED, PDF, 'a.pdf', 'application/pdf'), 410, 'DOCUMENT_DELETED'],
    ['update of a missing document', () => put('nope', { content: invoice, reason: 'x' }, { ...writer, ifMatch: '*' }), 412, 'PRECONDITION_FAILED'],
    ['read of a missing document', () => get('/nope'), 404, 'DOCUMENT_NOT_FOUND'],
    ['delete of a missing document', () => remove('nope', { reason: 'x' }), 404, 'DOCUMENT_NOT_FOUND'],
    ['upload to a missing document', () => upload('nope', PDF, 'a.pdf', 'application/pdf'), 404, 'DOCUMENT_NOT_FOUND'],
    ['read of a missing version', () => get(`/${ACTIVE}/versions/9`), 404, 'DOCUMENT_VERSION_NOT_FOUND'],
    ['read of an unknown attachment', () => get(`/${ACTIVE}/attachments/${unknownSha}`), 404, 'ATTACHMENT_NOT_FOUND'],
    ['read of a malformed attachment hash', () => get(`/${ACTIVE}/attachments/xyz`), 400, 'VALIDATION_FAILED'],
    ['attachment over the size limit', () => upload(ACTIVE, Buffer.concat([PDF, Buffer.alloc(wire.ATTACHMENT_BYTES_MAX)]), 'big.pdf', 'application/pdf'), 413, 'ATTACHMENT_TOO_LARGE'],
    ['attachment of a disallowed type', () => upload(ACTIVE, Buffer.from('MZ\x90\x00binary'), 'setup.exe', 'application/x-msdownload'), 415, 'ATTACHMENT_TYPE_NOT_ALLOWED'],
    ['attachment declared PDF with PNG magic bytes', () => upload(ACTIVE, PNG, 'fake.pdf', 'application/pdf'), 415, 'ATTACHMENT_CONTENT_MISMATCH'],
    ['attachment declared PNG with text bytes', () => upload(ACTIVE, Buffer.from('just text'), 'fake.png', 'image/png'), 415, 'ATTACHMENT_CONTENT_MISMATCH'],
    ['attachment without a file part', () => withKey(authed(request(bed.app).post(`/api/documents/${ACTIVE}/attachments`), writer), writer).field('note', 'x'), 400, 'ATTACHMENT_FILE_REQUIRED'],
    ['attachment sent as JSON', () => withKey(authed(request(bed.app).post(`/api/documents/${ACTIVE}/attachments`), writer), writer).send({ file: 'x' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['guest creates a document', () => create({ documentId: newId('g'), type: 'other', content: { title: 'x' } }, guest), 403, 'FORBIDDEN'],
    ['guest uploads an attachment', () => upload(ACTIVE, PDF, 'a.pdf', 'application/pdf', guest), 403, 'FORBIDDEN'],
    ['guest deletes a document', () => remove(ACTIVE, { reason: 'x' }, guest), 403, 'FORBIDDEN'],
    ['no credentials', () => get(`/${ACTIVE}`, {}), 401, 'UNAUTHENTICATED'],
    ['create without an Idempotency-Key', () => create({ documentId: newId('k'), type: 'other', content: { title: 'x' } }, { ...writer, key: null }), 428, 'IDEMPOTENCY_KEY_REQUIRED'],
    ['upload without an Idempotency-Key', () => upload(ACTIVE, PDF, 'a.pdf', 'application/pdf', { ...writer, key: null }), 428, 'IDEMPOTENCY_KEY_REQUIRED'],
  ];
  it.each(rows.map(([name, send, status, code]) => [name, status, code, send] as const))('%s → %i %s', async (_name, status, code, send) => {
    expectProblem(await send(), status, code);
  });

  it('leaves the active document untouched by all of the above', async () => {
    const current = await get(`/${ACTIVE}`);
    expect(current.body).toMatchObject({ version: 1, attachments: [], status: 'active' });
    expect(current.headers.etag).toBe(activeEtag);
  });
});

describe('posting an invoice', () => {
  it('posts a sales invoice at its current version (200); it is final afterwards, and the same post again appends nothing', async () => {
    const id = newId('posted');
    expect((await create({ documentId: id, type: 'sales_invoice', content: invoice })).status).toBe(201);
    const posted = await postDocument(id, { companyId: 'acme' });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ documentId: id, posting: { version: 1, companyId: 'acme', postingDate: invoice.issueDate, postedBy: 'alice' }, transactionId: null });
    const again = await postDocument(id, { companyId: 'acme' });
    expect({ status: again.status, streamVersion: again.body.streamVersion }).toEqual({ status: 200, streamVersion: posted.body.streamVersion });
    expectProblem(await put(id, { content: { ...invoice, dueDate: '2025-05-01' }, reason: 'x' }, { ...writer, ifMatch: posted.headers.etag as string }), 409, 'DOCUMENT_ALREADY_POSTED');
    expectProblem(await remove(id, { reason: 'x' }), 409, 'DOCUMENT_ALREADY_POSTED');
    const events = await bed.store.readStream(`documents.document-${id}`, { maxCount: 10 });
    expect(events.map((event) => event.type)).toEqual(['documents.document_created', 'documents.document_posted']);
  });

  it.each([
    ['a deleted document', async () => postDocument(DELETED, { companyId: 'acme' }), 410, 'DOCUMENT_DELETED'],
    [
      'an order',
      async () => {
        const id = newId('order');
        await create({ documentId: id, type: 'order', content: wire.exampleOrderContent });
        return postDocument(id, { companyId: 'acme' });
      },
      422,
      'DOCUMENT_NOT_POSTABLE',
    ],
    ['an unknown document', async () => postDocument('ghost', { companyId: 'acme' }), 404, 'DOCUMENT_NOT_FOUND'],
    ['a missing companyId', async () => postDocument(ACTIVE, {}), 400, 'VALIDATION_FAILED'],
    ['a role without finance:post', async () => postDocument(ACTIVE, { companyId: 'acme' }, { user: 'ulla', role: 'user' }), 403, 'FORBIDDEN'],
  ] as const)('refuses %s', async (_name, send, status, code) => {
    expectProblem(await send(), status, code);
  });
});

describe('OpenAPI', () => {
  it('describes every documents route from the route table', () => {
    const { paths } = documentsOpenApi();
    expect(Object.keys(paths).sort()).toEqual([
      '/api/documents',
      '/api/documents/{documentId}',
      '/api/documents/{documentId}/attachments',
      '/api/documents/{documentId}/attachments/{sha256}',
      '/api/documents/{documentId}/post',
      '/api/documents/{documentId}/versions',
      '/api/documents/{documentId}/versions/{version}',
    ]);
    const item = paths['/api/documents/{documentId}'] as Record<string, { responses: Record<string, unknown> }>;
    expect(Object.keys(item).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(item.put?.responses ?? {})).toEqual(expect.arrayContaining(['200', '410', '412', '422', '428']));
  });
});
