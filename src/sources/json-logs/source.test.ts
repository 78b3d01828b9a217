import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeadLetterInput, SecurityEvent, Source, SourceBatch } from '../../core/index.js';
import { SaaswatchError, eventId } from '../../core/index.js';
import { silentLogger } from '../../log.js';
import { jsonLogsConfigSchema, type JsonLogsConfigInput } from './config.js';
import { createJsonLogsSource, jsonLogsPlugin, type JsonLogsInput } from './source.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const NOW = Date.parse('2024-08-01T00:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'saaswatch-json-logs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function source(config: JsonLogsConfigInput, input?: JsonLogsInput, now = () => NOW): Source {
  return createJsonLogsSource('test-logs', jsonLogsConfigSchema.parse(config), input, { now });
}

async function collect(src: Source, signal = new AbortController().signal) {
  const batches: SourceBatch[] = [];
  for await (const b of src.batches({ cursor: undefined, signal })) batches.push(b);
  const events: SecurityEvent[] = batches.flatMap((b) => b.events);
  const dead: DeadLetterInput[] = batches.flatMap((b) => b.deadLetters);
  return { batches, events, dead };
}

describe('fixtures', () => {
  it('reads the web app auth log (JSON lines) with the default mapping', async () => {
    const path = fixture('webapp-auth.jsonl');
    const { events, dead, batches } = await collect(source({ path }));
    expect(dead).toEqual([]);
    expect(events.map((e) => [e['@timestamp'], e.user, e.source?.ip, e.event.action, e.event.outcome])).toEqual([
      ['2024-03-04T09:15:02.123Z', { email: 'alice@example.com' }, '203.0.113.10', 'user.login', 'success'],
      ['2024-03-04T09:15:40.000Z', { email: 'bob@example.com' }, '198.51.100.7', 'user.login', 'failure'],
      ['2024-03-04T09:15:41.000Z', { email: 'bob@example.com' }, '198.51.100.7', 'user.login', 'failure'],
      ['2024-03-04T09:15:45.000Z', { email: 'bob@example.com' }, '198.51.100.7', 'user.login', 'failure'],
      ['2024-03-04T09:15:50.123Z', { name: 'carol' }, '2001:db8::1', 'report.export', 'success'],
      ['2024-03-04T09:16:00.500Z', { email: 'alice@example.com' }, '203.0.113.10', 'settings.update', 'success'],
      ['2024-03-04T09:17:00.000Z', { id: '12345' }, '203.0.113.10', 'api_token.create', 'success'],
      ['2024-03-04T09:18:00.000Z', { email: 'alice@example.com' }, '10.0.0.5', 'user.logout', 'success'],
    ]);
    expect(events.map((e) => e.event.category[0])).toEqual([
      'authentication', 'authentication', 'authentication', 'authentication', 'web', 'web', 'web', 'authentication',
    ]);
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(events.map((e) => e.raw)).toEqual(lines.map((l) => JSON.parse(l)));
    for (const e of events) {
      expect(e.event).toMatchObject({ kind: 'event', provider: 'json-logs', dataset: 'test-logs', ingested: new Date(NOW).toISOString() });
      expect(e.event.id).toBe(eventId('json-logs:test-logs', e.raw));
    }
    const size = statSync(path).size;
    expect(batches.at(-1)!.progress).toEqual({ done: size, total: size, unit: 'bytes' });
  });

  it('reads the nginx JSON array access log with a configured mapping', async () => {
    const { events, dead } = await collect(
      source({
        path: fixture('nginx-access.json'),
        fields: { timestamp: 'time_local', user: 'remote_user', action: 'uri', user_agent: 'http_user_agent' },
      }),
    );
    expect(dead).toEqual([]);
    expect(events.map((e) => [e['@timestamp'], e.user?.name, e.source?.ip, e.event.action, e.event.outcome, e.event.category[0]])).toEqual([
      ['2024-03-04T09:15:02.000Z', 'alice', '203.0.113.10', '/login', 'success', 'authentication'],
      ['2024-03-04T09:15:09.000Z', undefined, '198.51.100.7', '/login', 'failure', 'authentication'],
      ['2024-03-04T09:16:30.000Z', 'alice', '203.0.113.10', '/search?q=%5B%5D&filter={"tags":["a","b"]}', 'success', 'web'],
      ['2024-03-04T09:17:00.000Z', undefined, '198.51.100.7', '/admin', 'failure', 'web'],
      ['2024-03-04T09:18:00.000Z', 'bob', '192.0.2.44', '/files/q3-report.pdf', 'failure', 'web'],
    ]);
    expect(events[0]!.user_agent?.original).toMatch(/^Mozilla\/5\.0 \(Macintosh/);
    expect((events[2]!.raw as Record<string, unknown>).http_referer).toBe('https://app.example.com/home, "quoted" ] } [ {');
  });

  it('reads the VPN CSV log in its local time zone', async () => {
    const { events, dead } = await collect(
      source({ path: fixture('vpn.csv'), fields: { timestamp: 'event_time' }, timezone: 'Europe/Paris', category: 'network' }),
    );
    expect(dead).toEqual([]);
    expect(events.map((e) => [e['@timestamp'], e.user, e.source?.ip, e.event.action, e.event.outcome])).toEqual([
      ['2024-03-04T09:15:02.000Z', { email: 'alice@example.com' }, '203.0.113.10', 'vpn.connect', 'success'],
      ['2024-03-04T09:20:11.000Z', { name: 'bob' }, '198.51.100.7', 'vpn.connect', 'failure'],
      ['2024-03-04T09:21:00.000Z', { name: 'bob' }, '198.51.100.7', 'vpn.connect', 'success'],
      ['2024-03-04T10:00:00.000Z', { email: 'alice@example.com' }, '203.0.113.10', 'vpn.disconnect', 'success'],
      ['2024-07-01T08:00:00.000Z', { email: 'carol@example.com' }, '192.0.2.44', 'vpn.connect', 'success'],
    ]);
    expect(events[0]!.event.category).toEqual(['network']);
    expect(events[2]!.raw).toMatchObject({ note: 'multi\r\nline note with "quotes"', bytes_in: '0' });
  });
});

describe('malformed input', () => {
  it('dead-letters each bad record with its line and keeps every good one', async () => {
    const path = fixture('malformed.jsonl');
    // Mapped explicitly: a mapped field holding an object is refused, a recognised one is passed over.
    const fields = { timestamp: 'timestamp', user: 'user', ip: ['ip', 'src_ip'], action: 'action', outcome: 'outcome' };
    const { events, dead } = await collect(source({ path, fields }));
    expect(events.map((e) => e.user?.email)).toEqual(['alice@example.com', 'carol@example.com', 'mallory@example.com']);
    expect(dead.map((d) => [d.position?.line, d.code])).toEqual([
      [2, 'INPUT_MALFORMED'],
      [4, 'FIELD_MISSING'],
      [5, 'TIMESTAMP_INVALID'],
      [6, 'FIELD_TYPE'],
      [7, 'FIELD_TYPE'],
      [8, 'FIELD_TYPE'],
      [9, 'INPUT_MALFORMED'],
      [11, 'TIMESTAMP_INVALID'],
    ]);
    for (const d of dead) {
      expect(d.source).toBe('test-logs');
      expect(d.position?.file).toBe(path);
      expect(d.payload.length).toBeGreaterThan(0);
    }
    expect(dead[3]!.reason).toBe(
      `line 6 of ${path}: field "src_ip" (mapped to source.ip) must be a string IP address, got object; fix the record or change fields.ip in the source config`,
    );
    expect(dead[4]!.reason).toContain('field "user" (mapped to user) must be a string (user name or email), got array');
    expect(dead[5]!.reason).toContain('is not a valid IP address: "999.12.1.1"');
    expect(dead[3]!.payload).toBe('{"timestamp":"2024-03-04T09:00:05Z","user":"frank@example.com","src_ip":{"v4":"192.0.2.46"},"action":"user.login"}');
  });

  it('turns a 10 MB line into one INPUT_TOO_LARGE dead letter and reads on', async () => {
    const path = join(tmp, 'huge-line.jsonl');
    const good = (n: number) => JSON.stringify({ timestamp: `2024-03-04T09:00:0${n}Z`, user: `u${n}@example.com`, action: 'login' });
    const huge = JSON.stringify({ timestamp: '2024-03-04T09:00:01Z', blob: 'A'.repeat(10 * 1024 * 1024) });
    writeFileSync(path, `${good(0)}\n${huge}\n${good(2)}\n`);
    const { events, dead } = await collect(source({ path }));
    expect(events.map((e) => e.user?.email)).toEqual(['u0@example.com', 'u2@example.com']);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'INPUT_TOO_LARGE', position: { file: path, line: 2 } });
    expect(dead[0]!.reason).toContain(`is ${huge.length} bytes, over max_record_bytes (1048576)`);
    expect(dead[0]!.payload.length).toBeLessThan(5000);
    expect(dead[0]!.payload).toMatch(/^\{"timestamp":"2024-03-04T09:00:01Z","blob":"AAAA/);
  });

  it('never holds an oversized line: 200 MB of one line pass through in bounded memory', async () => {
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    async function* lazy(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"ts":1709543702,"n":1}\n{"blob":"');
      for (let i = 0; i < 3200; i++) {
        // Fresh buffers: holding any of them would show up in arrayBuffers.
        yield Buffer.alloc(64 * 1024, 0x42);
        if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      }
      yield Buffer.from('"}\n{"ts":1709543702,"n":3}\n');
    }
    const { events, dead } = await collect(source({}, { stream: Readable.from(lazy()), label: 'stdin' }));
    expect(events.map((e) => (e.raw as { n: number }).n)).toEqual([1, 3]);
    expect(dead.map((d) => d.code)).toEqual(['INPUT_TOO_LARGE']);
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  });

  it('dead-letters binary garbage and keeps the records around it', async () => {
    const path = join(tmp, 'garbage.jsonl');
    let s = 7;
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      garbage[i] = (s >>> 16) & 0xff;
    }
    const good = (n: number) => `${JSON.stringify({ timestamp: '2024-03-04T09:00:00Z', user: `u${n}@example.com` })}\n`;
    writeFileSync(path, Buffer.concat([Buffer.from(good(1)), garbage, Buffer.from(`\n${good(2)}`), garbage.subarray(0, 100), Buffer.from(`\n${good(3)}`)]));
    const { events, dead } = await collect(source({ path }));
    expect(events.map((e) => e.user?.email)).toEqual(['u1@example.com', 'u2@example.com', 'u3@example.com']);
    expect(dead.length).toBeGreaterThan(1);
    for (const d of dead) {
      expect(d.code).toBe('INPUT_MALFORMED');
      expect(d.reason).toMatch(/not valid UTF-8|not valid JSON/);
      expect(d.position!.line).toBeGreaterThan(1);
      expect(d.payload).not.toContain('\u0000');
    }
    const lastGoodLine = readFileSync(path).toString('latin1').split('\n').length - 1;
    expect(Math.max(...dead.map((d) => d.position!.line!))).toBeLessThan(lastGoodLine);
  });
});

