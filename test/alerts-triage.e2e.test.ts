/**
 * Suppression and triage through the real CLI on both dialects: a mute keeps its pattern from the
 * sink (the alert is still stored and listed as muted), false-positive feedback mutes the same rule
 * and entity for the next window, and each step is in the audit log with who and why.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, SAMPLE_SOURCE } from './helpers.js';
import { describeEachDialect, type HostileDb } from './hostile/harness.js';

const at = (iso: string) => ({ env: { SAASWATCH_NOW: iso, USER: 'ops-user' } });

/** Four failed logins each for alice and bob starting at `hhmm` on 2026-03-02: one brute-force alert per user (threshold 3). */
function failures(db: HostileDb, name: string, hhmm: string): string {
  const lines: string[] = [];
  for (const user of ['alice@example.com', 'bob@example.com']) {
    for (let s = 1; s <= 4; s++) lines.push(JSON.stringify({ time: `2026-03-02T${hhmm}:0${s}Z`, user, src_ip: '198.51.100.9', action: 'login', result: 'failure' }));
  }
  const file = join(db.dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Listed {
  id: string;
  entity: { value: string };
  windowStart: number;
  status: string;
  muted?: { id: number; reason: string; actor: string; source: string; until: string | null };
}

describeEachDialect('alerts triage', (fresh) => {
  it('a mute and a false positive keep their pattern from the sink, alerts stay listed as muted, and the audit log says who and why', async () => {
    const db = await fresh();
    const sinkFile = join(db.dir, 'sink.jsonl');
    const cfg = db.config({
      sources: [{ ...SAMPLE_SOURCE, path: undefined }],
      detection: [{ type: 'brute-force', threshold: 3, window: '10m', group_by: ['user'] }],
      sinks: [{ type: 'jsonl-file', name: 'file', path: sinkFile }],
    });
    const cli = (args: string[], now: string) => runCli(['-c', cfg, ...args], at(now));
    // What the sink got: one `user@hh:mm` (the window's start) per delivered alert.
    const sunk = () =>
      (existsSync(sinkFile) ? readFileSync(sinkFile, 'utf8').trim().split('\n') : [])
        .map((l) => (JSON.parse(l) as { alert: { entity: { value: string }; window: { start: string } } }).alert)
        .map((a) => `${a.entity.value}@${a.window.start.slice(11, 16)}`)
        .sort();
    const list = async (now: string, extra: string[] = []) => {
      const r = await cli(['alerts', '--json', ...extra], now);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Listed);
    };

    // 1. Two alerts, both delivered.
    let r = await cli(['ingest', failures(db, 'a.jsonl', '09:00'), '--no-progress'], '2026-03-02T10:00:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(sunk()).toEqual(['alice@example.com@09:00', 'bob@example.com@09:00']);

    // 2. Mute brute-force for bob for a week.
    r = await cli(['alerts', 'mute', '--rule', 'brute-force', '--entity', 'user:bob@example.com', '--for', '7d', '--reason', 'pen test by red team', '--by', 'ann'], '2026-03-02T10:01:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mute #\d+: rule brute-force, entity user:bob@example.com until 2026-03-09T10:01:\d\d\.\d{3}Z, by ann: pen test by red team$/m);

    // 3. The next window: alice's alert is delivered, bob's is stored and listed as muted, never delivered.
    r = await cli(['ingest', failures(db, 'b.jsonl', '09:30'), '--no-progress'], '2026-03-02T10:05:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/user:bob@example.com {2}Brute force against bob@example.com: 4 failed logins {2}\[muted\]$/m);
    expect(sunk()).toEqual(['alice@example.com@09:00', 'alice@example.com@09:30', 'bob@example.com@09:00']);
    let alerts = await list('2026-03-02T10:06:00Z');
    expect(alerts).toHaveLength(4);
    const bob2 = alerts.find((a) => a.entity.value === 'bob@example.com' && a.windowStart === Date.parse('2026-03-02T09:30:01Z'))!;
    expect(bob2.muted).toMatchObject({ reason: 'pen test by red team', actor: 'ann', source: 'cli' });
    expect(alerts.filter((a) => a.muted).map((a) => a.id)).toEqual([bob2.id]);
    expect(await db.rows('select sink from deliveries where alert_id = ?', [bob2.id])).toEqual([]);
    const text = await cli(['alerts', '--entity', 'user:BOB@*'], '2026-03-02T10:06:00Z');
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stdout).toContain(`[muted #${bob2.muted!.id}: pen test by red team] id ${bob2.id}`);

    // 4. Alice's second alert is a false positive: closed, and her brute-force pattern muted (30 days by default).
    const alice2 = alerts.find((a) => a.entity.value === 'alice@example.com' && a.windowStart === Date.parse('2026-03-02T09:30:01Z'))!;
    r = await cli(['alerts', 'close', alice2.id, '--false-positive', '--reason', 'alice types her password wrong on a new phone'], '2026-03-02T10:10:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^alert ${alice2.id} closed by ops-user; false positive: rule brute-force, entity user:alice@example.com muted until 2026-04-01T10:10:`, 'm'));

    // 5. Her next window is suppressed too; bob's mute is removed, so his is delivered again.
    r = await cli(['alerts', 'unmute', String(bob2.muted!.id), '--reason', 'pen test over', '--by', 'bea'], '2026-03-02T10:20:00Z');
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['ingest', failures(db, 'c.jsonl', '10:30'), '--no-progress'], '2026-03-02T11:00:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(sunk()).toEqual(['alice@example.com@09:00', 'alice@example.com@09:30', 'bob@example.com@09:00', 'bob@example.com@10:30']);
    alerts = await list('2026-03-02T11:01:00Z', ['--rule', 'brute-force']);
    const alice3 = alerts.find((a) => a.entity.value === 'alice@example.com' && a.windowStart === Date.parse('2026-03-02T10:30:01Z'))!;
    expect(alice3.muted).toMatchObject({ source: 'feedback', actor: 'ops-user', reason: 'alice types her password wrong on a new phone' });
    expect((await list('2026-03-02T11:01:00Z', ['--status', 'closed'])).map((a) => a.id)).toEqual([alice2.id]);
    // The removed mute still explains why bob's 09:30 alert was not delivered.
    expect(alerts.find((a) => a.id === bob2.id)?.muted?.id).toBe(bob2.muted!.id);

    const mutes = await cli(['alerts', 'mutes'], '2026-03-02T11:02:00Z');
    expect(mutes.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^#\d+ +rule brute-force, entity user:alice@example.com {2}until 2026-04-01T10:10:.*by ops-user \(feedback alert \w+\) .*: alice types her password/)]);
    const all = await cli(['alerts', 'mutes', '--all'], '2026-03-02T11:02:00Z');
    expect(all.stdout).toMatch(/entity user:bob@example.com .*\[removed 2026-03-02T10:20:\S+ by bea\]$/m);

    // 6. Who did what, and why.
    const audit = await db.rows<{ actor: string; action: string; details: string }>('select actor, action, details from audit_log order by id');
    expect(audit.map((a) => ({ actor: a.actor, action: a.action, details: JSON.parse(a.details) as Record<string, unknown> }))).toEqual([
      { actor: 'ann', action: 'mute', details: expect.objectContaining({ rule: 'brute-force', entity: 'user:bob@example.com', reason: 'pen test by red team', source: 'cli' }) },
      { actor: 'ops-user', action: 'mute', details: expect.objectContaining({ rule: 'brute-force', entity: 'user:alice@example.com', source: 'feedback', alert: alice2.id, reason: 'alice types her password wrong on a new phone' }) },
      { actor: 'ops-user', action: 'alert-close', details: expect.objectContaining({ alert: alice2.id, from: 'open', falsePositive: true, reason: 'alice types her password wrong on a new phone' }) },
      { actor: 'bea', action: 'unmute', details: expect.objectContaining({ mute: bob2.muted!.id, reason: 'pen test over', muteReason: 'pen test by red team' }) },
    ]);
  }, 300_000);

  it('acks and shows an alert, and names the flag and the fix for every usage mistake', async () => {
    const db = await fresh();
    const cfg = db.config({
      sources: [{ ...SAMPLE_SOURCE, path: undefined }],
      detection: [{ type: 'brute-force', threshold: 3, window: '10m', group_by: ['user'] }],
      sinks: [{ type: 'jsonl-file', name: 'file', path: join(db.dir, 'sink.jsonl') }],
      alerting: { mutes: [{ entity: 'user:*@EXAMPLE.com', reason: 'lab accounts', until: '2026-03-02T10:30:00Z' }] },
    });
    const cli = (args: string[], now = '2026-03-02T10:00:00Z') => runCli(['-c', cfg, ...args], at(now));
    expect((await cli(['ingest', failures(db, 'a.jsonl', '09:00'), '--no-progress'])).code).toBe(0);
    // The config mute held both back: nothing was delivered.
    expect(await db.count('alerts')).toBe(2);
    expect(await db.count('deliveries')).toBe(0);
    const [first] = (await cli(['alerts', '--json', '-n', '1'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Listed);
    expect(first!.muted).toEqual({ id: -1, reason: 'lab accounts', actor: 'config', source: 'config', until: '2026-03-02T10:30:00.000Z' });

    const ack = await cli(['alerts', 'ack', first!.id, '--reason', 'on it', '--by', 'carl']);
    expect(ack.code, ack.stderr).toBe(0);
    const show = await cli(['alerts', 'show', first!.id]);
    expect(show.stdout).toMatch(/^status: +acknowledged$/m);
    expect(show.stdout).toMatch(/^muted: +by config \(entity user:\*@EXAMPLE.com\) by config: lab accounts$/m);
    expect(show.stdout).toMatch(/^deliveries: +none \(muted\)$/m);
    expect((await db.rows<{ actor: string; action: string }>('select actor, action from audit_log'))).toEqual([{ actor: 'carl', action: 'alert-ack' }]);
    // Past its end the config mute shows among all mutes as expired, not among those in force.
    expect((await cli(['alerts', 'mutes'], '2026-03-02T11:00:00Z')).stdout).toBe('no mutes in force (--all lists removed and expired ones)\n');
    expect((await cli(['alerts', 'mutes', '--all'], '2026-03-02T11:00:00Z')).stdout).toMatch(/^config +entity user:\*@EXAMPLE.com .*lab accounts {2}\[expired\]$/m);

    const mistakes = [
      [['alerts', 'show', 'no-such-id'], 1, /^error: alert no-such-id: no stored alert has this id \(`saaswatch alerts` lists the ids/],
      [['alerts', 'unmute', '99'], 1, /^error: mute #99: no mute in force has this id/],
      [['alerts', 'unmute', 'x'], 2, /command-argument value 'x' is invalid for argument 'mute-id'\. expected a whole number/],
      [['alerts', 'mute', '--rule', 'brute-force', '--for', '7d'], 2, /^error: alerts mute: --reason is required/],
      [['alerts', 'mute', '--reason', 'r', '--for', '7d'], 2, /^error: alerts mute: give --rule, --entity or both/],
      [['alerts', 'mute', '--rule', 'x', '--reason', 'r'], 2, /^error: alerts mute: give --for 7d or --until/],
      [['alerts', 'mute', '--rule', 'x', '--reason', 'r', '--for', '7d', '--until', '2026-04-01T00:00:00Z'], 2, /^error: alerts mute: give --for or --until, not both/],
      [['alerts', 'mute', '--rule', 'x', '--reason', 'r', '--until', '2026-03-01T00:00:00Z'], 2, /^error: alerts mute: --until 2026-03-01T00:00:00.000Z has passed/],
      [['alerts', 'mute', '--rule', 'x', '--reason', 'r', '--for', '7 days'], 2, /option '--for <period>' argument '7 days' is invalid\. expected a period such as 30m, 12h, 7d or 2w, or forever/],
      [['alerts', 'mute', '--entity', 'alice', '--reason', 'r', '--for', '7d'], 2, /option '--entity <type:value>' argument 'alice' is invalid\. expected type:value/],
      [['alerts', 'close', first!.id, '--for', '7d'], 2, /^error: alerts close: --for is how long a false positive mutes the pattern; add --false-positive, or drop --for/],
      [['alerts', '--status', 'done'], 2, /option '--status <status>' argument 'done' is invalid\. Allowed choices are open, acknowledged, closed/],
    ] as const;
    // A few side by side: each is its own process, and none writes.
    const results: Array<Awaited<ReturnType<typeof cli>>> = [];
    for (let i = 0; i < mistakes.length; i += 4) results.push(...(await Promise.all(mistakes.slice(i, i + 4).map(([args]) => cli([...args])))));
    mistakes.forEach(([args, code, message], i) => {
      expect(results[i]!.code, `${args.join(' ')}: ${results[i]!.stderr}`).toBe(code);
      expect(results[i]!.stderr, args.join(' ')).toMatch(message);
    });
    // None of the mistakes changed anything.
    expect(await db.count('mutes')).toBe(0);
    expect((await db.rows<{ status: string }>('select status from alerts where id = ?', [first!.id]))[0]!.status).toBe('acknowledged');
  }, 300_000);
});
