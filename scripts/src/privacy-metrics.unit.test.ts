import { randomBytes } from 'node:crypto';
import { MasterKeyRing, type PostgresDataKeyStore } from '@neuroerp/infra';
import { privacyMetrics, type Privacy } from './privacy';

describe('privacy_master_key_age_days', () => {
  it('reports the age of the current master key version in whole days, for the rotation alert', async () => {
    const createdAt = new Date(Date.now() - 31 * 24 * 60 * 60 * 1000 - 1000).toISOString();
    const ring = MasterKeyRing.of(
      [
        { version: 1, key: randomBytes(32), createdAt: '2020-01-01T00:00:00.000Z' },
        { version: 2, key: randomBytes(32), createdAt },
      ],
      { kind: 'configured' },
    );
    const registry = privacyMetrics({ keys: { ring } as PostgresDataKeyStore } as Privacy);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE privacy_master_key_age_days gauge');
    expect(text).toMatch(/^privacy_master_key_age_days 31$/m);
  });
});