describe('stream input', () => {
  it('reads stdin-like JSON lines, overriding config.path', async () => {
    const text = readFileSync(fixture('webapp-auth.jsonl'));
    const chunks = [text.subarray(0, 100), text.subarray(100, 101), text.subarray(101)];
    const { events, dead, batches } = await collect(source({ path: '/nonexistent' }, { stream: Readable.from(chunks), label: 'stdin' }));
    expect(dead).toEqual([]);
    expect(events).toHaveLength(8);
    expect(batches.at(-1)!.progress).toEqual({ done: text.length, total: undefined, unit: 'bytes' });
    const fromFile = await collect(source({ path: fixture('webapp-auth.jsonl') }));
    expect(events.map((e) => e.event.id)).toEqual(fromFile.events.map((e) => e.event.id));
  });

  it('sniffs CSV on a stream and positions dead letters on stdin', async () => {
    const csv = 'time,user,ip\n2024-03-04T09:00:00Z,alice,192.0.2.1\n2024-03-04T09:00:01Z,bob\n2024-03-04T09:00:02Z,carol,192.0.2.3\n';
    const { events, dead } = await collect(source({}, { stream: Readable.from([Buffer.from(csv)]), label: 'stdin' }));
    expect(events.map((e) => e.user?.name)).toEqual(['alice', 'carol']);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.position).toEqual({ file: 'stdin', line: 3, offset: 50 });
  });

  it('refuses to read the same stream twice', async () => {
    const src = source({}, { stream: Readable.from([Buffer.from('{"ts":1709543702}\n')]), label: 'stdin' });
    await collect(src);
    await expect(collect(src)).rejects.toThrow(/already read/);
  });
});

