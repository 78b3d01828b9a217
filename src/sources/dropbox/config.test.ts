import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { deprecationsOf } from '../../pipeline/polling-config.js';
import { dropboxConfigSchema } from './config.js';

describe('dropbox config', () => {
  it('applies the defaults as milliseconds and wraps secrets', () => {
    const c = dropboxConfigSchema.parse({ access_token: 'sl.TOKEN-VALUE', app_secret: 'APP-SECRET-VALUE' });
    expect(c).toMatchObject({ poll_interval: 300_000, backfill: { lookbackMs: 86_400_000 }, settle: 3_600_000, page_size: 1000, timeout: 60_000 });
    expect(c.retry).toEqual({ max_attempts: 8, initial_backoff: 1000, max_backoff: 60_000 });
    expect(deprecationsOf(c)).toEqual([]);
    expect(c.category).toBeUndefined();
    expect(c.base_url).toBeUndefined();
    expect(c.access_token).toBeInstanceOf(Secret);
    expect(c.access_token.reveal()).toBe('sl.TOKEN-VALUE');
    expect(JSON.stringify(c)).not.toMatch(/TOKEN-VALUE|SECRET-VALUE/);
  });

  it('accepts overrides, retries and timeouts included', () => {
    const c = dropboxConfigSchema.parse({
      access_token: 't', app_secret: 's', poll_interval: '30s', backfill: '7d', settle: '10m', page_size: 200,
      category: 'logins', base_url: 'http://127.0.0.1:9000', timeout: '15s', retry: { max_attempts: 3, initial_backoff: '250ms' },
    });
    expect(c).toMatchObject({ poll_interval: 30_000, backfill: { lookbackMs: 604_800_000 }, settle: 600_000, page_size: 200, category: 'logins', base_url: 'http://127.0.0.1:9000', timeout: 15_000 });
    expect(c.retry).toEqual({ max_attempts: 3, initial_backoff: 250, max_backoff: 60_000 });
  });

  it('still reads the old key names as the new ones, and remembers each for the deprecation warning', () => {
    const c = dropboxConfigSchema.parse({ access_token: 't', app_secret: 's', initial_lookback: '7d', overlap: '10m', page_limit: 200, api_url: 'http://127.0.0.1:9000' });
    expect(c).toMatchObject({ backfill: { lookbackMs: 604_800_000 }, settle: 600_000, page_size: 200, base_url: 'http://127.0.0.1:9000' });
    expect(deprecationsOf(c)).toEqual([
      { old: 'initial_lookback', new: 'backfill' },
      { old: 'overlap', new: 'settle' },
      { old: 'page_limit', new: 'page_size' },
      { old: 'api_url', new: 'base_url' },
    ]);
    // The new name wins when both are given.
    expect(dropboxConfigSchema.parse({ access_token: 't', app_secret: 's', overlap: '10m', settle: '5m' }).settle).toBe(300_000);
  });

  it('rejects unknown keys, bad values and missing secrets with messages naming the key', () => {
    const msg = (input: unknown) => {
      const r = dropboxConfigSchema.safeParse(input);
      return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(msg({ access_token: 't', app_secret: 's', pol_interval: '5m' })).toMatch(/unknown key "pol_interval".*allowed: access_token/);
    expect(msg({ app_secret: 's' })).toMatch(/^access_token:/);
    expect(msg({ access_token: '', app_secret: 's' })).toMatch(/access_token: expected a non-empty secret/);
    expect(msg({ access_token: 't', app_secret: 's', poll_interval: 'soon' })).toMatch(/poll_interval: expected a duration/);
    expect(msg({ access_token: 't', app_secret: 's', page_size: 5000 })).toMatch(/page_size/);
    expect(msg({ access_token: 't', app_secret: 's', retry: { max_attempt: 3 } })).toMatch(/unknown key "max_attempt" in retry \(did you mean "max_attempts"\?\); allowed: max_attempts/);
    expect(msg({ access_token: 't', app_secret: 's', category: 'files' })).toMatch(/category must be one of/);
    expect(msg({ access_token: 't', app_secret: 's', base_url: 'ftp://x' })).toMatch(/base_url: expected an http\(s\) URL such as https:\/\/api.dropboxapi.com, got "ftp:\/\/x"/);
  });
});
