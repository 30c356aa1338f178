import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestHandler } from 'express';
import pg from 'pg';
import pino from 'pino';
import request from 'supertest';
import { createDocumentsCommandHandler, DocumentCommands } from '@neuroerp/command-api';
import { LocalFileStore, PostgresEventStore, PostgresIdempotencyStore } from '@neuroerp/infra';
import { documents as wire } from '@neuroerp/schemas';
import { createServerApp } from './server';

// The documents API as the server mounts it: security headers, JSON-only bodies except the
// multipart upload route, the shared error middleware, and the OpenAPI document.
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_docs_server_${randomBytes(4).toString('hex')}`;

/** Stands in for bearer-token authentication: every request acts as one accountant. */
const asAccountant: RequestHandler = (_req, res, next) => {
  res.locals.actor = { userId: 'alice', role: 'accountant' };
  next();
};

let store: PostgresEventStore;
let idempotencyStore: PostgresIdempotencyStore;
let files: LocalFileStore;
let dir: string;
let app: ReturnType<typeof createServerApp>;

beforeAll(async () => {
  store = await PostgresEventStore.connect({ connectionString, schema });
  idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString, schema });
  dir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-server-files-'));
  files = await LocalFileStore.open(dir);
  const commands = new DocumentCommands(createDocumentsCommandHandler(store), files);
  app = createServerApp({ eventStore: store, logger: pino({ level: 'silent' }), version: '0.0.0-test', authenticate: asAccountant, documents: { commands, idempotencyStore } });
});

afterAll(async () => {
  await idempotencyStore?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
});

describe('documents mounted in the server', () => {
  it('creates a document and takes a multipart PDF upload through the JSON-only security middleware', async () => {
    const documentId = `srv-${randomBytes(4).toString('hex')}`;
    const created = await request(app).post('/api/documents').set('Idempotency-Key', randomUUID()).send({ documentId, type: 'sales_invoice', content: wire.exampleInvoiceContent });
    expect(created.status).toBe(201);
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
    const uploaded = await request(app).post(`/api/documents/${documentId}/attachments`).set('Idempotency-Key', randomUUID()).attach('file', pdf, { filename: 'r.pdf', contentType: 'application/pdf' });
    expect(uploaded.status).toBe(201);
    const sha256 = uploaded.body.attachments[0].sha256 as string;
    const downloaded = await request(app).get(`/api/documents/${documentId}/attachments/${sha256}`).buffer(true);
    expect(downloaded.status).toBe(200);
    expect(Buffer.compare(downloaded.body as Buffer, pdf)).toBe(0);
  });

  it('still refuses multipart bodies on every other route', async () => {
    const response = await request(app).post('/api/documents').set('Idempotency-Key', randomUUID()).attach('file', Buffer.from('%PDF-'), 'x.pdf');
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('lists the documents paths in the OpenAPI document', async () => {
    const response = await request(app).get('/api/openapi.json');
    expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/api/documents', '/api/documents/{documentId}/attachments/{sha256}']));
  });
});
