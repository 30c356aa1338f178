import { queryApiOpenApiPaths } from './app';
import { queryRoutes } from './routes';

describe('queryApiOpenApiPaths', () => {
  it('describes every route of the route table and the event stream', () => {
    expect(Object.keys(queryApiOpenApiPaths).sort()).toEqual(
      [...queryRoutes.map((route) => `/api/query${route.path}`.replace(/:([A-Za-z]+)/g, '{$1}')), '/api/stream'].sort(),
    );
  });

  it('documents query parameters, the CSV answer, 304 and the error codes', () => {
    const ledger = (queryApiOpenApiPaths['/api/query/ledger'] as { get: { parameters: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, unknown>; description: string }> } }).get;
    expect(ledger.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(['account', 'from', 'to', 'minAmount', 'maxAmount', 'text', 'cursor', 'limit', 'format', 'after', 'companyId']),
    );
    expect(Object.keys(ledger.responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(ledger.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '401', '403', '503']));
    expect(ledger.responses['400']?.description).toContain('INVALID_CURSOR');
    const transaction = (queryApiOpenApiPaths['/api/query/transactions/{transactionId}'] as { get: { responses: Record<string, { description: string }> } }).get;
    expect(transaction.responses['404']?.description).toBe('TRANSACTION_NOT_FOUND');
  });
});
