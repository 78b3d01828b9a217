import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { apiRoot, office365ConfigSchema } from './config.js';

const BASE = { tenant_id: 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c', client_id: '6731de76-14a6-49ae-97bc-6eba6914391e', client_secret: 'Qk8~config-test-secret' };

const problems = (input: Record<string, unknown>) => {
  const r = office365ConfigSchema.safeParse({ ...BASE, ...input });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('office-365 config', () => {
  it('defaults to the four content types, starting subscriptions, 6 h windows and a 1 h overlap', () => {
    const c = office365ConfigSchema.parse(BASE);
    expect(c.content_types).toEqual(['Audit.SharePoint', 'Audit.Exchange', 'Audit.AzureActiveDirectory', 'Audit.General']);
    expect(c.start_subscriptions).toBe(true);
    expect(c.window).toBe(6 * 3_600_000);
    expect(c.settle).toBe(3_600_000);
    expect(c.backfill).toEqual({ lookbackMs: 86_400_000 });
    expect(c.client_secret).toBeInstanceOf(Secret);
    expect(JSON.stringify(c)).not.toContain('Qk8~config-test-secret');
    expect(apiRoot(c)).toBe('https://manage.office.com');
    expect(apiRoot({ ...c, api_url: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9');
  });

  it('refuses what the API cannot serve: windows over 24 h, a look-back over 7 days, an unknown content type', () => {
    expect(problems({ window: '25h' })).toEqual([expect.stringMatching(/^window: .*at most 24 hours/)]);
    expect(problems({ backfill: '8d' })).toEqual([expect.stringMatching(/^backfill: .*at most 7d/)]);
    expect(problems({ content_types: ['Audit.SharePoint', 'DLP.All'] })).toEqual([expect.stringMatching(/^content_types\.1: content_types must be among Audit\.SharePoint/)]);
    expect(problems({ content_types: [] })).toEqual([expect.stringMatching(/^content_types: .*at least one/)]);
  });

  it('wants the tenant GUID (the API refuses a domain in its URL) and an application GUID', () => {
    expect(problems({ tenant_id: 'contoso.onmicrosoft.com' })).toEqual([expect.stringMatching(/^tenant_id: .*GUID/)]);
    expect(problems({ client_id: 'my-app' })).toEqual([expect.stringMatching(/^client_id: .*GUID/)]);
    expect(problems({ page_sise: 5 })).toEqual([expect.stringMatching(/page_sise/)]);
  });
});
