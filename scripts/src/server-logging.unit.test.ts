import { redactQueryToken } from './server';

describe('redactQueryToken', () => {
  it('replaces the access token in the URL and in the parsed query, and keeps everything else', () => {
    const serialized = { id: 'r1', method: 'GET', url: '/api/stream?x=1&access_token=eyJ.secret.sig&y=2', query: { x: '1', access_token: 'eyJ.secret.sig', y: '2' } };
    const redacted = redactQueryToken(serialized);
    expect(redacted).toEqual({ id: 'r1', method: 'GET', url: '/api/stream?x=1&access_token=[Redacted]&y=2', query: { x: '1', access_token: '[Redacted]', y: '2' } });
    expect(JSON.stringify(redacted)).not.toContain('secret');
  });

  it('leaves a request without a token as it was', () => {
    const serialized = { url: '/api/query/dashboard?month=2026-11', query: { month: '2026-11' } };
    expect(redactQueryToken(serialized)).toEqual(serialized);
  });
});
