import { describe, expect, it } from 'vitest';
import { normalizeTeamEvent } from './dropbox/normalize.js';
import { normalizeActivity } from './google-workspace/normalize.js';
import { normalizeSignIn } from './microsoft-graph/normalize.js';
import { utcMs } from './normalize-parts.js';

/** Runs `fn` with the process in a zone far from UTC, so a time read in the machine's zone shows. */
function inZone<T>(zone: string, fn: () => T): T {
  const tz = process.env.TZ;
  process.env.TZ = zone;
  try {
    return fn();
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
}

const AT = Date.UTC(2023, 3, 18, 18, 54, 15);

describe('utcMs', () => {
  it('reads a zoneless date-time as UTC whatever the machine zone, with or without the T', () => {
    inZone('Pacific/Kiritimati', () => {
      expect(utcMs('2023-04-18T18:54:15')).toBe(AT);
      expect(utcMs('2023-04-18 18:54:15')).toBe(AT);
      expect(utcMs('2023-04-18T18:54:15.1234567')).toBe(AT + 123);
      expect(utcMs('2023-04-18T18:54:15Z')).toBe(AT);
      expect(utcMs('2023-04-18T20:54:15+02:00')).toBe(AT);
      expect(utcMs('2023-04-18T20:54:15.000+0200')).toBe(AT);
    });
  });

  it('refuses what is no time', () => {
    expect(utcMs('soon')).toBeUndefined();
    expect(utcMs('')).toBeUndefined();
    expect(utcMs(1681844055)).toBeUndefined();
    expect(utcMs(null)).toBeUndefined();
  });

  it('stays linear on adversarial input', () => {
    const t0 = performance.now();
    utcMs(`2023-04-18T18:54:15.${'1'.repeat(200_000)}x`);
    utcMs(`2023-04-18 ${'1'.repeat(200_000)}`);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  // Records relayed by another collector, their zone dropped (the vendors' own forms are in each
  // normalizer's tests): Dropbox team_log (https://www.dropbox.com/developers/documentation/http/teams#team_log-get_events),
  // a Graph signIn (https://learn.microsoft.com/graph/api/resources/signin), a Reports activity
  // (https://developers.google.com/admin-sdk/reports/reference/rest/v1/activities).
  it('lands a zoneless record at the same instant on every machine, for each vendor', () => {
    inZone('America/Los_Angeles', () => {
      const dbx = normalizeTeamEvent({ timestamp: '2023-04-18 18:54:15', event_category: { '.tag': 'logins' }, event_type: { '.tag': 'login_success', description: 'Signed in' }, details: { '.tag': 'login_success_details', login_method: { '.tag': 'password' } }, actor: { '.tag': 'user', user: { '.tag': 'team_member', email: 'ana@example.com', account_id: 'dbid:AAB' } } }, '2023-04-19T00:00:00.000Z');
      expect(dbx.ok && dbx.event['@timestamp']).toBe('2023-04-18T18:54:15.000Z');
      const graph = normalizeSignIn({ id: 's1', createdDateTime: '2023-04-18T18:54:15.6195833', userPrincipalName: 'ana@contoso.com', userId: 'u1', status: { errorCode: 0 } }, '2023-04-19T00:00:00.000Z');
      expect(graph.ok && graph.event['@timestamp']).toBe('2023-04-18T18:54:15.619Z');
      const google = normalizeActivity({ id: { time: '2023-04-18T18:54:15', uniqueQualifier: '1', applicationName: 'login' }, actor: { email: 'ana@example.com' }, events: [{ type: 'login', name: 'login_success' }] }, { source: 'gw', application: 'login', ingested: '2023-04-19T00:00:00.000Z' });
      expect(google.events[0]?.['@timestamp']).toBe('2023-04-18T18:54:15.000Z');
    });
  });
});
