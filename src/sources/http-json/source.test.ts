import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceBatch } from '../../core/index.js';
import { validateConfig } from '../../config/load.js';
import { startFakeHttpJson, type FakeHttpJson, type FakeHttpJsonOptions } from '../../fakes/http-json/server.js';
import { registry } from '../../registry.js';
import { httpJsonConfigSchema, type HttpJsonConfigInput } from './config.js';
import { createHttpJsonSource, type HttpJsonSourceOptions } from './source.js';
import { linkHeaderNext } from './client.js';
import { drain } from '../../core/testing.js';

const T0 = Date.parse('2026-11-03T10:00:00Z');
const MIN = 60_000;
const KEY = 'hj-live-4f9a1c7e2b';
const iso = (ms: number) => new Date(ms).toISOString();

/** Twenty sign-ins five minutes apart ending ten minutes before T0; every third one failed. */
const RECORDS = Array.from({ length: 20 }, (_, i) => ({
  ts: iso(T0 - (21 - i) * 5 * MIN),
  actor: { email: `user${i % 4}@example.com` },
  client_ip: `203.0.113.${10 + i}`,
  event: i % 3 === 0 ? 'login_failed' : 'login',
  result: i % 3 === 0 ? 'failure' : 'success',
}));

const open: FakeHttpJson[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function fake(o: Partial<FakeHttpJsonOptions> = {}): Promise<FakeHttpJson> {
  const f = await startFakeHttpJson({ records: RECORDS, auth: { header: 'Authorization', value: `Bearer ${KEY}` }, ...o });
  open.push(f);
  return f;
}

function source(f: FakeHttpJson, config: Partial<HttpJsonConfigInput> = {}, opts: HttpJsonSourceOptions = {}) {
  const c = httpJsonConfigSchema.parse({
    url: f.url,
    auth: { value: `Bearer ${KEY}` },
    fields: { timestamp: 'ts', user: 'actor.email', ip: 'client_ip', action: 'event', outcome: 'result' },
    ...config,
  });
  return createHttpJsonSource('vendor', c, { now: () => T0, once: true, sleep: async () => undefined, ...opts });
}

describe('http-json source against a local API', () => {
  it('follows next links in the body, maps fields like json-logs and sends the bearer token', async () => {
    const f = await fake({ shape: 'wrapped', paging: 'body_link', pageSize: 6 });
    const r = await drain(source(f, { paging: { type: 'next_link', next_path: 'links.next' }, page_size: 6, page_size_param: 'limit' }));
    expect(r.events.map((e) => e['@timestamp'])).toEqual(RECORDS.map((x) => x.ts));
    expect(f.requests.map((q) => q.url)).toEqual(['/v1/audit?limit=6', '/v1/audit?limit=6&page=6', '/v1/audit?limit=6&page=12', '/v1/audit?limit=6&page=18']);
    expect(r.batches).toHaveLength(4);
    expect(r.events[0]).toMatchObject({
      event: { provider: 'http-json', action: 'login_failed', outcome: 'failure', category: ['authentication'] },
      user: { email: 'user0@example.com' },
      source: { ip: '203.0.113.10' },
    });
    // A link feed is read again whole next time (dedupe drops the repeats): its cursor holds no link once done.
    expect(JSON.parse(r.cursor!)).toEqual({ v: 1 });
    // Complete: nothing logged before the poll began, less settle (10m), will come any more.
    expect(r.batches.at(-1)!.watermark).toBe(T0 - 10 * MIN);
    expect(r.batches[0]!.watermark).toBe(Number.NEGATIVE_INFINITY);
  });

  it('keeps its promise across the polls of one run: the next poll does not move the watermark back', async () => {
    const f = await fake({ shape: 'wrapped', paging: 'body_link', pageSize: 10 });
    // min_poll_interval 0s: the wake below polls at once (the clock is pinned, so 10 s would never pass).
    const src = source(f, { paging: { type: 'next_link', next_path: 'links.next' }, page_size: 10, page_size_param: 'limit', min_poll_interval: '0s' }, { once: false });
    const ac = new AbortController();
    const marks: number[] = [];
    for await (const b of src.batches({ cursor: undefined, signal: ac.signal })) {
      marks.push(b.watermark!);
      // The first poll has read its two pages: poll again now rather than in poll_interval.
      if (marks.length === 2) src.wake();
      if (marks.length === 4) ac.abort();
    }
    expect(marks).toEqual([Number.NEGATIVE_INFINITY, T0 - 10 * MIN, T0 - 10 * MIN, T0 - 10 * MIN]);
    expect(f.requests).toHaveLength(4);
  });

  it('follows a Link header over JSONL, dead-lettering a malformed line and a record without a time while the rest carries on', async () => {
    const records = [...RECORDS.slice(0, 5), { __raw: '{"ts": "2026-11-03T09:00:00Z", "actor": ' }, { actor: { email: 'nobody@example.com' }, event: 'login' }, ...RECORDS.slice(5, 8)];
    const f = await fake({ shape: 'jsonl', paging: 'link_header', pageSize: 4, records });
    const r = await drain(source(f, { paging: { type: 'next_link' }, format: 'jsonl', page_size: 4, page_size_param: 'limit' }));
    expect(r.events.map((e) => e['@timestamp'])).toEqual(RECORDS.slice(0, 8).map((x) => x.ts));
    expect(r.deadLetters).toHaveLength(2);
    expect(r.deadLetters[0]).toMatchObject({ source: 'vendor', code: 'INPUT_MALFORMED', reason: 'page 2 line 2: line is not JSON', payload: '{"ts": "2026-11-03T09:00:00Z", "actor": ' });
    expect(r.deadLetters[1]).toMatchObject({ source: 'vendor', code: 'FIELD_MISSING', reason: expect.stringMatching(/^page 2 line 3: .*ts/) });
    expect(f.requests).toHaveLength(3);
  });

  it('pages by cursor token and, restarted from its committed cursor, reads only what is new', async () => {
    const f = await fake({ shape: 'wrapped', paging: 'cursor', pageSize: 8, records: RECORDS.slice(0, 12) });
    const cfg: Partial<HttpJsonConfigInput> = { paging: { type: 'cursor', cursor_path: 'next_cursor', cursor_param: 'cursor' }, page_size: 8, page_size_param: 'limit' };
    const first = await drain(source(f, cfg));
    expect(first.events).toHaveLength(12);
    expect(JSON.parse(first.cursor!)).toEqual({ v: 1, next: 'c-12' });
    f.records = RECORDS;
    const before = f.requests.length;
    const second = await drain(source(f, cfg), first.cursor);
    expect(second.events.map((e) => e['@timestamp'])).toEqual(RECORDS.slice(12).map((x) => x.ts));
    expect(f.requests[before]!.url).toBe('/v1/audit?limit=8&cursor=c-12');
  });

  it('reads [since, until) windows from backfill, promises each completed window, and a restart re-reads only settle', async () => {
    const f = await fake({ shape: 'array' });
    const cfg: Partial<HttpJsonConfigInput> = { time_window: { size: '30m' }, backfill: '2h', settle: '15m' };
    const first = await drain(source(f, cfg));
    expect(first.events).toHaveLength(20);
    const since = f.requests.map((q) => new URL(q.url, 'http://x').searchParams.get('since'));
    expect(since).toEqual([iso(T0 - 120 * MIN), iso(T0 - 90 * MIN), iso(T0 - 60 * MIN), iso(T0 - 30 * MIN)]);
    expect(first.batches.map((b) => b.watermark)).toEqual([T0 - 90 * MIN, T0 - 60 * MIN, T0 - 30 * MIN, T0 - 15 * MIN]);
    expect(JSON.parse(first.cursor!)).toEqual({ v: 1, done: iso(T0) });
    const before = f.requests.length;
    const later = source(f, cfg, { now: () => T0 + 5 * MIN });
    const again = await drain(later, first.cursor);
    expect(f.requests.slice(before).map((q) => q.url)).toEqual([`/v1/audit?since=${encodeURIComponent(iso(T0 - 15 * MIN))}&until=${encodeURIComponent(iso(T0 + 5 * MIN))}`]);
    // The settle re-read: the two records of the last quarter hour, again (event ids make them one).
    expect(again.events.map((e) => e.event.id)).toEqual(first.events.slice(-2).map((e) => e.event.id));
  });

  it('honours a 429 Retry-After through the shared retry, then carries on', async () => {
    const f = await fake({ shape: 'array' });
    f.faults.rateLimited = 2;
    f.faults.retryAfterSeconds = 7;
    const sleeps: number[] = [];
    const r = await drain(source(f, {}, { sleep: async (ms) => void sleeps.push(ms) }));
    expect(sleeps).toEqual([7000, 7000]);
    expect(f.requests.map((q) => q.status)).toEqual([429, 429, 200]);
    expect(r.events).toHaveLength(20);
  });

  it('stops on a refused key without the key in the error or the log, and never follows a link to another host', async () => {
    const f = await fake({ shape: 'array' });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const err = await drain(source(f, { auth: { header: 'X-API-Key', value: KEY } }, { logger, once: false })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, message: expect.stringMatching(/http-json source vendor rejected the request with 401: check auth.header and auth.value/) });
    expect(JSON.stringify(err) + String((err as Error).stack) + lines.join('')).not.toContain(KEY);
    // A page whose next link points at another host: the credential would go with the request.
    const hostile = await fake({ shape: 'array', records: [] });
    const own = await fake({ shape: 'array' });
    const pointing: typeof fetch = async () => new Response(JSON.stringify({ data: RECORDS.slice(0, 2), links: { next: hostile.url } }), { status: 200, headers: { 'content-type': 'application/json' } });
    const leaking = source(own, { paging: { type: 'next_link', next_path: 'links.next' } }, { fetch: pointing });
    await expect(drain(leaking)).rejects.toMatchObject({ code: 'INPUT_MALFORMED', retryable: false, message: expect.stringMatching(/next link points to another host/) });
    expect(hostile.requests).toHaveLength(0);
  });

  it('says where the records should be when an object body has none', async () => {
    const f = await fake({ shape: 'wrapped' });
    await expect(drain(source(f, { items_path: 'result.entries' }))).rejects.toMatchObject({
      code: 'INPUT_MALFORMED',
      message: expect.stringMatching(/without a records array at items_path "result.entries" \(set items_path to where the records are\)$/),
    });
  });

  it('refuses an answer over max_body_bytes with INPUT_TOO_LARGE naming the size and the limit', async () => {
    const f = await fake({ shape: 'wrapped' });
    await expect(drain(source(f, { max_body_bytes: 1024 }))).rejects.toMatchObject({
      code: 'INPUT_TOO_LARGE',
      retryable: false,
      message: expect.stringMatching(/^http-json source vendor answer: (?:\d{4,}|more than 1024) bytes is over the limit of max_body_bytes \(1024\)$/),
    });
  });

  it('reads Link headers with several relations', () => {
    expect(linkHeaderNext('<https://a.example/x?p=2>; rel="next", <https://a.example/x?p=9>; rel="last"', 'https://a.example/x')).toBe('https://a.example/x?p=2');
    expect(linkHeaderNext('</x?p=3>; rel="prev next"', 'https://a.example/x')).toBe('https://a.example/x?p=3');
    expect(linkHeaderNext('<https://a.example/x?p=9>; rel="last"', 'https://a.example/x')).toBeUndefined();
  });

  it('has a README example that validates', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('type: http-json'));
    expect(block).toBeDefined();
    const cfg = validateConfig(parse(block!), registry, { env: { VENDOR_API_KEY: 'k' }, baseDir: '.' });
    expect(cfg.sources).toMatchObject([{ type: 'http-json', name: 'vendor-audit' }]);
  });
});
