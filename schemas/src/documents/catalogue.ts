import type { z } from 'zod';
import { attachmentAddedSchema, documentCreatedSchema, documentDeletedSchema, documentPostedSchema, documentUpdatedSchema, reviewRecordedSchema, transactionLinkedSchema } from './documents';

export interface DocumentsEventCatalogueEntry {
  schemaVersion: number;
  schema: z.ZodTypeAny;
  stream: 'documents.document';
}

/**
 * Every documents event type with its schema version and data schema; all go to the stream
 * `documents.document-<documentId>`. The seed's `document.created`, `document.updated` and
 * `document.deleted` are `documents.document_created`, `documents.document_updated` and
 * `documents.document_deleted`.
 */
export const documentsEventCatalogue = {
  'documents.document_created': { schemaVersion: 1, schema: documentCreatedSchema, stream: 'documents.document' },
  'documents.document_updated': { schemaVersion: 1, schema: documentUpdatedSchema, stream: 'documents.document' },
  'documents.document_deleted': { schemaVersion: 1, schema: documentDeletedSchema, stream: 'documents.document' },
  'documents.attachment_added': { schemaVersion: 1, schema: attachmentAddedSchema, stream: 'documents.document' },
  /** The seed's `document.posted`. */
  'documents.document_posted': { schemaVersion: 1, schema: documentPostedSchema, stream: 'documents.document' },
  /** The seed's `document.transaction_linked`. */
  'documents.transaction_linked': { schemaVersion: 1, schema: transactionLinkedSchema, stream: 'documents.document' },
  /** How a review workflow (`workflow.completed` about the document) ended; recorded by the contract-review process manager. */
  'documents.review_recorded': { schemaVersion: 1, schema: reviewRecordedSchema, stream: 'documents.document' },
} as const satisfies Record<string, DocumentsEventCatalogueEntry>;

export type DocumentsEventType = keyof typeof documentsEventCatalogue;
export type DocumentsEventData<Type extends DocumentsEventType> = z.infer<(typeof documentsEventCatalogue)[Type]['schema']>;

export function isDocumentsEventType(type: string): type is DocumentsEventType {
  return Object.prototype.hasOwnProperty.call(documentsEventCatalogue, type);
}
