/** Events, alerts and the fixed clock every Store contract clause builds its input from. */
import { dedupKey, type Alert } from '../../../src/core/alert.js';
import type { SecurityEvent } from '../../../src/core/event.js';
import type { DeadLetterInput } from '../../../src/core/source.js';

export const T0 = Date.parse('2026-03-01T00:00:00.000Z');
/** The store's clock in every clause: what it stamps rows with, and when the deliveries it creates are due. */
export const NOW = Date.parse('2026-03-02T09:00:00.000Z');
export const clock = (): number => NOW;
export const isoNow = new Date(NOW).toISOString();

export function event(n: number, over: { ts?: number; user?: string; ip?: string; action?: string; provider?: string } = {}): SecurityEvent {
  const ts = over.ts ?? T0 + n * 1000;
  return {
    '@timestamp': new Date(ts).toISOString(),
    event: {
      id: `evt-${n}`,
      kind: 'event',
      category: ['authentication'],
      action: over.action ?? 'login',
      outcome: 'success',
      provider: over.provider ?? 'json-logs',
      dataset: 'auth-logs',
      ingested: new Date(T0 + 10_000_000).toISOString(),
    },
    user: { email: over.user ?? `u${n % 3}@example.com` },
    source: { ip: over.ip ?? `10.0.0.${n % 4}` },
    raw: { seq: n, nested: { text: 'ünïcødé ✓' } },
  };
}

export function alert(n: number, over: Partial<Alert> = {}): Alert {
  const base = {
    rule: 'brute-force',
    entity: { type: 'ip', value: `192.0.2.${n}` },
    windowStart: T0,
  };
  return {
    id: `alert-${n}-${Math.random().toString(36).slice(2)}`,
    title: 'Brute force',
    severity: 'high',
    windowEnd: T0 + 60_000,
    evidence: [`evt-${n}`],
    description: '20 failures in 60s, expected < 5',
    observed: { failures: 20 },
    status: 'open',
    createdAt: new Date(T0 + 61_000).toISOString(),
    dedupKey: dedupKey(base),
    ...base,
    ...over,
  };
}

/** A dead letter the database refuses (NOT NULL on code), written after the batch's events: forces a rollback mid-transaction. */
export const REFUSED_DEAD_LETTER = { source: 'src', reason: 'x', code: null, payload: '{}' } as unknown as DeadLetterInput;
