import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { failureOf } from '../../core/testing.js';
import { registry } from '../../registry.js';
import { CISCO_JWKS_HOSTS } from './config.js';
import { configCredentials } from './plugin.js';

const load = (relay: unknown, more: Record<string, unknown> = {}) => validateConfig({ relay, ...more }, registry, { baseDir: process.cwd(), env: { SECRET: 's3cret' } });
const problem = async (relay: unknown) => (await failureOf(Promise.resolve().then(() => load(relay)))).message;

const GRAPH_SOURCE = { type: 'microsoft-graph', tenant_id: 'contoso.onmicrosoft.com', client_id: '11111111-2222-3333-4444-555555555555', client_secret: '${SECRET}' };

describe('relay config', () => {
  it('is off by default, with Cisco\'s three JWKS hosts, /relay, a limit of 100 and Microsoft\'s URLs', () => {
    expect(load(undefined).relay).toEqual({
      enabled: false,
      prefix: '/relay',
      jwks_hosts: [...CISCO_JWKS_HOSTS],
      entities_limit: 100,
      legacy_alerts: true,
      graph_url: 'https://graph.microsoft.com',
      login_url: 'https://login.microsoftonline.com',
      respond: false,
    });
  });

  it('takes token_key as a secret and needs it for respond', async () => {
    expect(await problem({ respond: true })).toMatch(/relay\.respond: respond needs token_key: .*saaswatch_key field/);
    const c = load({ token_key: '${SECRET}', respond: true }).relay;
    expect(c.token_key?.reveal()).toBe('s3cret');
    expect(JSON.stringify(c)).not.toContain('s3cret');
  });

  it('requires the audience when enabled, a JWKS host, and a prefix outside the API', async () => {
    expect(await problem({ enabled: true })).toMatch(/relay\.audience: audience is required when the relay is enabled/);
    expect(await problem({ audience: 'https://x.example', jwks_hosts: [] })).toMatch(/relay\.jwks_hosts: jwks_hosts must name at least one host/);
    expect(await problem({ jwks_hosts: ['https://visibility.amp.cisco.com/'] })).toMatch(/relay\.jwks_hosts\[0\]: each JWKS host is a host name/);
    expect(await problem({ prefix: '/api/relay' })).toMatch(/relay\.prefix: prefix must not be \/api/);
    expect(await problem({ prefix: 'relay/' })).toMatch(/relay\.prefix: prefix must be a path/);
    expect(await problem({ entities_limit: 0 })).toMatch(/relay\.entities_limit/);
    expect(await problem({ audiance: 'x' })).toMatch(/relay: .*audiance/);
    expect(load({ enabled: true, audience: 'https://x.example', jwks_hosts: ['Visibility.AMP.cisco.com', '127.0.0.1:4000'] }).relay.jwks_hosts).toEqual(['visibility.amp.cisco.com', '127.0.0.1:4000']);
  });

  it('takes Graph credentials from relay.credentials, else from the first microsoft-graph source', () => {
    const own = load({ credentials: { tenant_id: 't.onmicrosoft.com', client_id: '99999999-2222-3333-4444-555555555555', client_secret: '${SECRET}' } }, { sources: [GRAPH_SOURCE] });
    expect(configCredentials({ config: own }, own.relay)).toEqual({ tenant_id: 't.onmicrosoft.com', application_id: '99999999-2222-3333-4444-555555555555', client_secret: 's3cret' });
    const fromSource = load({}, { sources: [GRAPH_SOURCE] });
    expect(configCredentials({ config: fromSource }, fromSource.relay)).toEqual({ tenant_id: 'contoso.onmicrosoft.com', application_id: GRAPH_SOURCE.client_id, client_secret: 's3cret' });
    const none = load({});
    expect(configCredentials({ config: none }, none.relay)).toBeUndefined();
    // The secret never prints with the config.
    expect(JSON.stringify(own.relay)).not.toContain('s3cret');
  });
});
