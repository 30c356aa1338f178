/** What the search covers: journal transactions, documents and accounts of the chart. */
export const SEARCH_KINDS = ['transaction', 'document', 'account'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** Most hits one search returns (the query API's `limit` is capped here). */
export const SEARCH_LIMIT_MAX = 100;
/** Longest body indexed per document, in characters; the rest is cut (PostgreSQL's tsvector is limited to 1 MB). */
export const SEARCH_BODY_LENGTH_MAX = 100_000;
/** Longest query text accepted, in characters. */
export const SEARCH_QUERY_LENGTH_MAX = 500;
/** How a snippet marks matched words, the same in every adapter. */
export const SNIPPET_MARK_START = '<mark>';
export const SNIPPET_MARK_END = '</mark>';

/** One searchable thing: `(kind, id)` identifies it; indexing it again replaces it. */
export interface SearchDocument {
  kind: SearchKind;
  id: string;
  /** Shown as the hit's title; its words weigh more than the body's. */
  title: string;
  /** Everything else that should find it (content text, parties, amounts, account numbers). */
  body: string;
}

export interface SearchHit {
  kind: SearchKind;
  id: string;
  title: string;
  /** A short piece of the body with the matched words between SNIPPET_MARK_START and SNIPPET_MARK_END. */
  snippet: string;
  /** Relevance, higher is better; only comparable within one answer. */
  score: number;
}

export interface SearchOptions {
  kind?: SearchKind;
  /** 1..SEARCH_LIMIT_MAX. */
  limit: number;
}

/**
 * The search port (STYLE.md: one contract suite per port, `describeSearchIndexContract`).
 * Every word of a query must match (case-insensitive, whole words); hits come best first.
 * Once `index` or `remove` resolved, `search` sees the change.
 */
export interface SearchIndex {
  index(documents: readonly SearchDocument[]): Promise<void>;
  remove(references: readonly { kind: SearchKind; id: string }[]): Promise<void>;
  /** A blank query finds nothing. */
  search(query: string, options: SearchOptions): Promise<SearchHit[]>;
}

export function assertSearchOptions(query: string, options: SearchOptions): void {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > SEARCH_LIMIT_MAX) throw new Error(`search limit must be 1..${SEARCH_LIMIT_MAX}, got ${options.limit}`);
  if (query.length > SEARCH_QUERY_LENGTH_MAX) throw new Error(`search query longer than ${SEARCH_QUERY_LENGTH_MAX} characters`);
  if (options.kind !== undefined && !SEARCH_KINDS.includes(options.kind)) throw new Error(`unknown search kind ${String(options.kind)}`);
}

export function assertSearchDocument(document: SearchDocument): void {
  if (!SEARCH_KINDS.includes(document.kind)) throw new Error(`unknown search kind ${String(document.kind)}`);
  if (document.id.length === 0) throw new Error('a search document needs an id');
}
