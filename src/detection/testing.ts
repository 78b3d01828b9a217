/** Builds SecurityEvents for detector tests and benchmarks without depending on a source's normalizer. */
import { dedupKey, eventId, eventTime, type Detector, type EventOutcome, type Finding, type SecurityEvent } from '../core/index.js';

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

const raised = new WeakMap<Detector, Set<string>>();

/**
 * Feeds events as a source reading in time order would, promising each batch's newest time once it
 * is committed: observe the batch, then flush to that watermark. Returns only findings that raise a
 * new alert (a dedup key this detector has not reported before), not refreshes of one it has.
 */
export function feed(d: Detector, events: readonly SecurityEvent[]): Finding[] {
  const seen = raised.get(d) ?? raised.set(d, new Set()).get(d)!;
  const out: Finding[] = [];
  let newest = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    out.push(...d.observe(e));
    newest = Math.max(newest, eventTime(e));
  }
  out.push(...d.flush({ final: false, watermark: newest + 1 }));
  return out.filter((f) => {
    const k = dedupKey(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Runs events through a detector in batches of `batch` as `feed` does, then a final flush: `live`
 * holds the findings that raised a new alert, in order; `flushed` every report made at a flush
 * (first reports and refreshes alike).
 */
export function run(d: Detector, events: readonly SecurityEvent[], batch = 50): { live: Finding[]; flushed: Finding[] } {
  const seen = raised.get(d) ?? raised.set(d, new Set()).get(d)!;
  const live: Finding[] = [];
  const flushed: Finding[] = [];
  const take = (fs: Finding[]) => {
    for (const f of fs) {
      flushed.push(f);
      const k = dedupKey(f);
      if (!seen.has(k)) {
        seen.add(k);
        live.push(f);
      }
    }
  };
  let newest = Number.NEGATIVE_INFINITY;
  events.forEach((e, i) => {
    take(d.observe(e));
    newest = Math.max(newest, eventTime(e));
    if ((i + 1) % batch === 0) take(d.flush({ final: false, watermark: newest + 1 }));
  });
  take(d.flush({ final: true, watermark: newest + 1 }));
  return { live, flushed };
}
