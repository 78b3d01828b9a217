import { describe, expect, it } from 'vitest';
import { SaaswatchError } from './core/index.js';
import { lookupPlugin, registry } from './registry.js';

describe('lookupPlugin', () => {
  it('returns the registered plugin of a type', () => {
    expect(lookupPlugin('sink', 'webhook')).toBe(registry.sinks.get('webhook'));
    expect(lookupPlugin('detector', 'brute-force').type).toBe('brute-force');
  });

  it('throws UNKNOWN_PLUGIN naming the entry, the nearest type and the known ones', () => {
    let err: unknown;
    try {
      lookupPlugin('source', 'dropbx', { path: 'sources.files' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err).toMatchObject({ code: 'UNKNOWN_PLUGIN', retryable: false, exitCode: 2, details: { kind: 'source', type: 'dropbx' } });
    expect((err as Error).message).toBe(
      `sources.files: unknown source type "dropbx" (did you mean "dropbox"? known: ${[...registry.sources.keys()].sort().join(', ')})`,
    );
    expect(() => lookupPlugin('sink', 'pagerduty')).toThrow(/unknown sink type "pagerduty" \(known: (?:[a-z-]+, )*jsonl-file, (?:[a-z-]+, )*webhook\)/);
  });
});
