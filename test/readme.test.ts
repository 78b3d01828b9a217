/** The README's configuration examples must stay valid configs in today's key names, and its `config check` sample must be what the check prints. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkResponseConfig } from '../src/actions/responder.js';
import { createConnectors } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { SaaswatchError } from '../src/core/index.js';
import { registry } from '../src/registry.js';
import { ROOT } from './helpers.js';

describe('README', () => {
  it('lists every rule of the pack in the threat catalogue, and only rules that exist', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = /#### The threat catalogue\n([\s\S]*?)\n\n(?!\|)/.exec(readme)?.[1];
    expect(table).toBeDefined();
    const listed = new Set([...table!.matchAll(/`([a-z0-9-]+\/[a-z0-9-]+)`/g)].map((m) => m[1]!));
    const rules = readdirSync(join(ROOT, 'rules'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yml') && !f.endsWith('.tests.yml'))
      .map((f) => f.replace(/\.yml$/, '').replaceAll('\\', '/'))
      // The base rule the brute-force and spray correlations count reports nothing alone.
      .filter((r) => r !== 'auth/failed-login');
    expect([...listed].filter((r) => !rules.includes(r)), 'listed in the catalogue but not in rules/').toEqual([]);
    expect(rules.filter((r) => !listed.has(r)).sort(), 'in rules/ but not in the catalogue').toEqual([]);
  });

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
    expect(cfg.sources).toMatchObject([{ type: 'microsoft-graph', name: 'm365', config: { streams: ['sign_ins', 'non_interactive_sign_ins', 'service_principal_sign_ins', 'managed_identity_sign_ins', 'directory_audits', 'security_alerts', 'reported_mail'] } }]);
  });

  it('shows response policies that validate, with the sources that offer their actions', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('response:'));
    expect(block).toBeDefined();
    const sources = [
      { type: 'google-workspace', name: 'google', credentials: '{"type":"service_account"}', subject: 'admin@example.com' },
      { type: 'dropbox', name: 'dropbox', access_token: 't', app_secret: 's' },
      { type: 'microsoft-graph', name: 'm365', tenant_id: 'contoso.onmicrosoft.com', client_id: '00000000-0000-0000-0000-000000000001', client_secret: 's' },
    ];
    const cfg = validateConfig({ sources, ...(parse(block!) as object) }, registry, { baseDir: ROOT });
    expect(cfg.response.policies.map((p) => p.name)).toEqual(['unpublish-public-files', 'contain-mass-download', 'block-brute-forced']);
    expect(() => checkResponseConfig(cfg.response, createConnectors(cfg, { logger: silentLogger, dataDir: ROOT }, silentLogger))).not.toThrow();
  });

  it('shows server settings (TLS, trusted proxies) that validate', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('server:'));
    expect(block).toBeDefined();
    const server = validateConfig({ ...(parse(block!.replace('# trust_proxy', 'trust_proxy')) as object) }, registry, { baseDir: ROOT }).server;
    expect(server).toMatchObject({ host: '0.0.0.0', port: 8443, tls: { cert_file: '/etc/saaswatch/tls.crt' }, trust_proxy: ['10.0.0.5'] });
  });

  it('shows a relay section that validates', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('relay:'));
    expect(block).toBeDefined();
    const relay = validateConfig(parse(block!), registry, { baseDir: ROOT, env: { RELAY_TOKEN_KEY: 'k3y' } }).relay;
    expect(relay).toMatchObject({ enabled: true, prefix: '/relay', audience: 'https://saaswatch.example.com/relay', entities_limit: 100, respond: false });
    expect(relay.token_key?.reveal()).toBe('k3y');
  });

  it('uses no old key name in any config example', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    // Any ${VAR} a block uses is set: what is checked here is the keys.
    const env = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? 'x' : undefined) }) as NodeJS.ProcessEnv;
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as unknown).filter((b) => b !== null && typeof b === 'object' && 'sources' in b);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) expect(validateConfig(b, registry, { env, baseDir: ROOT }).warnings).toEqual([]);
  });

  it('shows the `config check` report the check prints, problems and warnings in one pass', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const sample = [...readme.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('error: saaswatch.yml is invalid'));
    expect(sample).toBeDefined();
    const doc = {
      log_levl: 'debug',
      sources: [{ name: 'box', type: 'dropbox', access_token: 't', app_secret: 's', api_url: 'http://127.0.0.1:9/' }],
      detection: [{ type: 'brute-force', treshold: 5 }],
      sinks: [{ name: 'soc', type: 'webhook', url: 'hooks.example.com/x' }],
    };
    let err: unknown;
    try {
      validateConfig(doc, registry, { file: 'saaswatch.yml', env: {}, baseDir: ROOT });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SaaswatchError);
    // What the CLI writes for any SaaswatchError: the message, then the fix.
    expect(`error: ${(err as SaaswatchError).message}\nfix: ${(err as SaaswatchError).fix}\n`).toBe(sample);
  });
});
