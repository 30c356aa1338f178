import { z } from 'zod';
import { accountNumberSchema, idSchema, isoDateSchema, REASON_LENGTH_MAX, timestampSchema } from '../ledger/primitives';
import { documentTypeSchema } from './content';

/** Free key/value metadata of a document: bounded in keys, key length, value length and total size. */
export const METADATA_KEYS_MAX = 50;
export const METADATA_VALUE_LENGTH_MAX = 1000;
/** Serialized metadata (JSON) at most this many characters. */
export const METADATA_JSON_LENGTH_MAX = 16 * 1024;
/** Content versions per document; the 1001st update is refused (DOCUMENT_VERSIONS_EXHAUSTED). */
export const DOCUMENT_VERSIONS_MAX = 1000;
/** Attachments per document (TOO_MANY_ATTACHMENTS beyond). */
export const ATTACHMENTS_PER_DOCUMENT_MAX = 100;
/** Largest attachment accepted: 20 MiB (413 ATTACHMENT_TOO_LARGE). */
export const ATTACHMENT_BYTES_MAX = 20 * 1024 * 1024;
export const FILE_NAME_LENGTH_MAX = 255;

/** Content types an attachment may have; the file's leading bytes must agree (magic bytes). */
export const attachmentContentTypes = ['application/pdf', 'application/xml', 'image/png', 'image/jpeg'] as const;
export const attachmentContentTypeSchema = z.enum(attachmentContentTypes);
export type AttachmentContentType = z.infer<typeof attachmentContentTypeSchema>;

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits');

export const documentMetadataSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'metadata keys are 1..64 letters, digits, _ . - starting with a letter'),
    z.union([z.string().max(METADATA_VALUE_LENGTH_MAX), z.number().finite(), z.boolean(), z.null()]),
  )
  .superRefine((metadata, ctx) => {
    if (Object.keys(metadata).length > METADATA_KEYS_MAX || JSON.stringify(metadata).length > METADATA_JSON_LENGTH_MAX) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `metadata has at most ${METADATA_KEYS_MAX} keys and ${METADATA_JSON_LENGTH_MAX} characters of JSON`,
        params: { code: 'METADATA_TOO_LARGE' },
      });
    }
  });
export type DocumentMetadata = z.infer<typeof documentMetadataSchema>;

const reasonSchema = z.string().trim().min(1, 'a reason is required').max(REASON_LENGTH_MAX);
/** Content on the wire is any JSON object; the domain validates it against the schema of the document's type. */
const contentInputSchema = z.record(z.unknown()).describe('JSON object validated against the schema of the document type (sales_invoice, purchase_invoice, order, contract, receipt, other).');

// ---- command bodies ------------------------------------------------------------------------

export const createDocumentBodySchema = z.object({
  documentId: idSchema,
  type: documentTypeSchema,
  content: contentInputSchema,
  metadata: documentMetadataSchema.optional(),
});
export type CreateDocumentBody = z.infer<typeof createDocumentBodySchema>;

/** `reason` is optional on the wire so that its absence is the domain's UPDATE_REASON_REQUIRED, not a generic 400. */
export const updateDocumentBodySchema = z.object({
  documentId: idSchema,
  content: contentInputSchema,
  metadata: documentMetadataSchema.optional(),
  reason: z.string().max(REASON_LENGTH_MAX).optional(),
});
export type UpdateDocumentBody = z.infer<typeof updateDocumentBodySchema>;

export const deleteDocumentBodySchema = z.object({ documentId: idSchema, reason: z.string().max(REASON_LENGTH_MAX).optional() });
export type DeleteDocumentBody = z.infer<typeof deleteDocumentBodySchema>;

