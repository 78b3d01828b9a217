import { describe, expect, it } from 'vitest';
import { TEST_FINDING_START as T, testFinding as finding } from '../core/testing.js';
import { findingToAlert, findingsToAlerts } from './alerts.js';

// Ids were computed outside the code under test: printf '%s' '<dedup key>' | sha256sum.

describe('findingToAlert', () => {
  it('keys the alert by its dedup key and derives a stable id from it', () => {
    const createdAt = new Date('2026-11-03T10:00:00Z');
    const alert = findingToAlert(finding(), createdAt);
    expect(alert).toEqual({
      ...finding(),
      dedupKey: 'brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z',
      id: '7a8c4ad243e6db63218d1a82',
      status: 'open',
      createdAt: '2026-11-03T10:00:00.000Z',
    });
  });
});

describe('findingsToAlerts', () => {
  it('keeps one alert per dedup key, the later finding winning', () => {
    const createdAt = new Date('2026-11-03T10:00:00Z');
    const first = finding({ evidence: ['e1'], observed: { failures: 10 } });
    const later = finding({ evidence: ['e1', 'e2'], observed: { failures: 12 } });
    const other = finding({ entity: { type: 'ip', value: '198.51.100.1' } });
    const alerts = findingsToAlerts([first, other, later], createdAt);
    expect(alerts.map((a) => [a.dedupKey, a.observed])).toEqual([
      ['brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z', { failures: 12 }],
      ['brute-force|ip:198.51.100.1|2024-05-01T10:00:00.000Z', undefined],
    ]);
    expect(alerts[0]!.evidence).toEqual(['e1', 'e2']);
  });
});
