import { randomBytes } from 'node:crypto';
import { ElasticsearchSearchIndex } from './elasticsearch-search-index';
import { describeSearchIndexContract } from './search-index.contract';

// e.g. ELASTICSEARCH_URL=http://localhost:9200 with an Elasticsearch 8 single node.
const url = process.env.ELASTICSEARCH_URL;

describeSearchIndexContract(
  'Elasticsearch',
  async () => {
    const index = new ElasticsearchSearchIndex({ url: url as string, index: `test-search-${randomBytes(4).toString('hex')}` });
    await index.ensureIndex();
    return { index, dispose: () => index.dropIndex() };
  },
  { skipReason: url ? undefined : 'ELASTICSEARCH_URL is not set (no Elasticsearch on this machine; the request shapes are checked by elasticsearch-search-index.unit.test.ts)' },
);
