import { SEARCH_LIMIT_MAX, SNIPPET_MARK_END, SNIPPET_MARK_START, type SearchDocument, type SearchIndex } from './port';

/** How a contract run reaches the adapter under test: a fresh, empty index, dropped by `dispose`. */
export interface SearchIndexUnderTest {
  index: SearchIndex;
  dispose(): Promise<void>;
}

export interface SearchContractOptions {
  /** When set, the adapter cannot be reached here: every case is reported as skipped with this reason. */
  skipReason?: string;
}

const corpus: SearchDocument[] = [
  { kind: 'document', id: 'doc-1', title: 'Invoice RE-1 · Müller GmbH', body: 'Beratung Stunden consulting hours Berlin 119.00 EUR' },
  { kind: 'document', id: 'doc-2', title: 'Contract maintenance', body: 'Wartungsvertrag with Müller GmbH for the heating in Hamburg' },
  { kind: 'transaction', id: 'tx-1', title: 'Voucher 1 · Consulting Müller', body: 'sales invoice 1200 119.00 EUR 8400 100.00 EUR' },
  { kind: 'transaction', id: 'tx-2', title: 'Voucher 2 · Office rent', body: 'journal 4210 rent March Hamburg 1500.00 EUR' },
  { kind: 'account', id: '1200', title: '1200 Forderungen', body: 'Forderungen aus Lieferungen und Leistungen asset 1200' },
];

const ids = (hits: { kind: string; id: string }[]) => hits.map((hit) => `${hit.kind}:${hit.id}`).sort();

/** The one contract every SearchIndex adapter must pass (STYLE.md: one suite per port). */
export function describeSearchIndexContract(adapterName: string, setup: () => Promise<SearchIndexUnderTest>, options: SearchContractOptions = {}): void {
  describe(`SearchIndex contract: ${adapterName}`, () => {
    if (options.skipReason) {
      // Visible in the test report and in the log, never a silent skip.
      console.warn(`SearchIndex contract for ${adapterName} skipped: ${options.skipReason}`);
      it.skip(`skipped: ${options.skipReason}`, () => undefined);
      return;
    }

    let underTest: SearchIndexUnderTest;
    let index: SearchIndex;
    beforeAll(async () => {
      underTest = await setup();
      index = underTest.index;
      await index.index(corpus);
    });
    afterAll(async () => {
      await underTest?.dispose();
    });

    it('finds documents by a word of the title or the body, case-insensitively, across kinds', async () => {
      expect(ids(await index.search('müller', { limit: 10 }))).toEqual(['document:doc-1', 'document:doc-2', 'transaction:tx-1']);
      expect(ids(await index.search('HAMBURG', { limit: 10 }))).toEqual(['document:doc-2', 'transaction:tx-2']);
      expect(ids(await index.search('Forderungen', { limit: 10 }))).toEqual(['account:1200']);
    });

    it('needs every word of the query to match', async () => {
      expect(ids(await index.search('Müller Hamburg', { limit: 10 }))).toEqual(['document:doc-2']);
      expect(await index.search('Müller Tokyo', { limit: 10 })).toEqual([]);
      expect(await index.search('nothing-like-this', { limit: 10 })).toEqual([]);
    });

    it('filters by kind and honours the limit', async () => {
      expect(ids(await index.search('müller', { kind: 'transaction', limit: 10 }))).toEqual(['transaction:tx-1']);
      expect(ids(await index.search('müller', { kind: 'account', limit: 10 }))).toEqual([]);
      expect(await index.search('müller', { limit: 2 })).toHaveLength(2);
    });

    it('answers title, a marked snippet and a positive score, best first; a title match ranks above a body-only match', async () => {
      const hits = await index.search('consulting', { limit: 10 });
      expect(ids(hits)).toEqual(['document:doc-1', 'transaction:tx-1']);
      for (const hit of hits) expect(hit.score).toBeGreaterThan(0);
      expect(hits.map((hit) => hit.score)).toEqual([...hits.map((hit) => hit.score)].sort((a, b) => b - a));
      expect(hits[0]).toMatchObject({ kind: 'transaction', id: 'tx-1', title: 'Voucher 1 · Consulting Müller' });
      const body = (await index.search('Wartungsvertrag', { limit: 1 }))[0];
      expect(body?.title).toBe('Contract maintenance');
      expect(body?.snippet.toLowerCase()).toContain(`${SNIPPET_MARK_START}wartungsvertrag${SNIPPET_MARK_END}`);
    });

    it('indexing the same (kind, id) again replaces it; removing it makes it unfindable', async () => {
      await index.index([{ kind: 'transaction', id: 'tx-2', title: 'Voucher 2 · Office rent April', body: 'journal 4210 rent April Hamburg' }]);
      expect(ids(await index.search('April', { limit: 10 }))).toEqual(['transaction:tx-2']);
      expect(await index.search('March', { limit: 10 })).toEqual([]);
      await index.remove([{ kind: 'transaction', id: 'tx-2' }, { kind: 'document', id: 'never-indexed' }]);
      expect(await index.search('April', { limit: 10 })).toEqual([]);
      expect(ids(await index.search('Hamburg', { limit: 10 }))).toEqual(['document:doc-2']);
    });

    it('a blank query finds nothing; a bad limit is refused', async () => {
      expect(await index.search('   ', { limit: 10 })).toEqual([]);
      await expect(index.search('müller', { limit: 0 })).rejects.toThrow(/limit/);
      await expect(index.search('müller', { limit: SEARCH_LIMIT_MAX + 1 })).rejects.toThrow(/limit/);
    });
  });
}
