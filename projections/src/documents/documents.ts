import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { documents } from '@neuroerp/schemas';
import { assertPageSize } from '../ledger/shared';
import { activeSchema } from '../runtime/control';
import { optionalText, parseEventData as parseData, requiredText } from '../runtime/event-data';
import type { Projection } from '../runtime/projection';
import { isoInstant, replaceOnConflict, writeRows, type Page } from '../runtime/rows';

export const DOCUMENT_CREATED = 'documents.document_created';
export const DOCUMENT_UPDATED = 'documents.document_updated';
export const DOCUMENT_DELETED = 'documents.document_deleted';
export const ATTACHMENT_ADDED = 'documents.attachment_added';
/** The seed's `document.posted`: the invoice is final. Handled by type string, whatever the catalogue holds. */
export const DOCUMENT_POSTED = 'documents.document_posted';
/** The seed's `document.transaction_linked`: the journal transaction that books the document. */
export const TRANSACTION_LINKED = 'documents.transaction_linked';
/** How a review workflow about the document ended (the contract-review process manager records `workflow.completed`). */
export const REVIEW_RECORDED = 'documents.review_recorded';

/** Longest derived title; longer ones are cut. */
export const DOCUMENT_TITLE_LENGTH_MAX = 300;

/** JSON with object keys sorted at every level (RFC 8785 for the values documents hold), so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of a document version's content. */
export function contentHash(content: unknown): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/**
 * A human title from a document's content: invoice number and the other party for invoices,
 * order number and buyer for orders, the title for contracts and other documents, merchant and
 * date for receipts. Content is read defensively (it was validated by the domain when written).
 */
export function documentTitle(type: string, documentId: string, content: Record<string, unknown>): string {
  const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
  const partyName = (value: unknown): string | null => text((value as { name?: unknown } | null)?.name);
  const join = (...parts: (string | null)[]) => parts.filter((part): part is string => part !== null).join(' · ');
  let title: string;
  switch (type) {
    case 'sales_invoice':
      title = join(`Invoice ${text(content.invoiceNumber) ?? documentId}`, partyName(content.buyer));
      break;
    case 'purchase_invoice':
      title = join(`Invoice ${text(content.invoiceNumber) ?? documentId}`, partyName(content.seller));
      break;
    case 'order':
      title = join(`Order ${text(content.orderNumber) ?? documentId}`, partyName(content.buyer));
      break;
    case 'contract':
      title = join(text(content.title) ?? `Contract ${documentId}`, text(content.contractNumber));
      break;
    case 'receipt':
      title = join(`Receipt ${text(content.merchant) ?? documentId}`, text(content.receiptDate));
      break;
    default:
      title = text(content.title) ?? `${type} ${documentId}`;
  }
  return title.slice(0, DOCUMENT_TITLE_LENGTH_MAX);
}

interface DocumentRow {
  document_id: string;
  type: string;
  title: string;
  version: number;
  status: 'active' | 'deleted';
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  attachments: unknown[];
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  deleted_reason: string | null;
  posted_version: number | null;
  posted_by: string | null;
  transaction_id: string | null;
  review_outcome: 'approved' | 'rejected' | null;
  review_workflow_id: string | null;
  updated_position: string;
}

const DOCUMENT_COLUMNS = [
  'document_id',
  'type',
  'title',
  'version',
  'status',
  'content',
  'metadata',
  'attachments',
  'created_at',
  'created_by',
  'updated_at',
  'updated_by',
  'deleted_reason',
  'posted_version',
  'posted_by',
  'transaction_id',
  'review_outcome',
  'review_workflow_id',
  'updated_position',
] as const satisfies readonly (keyof DocumentRow)[];

const VERSION_COLUMNS = ['document_id', 'version', 'position', 'event_type', 'changed_at', 'changed_by', 'reason', 'content_hash'] as const;

const instant = isoInstant;
const SELECT_ROW = `document_id, type, title, version, status, content, metadata, attachments, ${instant('created_at')}, created_by, ${instant('updated_at')}, updated_by,
  deleted_reason, posted_version, posted_by, transaction_id, review_outcome, review_workflow_id, updated_position::text as updated_position`;

/**
 * Documents with their current version (`documents`) and every content version
 * (`document_versions`: when, by whom, why, and the SHA-256 of the canonical content). The
 * title is derived from the content; a tombstoned document stays with status `deleted`.
 * `transaction_id` comes from `documents.transaction_linked`; `review_outcome` and
 * `review_workflow_id` from the latest `documents.review_recorded` (version 2 added them).
 */
