/**
 * Hostile operations through the real CLI on both dialects: log data that carries terminal escape
 * sequences never reaches the operator's terminal raw; retention purges each table by its own
 * period on demand and in `run`; data files are the owner's alone whatever the umask.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, SAMPLE_SOURCE } from '../helpers.js';
import { describeEachDialect, type HostileDb } from './harness.js';

/** A window-title OSC, a clear-screen CSI, a carriage return and a right-to-left override, in one user name. */
const HOSTILE_USER = 'eve\x1b]0;pwned\x07\x1b[2J\r\u202egnp.exe@example.com';
/** The user as stored and alerted on: normalization lower-cases user names, and nothing else. */
const STORED_USER = HOSTILE_USER.toLowerCase();
const HOSTILE_ACTION = 'login\x1b[2J\u202e';
/** What a terminal would act on: C0 other than newline, DEL, C1, bidi overrides and isolates. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const NOW = '2026-03-02T10:00:00Z';
const at = (iso: string) => ({ env: { SAASWATCH_NOW: iso } });

let umask: number;
beforeAll(() => {
  // What most systems run with: files would be 0644 and folders 0755 unless saaswatch says otherwise.
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
});

/** Four failed logins by the hostile user (an alert at threshold 3), two good records, one with a hostile bad time. */
function hostileLog(db: HostileDb): string {
  const rec = (i: number, user: string, result: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ time: `2026-03-02T09:00:0${i}Z`, user, src_ip: '198.51.100.9', action: 'login', result, ...extra });
  const lines = [
    rec(1, HOSTILE_USER, 'failure'),
    rec(2, HOSTILE_USER, 'failure'),
    rec(3, HOSTILE_USER, 'failure'),
    rec(4, HOSTILE_USER, 'failure'),
    rec(5, 'bob@example.com', 'success', { action: HOSTILE_ACTION }),
    rec(6, 'carol@example.com', 'success'),
    JSON.stringify({ time: '\x1b[2J\u202e', user: HOSTILE_USER, src_ip: '198.51.100.9', action: 'login', result: 'failure' }),
  ];
  // The file name is data too: it is printed by `ingest` and stored with each dead letter.
  const file = join(db.dir, 'in\x1b[2J\u202e.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function configFor(db: HostileDb, extra: Record<string, unknown> = {}): string {
  return db.config({
    sources: [{ ...SAMPLE_SOURCE, path: undefined }],
    detection: [{ type: 'brute-force', threshold: 3, window: '10m', group_by: ['user'] }],
    ...extra,
  });
}

function expectNoRawControls(what: string, text: string): void {
  const m = RAW_CONTROL.exec(text);
  expect(m, `${what} holds a raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 30), (m?.index ?? 0) + 30))}`).toBeNull();
}

