/** The README's "no config" walk-through: the seed's log format through the real CLI, with no config file anywhere. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const DAY = join(ROOT, 'examples/seed-auth.json');
const SAMPLE = join(ROOT, 'examples/seed-sample.json');

/** A fresh working directory and home, so neither ./saaswatch.yml nor ~/.config/saaswatch/config.yml exists. */
function bare() {
  const cwd = tempDir('sw-seed-');
  return { cwd, env: { HOME: cwd } };
}

describe('the seed format with no config', () => {
  it('ingest flags the burst and nothing else', async () => {
    const opts = bare();
    const r = await runCli(['ingest', DAY, '--no-progress'], opts);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = (JSON.parse(readFileSync(DAY, 'utf8')) as unknown[]).length;
    expect(r.stdout).toContain(`${events.toLocaleString('en-US')} events (${events.toLocaleString('en-US')} new, 0 already stored), 0 dead letters`);
    expect(r.stdout).toContain('alerts: 1 new, 0 updated');
    expect(r.stdout).toMatch(/^ {2}HIGH {5}brute-force {8}ip:203\.0\.113\.66 {2}Password spray from 203\.0\.113\.66: 25 failed logins against 8 users$/m);
    const alerts = readFileSync(join(opts.cwd, '.saaswatch/alerts.jsonl'), 'utf8').trim().split('\n');
    expect(alerts).toHaveLength(1);
  });

  it('ingest --explain shows the mapping used and stores nothing', async () => {
    const opts = bare();
    const r = await runCli(['ingest', SAMPLE, '--explain'], opts);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('field mapping: recognised by name (no fields: in the config)');
    expect(r.stdout).toContain('  source.ip            ← source_ip 9');
    expect(r.stdout).toContain('  event.outcome        ← no outcome field; inferred from event.action: failure 6 (action:failed), success 3 (action:success)');
    expect(existsSync(join(opts.cwd, '.saaswatch'))).toBe(false);
  });

  it('config check shows the mapping `ingest FILE` uses', async () => {
    const r = await runCli(['config', 'check'], bare());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('built-in defaults (no config file found): OK');
    expect(r.stdout).toContain('detection: brute-force, isolation-forest');
    expect(r.stdout).toMatch(/^ {4}source\.ip {12}recognised by name: source_ip, src_ip, client_ip, /m);
    expect(r.stdout).toMatch(/^ {4}event\.outcome .*; else inferred from the words of event\.action \(failed_login → failure\)$/m);
  });
});
