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
    expect(cfg.storage).toEqual({
      type: 'sqlite',
      path: '/srv/sw/.saaswatch/saaswatch.db',
      retention: { events: 90 * 86_400_000, dead_letters: 30 * 86_400_000, alerts: 365 * 86_400_000, deliveries: 30 * 86_400_000, audit_log: 365 * 86_400_000, actions: 365 * 86_400_000 },
    });
    expect(cfg.detection.map((d) => d.type)).toEqual(['brute-force', 'isolation-forest']);
    expect(cfg.detection[0]!.config).toEqual({ threshold: 20, window: 600_000 });
    expect(cfg.sinks.map((s) => s.name)).toEqual(['alerts-file']);
  });

  it('validates each plugin section with its own schema, naming entries by name and type', () => {
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
    expect(found).toEqual([
      'sources.auth (json-logs): batch_size: expected a number, got "big"',
      'detection.brute-force: threshold: must be at least 1, got 0',
      'detection.brute-force: unknown key "windw" (did you mean "window"?); allowed: threshold, window',
      'sinks.webhook: url: expected an http(s) URL such as https://example.com/path, got "not a url"',
    ]);
  });

  it('reports root, source, detector and sink problems in one pass, with unset variables among them', () => {
    const found = problems(() =>
      validateConfig(
        {
          log_level: 'verbose',
          server: { port: 70000 },
          sources: [{ type: 'json-logs', name: 'auth' }, { name: 'Bad Name', type: 'json-logs', path: 'x' }],
          detection: [{ type: 'brute-force', threshold: 2.5 }, { type: 'isolation-forst' }, 'brute-force'],
          sinks: [{ type: 'webhook', name: 'soc', url: 'https://x.example/h', token: '${NOT_SET_ANYWHERE}' }, { name: 'x' }],
        },
        testRegistry,
        { env: {} },
      ),
    );
    expect(found).toEqual([
      'log_level: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
      'server.port: must be at most 65535, got 70000',
      'sources.auth (json-logs): path: is required (text); add it',
      'sources.Bad Name (json-logs): name: expected a kebab-case name such as auth-logs',
      'detection.brute-force: threshold: expected a whole number, got 2.5',
      'detection.isolation-forst: type: unknown detector type "isolation-forst" (did you mean "isolation-forest"?); expected one of brute-force, isolation-forest',
      'detection[2]: expected a mapping, got "brute-force"',
      'sinks.soc (webhook): token: environment variable NOT_SET_ANYWHERE is not set; export it or write ${NOT_SET_ANYWHERE:-default}',
      'sinks.x: type: expected the integration type, e.g. json-logs',
    ]);
  });

  it('names unknown plugin types and lists the known ones', () => {
    const [msg] = problems(() => validateConfig({ sinks: [{ type: 'pagerduty' }] }, testRegistry));
    expect(msg).toBe('sinks.pagerduty: type: unknown sink type "pagerduty"; expected one of webhook, jsonl-file');
  });

  it('rejects duplicate instance names and unknown top-level sections', () => {
    expect(problems(() => validateConfig({ sinks: [{ type: 'jsonl-file' }, { type: 'jsonl-file' }] }, testRegistry))[0]).toBe(
      'sinks.jsonl-file: name: "jsonl-file" is used twice in sinks; give each entry a unique name',
    );
    expect(problems(() => validateConfig({ detections: [] }, testRegistry))[0]).toBe(
      '(root): unknown key "detections" (did you mean "detection"?); allowed: data_dir, log_level, storage, sources, enrich, detection, sinks, server, alerting, response, relay, pii',
    );
  });

  it('takes the routing keys off every sink entry, checks them once, and keeps them out of the sink\'s own config', () => {
    const cfg = validateConfig(
      {
        sinks: [
          { type: 'jsonl-file', name: 'all' },
          {
            type: 'webhook',
            name: 'soc',
            url: 'https://hooks.example.com/x',
            min_severity: 'high',
            include: { rules: ['sigma-*'], entities: ['user:*@contractor.example'] },
            exclude: { tags: ['noisy'] },
          },
        ],
        alerting: { group_window: '30m' },
      },
      testRegistry,
    );
    expect(cfg.sinks.map((s) => s.route)).toEqual([
      { min_severity: 'low' },
      { min_severity: 'high', include: { rules: ['sigma-*'], entities: ['user:*@contractor.example'] }, exclude: { tags: ['noisy'] } },
    ]);
    expect(cfg.sinks[1]!.config).toEqual({ url: 'https://hooks.example.com/x' });
    expect(cfg.alerting).toEqual({ group_window: 30 * 60_000, mutes: [] });
    expect(validateConfig({}, testRegistry).alerting).toEqual({ group_window: 15 * 60_000, mutes: [] });
  });

  it('names bad routing keys by entry, and lists them among the allowed keys of every sink', () => {
    const found = problems(() =>
      validateConfig(
        {
          sinks: [
            { type: 'jsonl-file', name: 'a', min_severity: 'severe', include: { rule: ['x'] } },
            { type: 'webhook', name: 'b', url: 'https://hooks.example.com/x', min_severty: 'high', exclude: { entities: [] } },
          ],
          alerting: { group_window: 'soon' },
        },
        testRegistry,
      ),
    );
    expect(found).toEqual([
      'alerting.group_window: expected a duration such as 30s, 5m, 1h or 7d, got "soon"',
      'sinks.a (jsonl-file): min_severity: expected one of low, medium, high, critical, got "severe"',
      'sinks.a (jsonl-file): include: unknown key "rule" in a sink route filter (did you mean "rules"?); allowed: rules, sources, entities, tags',
      'sinks.b (webhook): exclude.entities: must list at least 1 item',
      'sinks.b (webhook): unknown key "min_severty" (did you mean "min_severity"?); allowed: url, token, min_severity, include, exclude',
    ]);
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