describe('batches', () => {
  it('yields at most batch_size events per batch with growing byte progress', async () => {
    const path = join(tmp, 'many.jsonl');
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ ts: 1709543702 + i, user: `u${i % 7}`, action: 'view', i }));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const { batches, events } = await collect(source({ path, batch_size: 1000 }));
    expect(events).toHaveLength(2500);
    expect(events.map((e) => (e.raw as { i: number }).i)).toEqual(lines.map((_, i) => i));
    expect(batches.map((b) => b.events.length)).toEqual([1000, 1000, 500]);
    const done = batches.map((b) => b.progress!.done);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
    expect(done.at(-1)).toBe(statSync(path).size);
  });

  it('promises nothing until the end, or with lateness its newest record less the lateness, then everything', async () => {
    const path = join(tmp, 'late.jsonl');
    // Two minutes out of order at most: each record is within 120 s of the newest before it.
    const times = Array.from({ length: 900 }, (_, i) => 1709543702 + i * 10 - (i % 13 === 0 ? 120 : 0));
    writeFileSync(path, `${times.map((ts, i) => JSON.stringify({ ts, user: 'u', action: 'login', i })).join('\n')}\n`);
    const exact = await collect(source({ path, batch_size: 100 }));
    expect(exact.batches.every((b) => b.watermark === undefined)).toBe(true);

    const { batches } = await collect(source({ path, batch_size: 100, lateness: '2m' }));
    const marks = batches.map((b) => b.watermark);
    expect(marks.at(-1)).toBe(Number.POSITIVE_INFINITY);
    const finite = marks.slice(0, -1) as number[];
    expect(finite.length).toBeGreaterThan(5);
    expect([...finite].sort((a, b) => a - b)).toEqual(finite);
    // A true promise: nothing in a later batch is older than a watermark given before it.
    batches.forEach((b, i) => {
      if (i === 0) return;
      const promised = Math.max(...finite.slice(0, i));
      for (const e of b.events) expect(Date.parse(e['@timestamp'])).toBeGreaterThanOrEqual(promised);
    });
    expect(finite.at(-1)).toBe((times.at(-1)! + 0) * 1000 - 120_000);
  });

  it('yields one empty batch with final progress for an empty file', async () => {
    const path = join(tmp, 'empty.jsonl');
    writeFileSync(path, '');
    const { batches } = await collect(source({ path }));
    expect(batches).toEqual([{ events: [], positions: { file: path, line: [], offset: [] }, deadLetters: [], progress: { done: 0, total: 0, unit: 'bytes' } }]);
  });

  it('stops when the signal aborts', async () => {
    const path = join(tmp, 'abort.jsonl');
    writeFileSync(path, Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ ts: 1709543702, i })).join('\n'));
    const ac = new AbortController();
    let seen = 0;
    for await (const b of source({ path, batch_size: 100 }).batches({ cursor: undefined, signal: ac.signal })) {
      seen += b.events.length;
      ac.abort();
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(30_000);
  });

  it('reads gzip files transparently', async () => {
    const path = join(tmp, 'webapp.jsonl.gz');
    writeFileSync(path, gzipSync(readFileSync(fixture('webapp-auth.jsonl'))));
    const { events, batches } = await collect(source({ path }));
    expect(events).toHaveLength(8);
    expect(batches.at(-1)!.progress).toMatchObject({ done: statSync(path).size, total: statSync(path).size });
  });
});

