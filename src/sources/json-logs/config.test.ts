import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTCOME_VALUES, jsonLogsConfigSchema } from './config.js';

function issues(input: unknown): string[] {
  const r = jsonLogsConfigSchema.safeParse(input);
  if (r.success) throw new Error('config was accepted');
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('jsonLogsConfigSchema', () => {
  it('fills defaults', () => {
    expect(jsonLogsConfigSchema.parse({})).toEqual({
      format: 'auto',
      fields: {},
      outcome_values: DEFAULT_OUTCOME_VALUES,
      timezone: 'UTC',
      timestamp_format: 'auto',
      infer_outcome: true,
      category: ['web'],
      batch_size: 20000,
      max_record_bytes: 1048576,
      max_record_depth: 64,
    });
  });

  it('normalizes field refs, category, sizes, durations and outcome values', () => {
    const c = jsonLogsConfigSchema.parse({
      path: '/var/log/app.jsonl',
      fields: { user: 'actor.email', timestamp: ['ts', 'time'] },
      category: 'iam',
      max_record_bytes: '2MiB',
      dedupe: { window: '90s' },
      outcome_values: { success: ['OK', 1, true] },
      timezone: 'Europe/Paris',
    });
    expect(c.fields).toEqual({ user: ['actor.email'], timestamp: ['ts', 'time'] });
    expect(c.category).toEqual(['iam']);
    expect(c.max_record_bytes).toBe(2 * 1024 * 1024);
    expect(c.dedupe).toEqual({ window: 90_000, max_groups: 10_000 });
    expect(c.outcome_values.success).toEqual(['ok', '1', 'true']);
    expect(c.outcome_values.failure).toBe(DEFAULT_OUTCOME_VALUES.failure);
  });

  it('rejects unknown keys, naming the allowed ones', () => {
    expect(issues({ file: 'x' })).toEqual([
      ': unknown key "file" in json-logs source config; allowed: path, format, fields, outcome_values, timezone, timestamp_format, infer_outcome, category, dedupe, lateness, batch_size, max_record_bytes, max_record_depth',
    ]);
    expect(issues({ fields: { ts: 'x' } })[0]).toMatch(/^fields: unknown key "ts" in json-logs fields; allowed: timestamp, user, ip/);
    expect(issues({ dedupe: { window: '1m', size: 3 } })[0]).toMatch(/^dedupe: unknown key "size"/);
  });

  it('explains bad values', () => {
    expect(issues({ format: 'xml' })).toEqual(['format: format must be one of auto, json, jsonl, csv']);
    expect(issues({ timezone: 'Mars/Base' })[0]).toContain('unknown time zone "Mars/Base"; use UTC, an IANA name such as Europe/Paris');
    expect(issues({ timestamp_format: 'unix' })[0]).toContain('timestamp_format must be one of auto, epoch_s, epoch_ms, epoch_us');
    expect(issues({ max_record_bytes: 'huge' })[0]).toContain('expected a byte size such as 1048576, 512KiB or 1MiB');
    expect(issues({ max_record_bytes: 10 })[0]).toContain('between 1KiB and 256MiB');
    expect(issues({ dedupe: { window: 'soon' } })[0]).toContain('expected a duration such as 30s');
    expect(issues({ dedupe: { window: 0 } })[0]).toContain('dedupe.window must be greater than zero');
    expect(issues({ batch_size: 0 })[0]).toMatch(/^batch_size:/);
    expect(issues({ fields: { user: 5 } })[0]).toContain('expected an input field path such as "actor.email"');
    expect(issues({ outcome_values: { success: ['ok'], failure: ['OK'] } })).toEqual([
      'outcome_values: outcome values listed as both success and failure: ok',
    ]);
  });
});
