/**
 * Poison records through the real CLI on both dialects: a line nested 5,000 deep, NUL in user and
 * action, repeated keys, a CSV `__proto__` column and a line over the size limit. Each is read by
 * `ingest FILE` and by `run --once` with the file as a json-logs source, twice: the hostile record
 * is a dead letter naming its line (or is stored cleaned, for text a dialect cannot hold), every
 * other record is stored, and the second read stores nothing new.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, SAMPLE_SOURCE, type CliResult } from '../helpers.js';
import { describeEachDialect, type HostileDb } from './harness.js';

const ENV = { SAASWATCH_NOW: '2026-03-02T12:00:00Z' };
const T0 = Date.parse('2026-03-02T08:00:00Z');
const MODES = ['ingest', 'run --once'] as const;
type Mode = (typeof MODES)[number];

/** A good record; `i` makes each one distinct (its time) and spreads them over a few users. */
function good(i: number): Record<string, unknown> {
  return { time: new Date(T0 + i * 1000).toISOString(), user: `u${i % 40}@example.com`, src_ip: '198.51.100.7', action: 'login', result: 'success' };
}

function lines(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify(good(from + i)));
}

interface Counts {
  events: number;
  deadLetters: number;
}

/** Reads `file` twice the way `mode` says, on `db`; returns both results and the counts after each. */
async function twice(db: HostileDb, file: string, mode: Mode, source: Record<string, unknown> = {}): Promise<Array<CliResult & Counts>> {
  const out: Array<CliResult & Counts> = [];
  const cfg = db.config({ sources: [{ ...SAMPLE_SOURCE, ...source, path: mode === 'ingest' ? undefined : file }] });
  const args = mode === 'ingest' ? ['-c', cfg, 'ingest', file, '--no-progress'] : ['-c', cfg, 'run', '--once', '--no-progress'];
  for (let i = 0; i < 2; i++) {
    const r = await runCli(args, { env: ENV });
    out.push({ ...r, events: await db.count('events'), deadLetters: await db.count('dead_letters') });
  }
  return out;
}

interface DeadRow {
  code: string;
  reason: string;
  payload: string;
  position: string;
}

async function deadLetters(db: HostileDb): Promise<Array<Omit<DeadRow, 'position'> & { position: { file: string; line: number; offset: number } }>> {
  const rows = await db.rows<DeadRow>('select code, reason, payload, position from dead_letters order by id');
  return rows.map((r) => ({ ...r, position: JSON.parse(r.position) as { file: string; line: number; offset: number } }));
}

/** Both reads: the partial exit, one dead letter, `events` stored, nothing new the second time. */
function expectPartial(runs: Array<CliResult & Counts>, events: number): void {
  for (const r of runs) {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('1 dead letters');
    expect({ events: r.events, deadLetters: r.deadLetters }).toEqual({ events, deadLetters: 1 });
  }
  expect(runs[1]!.stdout).toContain(`(0 new, ${events.toLocaleString('en-US')} already stored)`);
}

