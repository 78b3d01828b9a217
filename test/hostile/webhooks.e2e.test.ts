/**
 * A replay storm against the real CLI: `saaswatch run` with a Dropbox source on the local fake and its
 * webhook route on loopback takes 1,000 signed notifications and 300 replays of one, and polls
 * team_log at most once per min_poll_interval; SIGTERM then stops it within a bound.
 */
import { createHmac } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { generateTeamEvents, startFakeDropbox, type FakeDropbox } from '../../src/fakes/dropbox/server.js';
import { startCli } from '../helpers.js';
import { describeEachDialect } from './harness.js';
import { waitUntil } from '../../src/core/testing.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TOKEN = 'sl.hostile-webhooks-team-token';
const SECRET = 'hostile-webhooks-app-secret';
/** The test's min_poll_interval: short, so the storm spans a few of them. */
const MIN_POLL_MS = 2_000;

let fake: FakeDropbox | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});


/** POSTs each body signed with the app secret, 16 in flight; returns the statuses seen. */
async function storm(url: string, bodies: string[]): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const signature = createHmac('sha256', SECRET).update(body).digest('hex');
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-dropbox-signature': signature }, body });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

describeEachDialect('hostile webhooks', (fresh) => {
  it('a replay storm of 1,000 signed Dropbox notifications costs at most one team_log poll per min_poll_interval, and SIGTERM stops the run', async () => {
    const db = await fresh();
    const events = generateTeamEvents({ count: 30, start: T0 - 3 * 3_600_000, spanMs: 3_600_000, seed: 31 });
    fake = await startFakeDropbox({ events, accessToken: TOKEN, appSecret: SECRET });
    const f = fake;
    const cfg = db.config({
      server: { host: '127.0.0.1', port: 0 },
      sources: [
        { type: 'dropbox', name: 'team', access_token: TOKEN, app_secret: SECRET, base_url: f.url, backfill: '1d', poll_interval: '1h', min_poll_interval: `${MIN_POLL_MS}ms` },
      ],
    });
    const polls = () => f.requests.filter((q) => q.path === '/2/team_log/get_events' || q.path === '/2/team_log/get_events/continue').length;
    const cli = startCli(['run', '--config', cfg, '--no-progress'], { env: { SAASWATCH_NOW: new Date(T0).toISOString(), SAASWATCH_LOG_LEVEL: 'warn' } });
    let stderr = '';
    cli.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitUntil(() => /listening on (http:\/\/\S+)/.test(stderr), 'the webhook listener', 30_000);
      const url = `${/listening on (http:\/\/\S+)/.exec(stderr)![1]}/webhooks/dropbox`;
      await waitUntil(async () => polls() >= 1 && (await db.count('events').catch(() => 0)) === 30, 'the first poll', 30_000);
      const before = polls();

      const body = (i: number) => JSON.stringify({ list_folder: { accounts: [`dbid:AAH-hostile-${i}`] }, delta: { users: [i] } });
      const bodies = [...Array.from({ length: 1_000 }, (_, i) => body(i)), ...Array.from({ length: 300 }, () => body(42))];
      const started = performance.now();
      const statuses = await storm(url, bodies);
      // Every one, replays included, gets Dropbox's fast 200: a replay is accepted, it only costs nothing.
      expect(Object.fromEntries(statuses)).toEqual({ 200: 1_300 });
      // The storm asked for polls: at least one follows, within the interval.
      await waitUntil(() => polls() > before, 'the coalesced poll', 10_000);
      await new Promise((r) => setTimeout(r, MIN_POLL_MS + 500));
      const elapsed = performance.now() - started;
      const during = polls() - before;
      // Polls start at least MIN_POLL_MS apart (on the run's clock, which ticks in real time), and
      // with nothing new each is one get_events/continue call.
      expect(during).toBeGreaterThanOrEqual(1);
      expect(during).toBeLessThanOrEqual(Math.floor(elapsed / MIN_POLL_MS) + 1);
      expect(f.requests.slice(-during).every((q) => q.path === '/2/team_log/get_events/continue' && q.status === 200)).toBe(true);
      expect(await db.count('events')).toBe(30);

      const stopAt = performance.now();
      cli.child.kill('SIGTERM');
      const done = await Promise.race([cli.done, new Promise<undefined>((r) => setTimeout(r, 20_000, undefined))]);
      expect(done, 'saaswatch run did not stop within 20 s of SIGTERM').toBeDefined();
      expect(done!.code).toBe(0);
      expect(performance.now() - stopAt).toBeLessThan(20_000);
      // Replays are counted in the log, not written one line each.
      const lines = stderr.split('\n');
      expect(lines.filter((l) => l.includes('replayed in bulk')).length).toBeLessThanOrEqual(1);
      expect(lines.filter((l) => l.includes('"level":40') && !l.includes('replayed in bulk'))).toEqual([]);
    } finally {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
      await cli.done;
    }
  }, 90_000);
});