describe('duplicate compression', () => {
  const path = join(tmp, 'bursty.jsonl');
  const t = (s: number) => new Date(Date.parse('2024-03-04T09:00:00Z') + s * 1000).toISOString();
  const fail = (s: number) => JSON.stringify({ timestamp: t(s), user: 'bob@example.com', ip: '198.51.100.7', action: 'login', outcome: 'failure' });
  const okLine = (s: number) => JSON.stringify({ timestamp: t(s), user: 'alice@example.com', ip: '203.0.113.10', action: 'login', outcome: 'success' });

  it('folds a burst into one event with a count, deterministically across re-ingests', async () => {
    writeFileSync(path, [fail(0), fail(1), okLine(2), fail(3), fail(30), fail(59), fail(75), okLine(200)].join('\n'));
    const first = await collect(source({ path, dedupe: { window: '60s' } }));
    expect(first.dead).toEqual([]);
    expect(first.events.map((e) => [e['@timestamp'].slice(11, 19), e.user?.email, e.event.count])).toEqual([
      ['09:00:00', 'bob@example.com', 5],
      ['09:00:02', 'alice@example.com', undefined],
      ['09:01:15', 'bob@example.com', undefined],
      ['09:03:20', 'alice@example.com', undefined],
    ]);
    // The group's id is the id of its first record, as without compression.
    expect(first.events[0]!.event.id).toBe(eventId('json-logs:test-logs', JSON.parse(fail(0))));
    const again = await collect(source({ path, dedupe: { window: '60s' } }, undefined, () => NOW + 3_600_000));
    expect(again.events.map((e) => [e.event.id, e.event.count])).toEqual(first.events.map((e) => [e.event.id, e.event.count]));
  });

  it('is off by default', async () => {
    writeFileSync(path, [fail(0), fail(1), fail(2)].join('\n'));
    const { events } = await collect(source({ path }));
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.event.count === undefined)).toBe(true);
  });
});

