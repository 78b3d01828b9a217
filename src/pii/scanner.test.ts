import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sensitivityRank } from '../core/pii.js';
import type { FileRecord, Inventory } from '../core/store.js';
import { DEFAULT_LIMITS } from './extract/limits.js';
import { ExtractContext } from './extract/context.js';
import { extractText } from './extract/index.js';
import { FileScanner, type ExtractFn, type ScanJob } from './scanner.js';
import { piiSettingsSchema, type PiiSettingsInput } from './settings.js';
import { errors } from '../core/errors.js';

const NOW = Date.parse('2026-03-02T09:00:00.000Z');
// Published test card numbers (Visa, Mastercard, Amex from Stripe's and PayPal's docs) and the SSA's
// famous 078-05-1120: shaped like what a finance export holds.
const CARDS = ['4111111111111111', '5555555555554444', '378282246310005', '4012888888881881'];
const CSV = `customer,card,contact\n${CARDS.map((c, i) => `Customer ${i},${c},billing${i}@example.com`).join('\n')}\n`;
const enc = (s: string) => new TextEncoder().encode(s);

/** The Inventory port in memory, as the SQL store behaves for these methods. */
function memoryInventory(): Pick<Inventory, 'getFile' | 'setClassification' | 'findClassification'> & { files: Map<string, FileRecord> } {
  const files = new Map<string, FileRecord>();
  return {
    files,
    getFile: async (key) => structuredClone(files.get(key)),
    setClassification: async (f, c) => {
      const prev = files.get(f.key);
      files.set(f.key, { ...(prev ?? { key: f.key, provider: f.provider, fileId: f.fileId, data: {}, deleted: false, ...(f.name ? { name: f.name } : {}), ...(f.owner ? { owner: f.owner } : {}), ...(f.visibility ? { visibility: f.visibility } : {}) }), updatedAt: new Date(NOW).toISOString(), classification: structuredClone(c) });
    },
    findClassification: async (hash) => [...files.values()].map((f) => f.classification).find((c) => c?.contentHash === hash),
  };
}

function setup(over: PiiSettingsInput = {}, extract?: ExtractFn) {
  const inventory = memoryInventory();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const scanner = new FileScanner({ inventory, settings: piiSettingsSchema.parse({ enabled: true, ...over }), logger, now: () => NOW, ...(extract ? { extract } : {}) });
  return { inventory, scanner, lines };
}

function job(over: Partial<ScanJob> & { body?: string | Uint8Array } = {}): ScanJob & { fetches: number } {
  const body = over.body ?? CSV;
  const j = {
    key: 'google-drive:1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms',
    provider: 'google-workspace',
    fileId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms',
    name: 'Q3 card export',
    mimeType: 'text/csv',
    owner: 'finance@example.com',
    source: 'gws',
    fetches: 0,
    ...over,
    fetch: async () => {
      j.fetches++;
      return typeof body === 'string' ? enc(body) : body;
    },
  };
  return j;
}

