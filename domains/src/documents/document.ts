import { documents as wire } from '@neuroerp/schemas';
import type { Command } from '../command';
import { canonicalJson } from '../ledger/canonical-json';
import { assertNever } from '../ledger/types';
import { isAllowedContentType, normalizeContentType } from './attachments';
import { fail } from './errors';

/**
 * A document: stream `documents.document-<documentId>`.
 *
 * - *created*: version 1 with its type (fixed for life), content and metadata.
 * - *updated*: a new content version (2, 3, ...) with who, when and why; earlier versions
 *   stay in the stream and remain readable.
 * - *deleted*: a tombstone. The document leaves lists and search; its history stays for
 *   audit. Every command on it is then DOCUMENT_DELETED (a repeated delete is a no-op).
 * - *posted*: an invoice is final at its current version and is booked in the ledger of a
 *   company (the invoice process manager drafts and submits the journal transaction). A posted
 *   document takes no updates and cannot be deleted; attachments may still be added.
 * - *transaction linked*: the journal transaction that books the posted document; one per
 *   document, recorded once.
 * - *review recorded*: how a review workflow about the document ended (the contract-review
 *   process manager records `workflow.completed`): once per workflow id, a repeat is no change;
 *   the latest one is the document's review.
 * - *attachment added*: a file stored content-addressed under its SHA-256 elsewhere; the event
 *   records the hash, so a file changed later is detected when it is read.
 *
 * `content` is validated against the zod schema of the type on every create and update;
 * what is recorded is the parsed content (trimmed strings).
 */

export type DocumentStatus = 'none' | 'active' | 'deleted';

/** Who made a content version, when and why (version 1 has no reason). */
export interface DocumentVersionSummary {
  version: number;
  by: string;
  at: string;
  reason: string | null;
}

export interface DocumentState {
  status: DocumentStatus;
  documentId: string | null;
  type: wire.DocumentType | null;
  /** The current content version; 0 before creation. */
  version: number;
  content: Record<string, unknown> | null;
  metadata: wire.DocumentMetadata;
  versions: DocumentVersionSummary[];
  attachments: wire.AttachmentAdded[];
  deletion: wire.DocumentDeleted | null;
  posting: wire.DocumentPosted | null;
  /** The journal transaction that books the document, once linked. */
  transactionId: string | null;
  /** Every review recorded, oldest first; the last is the document's current review. */
  reviews: wire.ReviewRecorded[];
}

/** Reviews recorded per document; beyond, RecordReview is refused (DOCUMENT_REVIEWS_EXHAUSTED). */
export const DOCUMENT_REVIEWS_MAX = 100;

/** Document types that are posted to the ledger. */
export const POSTABLE_TYPES: readonly wire.DocumentType[] = ['sales_invoice', 'purchase_invoice'];

export type CreateDocument = Command<'CreateDocument', wire.CreateDocumentBody>;
export type UpdateDocument = Command<'UpdateDocument', wire.UpdateDocumentBody>;
export type DeleteDocument = Command<'DeleteDocument', wire.DeleteDocumentBody>;
export type AddAttachment = Command<'AddAttachment', wire.AddAttachmentBody>;
export type PostDocument = Command<'PostDocument', wire.PostDocumentBody>;
export type LinkTransaction = Command<'LinkTransaction', wire.LinkTransactionBody>;
export type RecordReview = Command<'RecordReview', wire.RecordReviewBody>;
export type DocumentCommand = CreateDocument | UpdateDocument | DeleteDocument | AddAttachment | PostDocument | LinkTransaction | RecordReview;

export type DocumentEvent =
  | { type: 'documents.document_created'; data: wire.DocumentCreated }
  | { type: 'documents.document_updated'; data: wire.DocumentUpdated }
  | { type: 'documents.document_deleted'; data: wire.DocumentDeleted }
  | { type: 'documents.attachment_added'; data: wire.AttachmentAdded }
  | { type: 'documents.document_posted'; data: wire.DocumentPosted }
  | { type: 'documents.transaction_linked'; data: wire.TransactionLinked }
  | { type: 'documents.review_recorded'; data: wire.ReviewRecorded };

