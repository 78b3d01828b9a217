import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { dropboxConfigSchema } from './config.js';

describe('dropbox config', () => {
  it('applies the defaults as milliseconds and wraps secrets', () => {
    const c = dropboxConfigSchema.parse({ access_token: 'sl.TOKEN-VALUE', app_secret: 'APP-SECRET-VALUE' });
    expect(c).toMatchObject({ poll_interval: 300_000, initial_lookback: 86_400_000, overlap: 3_600_000, page_limit: 1000 });
    expect(c.category).toBeUndefined();
    expect(c.api_url).toBeUndefined();
    expect(c.access_token).toBeInstanceOf(Secret);
    expect(c.access_token.reveal()).toBe('sl.TOKEN-VALUE');
    expect(JSON.stringify(c)).not.toMatch(/TOKEN-VALUE|SECRET-VALUE/);
  });

  it('accepts overrides', () => {
    const c = dropboxConfigSchema.parse({
      access_token: 't', app_secret: 's', poll_interval: '30s', initial_lookback: '7d', overlap: '10m', page_limit: 200,
      category: 'logins', api_url: 'http://127.0.0.1:9000',
    });
    expect(c).toMatchObject({ poll_interval: 30_000, initial_lookback: 604_800_000, overlap: 600_000, page_limit: 200, category: 'logins', api_url: 'http://127.0.0.1:9000' });
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
    expect(msg({ access_token: 't', app_secret: 's', page_limit: 5000 })).toMatch(/page_limit/);
    expect(msg({ access_token: 't', app_secret: 's', category: 'files' })).toMatch(/category must be one of/);
    expect(msg({ access_token: 't', app_secret: 's', api_url: 'ftp://x' })).toMatch(/api_url must be an http/);
  });
});