describe('FileScanner', () => {
  it('classifies a spreadsheet of card numbers, stores counts and masked samples, and returns a file_classified event without a raw value', async () => {
    const { scanner, inventory, lines } = setup();
    const j = job({ contentHash: 'sha256:5f2b1c', visibility: 'anyone_with_link' });
    const out = await scanner.submit(j);
    expect(out.status).toBe('classified');
    const c = out.classification!;
    expect(c.entities.counts.CREDIT_CARD).toBe(4);
    // Cards alone make it medium; with the e-mail recognizer the contacts beside them make it high.
    expect(sensitivityRank(c.sensitivity)).toBeGreaterThanOrEqual(sensitivityRank('medium'));
    expect(c).toMatchObject({ contentHash: 'sha256:5f2b1c', scannedAt: '2026-03-02T09:00:00.000Z' });
    expect(inventory.files.get(j.key)!.classification).toEqual(c);
    const e = out.event!;
    expect(e.event).toMatchObject({ action: 'file_classified', dataset: 'google-workspace.pii', category: ['file'], kind: 'event', provider: 'google-workspace' });
    expect(e.file).toMatchObject({ id: j.fileId, name: 'Q3 card export', owner: 'finance@example.com', sensitivity: c.sensitivity, pii: { CREDIT_CARD: 4 } });
    expect(e.share).toEqual({ visibility: 'anyone_with_link' });
    expect(e.raw).toEqual(c);
    const everything = JSON.stringify([e, [...inventory.files.values()], lines]);
    for (const raw of CARDS) expect(everything).not.toContain(raw);
    expect(everything).not.toContain('billing0@example.com');
    // The same content classified again is the same event: a re-emit is dropped by id.
    const again = await setup().scanner.submit(job({ contentHash: 'sha256:5f2b1c' }));
    expect(again.event!.event.id).toBe(e.event.id);
  });

  it('skips a file whose stored scan has its content hash, and reuses another file\'s scan of the same content without fetching', async () => {
    const { scanner } = setup();
    const first = job({ contentHash: 'md5:9e107d9d372bb6826bd81d3542a419d6' });
    const level = (await scanner.submit(first)).classification!.sensitivity;
    const same = job({ contentHash: 'md5:9e107d9d372bb6826bd81d3542a419d6' });
    expect((await scanner.submit(same)).status).toBe('cached');
    expect(same.fetches).toBe(0);
    const copy = job({ key: 'google-drive:copy', fileId: 'copy', name: 'Copy of Q3 card export', contentHash: 'md5:9e107d9d372bb6826bd81d3542a419d6' });
    const reused = await scanner.submit(copy);
    expect(reused).toMatchObject({ status: 'reused', event: { file: { id: 'copy', sensitivity: level } } });
    expect(copy.fetches).toBe(0);
    const changed = job({ contentHash: 'md5:e4d909c290d0fb1ca068ffaddf22cbd0', body: 'nothing to see here\n' });
    expect((await scanner.submit(changed)).classification!.sensitivity).toBe('none');
    expect(scanner.stats).toMatchObject({ classified: 2, cached: 1, reused: 1 });
  });

  it('hashes the bytes itself when the vendor gives no hash (Google Docs exports), and keys the hash when pii.key is set', async () => {
    const { scanner } = setup();
    const a = await scanner.submit(job({ mimeType: 'text/plain', name: 'notes' }));
    expect(a.classification!.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await scanner.submit(job({ mimeType: 'text/plain', name: 'notes' }))).status).toBe('cached');
    const keyed = setup({ key: 'k3y-for-hmac-0123456789abcdef' });
    const b = await keyed.scanner.submit(job({ contentHash: 'md5:9e107d9d372bb6826bd81d3542a419d6' }));
    expect(b.classification!.contentHash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect((await keyed.scanner.submit(job({ contentHash: 'md5:9e107d9d372bb6826bd81d3542a419d6' }))).status).toBe('cached');
  });

  it('dead-letters files too large or unreadable with the reason and never their content, and stores the error so they are not fetched again', async () => {
    const { scanner, inventory } = setup({ max_file_bytes: 1024 });
    const big = job({ key: 'dropbox:id:big', fileId: 'id:big', provider: 'dropbox', size: 5_000_000, contentHash: 'dropbox:aa' });
    const o = await scanner.submit(big);
    expect(o.status).toBe('unreadable');
    expect(big.fetches).toBe(0);
    expect(o.deadLetter).toMatchObject({ source: 'gws', code: 'INPUT_TOO_LARGE' });
    expect((await scanner.submit(job({ key: 'dropbox:id:big', fileId: 'id:big', provider: 'dropbox', size: 5_000_000, contentHash: 'dropbox:aa' }))).status).toBe('cached');
    const secret = '%PDF-1.7\n1 0 obj\n<< /Encrypt 2 0 R >>\nSSN 078-05-1120 card 4111111111111111\n';
    const corrupt = await scanner.submit(job({ key: 'google-drive:pdf', fileId: 'pdf', name: 'statement.pdf', mimeType: 'application/pdf', body: secret }));
    expect(corrupt.status).toBe('unreadable');
    expect(corrupt.deadLetter!.code).toBe('FILE_UNREADABLE');
    expect(corrupt.deadLetter!.reason).toContain('statement.pdf');
    expect(JSON.stringify([corrupt, inventory.files.get('google-drive:pdf')])).not.toMatch(/078-05-1120|4111111111111111/);
    expect(inventory.files.get('google-drive:pdf')!.classification).toMatchObject({ sensitivity: 'none', error: { code: 'FILE_UNREADABLE' } });
  });

  it('leaves nothing stored when the download fails, so the next change retries it', async () => {
    const { scanner, inventory } = setup();
    const broken: ScanJob = { ...job(), fetch: async () => Promise.reject(new TypeError('fetch failed')) };
    expect((await scanner.submit(broken)).status).toBe('failed');
    expect(inventory.files.size).toBe(0);
    expect(scanner.stats.failed).toBe(1);
  });

  it('runs at most `concurrency` scans, refuses jobs past `queue_size`, and merges a job for a key already waiting', async () => {
    const { scanner } = setup({ concurrency: 1, queue_size: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = (key: string, body = `meeting notes for ${key}\n`): ScanJob => ({ ...job({ key, fileId: key }), fetch: async () => (await gate, enc(body)) });
    const p1 = scanner.submit(slow('a'));
    const p2 = scanner.submit(slow('b'));
    const p3 = scanner.submit(slow('c'));
    const p3b = scanner.submit(slow('c', CSV));
    expect(scanner.stats).toMatchObject({ running: 1, queued: 2 });
    expect(await scanner.submit(slow('d'))).toEqual({ key: 'd', status: 'refused' });
    expect(scanner.stats.refused).toBe(1);
    release();
    const outs = await Promise.all([p1, p2, p3, p3b]);
    expect(outs.map((o) => o.status)).toEqual(['classified', 'classified', 'classified', 'classified']);
    // The newer job for `c` replaced the waiting one: its content is what was scanned.
    expect(outs[2]!.classification!.entities.counts.CREDIT_CARD).toBe(4);
    expect(outs[3]).toBe(outs[2]);
    await scanner.idle();
    expect(scanner.stats).toMatchObject({ running: 0, queued: 0, classified: 3 });
  });

  it('stores nothing and dead-letters nothing when a scan is cancelled by close(), so the file is scanned again later', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    // As the real extractors do: ctx.check() turns the caller's abort into an error between steps.
    const extract: ExtractFn = async (_data, meta, _limits, signal) => {
      started();
      await new Promise<void>((r) => signal!.addEventListener('abort', () => r(), { once: true }));
      new ExtractContext(meta.name ?? 'file', DEFAULT_LIMITS, signal, performance.now()).check();
      return extractText(_data, meta);
    };
    const { scanner, inventory } = setup({}, extract);
    const out = scanner.submit(job({ contentHash: 'sha256:abc', name: 'big.txt', mimeType: 'text/plain' }));
    await running;
    scanner.close();
    const o = await out;
    expect(o.status).toBe('failed');
    expect(o.deadLetter).toBeUndefined();
    expect(o.classification).toBeUndefined();
    expect(inventory.files.size).toBe(0);
    // A new scanner on the same store scans it (not `cached` as none).
    const again = await new FileScanner({ inventory, settings: piiSettingsSchema.parse({ enabled: true }), now: () => NOW }).submit(job({ contentHash: 'sha256:abc' }));
    expect(again.status).toBe('classified');
    expect(again.classification!.entities.counts.CREDIT_CARD).toBe(4);
  });

  it('treats an extraction past pii.limits.timeout as a failure to retry, not as unreadable content', async () => {
    // The extractor reports its own deadline as FILE_UNREADABLE; the time spent is what tells it apart.
    const extract: ExtractFn = async (_data, meta, limits) => {
      const ctx = new ExtractContext(meta.name ?? 'file', { ...DEFAULT_LIMITS, ...limits }, undefined, performance.now());
      await new Promise((r) => setTimeout(r, 40));
      ctx.check();
      return extractText(_data, meta);
    };
    const { scanner, inventory } = setup({ limits: { timeout: '20ms' } }, extract);
    const o = await scanner.submit(job({ contentHash: 'sha256:slow', name: 'slow.pdf', mimeType: 'application/pdf' }));
    expect(o.status).toBe('failed');
    expect(o.deadLetter).toBeUndefined();
    expect(inventory.files.size).toBe(0);
    expect(scanner.stats).toMatchObject({ failed: 1, unreadable: 0 });
  });

  it('gives a later scan of content the file held before (a revert) a new event id, so the pipeline does not drop it', async () => {
    const inventory = memoryInventory();
    let now = NOW;
    const scanner = new FileScanner({ inventory, settings: piiSettingsSchema.parse({ enabled: true }), now: () => now });
    const first = await scanner.submit(job({ contentHash: 'sha256:cards' }));
    now += 60_000;
    const cleaned = await scanner.submit(job({ contentHash: 'sha256:clean', body: 'customer,contact\nCustomer 0,billing desk\n' }));
    expect(cleaned.classification!.sensitivity).toBe('none');
    now += 60_000;
    const reverted = await scanner.submit(job({ contentHash: 'sha256:cards' }));
    expect(reverted.event!.file!.sensitivity).toBe(first.event!.file!.sensitivity);
    expect(new Set([first, cleaned, reverted].map((o) => o.event!.event.id)).size).toBe(3);
  });

  it('passes max_file_bytes to the fetch, and stores a download the cap stopped as too large (not fetched again unchanged)', async () => {
    const { scanner, inventory } = setup({ max_file_bytes: 4096 });
    const caps: Array<number | undefined> = [];
    const capped = (): ScanJob => ({
      ...job({ key: 'dropbox:id:grew', fileId: 'id:grew', provider: 'dropbox', size: 100, contentHash: 'dropbox:9f8e' }),
      fetch: async (_signal, maxBytes) => {
        caps.push(maxBytes);
        throw errors.inputTooLarge({ where: 'Dropbox download', size: 'more than 4096 bytes', limit: '4096 bytes (pii.max_file_bytes)' });
      },
    });
    const o = await scanner.submit(capped());
    expect(caps).toEqual([4096]);
    expect(o.status).toBe('unreadable');
    expect(o.deadLetter).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(inventory.files.get('dropbox:id:grew')!.classification).toMatchObject({ error: { code: 'INPUT_TOO_LARGE' } });
    expect((await scanner.submit(capped())).status).toBe('cached');
    expect(caps).toHaveLength(1);
  });
});
