import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, errors, SaaswatchError, type ErrorCode } from './errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const camel = (code: string) => code.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** One valid argument per constructor, with every field its template uses. */
const SAMPLE_ARGS: Record<ErrorCode, Record<string, unknown>> = {
  CONFIG_INVALID: { path: 'sinks.soc.url', problem: 'expected an http:// or https:// URL', fix: 'write the full URL' },
  CONFIG_NOT_FOUND: { path: '/etc/saaswatch.yml' },
  UNKNOWN_PLUGIN: { kind: 'sink', type: 'webhok', known: ['jsonl-file', 'webhook'], path: 'sinks.soc', suggestion: 'webhook' },
  INPUT_MALFORMED: { where: 'asn.csv:12', problem: 'expected a number and a comma' },
  INPUT_TOO_LARGE: { where: 'request body', size: '2 MiB', limit: '1 MiB' },
  FILE_UNREADABLE: { file: 'report.pdf', problem: 'the PDF is encrypted', fix: 'decrypt it, then scan it again' },
  TIMESTAMP_INVALID: { where: 'line 4', problem: 'not a timestamp: yesterday' },
  FIELD_MISSING: { where: 'line 4', field: 'user' },
  FIELD_TYPE: { where: 'line 4', field: 'count', expected: 'a number' },
  STORAGE: { operation: 'listAlerts', problem: 'disk I/O error' },
  STORAGE_UNAVAILABLE: { problem: 'connection refused' },
  HTTP_RETRYABLE: { target: 'webhook hooks.example.org', status: 503, retryAfterMs: 120_000 },
  HTTP_REJECTED: { target: 'webhook hooks.example.org', status: 401 },
  NETWORK: { target: 'webhook hooks.example.org', problem: 'ECONNREFUSED' },
  TIMEOUT: { target: 'webhook hooks.example.org', afterMs: 10_000 },
  INTERNAL: { problem: 'a watermark went backwards' },
  UNAUTHENTICATED: { problem: 'session expired', fix: 'log in again' },
  FORBIDDEN: { what: 'POST /api/blocked', problem: 'needs role analyst; you are viewer' },
  NOT_FOUND: { kind: 'alert', id: 'a1b2' },
  CONFLICT: { what: 'user add ana@example.com', problem: 'the account exists' },
  RATE_LIMITED: { what: 'login', of: 'failed logins', retryAfterMs: 60_000 },
  ACTION_REFUSED: { action: 'suspend-user', target: 'bob@x.io', problem: 'not enabled for execution', fix: 'add suspend-user to response.execute' },
};

describe('error catalogue', () => {
  it('has one constructor per code, named after it, giving an error of that code with the catalogue defaults', () => {
    expect(Object.keys(errors).sort()).toEqual(ERROR_CODES.map(camel).sort());
    for (const code of ERROR_CODES) {
      const make = (errors as unknown as Record<string, (o: unknown) => SaaswatchError>)[camel(code)]!;
      const err = make(SAMPLE_ARGS[code]);
      expect(err, code).toBeInstanceOf(SaaswatchError);
      expect(err.code).toBe(code);
      expect(err.retryable, code).toBe(ERROR_CATALOGUE[code].retryable);
      expect(err.exitCode).toBe(ERROR_CATALOGUE[code].exitCode);
      expect(err.httpStatus).toBe(ERROR_CATALOGUE[code].httpStatus);
      expect(err.fix).toBe(ERROR_CATALOGUE[code].fix);
      // Every field of the sample reaches the message (the template uses what it is given).
      for (const [k, v] of Object.entries(SAMPLE_ARGS[code])) {
        if (k === 'retryAfterMs' || k === 'known' || k === 'kind') continue;
        expect(err.message, `${code}.${k}`).toContain(String(v));
      }
    }
  });

  it('words messages as documented', () => {
    expect(errors.configInvalid({ path: 'sinks.soc.url', problem: 'expected an http:// or https:// URL', fix: 'write the full URL' }).message).toBe(
      'sinks.soc.url: expected an http:// or https:// URL (write the full URL)',
    );
    expect(errors.unknownPlugin({ kind: 'sink', type: 'webhok', known: ['jsonl-file', 'webhook'], path: 'sinks.soc', suggestion: 'webhook' }).message).toBe(
      'sinks.soc: unknown sink type "webhok" (did you mean "webhook"? known: jsonl-file, webhook)',
    );
    const e = errors.httpRetryable({ target: 'webhook h', status: 429, retryAfterMs: 5000 });
    expect([e.retryAfterMs, e.details]).toEqual([5000, { status: 429 }]);
    const cause = new Error('disk');
    const s = errors.storage({ operation: 'commitBatch', problem: 'disk', retryable: false, cause });
    expect([s.retryable, s.cause]).toEqual([false, cause]);
    const page = errors.inputMalformed({ where: 'Dropbox team_log', problem: 'answered without events', retryable: true });
    expect([page.message, page.retryable, errors.inputMalformed({ where: 'x', problem: 'y' }).retryable]).toEqual(['Dropbox team_log: answered without events', true, false]);
  });

  it('docs/errors.md documents exactly the catalogue, each code with its exit code and status', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const sections = doc.split(/^## /m).slice(1);
    expect(sections.map((s) => s.split('\n')[0]!.trim()).sort()).toEqual([...ERROR_CODES].sort());
    for (const s of sections) {
      const code = s.split('\n')[0]!.trim() as ErrorCode;
      const spec = ERROR_CATALOGUE[code];
      expect(s, code).toContain(`exit ${spec.exitCode}`);
      expect(s, code).toContain(`HTTP ${spec.httpStatus}`);
      expect(s, code).toMatch(spec.retryable ? /\bRetryable/ : /Not retryable/);
      expect(s, code).toContain(`Fix: ${spec.fix}`);
    }
  });
});

/** Folders whose errors are not saaswatch's: the fakes fail as the vendors they play do (smtp-server takes its replies as Errors). */
const BARE_ERROR_ALLOWED: string[] = ['src/fakes/'];

describe('no bare Error in src/ (the lint rule: errors come from the catalogue)', () => {
  it('throws SaaswatchError (errors.<code>(...)) everywhere outside tests and the allowed folders', () => {
    const found: string[] = [];
    for (const file of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
      const rel = `src/${file.replace(/\\/g, '/')}`;
      if (!rel.endsWith('.ts') || rel.endsWith('.test.ts') || /testing\.ts$/.test(rel) || rel.includes('/fixtures/')) continue;
      if (BARE_ERROR_ALLOWED.some((d) => rel.startsWith(d))) continue;
      readFileSync(join(ROOT, rel), 'utf8').split('\n').forEach((line, i) => {
        if (/\bnew (Error|TypeError|RangeError)\(/.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*')) found.push(`${rel}:${i + 1}`);
      });
    }
    expect(found).toEqual([]);
  });
});
