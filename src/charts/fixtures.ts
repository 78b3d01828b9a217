/** Sample chart inputs at fixed instants (activity around a burst, logins from far apart), for tests and the demo. */
import type { ActivitySeries, SecurityEvent } from '../core/index.js';

export const FIXTURE_WINDOW_START = Date.parse('2024-05-01T10:00:00.000Z');

/** 10-minute buckets from 4 hours before the window to 1 hour after, quiet but for a burst in the bucket the window starts in. */
export function sampleActivity(opts: { windowStart?: number; burstTotal?: number; burstFailures?: number } = {}): ActivitySeries {
  const start = opts.windowStart ?? FIXTURE_WINDOW_START;
  const bucketMs = 600_000;
  const from = start - 4 * 3_600_000;
  const to = start + 3_600_000;
  const buckets: ActivitySeries['buckets'] = [];
  for (let t = from, i = 0; t < to; t += bucketMs, i++) {
    const inBurst = t >= start && t < start + bucketMs;
    // A steady, slightly uneven background, so the bars are not all the same height.
    const total = inBurst ? (opts.burstTotal ?? 60) : 4 + ((i * 7) % 5);
    const failures = inBurst ? (opts.burstFailures ?? 42) : i % 3 === 0 ? 1 : 0;
    buckets.push({ t, total, failures });
  }
  return { from, to, bucketMs, buckets };
}

function login(id: string, at: string, ip: string, geo: NonNullable<SecurityEvent['source']>['geo'], as: NonNullable<SecurityEvent['source']>['as'], outcome: 'success' | 'failure' = 'success'): SecurityEvent {
  return {
    '@timestamp': at,
    event: { id, kind: 'event', category: ['authentication'], action: 'login', outcome, provider: 'google-workspace', dataset: 'google.login', ingested: at },
    user: { email: 'alice@example.com' },
    source: { ip, ...(geo ? { geo } : {}), ...(as ? { as } : {}) },
    raw: { ip },
  };
}

/** Two logins of one user, Paris then Sydney an hour apart: what impossible travel reports. */
export function sampleTravelEvidence(): SecurityEvent[] {
  return [
    login('ev-paris', '2024-05-01T09:05:00.000Z', '198.51.100.20', { country_iso_code: 'FR', country_name: 'France', city_name: 'Paris', location: { lat: 48.86, lon: 2.35 } }, { number: 3215, organization: { name: 'Orange' } }),
    login('ev-sydney', '2024-05-01T10:07:00.000Z', '203.0.113.9', { country_iso_code: 'AU', country_name: 'Australia', city_name: 'Sydney', location: { lat: -33.87, lon: 151.21 } }, { number: 1221, organization: { name: 'Telstra' } }),
  ];
}