describe('errors and plugin', () => {
  it('fails with CONFIG_INVALID for a missing file or no path at all', async () => {
    const missing = collect(source({ path: join(tmp, 'nope.jsonl') }));
    await expect(missing).rejects.toBeInstanceOf(SaaswatchError);
    await expect(collect(source({ path: join(tmp, 'nope.jsonl') }))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('no such file') });
    await expect(collect(source({}))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('has no path') });
    await expect(collect(source({ path: tmp }))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`cannot read ${tmp}: is a directory`) });
  });

  it('reports stream errors as INPUT_MALFORMED naming the input', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('pipe closed'));
      },
    });
    await expect(collect(source({}, { stream: broken, label: 'stdin' }))).rejects.toMatchObject({
      code: 'INPUT_MALFORMED',
      message: 'cannot read stdin: pipe closed',
    });
  });

  it('exposes the plugin contract', async () => {
    expect(jsonLogsPlugin.type).toBe('json-logs');
    const config = jsonLogsPlugin.configSchema.parse({ path: fixture('webapp-auth.jsonl') });
    const src = jsonLogsPlugin.create('auth', config, { logger: silentLogger, dataDir: tmp });
    expect([src.name, src.type]).toEqual(['auth', 'json-logs']);
    const { events } = await collect(src);
    expect(events).toHaveLength(8);
    expect(events[0]!.event.dataset).toBe('auth');
  });
});

describe('vetted batches (SourceBatch.vetted)', () => {
  const line = (user: string) => JSON.stringify({ time: '2024-03-04T09:15:02Z', user, ip: '203.0.113.10', action: 'login' });

  it('vouches only for batches whose every record is clean JSON, and each vetted event needs no change', async () => {
    const { admitEvent } = await import('../../pipeline/admit.js');
    const lines = [
      line('alice@example.com'),
      line('b\u00e9a@example.com'), // an escaped é is harmless
      line('bob@example.com').replace('bob', '\\u00e9bob'),
      line('eve\u0000@example.com'), // JSON.stringify writes \u0000
      line('mallory@example.com').replace('mallory', 'mal\\ud800lory'),
      line('carol@example.com').replace('carol', 'c\\\\u0000arol'), // an escaped backslash: clean, but it costs only a check
    ];
    const path = join(tmp, 'vetted.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const { batches } = await collect(source({ path, batch_size: 1 }));
    expect(batches.map((b) => b.vetted === true)).toEqual([true, true, true, false, false, false]);
    for (const b of batches.filter((x) => x.vetted)) {
      for (const e of b.events) {
        const before = JSON.stringify(e);
        expect(admitEvent(e)).toBeUndefined();
        expect(JSON.stringify(e)).toBe(before);
      }
    }
  });

  it('never vouches for CSV, duplicate compression or records larger than the bound', async () => {
    const csv = join(tmp, 'vetted.csv');
    writeFileSync(csv, 'time,user,action\n2024-03-04T09:15:02Z,alice@example.com,login\n');
    expect((await collect(source({ path: csv }))).batches.every((b) => !b.vetted)).toBe(true);
    const path = join(tmp, 'vetted-2.jsonl');
    writeFileSync(path, `${line('alice@example.com')}\n`);
    expect((await collect(source({ path }))).batches.map((b) => b.vetted)).toEqual([true]);
    expect((await collect(source({ path, dedupe: { window: '1m' } }))).batches.every((b) => !b.vetted)).toBe(true);
    expect((await collect(source({ path, max_record_bytes: '64MiB' }))).batches.every((b) => !b.vetted)).toBe(true);
  });
});
