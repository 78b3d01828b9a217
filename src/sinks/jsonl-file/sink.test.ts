import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type DeliveryContext } from '../../core/index.js';
import { silentLogger } from '../../log.js';
import { sampleAlert } from '../testing.js';
import { jsonlFileConfigSchema } from './config.js';
import { JsonlFileSink, formatJsonlLine, jsonlFileSinkPlugin } from './sink.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'saaswatch-jsonl-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function ctx(deliveryId: string, attempt = 1): DeliveryContext {
  return { deliveryId, attempt, signal: new AbortController().signal };
}

function lines(path: string): Array<Record<string, any>> {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('jsonl-file sink', () => {
  it('defaults to <dataDir>/alerts.jsonl and creates the directory', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const config = jsonlFileConfigSchema.parse({});
    const sink = jsonlFileSinkPlugin.create('file', config, { logger: silentLogger, dataDir });
    expect(sink.path).toBe(join(dataDir, 'alerts.jsonl'));
    await sink.deliver(sampleAlert(), ctx('dlv_1'));
    const [line] = lines(join(dataDir, 'alerts.jsonl'));
    expect(line).toEqual({
      version: 1,
      alert: {
        id: 'alrt_0001',
        dedup_key: 'brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z',
        rule: 'brute-force',
        title: 'Brute force from 203.0.113.7',
        severity: 'high',
        entity: { type: 'ip', value: '203.0.113.7' },
        window: { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:05:00.000Z' },
        description: '42 failed logins in 5 minutes (expected at most 10)',
        observed: { failures: 42 },
        expected: { failures: 10 },
        score: null,
        features: null,
        evidence: ['ev1', 'ev2', 'ev3'],
        created_at: '2024-05-01T10:05:01.000Z',
      },
      delivery_id: 'dlv_1',
    });
    // Alerts name users and IPs: the file is the owner's alone.
    expect(statSync(join(dataDir, 'alerts.jsonl')).mode & 0o777).toBe(0o600);
  });

  it('makes an existing alerts file that others can read the owner\'s alone', async () => {
    const path = join(dir, 'alerts.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const sink = new JsonlFileSink('file', path);
    await sink.deliver(sampleAlert(), ctx('dlv_1'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines(path)).toHaveLength(1);
  });

  it('creates the file 0600 and its folders 0700 whatever the umask', async () => {
    const umask = process.umask(0);
    try {
      const dataDir = join(dir, 'open', 'data');
      const sink = jsonlFileSinkPlugin.create('file', jsonlFileConfigSchema.parse({}), { logger: silentLogger, dataDir });
      await sink.deliver(sampleAlert(), ctx('dlv_1'));
      expect(statSync(join(dataDir, 'alerts.jsonl')).mode & 0o777).toBe(0o600);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'open')).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(umask);
    }
  });

  it('rejects unknown config keys', () => {
    expect(jsonlFileConfigSchema.safeParse({ pth: 'x' }).success).toBe(false);
  });

  it('appends one line per alert, keeping newlines in text inside the line', async () => {
    const path = join(dir, 'a.jsonl');
    const sink = new JsonlFileSink('file', path);
    await sink.deliver(sampleAlert({ id: 'a1', description: 'line one\nline two' }), ctx('d1'));
    await sink.deliver(sampleAlert({ id: 'a2' }), ctx('d2'));
    const got = lines(path);
    expect(got.map((l) => [l.alert.id, l.delivery_id])).toEqual([['a1', 'd1'], ['a2', 'd2']]);
    expect(got[0]!.alert.description).toBe('line one\nline two');
  });

  it('skips a repeat of a delivery it already wrote', async () => {
    const path = join(dir, 'a.jsonl');
    const sink = new JsonlFileSink('file', path);
    await sink.deliver(sampleAlert(), ctx('d1', 1));
    await sink.deliver(sampleAlert(), ctx('d1', 2));
    expect(lines(path)).toHaveLength(1);
  });

  it('skips deliveries written before a restart (crash between write and commit)', async () => {
    const path = join(dir, 'a.jsonl');
    const first = new JsonlFileSink('file', path);
    await first.deliver(sampleAlert({ id: 'a1' }), ctx('d1'));
    await first.deliver(sampleAlert({ id: 'a2' }), ctx('d2'));

    const restarted = new JsonlFileSink('file', path);
    await restarted.deliver(sampleAlert({ id: 'a2' }), ctx('d2', 2));
    await restarted.deliver(sampleAlert({ id: 'a3' }), ctx('d3'));
    expect(lines(path).map((l) => l.delivery_id)).toEqual(['d1', 'd2', 'd3']);
  });

  it('scans only the tail of a large file, ignoring the cut first line', async () => {
    const path = join(dir, 'a.jsonl');
    const old = formatJsonlLine(sampleAlert({ id: 'old' }), 'd_old');
    const recent = formatJsonlLine(sampleAlert({ id: 'recent' }), 'd_recent');
    writeFileSync(path, old + recent);
    // The tail covers the recent line and part of the old one.
    const sink = new JsonlFileSink('file', path, { tailBytes: recent.length + 20 });
    await sink.deliver(sampleAlert({ id: 'recent' }), ctx('d_recent', 2));
    expect(lines(path)).toHaveLength(2);
    // The old delivery is outside the tail, so it is written again: the trade-off for bounded start-up.
    await sink.deliver(sampleAlert({ id: 'old' }), ctx('d_old', 2));
    expect(lines(path).map((l) => l.delivery_id)).toEqual(['d_old', 'd_recent', 'd_old']);
  });

  it('ends a torn last line so the next alert is on a line of its own', async () => {
    const path = join(dir, 'a.jsonl');
    const good = formatJsonlLine(sampleAlert({ id: 'a1' }), 'd1');
    const torn = formatJsonlLine(sampleAlert({ id: 'a2' }), 'd2').slice(0, 40);
    writeFileSync(path, good + torn);
    const sink = new JsonlFileSink('file', path);
    // The torn line does not count as written, so d2 is redelivered in full.
    await sink.deliver(sampleAlert({ id: 'a2' }), ctx('d2', 2));
    const raw = readFileSync(path, 'utf8').split('\n');
    expect(raw).toHaveLength(4);
    expect(raw[1]).toBe(torn);
    expect(JSON.parse(raw[0]!).delivery_id).toBe('d1');
    expect(JSON.parse(raw[2]!).delivery_id).toBe('d2');
    expect(raw[3]).toBe('');
  });

  it('writes concurrent deliveries as whole lines', async () => {
    const path = join(dir, 'a.jsonl');
    const a = new JsonlFileSink('file', path);
    const b = new JsonlFileSink('file', path);
    const big = 'x'.repeat(20_000);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).deliver(sampleAlert({ id: `a${i}`, description: big }), ctx(`d${i}`))),
    );
    const got = lines(path);
    expect(got).toHaveLength(40);
    expect(new Set(got.map((l) => l.delivery_id)).size).toBe(40);
  });

  it('throws a non-retryable error when the path is a directory', async () => {
    const path = join(dir, 'is-a-dir');
    mkdirSync(path);
    const sink = new JsonlFileSink('file', path);
    const err = await sink.deliver(sampleAlert(), ctx('d1')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect((err as SaaswatchError).retryable).toBe(false);
    expect((err as SaaswatchError).code).toBe('CONFIG_INVALID');
  });

  it('fails while its directory cannot be created and recovers once it can', async () => {
    const blocker = join(dir, 'data');
    writeFileSync(blocker, 'not a directory');
    const sink = new JsonlFileSink('file', join(blocker, 'a.jsonl'));
    const err = await sink.deliver(sampleAlert(), ctx('d1')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect((err as SaaswatchError).message).toContain(blocker);
    rmSync(blocker);
    await sink.deliver(sampleAlert(), ctx('d1', 2));
    expect(lines(join(blocker, 'a.jsonl'))).toHaveLength(1);
  });

  it('forgets the oldest ids beyond its memory bound', async () => {
    const path = join(dir, 'a.jsonl');
    const sink = new JsonlFileSink('file', path, { remember: 2 });
    for (const id of ['d1', 'd2', 'd3']) await sink.deliver(sampleAlert(), ctx(id));
    await sink.deliver(sampleAlert(), ctx('d3', 2));
    await sink.deliver(sampleAlert(), ctx('d1', 2));
    expect(lines(path).map((l) => l.delivery_id)).toEqual(['d1', 'd2', 'd3', 'd1']);
  });
});
