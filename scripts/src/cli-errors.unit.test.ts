import { describeFailure, UsageError } from './cli-errors';

describe('describeFailure', () => {
  it('prints a usage error as its message alone', () => {
    expect(describeFailure(new UsageError('--limit must be 1..500'))).toBe('--limit must be 1..500');
  });

  it('prints an unreachable dependency as one line with its code', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' });
    expect(describeFailure(refused)).toBe('connect ECONNREFUSED 127.0.0.1:5433 (ECONNREFUSED)');
    expect(describeFailure(new AggregateError([refused], 'all attempts failed'))).toBe('connect ECONNREFUSED 127.0.0.1:5433 (ECONNREFUSED)');
  });

  it('prints an error with a domain code as one line', () => {
    const domain = Object.assign(new Error('The period is closed.'), { code: 'PERIOD_CLOSED' });
    expect(describeFailure(domain)).toBe('The period is closed. (PERIOD_CLOSED)');
  });

  it('keeps the stack of an unexpected error, which is a defect to report', () => {
    const bug = new TypeError('cannot read properties of undefined');
    const text = describeFailure(bug);
    expect(text).toContain('TypeError: cannot read properties of undefined');
    expect(text.split('\n').length).toBeGreaterThan(1);
  });
});
