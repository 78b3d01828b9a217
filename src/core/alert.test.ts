import { describe, expect, it } from 'vitest';
import { dedupKey } from './alert.js';
import { TEST_FINDING_START as T, testFinding as finding } from './testing.js';

// Expected keys are written out by hand, so a change to the key format fails here instead of
// agreeing with itself (other tests compare dedupKey() with dedupKey()).

describe('dedupKey', () => {
  it('is rule | type:value | window start in ISO form', () => {
    expect(dedupKey(finding())).toBe('brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z');
    expect(
      dedupKey({ rule: 'sigma:okta-mfa-reset', entity: { type: 'user', value: 'alice@example.com' }, windowStart: Date.parse('2026-11-03T10:00:00.250Z') }),
    ).toBe('sigma:okta-mfa-reset|user:alice@example.com|2026-11-03T10:00:00.250Z');
  });

  it('depends only on rule, entity and window start', () => {
    const a = dedupKey(finding());
    expect(dedupKey(finding({ windowEnd: T + 1, severity: 'low', evidence: ['other'], title: 't', description: 'd' }))).toBe(a);
    expect(dedupKey(finding({ rule: 'brute-force-2' }))).not.toBe(a);
    expect(dedupKey(finding({ entity: { type: 'user', value: '203.0.113.7' } }))).not.toBe(a);
    expect(dedupKey(finding({ entity: { type: 'ip', value: '203.0.113.8' } }))).not.toBe(a);
    expect(dedupKey(finding({ windowStart: T + 1 }))).toBe('brute-force|ip:203.0.113.7|2024-05-01T10:00:00.001Z');
  });
});
