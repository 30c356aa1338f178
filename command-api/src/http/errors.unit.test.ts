import { EventStoreError, PrivacyError } from '@neuroerp/infra';
import { problemFromError } from './errors';

describe('problemFromError', () => {
  it('answers personal data of a forgotten subject with 410 SUBJECT_FORGOTTEN', () => {
    const { problem } = problemFromError(new PrivacyError('SUBJECT_FORGOTTEN', 'party-0123 was forgotten (GDPR erasure)'));
    expect(problem).toMatchObject({ status: 410, code: 'SUBJECT_FORGOTTEN', detail: 'party-0123 was forgotten (GDPR erasure)' });
  });

  it('keeps other privacy failures (a wrong master key, altered ciphertext) internal: 500 without their message', () => {
    for (const error of [new PrivacyError('PERSONAL_DATA_UNREADABLE', 'secret detail'), new PrivacyError('PRIVACY_MASTER_KEY_MISSING', 'secret detail')]) {
      const { problem } = problemFromError(error);
      expect(problem).toMatchObject({ status: 500, code: 'INTERNAL' });
      expect(JSON.stringify(problem)).not.toContain('secret detail');
    }
  });

  it('answers an unreachable store with 503 and Retry-After', () => {
    const { problem, headers } = problemFromError(new EventStoreError('STORE_UNAVAILABLE', 'down'));
    expect(problem).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
    expect(headers['Retry-After']).toBeDefined();
  });
});
