import { z } from 'zod';
import type { documents } from '@neuroerp/domains';
import { documents as wire } from '@neuroerp/schemas';

/** The resources the documents routes answer with (zod, for the OpenAPI document) and their builders. */

export const attachmentViewSchema = z.object({
  sha256: z.string(),
  fileName: z.string(),
  contentType: wire.attachmentContentTypeSchema,
  sizeBytes: z.number().int(),
  addedBy: z.string(),
  addedAt: z.string(),
  href: z.string().describe('GET this to download the file; it is re-hashed on every download.'),
});

export const versionSummarySchema = z.object({ version: z.number().int(), by: z.string(), at: z.string(), reason: z.string().nullable() });

export const documentViewSchema = z.object({
  documentId: z.string(),
  type: wire.documentTypeSchema,
  status: z.enum(['active', 'deleted']),
  version: z.number().int().describe('The current content version (1 at creation).'),
  content: z.record(z.unknown()),
  metadata: z.record(z.unknown()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedBy: z.string(),
  updatedAt: z.string(),
  attachments: z.array(attachmentViewSchema),
  deletion: z.object({ reason: z.string(), deletedBy: z.string(), deletedAt: z.string() }).nullable(),
  /** Set once the invoice is posted: the version posted, the company and date it is booked on. */
  posting: z
    .object({ version: z.number().int(), companyId: z.string(), postingDate: z.string(), expenseAccountNumber: z.string().nullable(), postedBy: z.string(), postedAt: z.string() })
    .nullable(),
  /** The journal transaction that books the posted document, once the invoice process manager linked it. */
  transactionId: z.string().nullable(),
  /** How the latest review workflow about the document ended (a contract starts one when created); null before. */
  review: z
    .object({ workflowId: z.string(), outcome: wire.reviewOutcomeSchema, reason: z.string(), decidedBy: z.string(), at: z.string().describe('When the outcome was recorded.') })
    .nullable(),
});
export type DocumentView = z.infer<typeof documentViewSchema>;

export const documentVersionViewSchema = versionSummarySchema.extend({
  documentId: z.string(),
  type: wire.documentTypeSchema,
  content: z.record(z.unknown()),
  metadata: z.record(z.unknown()),
});
export type DocumentVersionView = z.infer<typeof documentVersionViewSchema>;

export const documentVersionsViewSchema = z.object({ documentId: z.string(), status: z.enum(['active', 'deleted']), versions: z.array(versionSummarySchema) });

export function documentView(state: documents.DocumentState): DocumentView {
  const first = state.versions[0];
  const last = state.versions[state.versions.length - 1];
  if (state.status === 'none' || state.documentId === null || state.type === null || state.content === null || first === undefined || last === undefined) {
    throw new Error('documentView of a document that was never created');
  }
  const documentId = state.documentId;
  return {
    documentId,
    type: state.type,
    status: state.status,
    version: state.version,
    content: state.content,
    metadata: state.metadata,
    createdBy: first.by,
    createdAt: first.at,
    updatedBy: last.by,
    updatedAt: last.at,
    attachments: state.attachments.map((attachment) => ({
      sha256: attachment.sha256,
      fileName: attachment.fileName,
      contentType: attachment.contentType,
      sizeBytes: attachment.sizeBytes,
      addedBy: attachment.addedBy,
      addedAt: attachment.addedAt,
      href: `/api/documents/${documentId}/attachments/${attachment.sha256}`,
    })),
    deletion: state.deletion === null ? null : { reason: state.deletion.reason, deletedBy: state.deletion.deletedBy, deletedAt: state.deletion.deletedAt },
    posting:
      state.posting === null
        ? null
        : {
            version: state.posting.version,
            companyId: state.posting.companyId,
            postingDate: state.posting.postingDate,
            expenseAccountNumber: state.posting.expenseAccountNumber,
            postedBy: state.posting.postedBy,
            postedAt: state.posting.postedAt,
          },
    transactionId: state.transactionId,
    review: reviewView(state.reviews[state.reviews.length - 1]),
  };
}

function reviewView(review: documents.DocumentState['reviews'][number] | undefined): DocumentView['review'] {
  if (review === undefined) return null;
  return { workflowId: review.workflowId, outcome: review.outcome, reason: review.reason, decidedBy: review.decidedBy, at: review.recordedAt };
}
