/** The seed's log format, ingested with no field mapping through the real app: its failures reach the detectors. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, runSources } from '../../app.js';
import { validateConfig } from '../../config/load.js';
import type { Alert } from '../../core/index.js';
import { silentLogger } from '../../log.js';
import { registry } from '../../registry.js';
import { jsonLogsConfigSchema } from './config.js';
import { explainInput, formatExplanation, formatMapping } from './explain.js';
import {
  BURST_FAILURES,
  BURST_IP,
  DAY_FILE,
  SAMPLE_ATTACKER_IP,
  SAMPLE_FILE,
  seedDay,
  seedSample,
  toJsonArray,
} from './fixtures/seed-format.js';
import { createJsonLogsSource } from './source.js';

/** The day after the seed's data: a fixed clock for the future-timestamp check and ingest times. */
const NOW = Date.parse('2026-03-03T00:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-seed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Ingests `file` as `saaswatch ingest FILE` does: the json-logs config of `doc`'s first json-logs
 * source, or no fields at all when it has none.
 */
async function ingest(file: string, doc: Record<string, unknown>) {
  const config = validateConfig({ data_dir: mkdtempSync(join(tmp, 'data-')), storage: { type: 'sqlite', path: ':memory:' }, ...doc }, registry, { env: {} });
  const app = await createApp(config, { logger: silentLogger });
  try {
    const source = createJsonLogsSource('ingest', jsonLogsConfigSchema.parse({}), { path: file }, { now: () => NOW });
    const stats = await runSources(app, [source], { listen: false, drainMs: 5_000 });
    const alerts = await app.store.listAlerts({ limit: 100 });
    const deadLetters = await app.store.listDeadLetters({ limit: 100 });
    return { stats, alerts, deadLetters };
  } finally {
    await app.close();
  }
}

const entities = (alerts: Alert[]): string[] => [...new Set(alerts.map((a) => `${a.entity.type}:${a.entity.value}`))].sort();

describe('the seed format with no field mapping', () => {
  it('ships examples that are exactly what the generator writes', () => {
    expect(readFileSync(SAMPLE_FILE, 'utf8')).toBe(toJsonArray(seedSample()));
    expect(readFileSync(DAY_FILE, 'utf8')).toBe(toJsonArray(seedDay()));
    const day = seedDay();
    expect(day.length).toBeGreaterThan(2000);
    const burst = day.filter((r) => r.source_ip === BURST_IP);
    expect(burst).toHaveLength(BURST_FAILURES);
    expect(Date.parse(burst.at(-1)!.timestamp) - Date.parse(burst[0]!.timestamp)).toBeLessThanOrEqual(100_000);
    // Ordinary typos are in the day too, including several from the shared office address.
    expect(day.filter((r) => r.event === 'failed_login' && r.source_ip !== BURST_IP).length).toBeGreaterThan(5);
  });

  it('flags exactly the sample attacker with brute-force at threshold 5', async () => {
    const { stats, alerts } = await ingest(SAMPLE_FILE, { detection: [{ type: 'brute-force', threshold: 5 }] });
    expect(stats).toMatchObject({ events: 9, inserted: 9, deadLetters: 0 });
    expect(entities(alerts)).toEqual([`ip:${SAMPLE_ATTACKER_IP}`]);
    expect(alerts[0]).toMatchObject({ rule: 'brute-force', observed: { failed_logins: 5 } });
  });

  it('flags the 25-failure burst among thousands of normal events with the default detectors, and nothing else', async () => {
    const { stats, alerts } = await ingest(DAY_FILE, {});
    expect(stats).toMatchObject({ events: seedDay().length, deadLetters: 0 });
    expect(entities(alerts)).toEqual([`ip:${BURST_IP}`]);
    expect(alerts[0]).toMatchObject({ rule: 'brute-force', observed: { failed_logins: BURST_FAILURES } });
  });

  it('the built-in Sigma rules see the failures as failed logins too', async () => {
    const { alerts } = await ingest(DAY_FILE, { detection: [{ type: 'sigma' }] });
    expect(entities(alerts)).toEqual([`ip:${BURST_IP}`]);
    expect(new Set(alerts.map((a) => a.rule))).toEqual(new Set(['rules/auth/brute-force-ip', 'rules/auth/password-spray']));
  });

  it('dead-letters a record with no usable timestamp, naming the field and the fix, and keeps the rest', async () => {
    const records: unknown[] = seedSample();
    records.splice(3, 0, { source_ip: '198.51.100.7', user: 'bob', event: 'failed_login' }, { time: { epoch: 1 }, user: 'bob', event: 'failed_login' });
    const file = join(tmp, 'gaps.json');
    writeFileSync(file, JSON.stringify(records, null, 1));
    const { stats, alerts, deadLetters } = await ingest(file, { detection: [{ type: 'brute-force', threshold: 5 }] });
    expect(stats).toMatchObject({ events: 9, deadLetters: 2 });
    expect(entities(alerts)).toEqual([`ip:${SAMPLE_ATTACKER_IP}`]);
    const reasons = deadLetters.map((d) => d.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons.some((r) => /: no timestamp: none of the fields @timestamp, timestamp, time, .* is present; set fields\.timestamp in the source config/.test(r))).toBe(true);
    expect(reasons.some((r) => /: no timestamp: field "time" holds an object or list, not a time, .*set fields\.timestamp in the source config/.test(r))).toBe(true);
    expect(deadLetters.every((d) => d.code === 'FIELD_MISSING')).toBe(true);
  });
});

describe('explaining the mapping', () => {
  it('says which key fed each field and how the outcome was decided', async () => {
    const x = await explainInput('ingest', jsonLogsConfigSchema.parse({}), { path: SAMPLE_FILE }, { now: () => NOW });
    expect(x).toMatchObject({ records: 9, normalized: 9, limited: false });
    expect(formatExplanation(x)).toEqual([
      `${SAMPLE_FILE}: 9 records read, 9 normalized; nothing stored`,
      'field mapping: recognised by name (no fields: in the config)',
      '  @timestamp           ← timestamp 9',
      '  user                 ← user 9',
      '  source.ip            ← source_ip 9',
      '  event.action         ← event 9',
      '  event.outcome        ← no outcome field; inferred from event.action: failure 6 (action:failed), success 3 (action:success)',
      '  user_agent.original  ← not found (none of the recognised names is present)',
      '  event.category       authentication 9',
      'dead letters: 0',
      'first record: {"timestamp":"2026-03-02T09:00:05Z","source_ip":"203.0.113.10","user":"alice","event":"login_success"}',
      '  → @timestamp 2026-03-02T09:00:05.000Z | user.name alice | source.ip 203.0.113.10 | event.action login_success | event.outcome success (action:success) | event.category authentication',
    ]);
  });

  it('stops at the limit and shows configured fields as such', async () => {
    const config = jsonLogsConfigSchema.parse({ fields: { action: 'event', user: ['login', 'user'] } });
    const x = await explainInput('auth', config, { path: DAY_FILE }, { limit: 100, now: () => NOW });
    expect(x).toMatchObject({ records: 100, limited: true });
    const lines = formatExplanation(x);
    expect(lines[0]).toBe(`${DAY_FILE}: the first 100 records read, 100 normalized; nothing stored`);
    expect(lines).toContain('  event.action         ← event 100 (fields.action)');
    expect(lines).toContain('  user                 ← user 100 (fields.user)');
    expect(lines).toContain('  source.ip            ← source_ip 100');
  });

  it('config check lines name configured paths and the recognised names', () => {
    const lines = formatMapping(jsonLogsConfigSchema.parse({ fields: { timestamp: 'when', file_id: 'doc.id' } }));
    expect(lines[0]).toBe('@timestamp           when (fields.timestamp)');
    expect(lines.find((l) => l.startsWith('source.ip'))).toMatch(/^source\.ip {12}recognised by name: source_ip, src_ip, client_ip, /);
    expect(lines.find((l) => l.startsWith('event.outcome'))).toMatch(/; else inferred from the words of event\.action \(failed_login → failure\)$/);
    expect(lines.at(-1)).toBe('file.id              doc.id (fields.file_id)');
    expect(formatMapping(jsonLogsConfigSchema.parse({ infer_outcome: false })).find((l) => l.startsWith('event.outcome'))).not.toContain('inferred');
  });
});
