import { DomainError } from '../domain-error';

/**
 * Every code the documents context throws, with what it means. The codes are API: never
 * rename one, only add. Content checks report the codes of the zod content schemas
 * (LINE_AMOUNT_MISMATCH, INVOICE_TOTALS_MISMATCH, ... in @neuroerp/schemas documents/content.ts).
 */
export const DOCUMENTS_ERROR_CODES = {
  DOCUMENT_NOT_FOUND: 'No document with this id was created.',
  DOCUMENT_EXISTS_WITH_DIFFERENT_DATA: 'A document with this id was created with a different type, content or metadata.',
  DOCUMENT_DELETED: 'The document is deleted (a tombstone); it takes no more changes and only its history can be read.',
  DOCUMENT_VERSION_NOT_FOUND: 'The document has no content version with this number.',
  DOCUMENT_VERSIONS_EXHAUSTED: 'The document reached DOCUMENT_VERSIONS_MAX content versions.',
  DOCUMENT_CONTENT_INVALID: 'The content does not match the schema of the document type (several problems, or one without a specific code).',
  METADATA_TOO_LARGE: 'The metadata has more than METADATA_KEYS_MAX keys or METADATA_JSON_LENGTH_MAX characters of JSON.',
  REASON_REQUIRED: 'Updating or deleting a document needs a non-empty reason.',
  TOO_MANY_ATTACHMENTS: 'The document has ATTACHMENTS_PER_DOCUMENT_MAX attachments already.',
  ATTACHMENT_TOO_LARGE: 'The file is larger than ATTACHMENT_BYTES_MAX.',
  ATTACHMENT_TYPE_NOT_ALLOWED: 'The declared content type is not one of PDF, XML, PNG, JPEG.',
  ATTACHMENT_CONTENT_MISMATCH: "The file's leading bytes (magic bytes) are not those of its declared content type.",
  ATTACHMENT_FILE_REQUIRED: 'The multipart request has no part named "file".',
  ATTACHMENT_NOT_FOUND: 'The document has no attachment with this SHA-256.',
  ATTACHMENT_TAMPERED: 'The stored file no longer hashes to the SHA-256 recorded in its event (or is missing).',
} as const;

export type DocumentsErrorCode = keyof typeof DOCUMENTS_ERROR_CODES;

/**
 * Codes of posting and ledger links (issue 4). Kept apart from DOCUMENTS_ERROR_CODES because
 * command-api's DOCUMENTS_ERROR_STATUS table must list every code there; until it takes these
 * in, their HTTP status follows domainErrorStatus's shape rule (`_ALREADY_` 409, else 422).
 */
export const DOCUMENTS_POSTING_ERROR_CODES = {
  DOCUMENT_NOT_POSTABLE: 'Only sales and purchase invoices are posted to the ledger.',
  DOCUMENT_ALREADY_POSTED: 'The document is posted: it takes no updates and cannot be deleted; posting it with other settings is refused.',
  DOCUMENT_NOT_POSTED: 'Only a posted document is linked to a journal transaction.',
  DOCUMENT_TRANSACTION_ALREADY_LINKED: 'The document is linked to another journal transaction already.',
} as const;

export type DocumentsPostingErrorCode = keyof typeof DOCUMENTS_POSTING_ERROR_CODES;

/** Codes of recording review workflows (issue 4); kept apart for the same reason as the posting codes. */
export const DOCUMENTS_REVIEW_ERROR_CODES = {
  DOCUMENT_REVIEW_INVALID: 'An approved review names the approved content hash; a rejected one names none.',
  DOCUMENT_REVIEW_ALREADY_RECORDED: 'The workflow is recorded on the document already, with another outcome, reason, decider or hash.',
  DOCUMENT_REVIEWS_EXHAUSTED: 'The document has DOCUMENT_REVIEWS_MAX reviews recorded.',
} as const;

export type DocumentsReviewErrorCode = keyof typeof DOCUMENTS_REVIEW_ERROR_CODES;

/** Throws the DomainError for `code`; the return type lets callers write `return fail(...)`. */
export function fail(code: DocumentsErrorCode | string, message: string, details: Record<string, string | number | boolean | null> = {}): never {
  throw new DomainError<string>(code, message, details);
}
