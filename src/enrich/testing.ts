/** A minimal SecurityEvent for enricher tests and the bench. */
import type { SecurityEvent } from '../core/index.js';

export function makeEvent(extra: Partial<SecurityEvent> = {}, dataset = 'auth-logs', provider = 'json-logs'): SecurityEvent {
  return {
    '@timestamp': '2026-01-05T10:00:00.000Z',
    event: { id: 'e1', kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider, dataset, ingested: '2026-01-05T10:00:01.000Z' },
    raw: {},
    ...extra,
  };
}
