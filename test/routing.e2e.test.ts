/** Routing through the real CLI: each sink's severity floor and include/exclude filters decide which alerts it gets. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SAMPLE_SOURCE, startReceiver, tempDir, writeConfig } from './helpers.js';

const T0 = Date.parse('2026-11-02T09:00:00.000Z');

/** 25 failed logins in 4 minutes from `ip` against `user`. */
function burst(ip: string, user: string, startMs: number): string[] {
  return Array.from({ length: 25 }, (_, i) =>
    JSON.stringify({ time: new Date(startMs + i * 10_000).toISOString(), user, src_ip: ip, action: 'login', result: 'failure', user_agent: 'curl/8.5.0' }),
  );
}

type Line = { alert?: { rule: string; entity: { type: string; value: string }; severity: string }; rule?: string; entity?: { type: string; value: string } };
const entities = (lines: Line[]) => lines.map((l) => { const a = l.alert ?? l; return `${a.entity!.type}:${a.entity!.value}`; }).sort();
const readLines = (path: string): Line[] => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

describe('routing through the CLI', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => receiver.close());

  it('gives each sink the alerts its route takes, and no other', async () => {
    const dir = tempDir('sw-routing-');
    const log = join(dir, 'auth.jsonl');
    writeFileSync(log, [...burst('203.0.113.77', 'alice@example.com', T0), ...burst('198.51.100.9', 'bob@contractor.example', T0 + 3_600_000)].join('\n') + '\n');
    const config = writeConfig(dir, {
      data_dir: join(dir, 'data'),
      storage: { type: 'sqlite', retention: '3650d' },
      sources: [{ ...SAMPLE_SOURCE, path: log }],
      // Addresses are critical, users medium: one alert of each per burst.
      detection: [
        { type: 'brute-force', name: 'by-ip', group_by: ['source.ip'], severity: 'critical' },
        { type: 'brute-force', name: 'by-user', group_by: ['user'], severity: 'medium' },
      ],
      sinks: [
        { type: 'jsonl-file', name: 'everything', path: join(dir, 'everything.jsonl') },
        { type: 'jsonl-file', name: 'pager', path: join(dir, 'pager.jsonl'), min_severity: 'critical' },
        { type: 'jsonl-file', name: 'staff', path: join(dir, 'staff.jsonl'), min_severity: 'medium', exclude: { entities: ['*@contractor.example'] } },
        {
          type: 'webhook',
          name: 'contractors',
          url: receiver.url,
          allow_networks: ['127.0.0.1'],
          include: { entities: ['user:*@contractor.example'], sources: ['auth-*'], rules: ['brute-force'] },
        },
      ],
    });
    const r = await runCli(['run', '--config', config], { env: { SAASWATCH_NOW: '2026-11-02T12:00:00Z' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    expect(entities(readLines(join(dir, 'everything.jsonl')))).toEqual([
      'ip:198.51.100.9', 'ip:203.0.113.77', 'user:alice@example.com', 'user:bob@contractor.example',
    ]);
    expect(entities(readLines(join(dir, 'pager.jsonl')))).toEqual(['ip:198.51.100.9', 'ip:203.0.113.77']);
    expect(entities(readLines(join(dir, 'staff.jsonl')))).toEqual(['ip:198.51.100.9', 'ip:203.0.113.77', 'user:alice@example.com']);
    // Its include names the source too: the alert carries the connection its events came from.
    expect(entities(receiver.requests.map((q) => JSON.parse(String(q.rawBody)) as Line))).toEqual(['user:bob@contractor.example']);

    // Each alert has exactly the deliveries its routes call for, all delivered.
    const d = await runCli(['deliveries', '--config', config], { env: { SAASWATCH_NOW: '2026-11-02T12:00:00Z' } });
    expect(d.code, d.stderr).toBe(0);
    const perSink = new Map<string, number>();
    for (const m of d.stdout.matchAll(/ delivered +(\S+) alert /g)) perSink.set(m[1]!, (perSink.get(m[1]!) ?? 0) + 1);
    expect(Object.fromEntries(perSink)).toEqual({ everything: 4, pager: 2, staff: 3, contractors: 1 });
  });
});
