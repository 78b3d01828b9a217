import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Secret, SaaswatchError, zDuration, zSecret } from '../core/index.js';
import type { Registry } from '../registry.js';
import { findConfigFile, loadConfig, validateConfig } from './load.js';

// A registry with small real schemas, so these tests pin the loader's behaviour, not the plugins'.
const testRegistry: Registry = {
  sources: new Map([
    ['json-logs', { type: 'json-logs', description: '', configSchema: z.strictObject({ path: z.string(), batch_size: z.number().int().default(5000) }), create: () => { throw new Error('unused'); } }],
  ]),
  detectors: new Map([
    ['brute-force', { type: 'brute-force', description: '', configSchema: z.strictObject({ threshold: z.number().int().min(1).default(20), window: zDuration.prefault('10m') }), create: () => { throw new Error('unused'); } }],
    ['isolation-forest', { type: 'isolation-forest', description: '', configSchema: z.strictObject({}), create: () => { throw new Error('unused'); } }],
  ]),
  sinks: new Map([
    ['webhook', { type: 'webhook', description: '', configSchema: z.strictObject({ url: z.url(), token: zSecret.optional() }), create: () => { throw new Error('unused'); } }],
    ['jsonl-file', { type: 'jsonl-file', description: '', configSchema: z.strictObject({}), create: () => { throw new Error('unused'); } }],
  ]),
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SaaswatchError);
    return ((err as SaaswatchError).details?.problems as string[]) ?? [(err as Error).message];
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('applies defaults when no file exists', () => {
    const cfg = validateConfig({}, testRegistry, { baseDir: '/srv/sw' });
    expect(cfg.storage).toEqual({ type: 'sqlite', path: '/srv/sw/.saaswatch/saaswatch.db', retention: 90 * 86_400_000 });
    expect(cfg.detection.map((d) => d.type)).toEqual(['brute-force', 'isolation-forest']);
    expect(cfg.detection[0]!.config).toEqual({ threshold: 20, window: 600_000 });
    expect(cfg.sinks.map((s) => s.name)).toEqual(['alerts-file']);
  });

  it('validates each plugin section with its own schema and reports the full path', () => {
    const found = problems(() =>
      validateConfig(
        {
          sources: [{ type: 'json-logs', name: 'auth', path: 'a.jsonl', batch_size: 'big' }],
          detection: [{ type: 'brute-force', threshold: 0, windw: '5m' }],
          sinks: [{ type: 'webhook', url: 'not a url' }],
        },
        testRegistry,
      ),
    );
    expect(found).toContainEqual(expect.stringMatching(/^sources\[0\]\.batch_size: .*number.*got string "big"/));
    expect(found).toContainEqual(expect.stringMatching(/^detection\[0\]\.threshold: .*>=\s*1/));
    expect(found).toContainEqual(expect.stringMatching(/^detection\[0\]: unknown key "windw"; remove or fix the spelling/));
    expect(found).toContainEqual(expect.stringMatching(/^sinks\[0\]\.url: /));
  });

  it('names unknown plugin types and lists the known ones', () => {
    const [msg] = problems(() => validateConfig({ sinks: [{ type: 'pagerduty' }] }, testRegistry));
    expect(msg).toBe('sinks[0].type: unknown sink type "pagerduty"; expected one of webhook, jsonl-file');
  });

  it('rejects duplicate instance names and unknown top-level sections', () => {
    expect(problems(() => validateConfig({ sinks: [{ type: 'jsonl-file' }, { type: 'jsonl-file' }] }, testRegistry))[0]).toMatch(/^sinks\[1\]\.name: "jsonl-file" is used twice/);
    expect(problems(() => validateConfig({ detections: [] }, testRegistry))[0]).toMatch(/^\(root\): unknown key "detections"/);
  });

  it('interpolates ${ENV} into secrets that never print', () => {
    const cfg = validateConfig(
      { sinks: [{ type: 'webhook', url: 'https://hooks.example.com/x', token: '${HOOK_TOKEN}' }] },
      testRegistry,
      { env: { HOOK_TOKEN: 's3cr3t-value' } },
    );
    const token = (cfg.sinks[0]!.config as { token: Secret }).token;
    expect(token).toBeInstanceOf(Secret);
    expect(token.reveal()).toBe('s3cr3t-value');
    expect(JSON.stringify(cfg)).not.toContain('s3cr3t-value');
    expect(inspect(cfg, { depth: 10 })).not.toContain('s3cr3t-value');
    expect(`${token}`).toBe('[redacted]');
  });

  it('fails clearly on a missing variable, honours defaults and $${ escapes', () => {
    expect(() => validateConfig({ data_dir: '${NOPE_NOT_SET}' }, testRegistry, { env: {} })).toThrow(
      'data_dir: environment variable NOPE_NOT_SET is not set; export it or write ${NOPE_NOT_SET:-default}',
    );
    const cfg = validateConfig({ data_dir: '/var/${SUB:-sw}/$${literal}' }, testRegistry, { env: {} });
    expect(cfg.dataDir).toBe('/var/sw/${literal}');
  });

  it('is deeply frozen', () => {
    const cfg = validateConfig({ sources: [{ type: 'json-logs', path: 'x' }] }, testRegistry);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.sources[0]!.config)).toBe(true);
    expect(() => {
      (cfg.sources[0]!.config as { path: string }).path = 'y';
    }).toThrow(TypeError);
  });

  it('finds --config, then ./saaswatch.yml, and reports YAML syntax errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-config-'));
    expect(findConfigFile(undefined, dir)).toBe(undefined);
    writeFileSync(join(dir, 'saaswatch.yml'), 'sources:\n  - type: json-logs\n    path: logs.jsonl\n');
    expect(findConfigFile(undefined, dir)).toBe(join(dir, 'saaswatch.yml'));
    const cfg = loadConfig(testRegistry, { cwd: dir });
    expect(cfg.file).toBe(join(dir, 'saaswatch.yml'));
    expect(cfg.dataDir).toBe(join(dir, '.saaswatch'));
    expect(() => findConfigFile('missing.yml', dir)).toThrow(/missing\.yml does not exist; check the --config path/);
    writeFileSync(join(dir, 'bad.yml'), 'sources: [\n  - type: x\n');
    expect(() => loadConfig(testRegistry, { path: 'bad.yml', cwd: dir })).toThrow(/bad\.yml is not valid YAML/);
  });
});
