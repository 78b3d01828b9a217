/** Generated weeks of ordinary user activity for the baseline detector's tests and bench. */
import type { SecurityEvent } from '../../core/index.js';
import type { Rng } from '../random.js';
import { testEvent } from '../testing.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface ActivityOptions {
  user: string;
  /** Epoch ms of the first day, 00:00 UTC. */
  start: number;
  days: number;
  /** Mean events per working hour, per action. */
  perHour: Record<string, number>;
  /** Distinguishes the ids of otherwise identical streams. */
  nonce: number;
}

/**
 * Office hours 08:00–18:00 UTC on weekdays, a trickle at weekends, a login at the start of each
 * working day: the shape of a real employee's audit log.
 */
export function userActivity(rng: Rng, o: ActivityOptions): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  let n = 0;
  for (let d = 0; d < o.days; d++) {
    const day = o.start + d * DAY;
    const weekday = new Date(day).getUTCDay();
    const working = weekday !== 0 && weekday !== 6;
    for (let h = 8; h < 18; h++) {
      const times: Array<[number, string]> = [];
      if (working && h === 8) times.push([day + h * HOUR + rng.int(20 * 60_000), 'login']);
      for (const [action, mean] of Object.entries(o.perHour)) {
        const k = rng.poisson(working ? mean : mean / 20);
        for (let i = 0; i < k; i++) times.push([day + h * HOUR + rng.int(HOUR), action]);
      }
      times.sort((a, b) => a[0] - b[0]);
      for (const [t, action] of times) out.push(testEvent({ time: t, user: o.user, action, nonce: o.nonce * 1e7 + n++ }));
    }
  }
  return out;
}

/** Merges per-user streams into one time-ordered stream, as a source delivers them. */
export function merge(...streams: SecurityEvent[][]): SecurityEvent[] {
  return streams.flat().sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']) || a.event.id.localeCompare(b.event.id));
}