/** What the API knows about an uploaded file once it is stored (the bytes never enter an event). */
export const addAttachmentBodySchema = z.object({
  documentId: idSchema,
  fileName: z.string().min(1).max(FILE_NAME_LENGTH_MAX),
  /** The content type the client declared. */
  declaredContentType: z.string().max(200),
  /** The content type recognised from the file's leading bytes; null when none of the allowed ones. */
  detectedContentType: attachmentContentTypeSchema.nullable(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: sha256HexSchema,
});
export type AddAttachmentBody = z.infer<typeof addAttachmentBodySchema>;

/**
 * Posting makes an invoice final: its current version is what the books record. `companyId`
 * names the company whose ledger books it; `postingDate` defaults to the invoice's issue date;
 * `expenseAccountNumber` (purchase invoices only) replaces the default goods-received account.
 */
export const postDocumentBodySchema = z.object({
  documentId: idSchema,
  companyId: idSchema,
  postingDate: isoDateSchema.optional(),
  expenseAccountNumber: accountNumberSchema.optional(),
});
export type PostDocumentBody = z.infer<typeof postDocumentBodySchema>;

/** Records the journal transaction that books a posted document (issued by the invoice process manager). */
export const linkTransactionBodySchema = z.object({ documentId: idSchema, transactionId: idSchema });
export type LinkTransactionBody = z.infer<typeof linkTransactionBodySchema>;

/** How a review workflow ended. */
export const reviewOutcomeSchema = z.enum(['approved', 'rejected']);
export type ReviewOutcome = z.infer<typeof reviewOutcomeSchema>;

/**
 * Records how a review workflow about the document ended (issued by the contract-review
 * process manager on `workflow.completed`). `approvedHash` is the SHA-256 of the content the
 * workflow approved (null when rejected); `decidedBy` is who made the last decision.
 */
export const recordReviewBodySchema = z.object({
  documentId: idSchema,
  workflowId: idSchema,
  outcome: reviewOutcomeSchema,
  reason: z.string().max(REASON_LENGTH_MAX),
  decidedBy: z.string().min(1),
  approvedHash: sha256HexSchema.nullable(),
});
export type RecordReviewBody = z.infer<typeof recordReviewBodySchema>;

// ---- events --------------------------------------------------------------------------------

/** Version 1 of a document: its type never changes afterwards. */
export const documentCreatedSchema = z.object({
  documentId: idSchema,
  type: documentTypeSchema,
  version: z.literal(1),
  content: z.record(z.unknown()),
  metadata: documentMetadataSchema,
  createdBy: z.string().min(1),
  createdAt: timestampSchema,
});
export type DocumentCreated = z.infer<typeof documentCreatedSchema>;

/** A new content version; the previous ones stay in the stream. */
export const documentUpdatedSchema = z.object({
  documentId: idSchema,
  version: z.number().int().min(2),
  content: z.record(z.unknown()),
  metadata: documentMetadataSchema,
  reason: reasonSchema,
  updatedBy: z.string().min(1),
  updatedAt: timestampSchema,
});
export type DocumentUpdated = z.infer<typeof documentUpdatedSchema>;

/** The tombstone: the document leaves lists and search, its history stays for audit. */
export const documentDeletedSchema = z.object({
  documentId: idSchema,
  reason: reasonSchema,
  deletedBy: z.string().min(1),
  deletedAt: timestampSchema,
});
export type DocumentDeleted = z.infer<typeof documentDeletedSchema>;

/** A file stored content-addressed under its SHA-256; the hash makes tampering detectable. */
export const attachmentAddedSchema = z.object({
  documentId: idSchema,
  sha256: sha256HexSchema,
  fileName: z.string().min(1).max(FILE_NAME_LENGTH_MAX),
  contentType: attachmentContentTypeSchema,
  sizeBytes: z.number().int().nonnegative().max(ATTACHMENT_BYTES_MAX),
  addedBy: z.string().min(1),
  addedAt: timestampSchema,
});
export type AttachmentAdded = z.infer<typeof attachmentAddedSchema>;

/**
 * The document (an invoice) is final at content `version`: it takes no more updates and cannot
 * be deleted; the invoice process manager books it in the ledger of `companyId`.
 */
export const documentPostedSchema = z.object({
  documentId: idSchema,
  type: documentTypeSchema,
  version: z.number().int().min(1),
  companyId: idSchema,
  postingDate: isoDateSchema,
  expenseAccountNumber: accountNumberSchema.nullable(),
  postedBy: z.string().min(1),
  postedAt: timestampSchema,
});
export type DocumentPosted = z.infer<typeof documentPostedSchema>;

/** The journal transaction that books the posted document; at most one per document. */
export const transactionLinkedSchema = z.object({
  documentId: idSchema,
  transactionId: idSchema,
  linkedBy: z.string().min(1),
  linkedAt: timestampSchema,
});
export type TransactionLinked = z.infer<typeof transactionLinkedSchema>;

/** A review workflow about the document ended; one per workflow id. The latest is the document's review. */
export const reviewRecordedSchema = z.object({
  documentId: idSchema,
  workflowId: idSchema,
  outcome: reviewOutcomeSchema,
  reason: reasonSchema,
  decidedBy: z.string().min(1),
  approvedHash: sha256HexSchema.nullable(),
  recordedBy: z.string().min(1),
  recordedAt: timestampSchema,
});
export type ReviewRecorded = z.infer<typeof reviewRecordedSchema>;
