import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configErrorMap, didYouMean, editDistance, oneOfMessage, unknownKeysMessage, zHttpUrl, zSeverity, zStrictObject } from './config-types.js';

/** The messages a parse with saaswatch's wording produces, as `path: message`. */
function messages(schema: z.ZodType, input: unknown): string[] {
  const r = schema.safeParse(input, { error: configErrorMap });
  if (r.success) throw new Error('expected the input to be rejected');
  return r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

describe('config problem wording', () => {
  it('measures typos as edits, counting a swap of neighbours as one', () => {
    expect(editDistance('window', 'window')).toBe(0);
    expect(editDistance('windw', 'window')).toBe(1);
    expect(editDistance('treshold', 'threshold')).toBe(1);
    expect(editDistance('thresohld', 'threshold')).toBe(1);
    expect(editDistance('Severity', 'severity')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only a close allowed word, the closest one', () => {
    expect(didYouMean('windw', ['threshold', 'window'])).toBe('window');
    expect(didYouMean('log_levl', ['data_dir', 'log_level'])).toBe('log_level');
    expect(didYouMean('pool_size', ['page_size', 'pool_size2'])).toBe('pool_size2');
    // Two letters off a two-letter word is a different word, not a typo.
    expect(didYouMean('ts', ['ip', 'user'])).toBe(undefined);
    expect(didYouMean('file', ['path', 'format'])).toBe(undefined);
  });

  it('words unknown keys with the allowed keys and a suggestion per key', () => {
    expect(unknownKeysMessage(['windw'], ['window', 'threshold'])).toBe('unknown key "windw" (did you mean "window"?); allowed: window, threshold');
    expect(unknownKeysMessage(['x'], ['window'], 'brute-force config')).toBe('unknown key "x" in brute-force config; allowed: window');
    expect(unknownKeysMessage(['windw', 'treshold'], ['window', 'threshold'])).toBe(
      'unknown keys "windw", "treshold" (did you mean "window" for "windw"? did you mean "threshold" for "treshold"?); allowed: window, threshold',
    );
    expect(oneOfMessage(['low', 'high'], 'hihg')).toBe('expected one of low, high, got "hihg" (did you mean "high"?)');
    expect(oneOfMessage(['low', 'high'], 3)).toBe('expected one of low, high, got 3');
  });

  it("speaks saaswatch's words for zod's checks, at any depth", () => {
    const schema = z.strictObject({
      count: z.number().int().min(1).max(10),
      ratio: z.number().gt(0).lt(1),
      name: z.string().min(1),
      code: z.string().min(3).max(4),
      tags: z.array(z.string()).min(2).max(3),
      level: zSeverity,
      nested: z.strictObject({ window: z.string(), url: zHttpUrl('https://hooks.example.com/x') }),
      required: z.boolean(),
    });
    expect(
      messages(schema, { count: 0, ratio: 1, name: '', code: 'toolong', tags: ['a'], level: 'hihg', nested: { windw: 'x', window: 'y', url: 'ftp://x' } }),
    ).toEqual([
      'count: must be at least 1, got 0',
      'ratio: must be less than 1, got 1',
      'name: must not be empty',
      'code: must be at most 4 characters long',
      'tags: must list at least 2 items',
      'level: expected one of low, medium, high, critical, got "hihg" (did you mean "high"?)',
      'nested.url: expected an http(s) URL such as https://hooks.example.com/x, got "ftp://x"',
      'nested: unknown key "windw" (did you mean "window"?); allowed: window, url',
      'required: is required (true or false); add it',
    ]);
    expect(messages(schema.shape.count, 2.5)).toEqual(['(root): expected a whole number, got 2.5']);
    expect(messages(schema.shape.count, 11)).toEqual(['(root): must be at most 10, got 11']);
    expect(messages(schema.shape.ratio, 0)).toEqual(['(root): must be greater than 0, got 0']);
    expect(messages(schema.shape.code, 'ab')).toEqual(['(root): must be at least 3 characters long']);
    expect(messages(schema.shape.tags, 5)).toEqual(['(root): expected a list, got 5']);
    expect(messages(schema.shape.nested, [])).toEqual(['(root): expected a mapping, got a list']);
  });

  it('keeps a message the schema words itself, and zStrictObject names where the key was', () => {
    expect(messages(z.string().regex(/^a/, 'expected a name starting with a'), 'b')).toEqual(['(root): expected a name starting with a']);
    const s = zStrictObject({ tenant_id: z.string().optional(), client_id: z.string().optional() }, 'microsoft-graph source config');
    expect(messages(s, { tennant_id: 'x' })).toEqual([
      '(root): unknown key "tennant_id" in microsoft-graph source config (did you mean "tenant_id"?); allowed: tenant_id, client_id',
    ]);
  });
});