export function documentStreamId(documentId: string): string {
  return `documents.document-${documentId}`;
}

export function initialState(): DocumentState {
  return { status: 'none', documentId: null, type: null, version: 0, content: null, metadata: {}, versions: [], attachments: [], deletion: null, posting: null, transactionId: null, reviews: [] };
}

/**
 * The content parsed by the schema of `type`, or a DomainError: the code of the schema's
 * issues when they all name the same one (INVOICE_TOTALS_MISMATCH, ...), else
 * DOCUMENT_CONTENT_INVALID. Details name the first problem.
 */
export function validateContent(type: wire.DocumentType, content: unknown): Record<string, unknown> {
  const schema = wire.documentContentSchemas[type] as typeof wire.otherContentSchema;
  const result = schema.safeParse(content);
  if (result.success) return result.data as Record<string, unknown>;
  const issues = result.error.issues;
  const codes = new Set(issues.map((issue) => (issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : null)));
  const [only] = codes;
  const code = codes.size === 1 && typeof only === 'string' ? only : 'DOCUMENT_CONTENT_INVALID';
  const first = issues[0];
  return fail(code, `The ${type} content is invalid: ${first === undefined ? '' : `${first.path.join('.') || '(content)'}: ${first.message}`}`, {
    type,
    path: first === undefined ? null : first.path.join('.'),
    issueCount: issues.length,
  });
}

function validateMetadata(metadata: unknown): wire.DocumentMetadata {
  const result = wire.documentMetadataSchema.safeParse(metadata ?? {});
  if (result.success) return result.data;
  const coded = result.error.issues.find((issue) => issue.code === 'custom' && issue.params?.code === 'METADATA_TOO_LARGE');
  return fail(coded ? 'METADATA_TOO_LARGE' : 'DOCUMENT_CONTENT_INVALID', `The metadata is invalid: ${result.error.issues[0]?.message ?? ''}`);
}

function requireReason(reason: string | undefined, what: string): string {
  const trimmed = reason?.trim() ?? '';
  if (trimmed === '') fail('REASON_REQUIRED', `${what} a document needs a reason.`);
  return trimmed;
}

function assertActive(state: DocumentState, documentId: string): void {
  if (state.status === 'none') fail('DOCUMENT_NOT_FOUND', `Document ${documentId} does not exist.`, { documentId });
  if (state.status === 'deleted') fail('DOCUMENT_DELETED', `Document ${documentId} is deleted.`, { documentId });
}

function assertNotPosted(state: DocumentState, documentId: string): void {
  if (state.posting !== null) fail('DOCUMENT_ALREADY_POSTED', `Document ${documentId} is posted; it no longer changes.`, { documentId });
}

/** The issue date of an invoice's content: the default posting date. */
function issueDateOf(content: Record<string, unknown> | null): string {
  const issueDate = content?.issueDate;
  if (typeof issueDate !== 'string') throw new Error('a postable document without an issueDate passed content validation');
  return issueDate;
}

