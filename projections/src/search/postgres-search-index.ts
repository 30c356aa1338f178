import type { Knex } from 'knex';
import { chunks } from '../ledger/shared';
import { activeSchema } from '../runtime/control';
import {
  assertSearchDocument,
  assertSearchOptions,
  SEARCH_BODY_LENGTH_MAX,
  SNIPPET_MARK_END,
  SNIPPET_MARK_START,
  type SearchDocument,
  type SearchHit,
  type SearchIndex,
  type SearchKind,
  type SearchOptions,
} from './port';

export const SEARCH_TABLE = 'search_entries';

/**
 * Creates the search table in `schema`: one row per (kind, id), a stored tsvector with the
 * `simple` configuration (no stemming, no stop words: names, numbers and German and English
 * words alike) where title words weigh A and body words D, and a GIN index on it.
 */
export async function createSearchTables(tx: Knex | Knex.Transaction, schema: string): Promise<void> {
  await tx.raw(`
    create table "${schema}".${SEARCH_TABLE} (
      kind text not null check (kind in ('transaction', 'document', 'account')),
      id text not null,
      title text not null,
      body text not null,
      search tsvector generated always as (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'D')) stored,
      primary key (kind, id)
    );
    create index on "${schema}".${SEARCH_TABLE} using gin (search);
  `);
}

/** Upserts search documents in `schema` inside the caller's transaction. */
export async function writeSearchDocuments(tx: Knex | Knex.Transaction, schema: string, documents: readonly SearchDocument[]): Promise<void> {
  documents.forEach(assertSearchDocument);
  // One row per key per statement: ON CONFLICT DO UPDATE may not touch a row twice.
  const unique = [...new Map(documents.map((document) => [`${document.kind}\u0000${document.id}`, document])).values()];
  for (const chunk of chunks(unique)) {
    const rows = chunk.map((document) => ({ kind: document.kind, id: document.id, title: document.title, body: document.body.slice(0, SEARCH_BODY_LENGTH_MAX) }));
    await tx.raw(
      `insert into "${schema}".${SEARCH_TABLE} (kind, id, title, body)
       select kind, id, title, body from jsonb_to_recordset(?::jsonb) as t(kind text, id text, title text, body text)
       on conflict (kind, id) do update set title = excluded.title, body = excluded.body`,
      [JSON.stringify(rows)],
    );
  }
}

export async function removeSearchDocuments(tx: Knex | Knex.Transaction, schema: string, references: readonly { kind: SearchKind; id: string }[]): Promise<void> {
  for (const chunk of chunks(references)) {
    await tx.raw(
      `delete from "${schema}".${SEARCH_TABLE} s using jsonb_to_recordset(?::jsonb) as t(kind text, id text) where s.kind = t.kind and s.id = t.id`,
      [JSON.stringify(chunk.map((reference) => ({ kind: reference.kind, id: reference.id })))],
    );
  }
}

/** Full-text search in `schema`: websearch syntax ("phrase", or, -word), ranked by ts_rank, snippet by ts_headline. */
export async function searchIn(db: Knex | Knex.Transaction, schema: string, query: string, options: SearchOptions): Promise<SearchHit[]> {
  assertSearchOptions(query, options);
  if (query.trim() === '') return [];
  const headline = `StartSel=${SNIPPET_MARK_START}, StopSel=${SNIPPET_MARK_END}, MaxWords=30, MinWords=10, MaxFragments=1`;
  const result = await db.raw(
    `select kind, id, title, ts_headline('simple', case when body = '' then title else body end, q, ?) as snippet, ts_rank(search, q)::float8 as score
       from "${schema}".${SEARCH_TABLE}, websearch_to_tsquery('simple', ?) q
      where search @@ q and (?::text is null or kind = ?::text)
      order by score desc, kind, id
      limit ?`,
    [headline, query, options.kind ?? null, options.kind ?? null, options.limit],
  );
  return (result.rows as { kind: SearchKind; id: string; title: string; snippet: string; score: number }[]).map((row) => ({ ...row, score: Number(row.score) }));
}

/**
 * The PostgreSQL adapter of the SearchIndex port. With `schema` it reads and writes that schema
 * (tests, tools); with `controlSchema` it resolves the active table set of the `search`
 * projection on each call, like every read-model query, and is then only meant for reading:
 * the projection writes that table set.
 */
export class PostgresSearchIndex implements SearchIndex {
  constructor(private readonly options: { db: Knex; schema: string } | { db: Knex; controlSchema: string; projectionName: string }) {}

  private async schema(): Promise<string> {
    return 'schema' in this.options ? this.options.schema : activeSchema(this.options.db, this.options.controlSchema, this.options.projectionName);
  }

  async index(documents: readonly SearchDocument[]): Promise<void> {
    const schema = await this.schema();
    await this.options.db.transaction((tx) => writeSearchDocuments(tx, schema, documents));
  }

  async remove(references: readonly { kind: SearchKind; id: string }[]): Promise<void> {
    const schema = await this.schema();
    await this.options.db.transaction((tx) => removeSearchDocuments(tx, schema, references));
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    return searchIn(this.options.db, await this.schema(), query, options);
  }
}
