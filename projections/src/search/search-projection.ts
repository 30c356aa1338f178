import type { Knex } from 'knex';
import { documents, ledger, type RecordedEvent } from '@neuroerp/schemas';
import { DOCUMENT_CREATED, DOCUMENT_DELETED, DOCUMENT_UPDATED, documentTitle } from '../documents/documents';
import { TRANSACTION_POSTED, parsePosted } from '../ledger/shared';
import { TRANSACTION_DRAFTED } from '../ledger/transactions';
import { parseEventData as parseData } from '../runtime/event-data';
import type { Projection } from '../runtime/projection';
import type { SearchDocument, SearchHit, SearchKind, SearchOptions } from './port';
import { createSearchTables, PostgresSearchIndex, removeSearchDocuments, SEARCH_TABLE, writeSearchDocuments } from './postgres-search-index';

export const ACCOUNT_OPENED = 'ledger.account_opened';

/** Minor units as a decimal string in major units of `currency` ("11900" EUR → "119.00"). */
export function formatMinor(amountMinor: string, currency: string): string {
  const scale = ledger.currencyScale(currency) ?? 2;
  const negative = amountMinor.startsWith('-');
  const digits = (negative ? amountMinor.slice(1) : amountMinor).padStart(scale + 1, '0');
  const major = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${negative ? '-' : ''}${major}`;
}

/** Every string and number in a JSON value (content, metadata), in document order. */
function leaves(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string' || typeof value === 'number') into.push(String(value));
  else if (Array.isArray(value)) value.forEach((item) => leaves(item, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => leaves(item, into));
  return into;
}

function transactionDocument(
  data: { transactionId: string; type: string; description: string | null; linkedDocumentIds: readonly string[]; lines: readonly { accountNumber: string; amountMinor: string; currency: string; text: string | null }[] },
  voucherNumber: number | null,
): SearchDocument {
  const description = data.description ?? data.type.replace(/_/g, ' ');
  const lines = data.lines.map((line) => [line.accountNumber, formatMinor(line.amountMinor, line.currency), line.currency, line.text ?? ''].join(' '));
  return {
    kind: 'transaction',
    id: data.transactionId,
    title: voucherNumber === null ? description : `Voucher ${voucherNumber} · ${description}`,
    body: [description, data.type, data.transactionId, ...data.linkedDocumentIds, ...lines].join(' '),
  };
}

/**
 * What an event changes in the search: documents to (re)index, or a reference to remove.
 * Transactions are indexed when drafted and again, with their voucher number, when posted;
 * documents on every content version and removed by their tombstone; accounts when opened.
 * `documentTypes` knows the type of every document created before (updates do not repeat it).
 */
export function searchChangesOf(event: RecordedEvent, documentTypes: ReadonlyMap<string, string>): { index?: SearchDocument; remove?: { kind: SearchKind; id: string } } {
  switch (event.type) {
    case TRANSACTION_DRAFTED:
      return { index: transactionDocument(parseData(event, ledger.transactionDraftedSchema), null) };
    case TRANSACTION_POSTED: {
      const posted = parsePosted(event);
      return { index: transactionDocument(posted, posted.voucherNumber) };
    }
    case DOCUMENT_CREATED: {
      const created = parseData(event, documents.documentCreatedSchema);
      return { index: { kind: 'document', id: created.documentId, title: documentTitle(created.type, created.documentId, created.content), body: [created.type, ...leaves(created.content), ...leaves(created.metadata)].join(' ') } };
    }
    case DOCUMENT_UPDATED: {
      const updated = parseData(event, documents.documentUpdatedSchema);
      const type = documentTypes.get(updated.documentId);
      if (type === undefined) throw new Error(`${event.type} at ${event.globalPosition}: document ${updated.documentId} was never created`);
      return { index: { kind: 'document', id: updated.documentId, title: documentTitle(type, updated.documentId, updated.content), body: [type, ...leaves(updated.content), ...leaves(updated.metadata)].join(' ') } };
    }
    case DOCUMENT_DELETED:
      return { remove: { kind: 'document', id: parseData(event, documents.documentDeletedSchema).documentId } };
    case ACCOUNT_OPENED: {
      const opened = parseData(event, ledger.accountOpenedSchema);
      return { index: { kind: 'account', id: opened.accountNumber, title: `${opened.accountNumber} ${opened.name}`, body: [opened.name, opened.type, opened.accountNumber, opened.companyId].join(' ') } };
    }
    default:
      throw new Error(`search projection: unexpected event type ${event.type}`);
  }
}

/**
 * The PostgreSQL search index as a projection, so that it is rebuilt and verified like every
 * read model. Within a batch the last change per (kind, id) wins. Accounts are keyed by
 * account number alone (the query API addresses accounts by number: one company per deployment).
 */
export const searchProjection: Projection = {
  name: 'search',
  version: 1,
  handles: [TRANSACTION_DRAFTED, TRANSACTION_POSTED, DOCUMENT_CREATED, DOCUMENT_UPDATED, DOCUMENT_DELETED, ACCOUNT_OPENED],
  tables: [
    { name: SEARCH_TABLE, orderBy: ['kind', 'id'] },
    { name: 'search_document_types', orderBy: ['document_id'] },
  ],
  async createTables(tx, schema) {
    await createSearchTables(tx, schema);
    // The title of an updated document depends on its type, which only its creation records.
    await tx.raw(`create table "${schema}".search_document_types (document_id text primary key, type text not null)`);
  },
  async apply(events, { tx, schema }) {
    const created = events.filter((event) => event.type === DOCUMENT_CREATED).map((event) => parseData(event, documents.documentCreatedSchema));
    const updatedIds = events.filter((event) => event.type === DOCUMENT_UPDATED).map((event) => String((event.data as { documentId?: unknown }).documentId));
    const loaded = updatedIds.length === 0 ? { rows: [] } : await tx.raw(`select document_id, type from "${schema}".search_document_types where document_id = any(?)`, [updatedIds]);
    const documentTypes = new Map((loaded.rows as { document_id: string; type: string }[]).map((row) => [row.document_id, row.type]));
    for (const document of created) documentTypes.set(document.documentId, document.type);
    if (created.length > 0) {
      await tx.raw(
        `insert into "${schema}".search_document_types (document_id, type) select document_id, type from jsonb_to_recordset(?::jsonb) as t(document_id text, type text) on conflict (document_id) do nothing`,
        [JSON.stringify(created.map((document) => ({ document_id: document.documentId, type: document.type })))],
      );
    }
    const changes = new Map<string, SearchDocument | { kind: SearchKind; id: string; removed: true }>();
    for (const event of events) {
      const change = searchChangesOf(event, documentTypes);
      if (change.index !== undefined) changes.set(`${change.index.kind}\u0000${change.index.id}`, change.index);
      if (change.remove !== undefined) changes.set(`${change.remove.kind}\u0000${change.remove.id}`, { ...change.remove, removed: true });
    }
    const all = [...changes.values()];
    await removeSearchDocuments(tx, schema, all.filter((change): change is { kind: SearchKind; id: string; removed: true } => 'removed' in change));
    await writeSearchDocuments(tx, schema, all.filter((change): change is SearchDocument => !('removed' in change)));
  },
};

/** Searches the active table set of the `search` projection (what the query API's /search reads). */
export async function searchReadModel(db: Knex, controlSchema: string, query: string, options: SearchOptions): Promise<SearchHit[]> {
  return new PostgresSearchIndex({ db, controlSchema, projectionName: searchProjection.name }).search(query, options);
}