describeEachDialect('poison records', (fresh) => {
  it.each(MODES)('a line nested 5,000 deep between 1,100 good lines on each side is one dead letter at its line and offset (%s)', async (mode) => {
    const db = await fresh();
    const file = join(db.dir, 'deep.jsonl');
    const before = lines(1100);
    const deep = `{"time":"2026-03-02T09:00:00Z","user":"mallory@example.com","action":"login","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    writeFileSync(file, `${[...before, deep, ...lines(1100, 2000)].join('\n')}\n`);
    const runs = await twice(db, file, mode);
    expectPartial(runs, 2200);
    const [dl] = await deadLetters(db);
    const offset = Buffer.byteLength(before.join('\n')) + 1;
    expect(dl!.code).toBe('INPUT_TOO_LARGE');
    expect(dl!.position).toEqual({ file, line: 1101, offset });
    expect(dl!.reason).toBe(
      `line 1101 of ${file} nests deeper than max_record_depth (64) at byte 144 of the record (byte ${offset + 144} of the input); skipped. Raise max_record_depth in the source config if such records are legitimate`,
    );
    expect(dl!.payload.startsWith('{"time":"2026-03-02T09:00:00Z","user":"mallory@example.com"')).toBe(true);
    expect(dl!.payload).toContain('[truncated, 10082 bytes in all]');
  });

  it.each(MODES)('NUL in user and action among 100 good records is stored as U+FFFD, the same on every dialect, and says so (%s)', async (mode) => {
    const db = await fresh();
    const file = join(db.dir, 'nul.jsonl');
    const hostile = { ...good(500), user: 'mal\u0000lory@example.com', action: 'log\u0000in' };
    writeFileSync(file, `${[...lines(50), JSON.stringify(hostile), ...lines(50, 50)].join('\n')}\n`);
    const runs = await twice(db, file, mode);
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect({ events: r.events, deadLetters: r.deadLetters }).toEqual({ events: 101, deadLetters: 0 });
    }
    const [row] = await db.rows<{ user_email: string; action: string; doc: string }>('select user_email, action, doc from events where ts = ?', [T0 + 500_000]);
    expect(row!.user_email).toBe('mal\ufffdlory@example.com');
    expect(row!.action).toBe('log\ufffdin');
    const doc = JSON.parse(row!.doc) as { user: { email: string }; event: { action: string }; labels: Record<string, string>; raw: Record<string, string> };
    expect(doc.user.email).toBe('mal\ufffdlory@example.com');
    expect(doc.event.action).toBe('log\ufffdin');
    expect(doc.raw.user).toBe('mal\ufffdlory@example.com');
    expect(doc.labels.sanitized).toBe('nul');
    expect(row!.doc).not.toContain('\\u0000');
  });

  it.each(MODES)('a record repeating a key is a dead letter naming the key, never a silent merge (%s)', async (mode) => {
    const db = await fresh();
    const file = join(db.dir, 'dup.jsonl');
    const dup = '{"time":"2026-03-02T09:00:00Z","user":"alice@example.com","action":"login","result":"success","user":"mallory@example.com"}';
    writeFileSync(file, `${[...lines(60), dup, ...lines(40, 60)].join('\n')}\n`);
    const runs = await twice(db, file, mode);
    expectPartial(runs, 100);
    const [dl] = await deadLetters(db);
    expect(dl!.code).toBe('INPUT_MALFORMED');
    expect(dl!.position.line).toBe(61);
    expect(dl!.reason).toBe(`line 61 of ${file} repeats the key "user" at user: which value is meant is ambiguous, so the record is not merged; skipped`);
    expect(dl!.payload).toBe(dup);
    expect(Number((await db.rows<{ n: number }>("select count(*) as n from events where user_email in ('alice@example.com', 'mallory@example.com')"))[0]!.n)).toBe(0);
  });

  it.each(MODES)('a CSV column named __proto__ keeps its value, and a malformed row beside it is a dead letter (%s)', async (mode) => {
    const db = await fresh();
    const file = join(db.dir, 'proto.csv');
    const rows = Array.from({ length: 30 }, (_, i) => {
      const g = good(i);
      return `${String(g.time)},${String(g.user)},${String(g.src_ip)},login,success,polluted-${i},ctor-${i}`;
    });
    rows.splice(10, 0, '2026-03-02T09:00:00Z,short-row');
    writeFileSync(file, `time,user,src_ip,action,result,__proto__,constructor\n${rows.join('\n')}\n`);
    const runs = await twice(db, file, mode, { format: 'csv' });
    expectPartial(runs, 30);
    const [dl] = await deadLetters(db);
    expect(dl!.position.line).toBe(12);
    expect(dl!.reason).toContain('has 2 fields but the header (line 1) has 7');
    const docs = await db.rows<{ doc: string }>('select doc from events order by ts');
    const raw = (JSON.parse(docs[3]!.doc) as { raw: Record<string, unknown> }).raw;
    expect(Object.getOwnPropertyDescriptor(raw, '__proto__')?.value).toBe('polluted-3');
    expect(raw.constructor).toBe('ctor-3');
  });

  it.each(MODES)('a single line over max_record_bytes is a dead letter naming the limit, read without holding it (%s)', async (mode) => {
    const db = await fresh();
    const file = join(db.dir, 'huge.jsonl');
    const huge = JSON.stringify({ ...good(900), blob: 'A'.repeat(3 << 20) });
    writeFileSync(file, `${[...lines(20), huge, ...lines(20, 20)].join('\n')}\n`);
    const runs = await twice(db, file, mode);
    expectPartial(runs, 40);
    const [dl] = await deadLetters(db);
    expect(dl!.code).toBe('INPUT_TOO_LARGE');
    expect(dl!.position.line).toBe(21);
    expect(dl!.reason).toContain(`line 21 of ${file} is ${Buffer.byteLength(huge)} bytes, over max_record_bytes (1048576)`);
    expect(dl!.reason).toContain('Raise max_record_bytes in the source config');
    expect(Buffer.byteLength(dl!.payload)).toBeLessThan(4200);
  });
});
