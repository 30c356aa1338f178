/**
 * The documents bounded context: typed business documents (invoices, orders, contracts,
 * receipts, other) with versioned content, free metadata, tombstone deletion and
 * content-addressed attachments. Pure: no I/O, no clock, no randomness; the actor, `now`,
 * ids and the hash and detected type of an uploaded file arrive in the command.
 *
 * | aggregate | stream id                         | events                                                                 |
 * |-----------|-----------------------------------|------------------------------------------------------------------------|
 * | document  | `documents.document-<documentId>` | document_created, document_updated, document_deleted, attachment_added, |
 * |           |                                   | document_posted (invoices), transaction_linked (by the process manager) |
 * |           |                                   | review_recorded (by the contract-review process manager)                |
 *
 * Every command loads the one document stream, decides, and appends to it with the version
 * read as expected version (the generic command handler).
 */
export * from './errors';
export * from './attachments';
export * from './document';