export const documentsProjection: Projection = {
  name: 'documents',
  version: 2,
  handles: [DOCUMENT_CREATED, DOCUMENT_UPDATED, DOCUMENT_DELETED, ATTACHMENT_ADDED, DOCUMENT_POSTED, TRANSACTION_LINKED, REVIEW_RECORDED],
  tables: [
    { name: 'documents', orderBy: ['document_id'] },
    { name: 'document_versions', orderBy: ['document_id', 'version'] },
  ],
  async createTables(tx, schema) {
    await tx.raw(`
      create table "${schema}".documents (
        document_id text primary key,
        type text not null,
        title text not null,
        version integer not null,
        status text not null check (status in ('active', 'deleted')),
        content jsonb not null,
        metadata jsonb not null,
        attachments jsonb not null,
        created_at timestamptz not null,
        created_by text not null,
        updated_at timestamptz not null,
        updated_by text not null,
        deleted_reason text,
        posted_version integer,
        posted_by text,
        transaction_id text,
        review_outcome text check (review_outcome in ('approved', 'rejected')),
        review_workflow_id text,
        updated_position bigint not null,
        search tsvector generated always as (to_tsvector('simple', title || ' ' || document_id)) stored
      );
      create index on "${schema}".documents (status, updated_position, document_id);
      create index on "${schema}".documents (status, type, updated_position, document_id);
      create index on "${schema}".documents (transaction_id);
      create index on "${schema}".documents using gin (search);
      create table "${schema}".document_versions (
        document_id text not null,
        version integer not null,
        position bigint not null,
        event_type text not null,
        changed_at timestamptz not null,
        changed_by text not null,
        reason text,
        content_hash text not null,
        primary key (document_id, version)
      );
    `);
  },
  async apply(events, { tx, schema }) {
    const ids = [...new Set(events.map((event) => requiredText(event, 'documentId')))];
    const loaded = await tx.raw(`select ${SELECT_ROW} from "${schema}".documents where document_id = any(?)`, [ids]);
    const rows = new Map((loaded.rows as DocumentRow[]).map((row) => [row.document_id, row]));
    const changed = new Set<string>();
    const versions: object[] = [];

    for (const event of events) {
      const position = event.globalPosition.toString();
      const documentId = requiredText(event, 'documentId');
      if (event.type === DOCUMENT_CREATED) {
        const created = parseData(event, documents.documentCreatedSchema);
        versions.push({ document_id: documentId, version: 1, position, event_type: event.type, changed_at: created.createdAt, changed_by: created.createdBy, reason: null, content_hash: contentHash(created.content) });
        if (rows.has(documentId)) continue;
        rows.set(documentId, {
          document_id: documentId,
          type: created.type,
          title: documentTitle(created.type, documentId, created.content),
          version: 1,
          status: 'active',
          content: created.content,
          metadata: created.metadata,
          attachments: [],
          created_at: created.createdAt,
          created_by: created.createdBy,
          updated_at: created.createdAt,
          updated_by: created.createdBy,
          deleted_reason: null,
          posted_version: null,
          posted_by: null,
          transaction_id: null,
          review_outcome: null,
          review_workflow_id: null,
          updated_position: position,
        });
        changed.add(documentId);
        continue;
      }
      const row = rows.get(documentId);
      if (row === undefined) throw new Error(`${event.type} at ${position}: document ${documentId} was never created`);
      const versionRow = event.type === DOCUMENT_UPDATED ? parseData(event, documents.documentUpdatedSchema) : null;
      if (versionRow !== null) {
        versions.push({
          document_id: documentId,
          version: versionRow.version,
          position,
          event_type: event.type,
          changed_at: versionRow.updatedAt,
          changed_by: versionRow.updatedBy,
          reason: versionRow.reason,
          content_hash: contentHash(versionRow.content),
        });
      }
      // Folded in before (re-delivery or a retried dead letter): the row already says it.
      if (BigInt(row.updated_position) >= event.globalPosition) continue;
      const touch = (at: string, by: string) => {
        row.updated_at = at;
        row.updated_by = by;
        row.updated_position = position;
        changed.add(documentId);
      };
      switch (event.type) {
        case DOCUMENT_UPDATED: {
          const updated = versionRow as documents.DocumentUpdated;
          Object.assign(row, { version: updated.version, content: updated.content, metadata: updated.metadata, title: documentTitle(row.type, documentId, updated.content) });
          touch(updated.updatedAt, updated.updatedBy);
          break;
        }
        case DOCUMENT_DELETED: {
          const deleted = parseData(event, documents.documentDeletedSchema);
          row.status = 'deleted';
          row.deleted_reason = deleted.reason;
          touch(deleted.deletedAt, deleted.deletedBy);
          break;
        }
        case ATTACHMENT_ADDED: {
          const added = parseData(event, documents.attachmentAddedSchema);
          row.attachments = [...row.attachments, { sha256: added.sha256, fileName: added.fileName, contentType: added.contentType, sizeBytes: added.sizeBytes, addedBy: added.addedBy, addedAt: added.addedAt }];
          touch(added.addedAt, added.addedBy);
          break;
        }
        case DOCUMENT_POSTED: {
          const version = (event.data as { version?: unknown }).version;
          row.posted_version = typeof version === 'number' ? version : row.version;
          row.posted_by = optionalText(event.data, 'postedBy') ?? event.metadata.actor.userId;
          touch(optionalText(event.data, 'postedAt') ?? event.metadata.recordedAt, row.posted_by);
          break;
        }
        case TRANSACTION_LINKED: {
          row.transaction_id = requiredText(event, 'transactionId');
          touch(optionalText(event.data, 'linkedAt') ?? event.metadata.recordedAt, optionalText(event.data, 'linkedBy') ?? event.metadata.actor.userId);
          break;
        }
        case REVIEW_RECORDED: {
          const review = parseData(event, documents.reviewRecordedSchema);
          row.review_outcome = review.outcome;
          row.review_workflow_id = review.workflowId;
          touch(review.recordedAt, review.recordedBy);
          break;
        }
        default:
          throw new Error(`documents projection: unexpected event type ${event.type}`);
      }
    }

    const written = [...changed].map((id) => rows.get(id) as DocumentRow);
    await writeRows(tx, schema, 'documents', DOCUMENT_COLUMNS, written, replaceOnConflict(['document_id'], DOCUMENT_COLUMNS));
    await writeRows(tx, schema, 'document_versions', VERSION_COLUMNS, versions, 'on conflict (document_id, version) do nothing');
  },
};

