import { getDocument, listDocuments, type DocumentSummary } from '@neuroerp/projections';
import { cursorParameter, encodeCursor, limitParameter, pageSchema } from '../http/pagination';
import { textParameter } from '../http/parameters';
import { z } from '../http/zod';
import { loadUserNames, USERS, type UserNameOf } from '../read-models/users';
import { defineRoute, notFound } from '../route';

/** The documents read model (projections `documentsProjection`). */
export const DOCUMENTS = 'documents';

const userName = z.string().nullable().describe('The user name of the user id beside it (users read model); null when unknown (e.g. `system`).');

const documentItemSchema = z.object({
  documentId: z.string(),
  type: z.string(),
  title: z.string(),
  version: z.number().int(),
  status: z.enum(['active', 'deleted']),
  updatedAt: z.string(),
  updatedBy: z.string(),
  updatedByName: userName,
  transactionId: z.string().nullable().describe('The journal transaction that books the document, once linked.'),
  postedVersion: z.number().int().nullable(),
});

function toItem(summary: DocumentSummary, nameOf: UserNameOf) {
  return {
    documentId: summary.documentId,
    type: summary.type,
    title: summary.title,
    version: summary.version,
    status: summary.status,
    updatedAt: summary.updatedAt,
    updatedBy: summary.updatedBy,
    updatedByName: nameOf(summary.updatedBy),
    transactionId: summary.transactionId,
    postedVersion: summary.postedVersion,
  };
}

export const documentsRoute = defineRoute({
  path: '/documents',
  operationId: 'queryDocuments',
  summary: 'Documents (not the deleted ones), most recently changed first.',
  tags: ['query: documents'],
  permission: 'documents:read',
  reads: [DOCUMENTS],
  optionalReads: [USERS],
  query: z.object({
    type: z.string().min(1).max(50).optional(),
    text: textParameter.optional().describe('Words (web-search syntax) in the title or content.'),
    cursor: cursorParameter(z.tuple([z.string().regex(/^[0-9]+$/), z.string()])),
    limit: limitParameter,
  }),
  response: pageSchema(documentItemSchema),
  async run(context) {
    const { query } = context;
    const page = await listDocuments(context.db, context.controlSchema, {
      type: query.type,
      text: query.text,
      after: query.cursor === undefined ? undefined : { updatedPosition: BigInt(query.cursor[0]), documentId: query.cursor[1] },
      limit: query.limit,
    });
    const nameOf = await loadUserNames(context, page.items.map((item) => item.updatedBy));
    return { items: page.items.map((item) => toItem(item, nameOf)), nextCursor: page.next === null ? null : encodeCursor([page.next.updatedPosition.toString(), page.next.documentId]) };
  },
});

export const documentRoute = defineRoute({
  path: '/documents/:documentId',
  operationId: 'queryDocument',
  summary: 'One document (also a deleted one) with content, metadata, attachments and its version history.',
  tags: ['query: documents'],
  permission: 'documents:read',
  reads: [DOCUMENTS],
  optionalReads: [USERS],
  params: z.object({ documentId: z.string().min(1).max(100) }),
  query: z.object({}),
  errorCodes: ['DOCUMENT_NOT_FOUND'],
  response: documentItemSchema.extend({
    content: z.record(z.unknown()),
    metadata: z.record(z.unknown()),
    attachments: z.array(z.unknown()),
    createdAt: z.string(),
    createdBy: z.string(),
    createdByName: userName,
    deletedReason: z.string().nullable(),
    versions: z.array(z.object({ version: z.number().int(), at: z.string(), by: z.string(), byName: userName, reason: z.string().nullable(), contentHash: z.string(), position: z.string() })),
  }),
  async run(context) {
    const detail = await getDocument(context.db, context.controlSchema, context.params.documentId);
    if (detail === null) throw notFound('DOCUMENT', context.params.documentId);
    const nameOf = await loadUserNames(context, [detail.updatedBy, detail.createdBy, ...detail.versions.map((version) => version.by)]);
    return {
      ...toItem(detail, nameOf),
      content: detail.content,
      metadata: detail.metadata,
      attachments: detail.attachments,
      createdAt: detail.createdAt,
      createdBy: detail.createdBy,
      createdByName: nameOf(detail.createdBy),
      deletedReason: detail.deletedReason,
      versions: detail.versions.map((version) => ({
        version: version.version,
        at: version.at,
        by: version.by,
        byName: nameOf(version.by),
        reason: version.reason,
        contentHash: version.contentHash,
        position: version.position.toString(),
      })),
    };
  },
});
