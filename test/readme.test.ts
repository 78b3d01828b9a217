/** The README's configuration example must stay a valid config. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load.js';
import { registry } from '../src/registry.js';
import { ROOT } from './helpers.js';

describe('README', () => {
  it('shows a configuration that validates', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const env = { GOOGLE_SA_JSON: '{"type":"service_account"}', DROPBOX_TEAM_TOKEN: 't', DROPBOX_APP_SECRET: 's', SOC_TOKEN: 't', SOC_HMAC_SECRET: 's' };
    const cfg = validateConfig(parse(block!), registry, { env, baseDir: ROOT });
    expect(cfg.sources.map((s) => s.type)).toEqual(['google-workspace', 'dropbox', 'json-logs']);
    expect(cfg.sinks.map((s) => s.name)).toEqual(['alerts-file', 'soc']);
  });

  it('shows a microsoft-graph source that validates', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('type: microsoft-graph'));
    expect(block).toBeDefined();
    const cfg = validateConfig(parse(block!), registry, { env: { GRAPH_CLIENT_SECRET: 's' }, baseDir: ROOT });
    expect(cfg.sources).toMatchObject([{ type: 'microsoft-graph', name: 'm365', config: { streams: ['sign_ins', 'security_alerts', 'reported_mail'] } }]);
  });
});