export function decide(command: DocumentCommand, state: DocumentState): DocumentEvent[] {
  const { type, data, metadata: commandMetadata } = command;
  const by = commandMetadata.actor.userId;
  const at = commandMetadata.now;
  switch (type) {
    case 'CreateDocument': {
      const content = validateContent(data.type, data.content);
      const metadata = validateMetadata(data.metadata);
      if (state.status === 'deleted') return fail('DOCUMENT_DELETED', `Document ${data.documentId} is deleted; its id is not reused.`, { documentId: data.documentId });
      if (state.status === 'active') {
        // Idempotent create: version 1 again, as it was, changes nothing (whoever sends it).
        const first = { type: state.type, content: state.versions.length === 1 ? state.content : null, metadata: state.versions.length === 1 ? state.metadata : null };
        if (canonicalJson(first) === canonicalJson({ type: data.type, content, metadata })) return [];
        return fail('DOCUMENT_EXISTS_WITH_DIFFERENT_DATA', `Document ${data.documentId} exists with different data.`, { documentId: data.documentId });
      }
      return [{ type: 'documents.document_created', data: { documentId: data.documentId, type: data.type, version: 1, content, metadata, createdBy: by, createdAt: at } }];
    }
    case 'UpdateDocument': {
      assertActive(state, data.documentId);
      const reason = requireReason(data.reason, 'Updating');
      assertNotPosted(state, data.documentId);
      const content = validateContent(state.type as wire.DocumentType, data.content);
      const metadata = data.metadata === undefined ? state.metadata : validateMetadata(data.metadata);
      // The same content and metadata again is a retry, not a new version.
      if (canonicalJson({ content, metadata }) === canonicalJson({ content: state.content, metadata: state.metadata })) return [];
      if (state.version >= wire.DOCUMENT_VERSIONS_MAX) {
        return fail('DOCUMENT_VERSIONS_EXHAUSTED', `Document ${data.documentId} has ${wire.DOCUMENT_VERSIONS_MAX} versions.`, { documentId: data.documentId });
      }
      return [{ type: 'documents.document_updated', data: { documentId: data.documentId, version: state.version + 1, content, metadata, reason, updatedBy: by, updatedAt: at } }];
    }
    case 'DeleteDocument': {
      if (state.status === 'none') return fail('DOCUMENT_NOT_FOUND', `Document ${data.documentId} does not exist.`, { documentId: data.documentId });
      if (state.status === 'deleted') return [];
      assertNotPosted(state, data.documentId);
      const reason = requireReason(data.reason, 'Deleting');
      return [{ type: 'documents.document_deleted', data: { documentId: data.documentId, reason, deletedBy: by, deletedAt: at } }];
    }
    case 'AddAttachment': {
      assertActive(state, data.documentId);
      if (data.sizeBytes > wire.ATTACHMENT_BYTES_MAX) {
        return fail('ATTACHMENT_TOO_LARGE', `Attachments are at most ${wire.ATTACHMENT_BYTES_MAX} bytes.`, { sizeBytes: data.sizeBytes, limitBytes: wire.ATTACHMENT_BYTES_MAX });
      }
      const declared = normalizeContentType(data.declaredContentType);
      if (!isAllowedContentType(declared)) {
        return fail('ATTACHMENT_TYPE_NOT_ALLOWED', `Content type "${declared.slice(0, 100)}" is not allowed; use ${wire.attachmentContentTypes.join(', ')}.`, { contentType: declared.slice(0, 100) });
      }
      if (data.detectedContentType !== declared) {
        return fail('ATTACHMENT_CONTENT_MISMATCH', `The file does not start like ${declared}.`, { declared, detected: data.detectedContentType });
      }
      if (state.attachments.some((attachment) => attachment.sha256 === data.sha256)) return [];
      if (state.attachments.length >= wire.ATTACHMENTS_PER_DOCUMENT_MAX) {
        return fail('TOO_MANY_ATTACHMENTS', `A document has at most ${wire.ATTACHMENTS_PER_DOCUMENT_MAX} attachments.`, { documentId: data.documentId });
      }
      return [
        {
          type: 'documents.attachment_added',
          data: { documentId: data.documentId, sha256: data.sha256, fileName: data.fileName, contentType: declared, sizeBytes: data.sizeBytes, addedBy: by, addedAt: at },
        },
      ];
    }
    case 'PostDocument': {
      assertActive(state, data.documentId);
      const documentType = state.type as wire.DocumentType;
      if (!POSTABLE_TYPES.includes(documentType)) {
        return fail('DOCUMENT_NOT_POSTABLE', `A ${documentType} is not posted to the ledger; only invoices are.`, { documentId: data.documentId, type: documentType });
      }
      if (data.expenseAccountNumber !== undefined && documentType !== 'purchase_invoice') {
        return fail('DOCUMENT_NOT_POSTABLE', 'Only a purchase invoice takes an expense account.', { documentId: data.documentId, type: documentType });
      }
      const posting = {
        companyId: data.companyId,
        postingDate: data.postingDate ?? issueDateOf(state.content),
        expenseAccountNumber: data.expenseAccountNumber ?? null,
      };
      if (state.posting !== null) {
        // Posting again with the same settings is a retry; other settings are refused.
        const { companyId, postingDate, expenseAccountNumber } = state.posting;
        if (canonicalJson({ companyId, postingDate, expenseAccountNumber }) === canonicalJson(posting)) return [];
        return fail('DOCUMENT_ALREADY_POSTED', `Document ${data.documentId} was posted with other settings.`, { documentId: data.documentId });
      }
      return [{ type: 'documents.document_posted', data: { documentId: data.documentId, type: documentType, version: state.version, ...posting, postedBy: by, postedAt: at } }];
    }
    case 'LinkTransaction': {
      assertActive(state, data.documentId);
      if (state.posting === null) return fail('DOCUMENT_NOT_POSTED', `Document ${data.documentId} is not posted.`, { documentId: data.documentId });
      if (state.transactionId === data.transactionId) return [];
      if (state.transactionId !== null) {
        return fail('DOCUMENT_TRANSACTION_ALREADY_LINKED', `Document ${data.documentId} is booked by transaction ${state.transactionId}.`, {
          documentId: data.documentId,
          transactionId: state.transactionId,
        });
      }
      return [{ type: 'documents.transaction_linked', data: { documentId: data.documentId, transactionId: data.transactionId, linkedBy: by, linkedAt: at } }];
    }
    case 'RecordReview': {
      assertActive(state, data.documentId);
      const reason = data.reason.trim();
      if (reason === '') return fail('REASON_REQUIRED', 'A review records the reason the workflow gave.', { documentId: data.documentId });
      if ((data.outcome === 'approved') !== (data.approvedHash !== null)) {
        return fail('DOCUMENT_REVIEW_INVALID', 'An approved review names the approved content hash; a rejected one names none.', { documentId: data.documentId, workflowId: data.workflowId });
      }
      const review = { outcome: data.outcome, reason, decidedBy: data.decidedBy, approvedHash: data.approvedHash };
      const earlier = state.reviews.find((recorded) => recorded.workflowId === data.workflowId);
      if (earlier !== undefined) {
        // The same workflow again (a redelivered completion) is no change; another ending of it is refused.
        const { outcome, reason: earlierReason, decidedBy, approvedHash } = earlier;
        if (canonicalJson({ outcome, reason: earlierReason, decidedBy, approvedHash }) === canonicalJson(review)) return [];
        return fail('DOCUMENT_REVIEW_ALREADY_RECORDED', `Workflow ${data.workflowId} ended differently on document ${data.documentId}.`, { documentId: data.documentId, workflowId: data.workflowId });
      }
      if (state.reviews.length >= DOCUMENT_REVIEWS_MAX) {
        return fail('DOCUMENT_REVIEWS_EXHAUSTED', `Document ${data.documentId} has ${DOCUMENT_REVIEWS_MAX} reviews.`, { documentId: data.documentId });
      }
      return [{ type: 'documents.review_recorded', data: { documentId: data.documentId, workflowId: data.workflowId, ...review, recordedBy: by, recordedAt: at } }];
    }
    default:
      return assertNever(type);
  }
}