describeEachDialect('hostile ops', (fresh, dialect) => {
  it('shows escape sequences from log data as escapes in ingest, alerts and dead-letters, never raw', async () => {
    const db = await fresh();
    const cfg = configFor(db);
    const file = hostileLog(db);

    // At debug the log names the alert's entity on stderr too.
    const ingest = await runCli(['-c', cfg, 'ingest', file, '--no-progress'], { env: { SAASWATCH_NOW: NOW, SAASWATCH_LOG_LEVEL: 'debug' } });
    expect(ingest.code, ingest.stderr).toBe(3);
    expect(ingest.stderr).toContain('eve\\u001b]0;pwned\\u0007\\u001b[2j\\r\\u202egnp.exe@example.com');
    expect(await db.count('events')).toBe(6);
    expect(await db.count('dead_letters')).toBe(1);
    expect(await db.count('alerts')).toBe(1);
    // Stored as received: escaping is for the terminal only.
    expect((await db.rows<{ entity_value: string }>('select entity_value from alerts'))[0]!.entity_value).toBe(STORED_USER);

    const alerts = await runCli(['-c', cfg, 'alerts'], at(NOW));
    const json = await runCli(['-c', cfg, 'alerts', '--json'], at(NOW));
    const deadLetters = await runCli(['-c', cfg, 'dead-letters'], at(NOW));
    for (const [name, r] of Object.entries({ ingest, alerts, json, deadLetters })) {
      expectNoRawControls(`${name} stdout`, r.stdout);
      expectNoRawControls(`${name} stderr`, r.stderr);
    }
    const shown = 'eve\\x1b]0;pwned\\x07\\x1b[2j\\r\\u202egnp.exe@example.com';
    // The data was printed, visibly: in the ingest report's alert list, in `alerts`, and the file name in both.
    expect(ingest.stdout).toContain(`user:${shown}`);
    expect(ingest.stdout).toContain('in\\x1b[2J\\u202e.jsonl');
    expect(alerts.code).toBe(0);
    expect(alerts.stdout).toContain(`user:${shown}`);
    expect(deadLetters.code).toBe(0);
    expect(deadLetters.stdout).toMatch(/in\\x1b\[2J\\u202e\.jsonl:7 /);
    // --json stays JSON and gives the stored value back exactly.
    const parsed = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { entity: { value: string } });
    expect(parsed.map((a) => a.entity.value)).toEqual([STORED_USER]);

    // A rerun stores nothing new.
    const again = await runCli(['-c', cfg, 'ingest', file, '--no-progress'], at(NOW));
    expectNoRawControls('rerun stdout', again.stdout);
    expect(await db.count('events')).toBe(6);
    expect(await db.count('alerts')).toBe(1);
  });

  it('purges each table by its own period through `purge --dry-run`, `purge` and `run --once`, never what is fresh', async () => {
    const db = await fresh();
    const empty = join(db.dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const cfg = configFor(db);
    const file = hostileLog(db);
    expect((await runCli(['-c', cfg, 'ingest', file, '--no-progress'], at(NOW))).code).toBe(3);
    const sizes = async () => ({
      events: await db.count('events'),
      dead_letters: await db.count('dead_letters'),
      alerts: await db.count('alerts'),
      deliveries: await db.count('deliveries'),
    });
    expect(await sizes()).toEqual({ events: 6, dead_letters: 1, alerts: 1, deliveries: 1 });
    expect((await db.rows<{ status: string }>('select status from deliveries'))[0]!.status).toBe('delivered');

    // 41 days on: past the dead letters' and deliveries' 30 days, within the events' 90 and the alerts' 365.
    const later = '2026-04-12T10:00:00Z';
    const dry = await runCli(['-c', cfg, 'purge', '--dry-run'], at(later));
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^events\s+0 to purge\s+older than 90d/m);
    expect(dry.stdout).toMatch(/^dead_letters\s+1 to purge\s+older than 30d/m);
    expect(dry.stdout).toMatch(/^alerts\s+0 to purge\s+older than 365d/m);
    expect(dry.stdout).toMatch(/^deliveries\s+1 to purge\s+older than 30d/m);
    expect(dry.stdout).toContain('dry run: nothing was deleted');
    expect(await sizes()).toEqual({ events: 6, dead_letters: 1, alerts: 1, deliveries: 1 });

    const purged = await runCli(['-c', cfg, 'purge'], at(later));
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toMatch(/^dead_letters\s+1 purged/m);
    expect(purged.stdout).toMatch(/^deliveries\s+1 purged/m);
    expect(await sizes()).toEqual({ events: 6, dead_letters: 0, alerts: 1, deliveries: 0 });

    // A year on, `run --once` purges at its start: events past 90 days, the alert past 365.
    const run = await runCli(['-c', configFor(db, { sources: [{ ...SAMPLE_SOURCE, path: empty }] }), 'run', '--once', '--no-progress'], at('2027-03-10T10:00:00Z'));
    expect(run.code, run.stderr).toBe(0);
    expect(await sizes()).toEqual({ events: 0, dead_letters: 0, alerts: 0, deliveries: 0 });

    // Created by the CLI under umask 022, yet the owner's alone: the alerts file and its folder, and on
    // SQLite the database and its folder.
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect([mode(join(db.dir, '.saaswatch')), mode(join(db.dir, '.saaswatch', 'alerts.jsonl'))]).toEqual(['700', '600']);
    if (dialect === 'sqlite') expect([mode(join(db.dir, 'data')), mode(String(db.storage.path))]).toEqual(['700', '600']);
  });
});
