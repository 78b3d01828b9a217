import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../config/load.js';
import { registry } from '../../registry.js';
import { authSchema } from './config.js';

const ROOT = join(import.meta.dirname, '../../..');

describe('server.auth', () => {
  it('defaults to 30 minutes idle, 12 hours at most, 5 failures locking for 15 minutes, 10 logins a minute, no OIDC', () => {
    expect(authSchema.parse({})).toEqual({ session_idle: 1_800_000, session_max: 43_200_000, secure_cookies: false, lockout: { max_failures: 5, lock_for: 900_000 }, login_rate_limit: { max: 10, window: 60_000 } });
  });

  it('takes the README\'s example, the client secret kept as a Secret', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('server:\n  auth:'));
    const cfg = validateConfig(parse(block!), registry, { env: { OIDC_CLIENT_SECRET: 'from-env' }, baseDir: ROOT });
    const oidc = cfg.server.auth.oidc!;
    expect(oidc).toMatchObject({ name: 'Okta', allowed_domains: ['example.com'], default_role: 'viewer', scopes: ['openid', 'email', 'profile'] });
    expect(oidc.client_secret.reveal()).toBe('from-env');
    expect(JSON.stringify(oidc)).not.toContain('from-env');
  });

  it('refuses a session_idle under a minute', () => {
    expect(authSchema.safeParse({ session_idle: '59s' }).error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['session_idle', 'session_idle must be at least 1m']]);
    expect(authSchema.parse({ session_idle: '1m' }).session_idle).toBe(60_000);
  });

  it('names the field of a mistake', () => {
    const r = authSchema.safeParse({ lockout: { max_failures: 0 }, session_idle: 'soon' });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['lockout.max_failures', 'session_idle']);
  });
});