/** Pure; ignores event types it does not know. */
export function evolve(state: DocumentState, event: { type: string; data: unknown }): DocumentState {
  const known = event as DocumentEvent;
  switch (known.type) {
    case 'documents.document_created':
      return {
        ...state,
        status: 'active',
        documentId: known.data.documentId,
        type: known.data.type,
        version: 1,
        content: known.data.content,
        metadata: known.data.metadata,
        versions: [{ version: 1, by: known.data.createdBy, at: known.data.createdAt, reason: null }],
      };
    case 'documents.document_updated':
      return {
        ...state,
        version: known.data.version,
        content: known.data.content,
        metadata: known.data.metadata,
        versions: [...state.versions, { version: known.data.version, by: known.data.updatedBy, at: known.data.updatedAt, reason: known.data.reason }],
      };
    case 'documents.document_deleted':
      return { ...state, status: 'deleted', deletion: known.data };
    case 'documents.attachment_added':
      return { ...state, attachments: [...state.attachments, known.data] };
    case 'documents.document_posted':
      return { ...state, posting: known.data };
    case 'documents.transaction_linked':
      return { ...state, transactionId: known.data.transactionId };
    case 'documents.review_recorded':
      return { ...state, reviews: [...state.reviews, known.data] };
    default:
      return state;
  }
}
