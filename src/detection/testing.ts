/** Builds SecurityEvents for detector tests and benchmarks without depending on a source's normalizer. */
import { eventId, type EventOutcome, type SecurityEvent } from '../core/index.js';

export interface TestEventInit {
  /** Epoch ms or ISO string. */
  time: number | string;
  user?: string;
  ip?: string;
  action?: string;
  outcome?: EventOutcome;
  count?: number;
  /** Defaults to ['authentication'] for login/logout, ['web'] otherwise, as the json-logs mapping does. */
  category?: string[];
  /** Distinguishes otherwise identical events (ids hash the raw record). */
  nonce?: number;
  /** The stream the event comes from; defaults to test.auth. */
  dataset?: string;
}

export const LOGIN_ACTIONS: ReadonlySet<string> = new Set(['login', 'logout']);

export function testEvent(init: TestEventInit): SecurityEvent {
  const ts = typeof init.time === 'number' ? new Date(init.time).toISOString() : init.time;
  const action = init.action ?? 'login';
  const raw = { time: ts, user: init.user, src_ip: init.ip, action, result: init.outcome ?? 'success', nonce: init.nonce };
  const e: SecurityEvent = {
    '@timestamp': ts,
    event: {
      id: eventId('test', raw),
      kind: 'event',
      category: init.category ?? (LOGIN_ACTIONS.has(action) ? ['authentication'] : ['web']),
      action,
      outcome: init.outcome ?? 'success',
      provider: 'test',
      dataset: init.dataset ?? 'test.auth',
      ingested: ts,
    },
    raw,
  };
  if (init.count !== undefined) e.event.count = init.count;
  if (init.user !== undefined) e.user = { email: init.user };
  if (init.ip !== undefined) e.source = { ip: init.ip };
  return e;
}
