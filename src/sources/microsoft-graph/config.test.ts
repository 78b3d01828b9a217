import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { deprecationsOf } from '../../pipeline/polling-config.js';
import { backfillFrom, microsoftGraphConfigSchema } from './config.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const base = { tenant_id: TENANT, client_id: CLIENT, client_secret: 'Xy8Q~SECRET-VALUE' };

function msg(input: unknown): string {
  const r = microsoftGraphConfigSchema.safeParse(input);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

describe('microsoft-graph config', () => {
  it('applies the defaults as milliseconds and wraps the secret', () => {
    const c = microsoftGraphConfigSchema.parse(base);
    expect(c).toMatchObject({
      streams: ['sign_ins', 'non_interactive_sign_ins', 'service_principal_sign_ins', 'managed_identity_sign_ins', 'directory_audits', 'security_alerts'],
      folder: 'inbox',
      poll_interval: 300_000,
      settle: 3_600_000,
      backfill: { lookbackMs: 86_400_000 },
      window: 3_600_000,
      page_size: 1000,
      timeout: 60_000,
      retry: { max_attempts: 6, initial_backoff: 1000, max_backoff: 60_000 },
      login_url: 'https://login.microsoftonline.com',
    });
    expect(c.mailbox).toBeUndefined();
    expect(c.client_secret).toBeInstanceOf(Secret);
    expect(c.client_secret.reveal()).toBe('Xy8Q~SECRET-VALUE');
    expect(JSON.stringify(c)).not.toMatch(/SECRET-VALUE/);
  });

  it('follows the reporting mailbox by default once one is named', () => {
    expect(microsoftGraphConfigSchema.parse({ ...base, mailbox: 'phish-reports@contoso.com' }).streams).toEqual([
      'sign_ins', 'non_interactive_sign_ins', 'service_principal_sign_ins', 'managed_identity_sign_ins', 'directory_audits', 'security_alerts', 'reported_mail',
    ]);
    // Identity Protection wants P2 and its own permissions: followed only when named.
    expect(microsoftGraphConfigSchema.parse({ ...base, streams: ['risk_detections', 'risky_users'] }).streams).toEqual(['risk_detections', 'risky_users']);
    expect(microsoftGraphConfigSchema.parse({ ...base, mailbox: 'phish-reports@contoso.com', streams: ['sign_ins'] }).streams).toEqual(['sign_ins']);
  });

  it('accepts overrides: a domain as tenant, an ISO backfill start, other roots', () => {
    const c = microsoftGraphConfigSchema.parse({
      ...base, tenant_id: 'contoso.onmicrosoft.com', streams: ['reported_mail', 'reported_mail'], mailbox: 'phish@contoso.com', folder: 'Reported',
      poll_interval: '1m', settle: '2h', backfill: '2024-05-01T00:00:00Z', window: '30m', page_size: 200,
      base_url: 'http://127.0.0.1:9000', login_url: 'http://127.0.0.1:9000',
    });
    expect(c).toMatchObject({ tenant_id: 'contoso.onmicrosoft.com', streams: ['reported_mail'], folder: 'Reported', poll_interval: 60_000, settle: 7_200_000, window: 1_800_000, page_size: 200 });
    expect(backfillFrom(c.backfill, 0)).toBe(Date.parse('2024-05-01T00:00:00Z'));
    expect(backfillFrom(microsoftGraphConfigSchema.parse({ ...base, backfill: '7d' }).backfill, 10 * 86_400_000)).toBe(3 * 86_400_000);
  });

  it('still reads backfill_start, graph_url and max_attempts as backfill, base_url and retry.max_attempts', () => {
    const c = microsoftGraphConfigSchema.parse({ ...base, backfill_start: '7d', graph_url: 'http://127.0.0.1:9000', max_attempts: 3 });
    expect(c).toMatchObject({ backfill: { lookbackMs: 7 * 86_400_000 }, base_url: 'http://127.0.0.1:9000', retry: { max_attempts: 3 } });
    expect(deprecationsOf(c).map((d) => `${d.old}->${d.new}`)).toEqual(['backfill_start->backfill', 'graph_url->base_url', 'max_attempts->retry.max_attempts']);
  });

  it('says mailbox is missing when the mail stream is asked for without one', () => {
    expect(msg({ ...base, streams: ['sign_ins', 'reported_mail'] })).toMatch(/^mailbox: mailbox is required when streams includes reported_mail/);
  });

  it('rejects unknown keys, bad values and missing credentials with messages naming the key', () => {
    expect(msg({ ...base, tennant_id: TENANT })).toMatch(/unknown key "tennant_id".*allowed: tenant_id, client_id, client_secret/);
    expect(msg({ client_id: CLIENT, client_secret: 's' })).toMatch(/^tenant_id:/);
    expect(msg({ ...base, tenant_id: 'not a tenant' })).toMatch(/tenant_id must be the directory \(tenant\) ID/);
    expect(msg({ ...base, client_id: 'my-app' })).toMatch(/client_id must be the application \(client\) ID/);
    expect(msg({ ...base, client_secret: '' })).toMatch(/client_secret: expected a non-empty secret/);
    expect(msg({ ...base, streams: ['signins'] })).toMatch(/streams must be among sign_ins, non_interactive_sign_ins, service_principal_sign_ins, managed_identity_sign_ins, directory_audits, risk_detections, risky_users, security_alerts, reported_mail/);
    expect(msg({ ...base, streams: [] })).toMatch(/streams must name at least one/);
    expect(msg({ ...base, mailbox: 'phish-reports' })).toMatch(/mailbox must be the email address/);
    expect(msg({ ...base, backfill: 'last week' })).toMatch(/backfill: expected a look-back such as 1d/);
    expect(msg({ ...base, page_size: 5000 })).toMatch(/page_size/);
    expect(msg({ ...base, poll_interval: 'soon' })).toMatch(/poll_interval: expected a duration/);
    expect(msg({ ...base, base_url: 'ftp://graph' })).toMatch(/base_url: expected an http\(s\) URL such as https:\/\/graph.microsoft.com, got "ftp:\/\/graph"/);
  });
});
