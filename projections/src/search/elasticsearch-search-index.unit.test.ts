import { ElasticsearchError, ElasticsearchSearchIndex } from './elasticsearch-search-index';

interface Call {
  method: string;
  url: string;
  contentType: string;
  body: string | undefined;
}

/** A fetch that records requests and answers from a queue (status, JSON body). */
function fakeFetch(answers: [number, unknown][]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchStub = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ method: init?.method ?? 'GET', url: String(input), contentType: headers['content-type'] ?? '', body: init?.body as string | undefined });
    const [status, body] = answers.shift() ?? [500, { error: 'no answer queued' }];
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
  return { fetch: fetchStub as typeof fetch, calls };
}

describe('Elasticsearch adapter requests (REST API, no client library)', () => {
  it('creates the index with a strict mapping only when it is missing', async () => {
    const { fetch, calls } = fakeFetch([[404, undefined], [200, { acknowledged: true }], [200, undefined]]);
    const index = new ElasticsearchSearchIndex({ url: 'http://es:9200/', index: 'search-v1', fetch });
    await index.ensureIndex();
    await index.ensureIndex();
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(['HEAD http://es:9200/search-v1', 'PUT http://es:9200/search-v1', 'HEAD http://es:9200/search-v1']);
    expect(JSON.parse(calls[1]?.body ?? '{}')).toEqual({
      mappings: { dynamic: 'strict', properties: { kind: { type: 'keyword' }, id: { type: 'keyword' }, title: { type: 'text' }, body: { type: 'text' } } },
    });
  });

  it('indexes and removes through _bulk NDJSON with refresh=wait_for, keyed <kind>:<id>; a missing document to delete is no error', async () => {
    const { fetch, calls } = fakeFetch([
      [200, { errors: false, items: [{ index: { status: 201 } }] }],
      [200, { errors: true, items: [{ delete: { status: 404 } }, { delete: { status: 200 } }] }],
    ]);
    const index = new ElasticsearchSearchIndex({ url: 'http://es:9200', index: 'search-v1', fetch });
    await index.index([{ kind: 'document', id: 'doc-1', title: 'Invoice', body: 'Müller' }]);
    await index.remove([{ kind: 'document', id: 'gone' }, { kind: 'transaction', id: 'tx-1' }]);
    expect(calls[0]).toMatchObject({ method: 'POST', url: 'http://es:9200/_bulk?refresh=wait_for', contentType: 'application/x-ndjson' });
    expect(calls[0]?.body?.split('\n')).toEqual([
      JSON.stringify({ index: { _index: 'search-v1', _id: 'document:doc-1' } }),
      JSON.stringify({ kind: 'document', id: 'doc-1', title: 'Invoice', body: 'Müller' }),
      '',
    ]);
    expect(calls[1]?.body).toBe(`${JSON.stringify({ delete: { _index: 'search-v1', _id: 'document:gone' } })}\n${JSON.stringify({ delete: { _index: 'search-v1', _id: 'transaction:tx-1' } })}\n`);
  });

  it('throws ElasticsearchError when a bulk item fails or the cluster answers an error', async () => {
    const { fetch } = fakeFetch([
      [200, { errors: true, items: [{ index: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad field' } } }] }],
      [503, { error: 'unavailable' }],
    ]);
    const index = new ElasticsearchSearchIndex({ url: 'http://es:9200', index: 'search-v1', fetch });
    await expect(index.index([{ kind: 'account', id: '1200', title: 'x', body: 'y' }])).rejects.toThrow(/mapper_parsing_exception: bad field/);
    const error = await index.search('x', { limit: 5 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ElasticsearchError);
    expect((error as ElasticsearchError).status).toBe(503);
  });

  it('searches with multi_match (every word), a kind filter and highlighting; maps hits to the port with a snippet fallback', async () => {
    const { fetch, calls } = fakeFetch([
      [
        200,
        {
          hits: {
            hits: [
              { _score: 2.5, _source: { kind: 'document', id: 'doc-1', title: 'Invoice', body: 'Beratung Müller' }, highlight: { body: ['Beratung <mark>Müller</mark>'] } },
              { _score: 1.25, _source: { kind: 'document', id: 'doc-2', title: 'Müller contract', body: '' }, highlight: { title: ['<mark>Müller</mark> contract'] } },
            ],
          },
        },
      ],
    ]);
    const index = new ElasticsearchSearchIndex({ url: 'http://es:9200', index: 'search-v1', fetch });
    expect(await index.search('  ', { limit: 5 })).toEqual([]);
    const hits = await index.search('müller', { kind: 'document', limit: 5 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('http://es:9200/search-v1/_search');
    const body = JSON.parse(calls[0]?.body ?? '{}');
    expect(body.size).toBe(5);
    expect(body.query.bool.must[0].multi_match).toMatchObject({ query: 'müller', fields: ['title^3', 'body'], operator: 'and' });
    expect(body.query.bool.filter).toEqual([{ term: { kind: 'document' } }]);
    expect(body.highlight.pre_tags).toEqual(['<mark>']);
    expect(hits).toEqual([
      { kind: 'document', id: 'doc-1', title: 'Invoice', snippet: 'Beratung <mark>Müller</mark>', score: 2.5 },
      { kind: 'document', id: 'doc-2', title: 'Müller contract', snippet: '<mark>Müller</mark> contract', score: 1.25 },
    ]);
    await expect(index.search('müller', { limit: 101 })).rejects.toThrow(/limit/);
    expect(() => new ElasticsearchSearchIndex({ url: 'http://es:9200', index: 'Bad Name', fetch })).toThrow(/index name/);
  });
});