// ---- queries -------------------------------------------------------------------------------

export interface DocumentSummary {
  documentId: string;
  type: string;
  title: string;
  version: number;
  status: 'active' | 'deleted';
  updatedAt: string;
  updatedBy: string;
  /** The journal transaction that books the document, once linked. */
  transactionId: string | null;
  postedVersion: number | null;
  /** The outcome of the latest review workflow about the document, and that workflow; null before one ended. */
  reviewOutcome: 'approved' | 'rejected' | null;
  reviewWorkflowId: string | null;
  updatedPosition: bigint;
}

export interface DocumentVersion {
  version: number;
  at: string;
  by: string;
  reason: string | null;
  contentHash: string;
  position: bigint;
}

export interface DocumentDetail extends DocumentSummary {
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  attachments: unknown[];
  createdAt: string;
  createdBy: string;
  deletedReason: string | null;
  versions: DocumentVersion[];
}

/** The keyset of the document list: most recently changed first (positions are unique per document). */
export interface DocumentCursor {
  updatedPosition: bigint;
  documentId: string;
}

function toSummary(row: DocumentRow): DocumentSummary {
  return {
    documentId: row.document_id,
    type: row.type,
    title: row.title,
    version: row.version,
    status: row.status,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    transactionId: row.transaction_id,
    postedVersion: row.posted_version,
    reviewOutcome: row.review_outcome,
    reviewWorkflowId: row.review_workflow_id,
    updatedPosition: BigInt(row.updated_position),
  };
}

/** One page of active (not tombstoned) documents, most recently changed first. */
export async function listDocuments(
  db: Knex,
  controlSchema: string,
  query: { type?: string; text?: string; after?: DocumentCursor; limit: number },
): Promise<Page<DocumentSummary, DocumentCursor>> {
  assertPageSize(query.limit);
  const schema = await activeSchema(db, controlSchema, documentsProjection.name);
  const conditions = [`status = 'active'`];
  const bindings: string[] = [];
  if (query.type !== undefined) {
    conditions.push('type = ?');
    bindings.push(query.type);
  }
  if (query.text !== undefined && query.text.trim() !== '') {
    conditions.push(`search @@ websearch_to_tsquery('simple', ?)`);
    bindings.push(query.text);
  }
  if (query.after !== undefined) {
    conditions.push('(updated_position, document_id) < (?::bigint, ?)');
    bindings.push(query.after.updatedPosition.toString(), query.after.documentId);
  }
  const result = await db.raw(`select ${SELECT_ROW} from "${schema}".documents where ${conditions.join(' and ')} order by documents.updated_position desc, documents.document_id desc limit ?`, [
    ...bindings,
    query.limit + 1,
  ]);
  const rows = result.rows as DocumentRow[];
  const items = rows.slice(0, query.limit).map(toSummary);
  const last = items[items.length - 1];
  return { items, next: rows.length > query.limit && last !== undefined ? { updatedPosition: last.updatedPosition, documentId: last.documentId } : null };
}

/** A document (also a tombstoned one) with content, metadata, attachments and every version, or null when unknown. */
export async function getDocument(db: Knex, controlSchema: string, documentId: string): Promise<DocumentDetail | null> {
  const schema = await activeSchema(db, controlSchema, documentsProjection.name);
  const result = await db.raw(`select ${SELECT_ROW} from "${schema}".documents where document_id = ?`, [documentId]);
  const row = (result.rows as DocumentRow[])[0];
  if (row === undefined) return null;
  const versions = await db.raw(`select version, ${instant('changed_at')}, changed_by, reason, content_hash, position::text as position from "${schema}".document_versions where document_id = ? order by version`, [
    documentId,
  ]);
  return {
    ...toSummary(row),
    content: row.content,
    metadata: row.metadata,
    attachments: row.attachments,
    createdAt: row.created_at,
    createdBy: row.created_by,
    deletedReason: row.deleted_reason,
    versions: (versions.rows as { version: number; changed_at: string; changed_by: string; reason: string | null; content_hash: string; position: string }[]).map((version) => ({
      version: version.version,
      at: version.changed_at,
      by: version.changed_by,
      reason: version.reason,
      contentHash: version.content_hash,
      position: BigInt(version.position),
    })),
  };
}
