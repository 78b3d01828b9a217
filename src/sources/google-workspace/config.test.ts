import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { googleWorkspaceConfigSchema } from './config.js';

const base = { credentials: '{"type":"service_account"}', subject: 'admin@example.com' };

describe('google-workspace config', () => {
  it('fills documented defaults, durations in ms', () => {
    const c = googleWorkspaceConfigSchema.parse(base);
    expect(c).toMatchObject({
      customer_id: 'my_customer',
      applications: ['login', 'drive', 'admin', 'token', 'saml', 'user_accounts', 'groups', 'groups_enterprise', 'mobile', 'rules', 'calendar', 'access_transparency', 'context_aware_access', 'chrome'],
      alert_center: { enabled: false, page_size: 100 },
      poll_interval: 300_000,
      settle: 3_600_000,
      backfill: { lookbackMs: 86_400_000 },
      window: 3_600_000,
      page_size: 1000,
      timeout: 60_000,
      retry: { max_attempts: 6, initial_backoff: 1000, max_backoff: 60_000 },
      drive: { changes: false, inventory: false, inventory_interval: 21_600_000 },
    });
    expect(c.credentials).toBeInstanceOf(Secret);
    expect(JSON.stringify(c)).not.toContain('service_account');
  });

  it('accepts gmail and vault, which activities.list serves though they are not polled by default', () => {
    expect(googleWorkspaceConfigSchema.parse({ ...base, applications: ['gmail', 'vault', 'gmail'] }).applications).toEqual(['gmail', 'vault']);
  });

  it('parses the inventory interval as a duration', () => {
    expect(googleWorkspaceConfigSchema.parse({ ...base, drive: { inventory: true, inventory_interval: '30m' } }).drive).toMatchObject({ inventory: true, inventory_interval: 1_800_000 });
  });

  it('parses the Drive watch section and keeps its token secret', () => {
    const c = googleWorkspaceConfigSchema.parse({ ...base, drive: { watch: { address: 'https://sw.example.com/webhooks/google-drive', token: 'abc' } } });
    expect(c.drive.watch).toMatchObject({ ttl: 86_400_000, renew_before: 3_600_000 });
    expect(String(c.drive.watch?.token)).toBe('[redacted]');
  });

  it.each([
    [{ subject: 'admin@example.com' }, 'exactly one of credentials'],
    [{ ...base, credentials_file: 'sa.json' }, 'exactly one of credentials'],
    [{ ...base, subject: 'admin' }, 'subject must be the email'],
    [{ ...base, applications: ['login', 'gmial'] }, 'applications must be among'],
    [{ ...base, alert_center: { enabled: true, base_url: 'ftp://x' } }, 'http(s) URL'],
    [{ ...base, alert_center: { page_size: 0 } }, ''],
    [{ ...base, poll_interval: 'soon' }, 'expected a duration'],
    [{ ...base, page_size: 5000 }, ''],
    [{ ...base, extra: 1 }, 'unknown key "extra" in google-workspace source config'],
    [{ ...base, drive: { watch: { address: 'https://x', token: 't', ttl: '1h', renew_before: '2h' } } }, 'renew_before must be shorter'],
    [{ ...base, drive: { watch: { address: 'ftp://x', token: 't' } } }, 'http(s) URL'],
    [{ ...base, drive: { inventory: true, inventory_interval: '0s' } }, 'drive.inventory_interval must be at least 1s'],
    [{ ...base, drive: { inventory: 'yes' } }, ''],
  ])('rejects %j', (input, message) => {
    const r = googleWorkspaceConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});
