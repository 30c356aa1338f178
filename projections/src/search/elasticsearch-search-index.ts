import { assertSearchDocument, assertSearchOptions, SEARCH_BODY_LENGTH_MAX, SNIPPET_MARK_END, SNIPPET_MARK_START, type SearchDocument, type SearchHit, type SearchIndex, type SearchKind, type SearchOptions } from './port';

/** Documents per `_bulk` request. */
export const ELASTICSEARCH_BULK_SIZE_MAX = 500;
/** Characters of body a snippet shows when the body has no highlighted match. */
const SNIPPET_FALLBACK_LENGTH = 150;

export interface ElasticsearchSearchIndexOptions {
  /** Base URL of the cluster, e.g. `http://localhost:9200` (credentials, if any, in the URL or `headers`). */
  url: string;
  /** The index name (or alias) this adapter reads and writes. */
  index: string;
  headers?: Record<string, string>;
  /** Injected for tests; the global fetch by default. */
  fetch?: typeof fetch;
}

interface BulkResponse {
  errors: boolean;
  items: Record<string, { status: number; error?: { type: string; reason: string } }>[];
}

interface SearchResponse {
  hits: {
    hits: { _score: number | null; _source: SearchDocument; highlight?: { title?: string[]; body?: string[] } }[];
  };
}

/** Thrown when Elasticsearch answers a request with an error. */
export class ElasticsearchError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ElasticsearchError';
  }
}

/**
 * The Elasticsearch adapter of the SearchIndex port over the plain REST API (`_bulk`,
 * `_search` with `multi_match` and highlighting), so it needs no client dependency. Writes use
 * `refresh=wait_for`, so a search after `index`/`remove` resolved sees them (the port's promise).
 * Documents are keyed `<kind>:<id>`. Versioned indexes per projection version with an alias
 * swap on rebuild are the job of whoever feeds it; this adapter addresses one index or alias.
 */
export class ElasticsearchSearchIndex implements SearchIndex {
  private readonly fetch: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: ElasticsearchSearchIndexOptions) {
    if (!/^[a-z0-9][a-z0-9_.-]*$/.test(options.index)) throw new Error(`invalid Elasticsearch index name: ${options.index}`);
    this.fetch = options.fetch ?? fetch;
    this.base = options.url.replace(/\/+$/, '');
  }

  private async request<Body>(method: string, path: string, body?: unknown, contentType = 'application/json', okStatuses: readonly number[] = []): Promise<{ status: number; body: Body }> {
    const response = await this.fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': contentType, accept: 'application/json', ...this.options.headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok && !okStatuses.includes(response.status)) throw new ElasticsearchError(`Elasticsearch ${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`, response.status);
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Body };
  }

  /** Creates the index with its mapping unless it exists. */
  async ensureIndex(): Promise<void> {
    const exists = await this.request('HEAD', `/${this.options.index}`, undefined, 'application/json', [404]);
    if (exists.status !== 404) return;
    await this.request('PUT', `/${this.options.index}`, {
      mappings: {
        dynamic: 'strict',
        properties: { kind: { type: 'keyword' }, id: { type: 'keyword' }, title: { type: 'text' }, body: { type: 'text' } },
      },
    });
  }

  /** Deletes the index (tests, or a retired version after an alias swap). */
  async dropIndex(): Promise<void> {
    await this.request('DELETE', `/${this.options.index}`, undefined, 'application/json', [404]);
  }

  async index(documents: readonly SearchDocument[]): Promise<void> {
    documents.forEach(assertSearchDocument);
    await this.bulk(
      documents.map((document) => [
        { index: { _index: this.options.index, _id: `${document.kind}:${document.id}` } },
        { kind: document.kind, id: document.id, title: document.title, body: document.body.slice(0, SEARCH_BODY_LENGTH_MAX) },
      ]),
    );
  }

  async remove(references: readonly { kind: SearchKind; id: string }[]): Promise<void> {
    await this.bulk(references.map((reference) => [{ delete: { _index: this.options.index, _id: `${reference.kind}:${reference.id}` } }]));
  }

  private async bulk(actions: readonly object[][]): Promise<void> {
    for (let start = 0; start < actions.length; start += ELASTICSEARCH_BULK_SIZE_MAX) {
      const ndjson = actions
        .slice(start, start + ELASTICSEARCH_BULK_SIZE_MAX)
        .flat()
        .map((line) => `${JSON.stringify(line)}\n`)
        .join('');
      const { body } = await this.request<BulkResponse>('POST', '/_bulk?refresh=wait_for', ndjson, 'application/x-ndjson');
      if (body.errors) {
        // Deleting what is not there is no error; anything else is.
        const failures = body.items.map((item) => Object.values(item)[0]).filter((result) => result !== undefined && result.status >= 300 && result.status !== 404);
        if (failures.length > 0) throw new ElasticsearchError(`Elasticsearch _bulk failed for ${failures.length} item(s): ${failures[0]?.error?.type}: ${failures[0]?.error?.reason}`, failures[0]?.status ?? 500);
      }
    }
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    assertSearchOptions(query, options);
    if (query.trim() === '') return [];
    const { body } = await this.request<SearchResponse>('POST', `/${this.options.index}/_search`, {
      size: options.limit,
      query: {
        bool: {
          must: [{ multi_match: { query, fields: ['title^3', 'body'], operator: 'and', type: 'cross_fields' } }],
          filter: options.kind === undefined ? [] : [{ term: { kind: options.kind } }],
        },
      },
      sort: [{ _score: 'desc' }, { kind: 'asc' }, { id: 'asc' }],
      track_scores: true,
      highlight: {
        pre_tags: [SNIPPET_MARK_START],
        post_tags: [SNIPPET_MARK_END],
        fields: { body: { number_of_fragments: 1, fragment_size: SNIPPET_FALLBACK_LENGTH }, title: { number_of_fragments: 0 } },
      },
    });
    return body.hits.hits.map((hit) => ({
      kind: hit._source.kind,
      id: hit._source.id,
      title: hit._source.title,
      snippet: hit.highlight?.body?.[0] ?? hit.highlight?.title?.[0] ?? (hit._source.body.slice(0, SNIPPET_FALLBACK_LENGTH) || hit._source.title),
      score: hit._score ?? 0,
    }));
  }
}
