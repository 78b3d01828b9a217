import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_USERS } from '../../sources/microsoft-graph/fixtures/actions.js';
import { VERSION } from '../../version.js';
import { relayError } from './errors.js';
import { OWN_SOURCE } from './own.js';
import { ATTACKER_IP, DASHBOARD, GRAPH_CREDENTIALS, NOW, PUBLIC_FILE, TOKEN_KEY, VICTIM, relayWorld, type RelayWorld } from './testing.js';
import { OBSERVABLE_TYPES, type CtimSighting } from './types.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function graphSighting(value: string): CtimSighting {
  return {
    type: 'sighting', schema_version: '1.0.17', id: 'transient:sighting-graph', source: 'Microsoft Graph Security', count: 1, internal: false,
    timestamp: iso(NOW), observed_time: { start_time: iso(NOW) }, confidence: 'High', severity: 'High',
    external_ids: ['da637'], external_references: [], observables: [{ type: 'domain', value }],
  };
}

describe('the relay\'s endpoints', () => {
  let w: RelayWorld;
  beforeEach(async () => {
    w = await relayWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it('/version answers saaswatch\'s version, without a token', async () => {
    expect(await w.post('/version', {})).toEqual({ status: 200, json: { version: VERSION } });
  });

  it('GET /watchdog echoes the Health-Check header, else Cisco\'s health check error', async () => {
    const ok = await w.app.inject({ method: 'GET', url: '/relay/watchdog', headers: { 'health-check': 'ping-42' } });
    expect(ok.json()).toEqual({ data: 'ping-42' });
    const bad = await w.app.inject({ method: 'GET', url: '/relay/watchdog' });
    expect(bad.statusCode).toBe(200);
    expect(bad.json()).toEqual({ errors: [{ type: 'fatal', code: 'health check failed', message: 'Invalid Health Check' }] });
  });

  it('answers unknown paths under the prefix 404 and wrong methods 405, in the relay\'s shape', async () => {
    const nf = await w.app.inject({ method: 'POST', url: '/relay/deliberate/observables', payload: '[]', headers: { 'content-type': 'application/json' } });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ errors: [{ type: 'fatal', code: 'not found', message: 'No relay route POST /relay/deliberate/observables' }] });
    expect((await w.app.inject({ method: 'GET', url: '/relay/nothing/here' })).json().errors[0].code).toBe('not found');
    expect((await w.app.inject({ method: 'GET', url: '/relay' })).statusCode).toBe(404);
    const m = await w.app.inject({ method: 'GET', url: '/relay/health' });
    expect(m.statusCode).toBe(405);
    expect(m.headers.allow).toBe('POST');
    expect(m.json()).toEqual({ errors: [{ type: 'fatal', code: 'method not allowed', message: 'Method GET is not allowed on /relay/health (allowed: POST)' }] });
    expect((await w.app.inject({ method: 'POST', url: '/relay/watchdog' })).statusCode).toBe(405);
  });

  it('/health checks the store and, with credentials, Graph', async () => {
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    // Without credentials anywhere, Graph is not part of the relay.
    expect(w.graph.healthCalls).toEqual([]);
    expect((await w.post('/health', {}, await w.token({ claims: GRAPH_CREDENTIALS }))).json).toEqual({ data: { status: 'ok' } });
    expect(w.graph.healthCalls).toEqual([GRAPH_CREDENTIALS]);
    w.graph.healthError = relayError('authorization error', 'Authorization failed: Microsoft Graph refused the credentials');
    expect((await w.post('/health', {}, await w.token({ claims: GRAPH_CREDENTIALS }))).json).toEqual({ errors: [w.graph.healthError] });
  });

  it('says which part failed when the store does not answer', async () => {
    const t = await w.token();
    await w.store.close();
    expect((await w.post('/health', {}, t)).json).toEqual({ errors: [{ type: 'fatal', code: 'service unavailable', message: 'saaswatch\'s store does not answer' }] });
    expect((await w.post('/observe/observables', [{ type: 'ip', value: ATTACKER_IP }], t)).json).toEqual({
      errors: [{ type: 'fatal', code: 'unknown', message: 'saaswatch could not read its own sightings of the ip: its store failed' }],
    });
  });

  it('/observe/observables: an IP seen in a brute-force alert and in login events', async () => {
    const r = await w.post('/observe/observables', [{ type: 'ip', value: ATTACKER_IP }], await w.token());
    expect(r.json.errors).toBeUndefined();
    const docs = r.json.data.sightings.docs as CtimSighting[];
    expect(r.json.data.sightings.count).toBe(docs.length);
    const alert = docs.find((d) => d.external_ids[0] === 'alert-001')!;
    expect(alert).toMatchObject({
      type: 'sighting', schema_version: '1.0.17', source: OWN_SOURCE, count: 1, internal: true,
      title: `Brute force from ${ATTACKER_IP}: 11 failed logins`,
      timestamp: iso(NOW - 2 * HOUR),
      observed_time: { start_time: iso(NOW - 3 * HOUR), end_time: iso(NOW - 2 * HOUR - 60_000) },
      confidence: 'High', severity: 'High',
      source_uri: `${DASHBOARD}/alerts/alert-001`,
      external_references: [{ source_name: OWN_SOURCE, url: `${DASHBOARD}/alerts/alert-001`, external_id: 'alert-001' }],
      observables: [{ type: 'ip', value: ATTACKER_IP }],
    });
    expect(alert.id).toMatch(/^transient:sighting-[0-9a-f-]{36}$/);
    const events = docs.filter((d) => d !== alert);
    expect(events.map((d) => [d.title, d.count, d.severity])).toEqual([
      ['google-workspace login_success (success) seen by saaswatch', 1, 'Info'],
      ['google-workspace login_success (failure) seen by saaswatch', 11, 'Low'],
    ]);
    expect(events[1]!.observed_time).toEqual({ start_time: iso(NOW - 3 * HOUR), end_time: iso(NOW - 3 * HOUR + 10 * 60_000) });
    expect(events[1]!.external_ids).toHaveLength(11);
    expect(events[1]!.description).toContain(`users ${VICTIM}`);
    expect(events[1]!.external_references[0]!.url).toBe(`${DASHBOARD}/api/events?ip=${ATTACKER_IP}`);
  });

  it('/observe/observables: a user with an impossible-travel alert, found by email whatever its case', async () => {
    const r = await w.post('/observe/observables', [{ type: 'email', value: VICTIM.toUpperCase() }], await w.token());
    const docs = r.json.data.sightings.docs as CtimSighting[];
    const travel = docs.find((d) => d.external_ids[0] === 'alert-002')!;
    expect(travel).toMatchObject({ title: `Impossible travel for ${VICTIM}: Berlin to São Paulo in 20 minutes`, severity: 'Critical', confidence: 'High', observables: [{ type: 'email', value: VICTIM.toUpperCase() }] });
    // 6 usual logins, 11 failures and the one success from the attacker's IP: 18 events in 2 groups.
    expect(docs.filter((d) => d !== travel).reduce((n, d) => n + d.count, 0)).toBe(18);
    expect(docs.find((d) => d !== travel)!.source_uri).toBe(`${DASHBOARD}/users/${encodeURIComponent(VICTIM)}`);
  });

  it('/observe/observables: a file shared by public link, by name and by path', async () => {
    for (const o of [{ type: 'file_name', value: PUBLIC_FILE.name }, { type: 'file_path', value: `/Finance/${PUBLIC_FILE.name}` }]) {
      const docs = (await w.post('/observe/observables', [o], await w.token())).json.data.sightings.docs as CtimSighting[];
      expect(docs.map((d) => d.external_ids[0]!.slice(0, 20)), o.type).toEqual([PUBLIC_FILE.key, 'alert-003', expect.any(String)]);
      expect(docs[0]).toMatchObject({ title: `${PUBLIC_FILE.name} is shared beyond the organisation (public)`, severity: 'Medium', source_uri: `${DASHBOARD}/files/${encodeURIComponent(PUBLIC_FILE.key)}` });
      expect(docs[2]).toMatchObject({ title: 'dropbox download (success) seen by saaswatch', count: 3 });
    }
    // A private file of that name would not be a sighting: only files shared beyond the organisation are.
    expect((await w.post('/observe/observables', [{ type: 'file_name', value: 'notes.txt' }], await w.token())).json.data.sightings).toEqual({ count: 0, docs: [] });
  });

  it('accepts every observable type and asks Graph about each, once per distinct observable', async () => {
    const all = OBSERVABLE_TYPES.map((type) => ({ type, value: type === 'email' ? VICTIM : `value-of-${type}` }));
    const r = await w.post('/observe/observables', [...all, all[0]], await w.token({ claims: GRAPH_CREDENTIALS }));
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.sightings.count).toBeGreaterThan(0);
    expect(w.graph.calls.map((c) => c.observable)).toEqual(all);
    expect(w.graph.calls.every((c) => c.limit === 100)).toBe(true);
  });

  it('skips CTIM\'s other observable types, as XDR sends every observable of an investigation to every module', async () => {
    const r = await w.post('/observe/observables', [{ type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' }, { type: 'mac_address', value: '85:28:cb:6a:21:41' }, { type: 'ip', value: ATTACKER_IP }], await w.token({ claims: GRAPH_CREDENTIALS }));
    expect(r.json.errors).toBeUndefined();
    expect(w.graph.calls.map((c) => c.observable)).toEqual([{ type: 'ip', value: ATTACKER_IP }]);
    expect((r.json.data.sightings.docs as CtimSighting[]).every((d) => d.observables[0]!.type === 'ip')).toBe(true);
    expect((await w.post('/refer/observables', [{ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }], await w.token())).json).toEqual({ data: [] });
  });

  it('refuses an unknown observable type or a malformed body as invalid argument naming the field', async () => {
    const t = await w.token();
    const msg = async (body: unknown) => (await w.post('/observe/observables', body, t)).json;
    expect(await msg([{ type: 'ip', value: '1.2.3.4' }, { type: 'banana', value: '00:11' }])).toEqual({
      errors: [{ type: 'fatal', code: 'invalid argument', message: `Invalid JSON payload received. 1.type: expected a CTIM observable type: one of ${OBSERVABLE_TYPES.join(', ')} (others of CTIM's are ignored)` }],
    });
    expect((await msg([{ type: 'ip' }])).errors![0]!.message).toBe('Invalid JSON payload received. 0.value: expected a string');
    expect((await msg({ type: 'ip', value: '1.2.3.4' })).errors![0]!.message).toBe('Invalid JSON payload received. body: expected a JSON array of {"type", "value"} observables');
    expect((await msg('[{"type":')).errors![0]!.message).toBe('Invalid JSON payload received. The body is not JSON.');
    for (const path of ['/refer/observables', '/respond/observables']) expect((await w.post(path, [{ type: 'banana', value: 'x' }], t)).json.errors![0]!.code, path).toBe('invalid argument');
    expect(w.graph.calls).toEqual([]);
  });

  it('reads its own sightings of values with quotes and wildcards as plain values', async () => {
    const odd = [
      { type: 'email', value: "o'brien@example.com" },
      { type: 'ip', value: "203.0.113.9' OR '1'='1" },
      { type: 'user', value: '%' },
      { type: 'file_name', value: "payroll'; DROP TABLE files; --" },
    ];
    const r = await w.post('/observe/observables', odd, await w.token());
    expect(r.json).toEqual({ data: { sightings: { count: 0, docs: [] } } });
    // The store is intact and still answers the real values.
    expect((await w.post('/observe/observables', [{ type: 'file_name', value: PUBLIC_FILE.name }], await w.token())).json.data.sightings.count).toBe(3);
  });

  it('returns partial results: one observable\'s Graph error beside the others\' sightings', async () => {
    w.graph.answers.set('good.example', { sightings: [graphSighting('good.example')], errors: [] });
    w.graph.answers.set('busy.example', { sightings: [], errors: [relayError('too many requests', 'Microsoft Graph: too many requests')] });
    const r = await w.post('/observe/observables', [{ type: 'domain', value: 'busy.example' }, { type: 'domain', value: 'good.example' }, { type: 'ip', value: ATTACKER_IP }], await w.token({ claims: GRAPH_CREDENTIALS }));
    expect(r.json.errors).toEqual([{ type: 'fatal', code: 'too many requests', message: 'Microsoft Graph: too many requests' }]);
    const docs = r.json.data.sightings.docs as CtimSighting[];
    expect(docs.filter((d) => d.source === 'Microsoft Graph Security').map((d) => d.observables[0]!.value)).toEqual(['good.example']);
    expect(docs.some((d) => d.source === OWN_SOURCE)).toBe(true);
    // With nothing found at all, only the errors.
    expect((await w.post('/observe/observables', [{ type: 'domain', value: 'busy.example' }], await w.token({ claims: GRAPH_CREDENTIALS }))).json).toEqual({ errors: [{ type: 'fatal', code: 'too many requests', message: 'Microsoft Graph: too many requests' }] });
  });

  it('reports a Graph half that throws as an error of its observable, and still answers the others', async () => {
    w.graph.observe = async (o) => {
      if (o.value === 'boom.example') throw new TypeError('socket hang up');
      return { sightings: [graphSighting(o.value)], errors: [] };
    };
    const r = await w.post('/observe/observables', [{ type: 'domain', value: 'boom.example' }, { type: 'domain', value: 'fine.example' }], await w.token({ claims: GRAPH_CREDENTIALS }));
    expect(r.json.errors).toEqual([{ type: 'fatal', code: 'unknown', message: 'Something went wrong (the saaswatch log has the details).' }]);
    expect(r.json.data.sightings.docs.map((d: CtimSighting) => d.observables[0]!.value)).toEqual(['fine.example']);
  });

  it('limits each observable\'s own sightings to the token\'s CTR_ENTITIES_LIMIT', async () => {
    const r = await w.post('/observe/observables', [{ type: 'email', value: VICTIM }], await w.token({ claims: { CTR_ENTITIES_LIMIT: 1 } }));
    const docs = r.json.data.sightings.docs as CtimSighting[];
    // One alert, and the one newest event (a single group).
    expect(docs.map((d) => d.count)).toEqual([1, 1]);
    expect(docs[1]!.description).toContain('(the newest 1 events were read)');
  });

  it('/refer/observables links into the dashboard for what saaswatch holds', async () => {
    const r = await w.post('/refer/observables', [{ type: 'ip', value: ATTACKER_IP }, { type: 'email', value: VICTIM }, { type: 'sha256', value: 'ab'.repeat(32) }], await w.token());
    expect(r.json.data).toEqual([
      { id: `ref-saaswatch-search-ip-${ATTACKER_IP}`, title: 'Search for this IP', description: 'Lookup this IP in saaswatch\'s alerts', categories: ['Search', 'saaswatch'], url: `${DASHBOARD}/alerts?q=${ATTACKER_IP}` },
      { id: `ref-saaswatch-audit-ip-${ATTACKER_IP}`, title: 'Audit log entries for this IP', description: 'Blocks, responses and triage in saaswatch that mention this IP', categories: ['Search', 'saaswatch'], url: `${DASHBOARD}/audit?subject=${ATTACKER_IP}` },
      { id: 'ref-saaswatch-user-email-alice%40example.com', title: 'Open this email in saaswatch', description: 'The email\'s risk, logins, activity, alerts and timeline in the saaswatch dashboard', categories: ['Search', 'saaswatch'], url: `${DASHBOARD}/users/alice%40example.com` },
      { id: 'ref-saaswatch-search-email-alice%40example.com', title: 'Search for this email', description: 'Lookup this email in saaswatch\'s alerts', categories: ['Search', 'saaswatch'], url: `${DASHBOARD}/alerts?q=alice%40example.com` },
      { id: 'ref-saaswatch-audit-email-alice%40example.com', title: 'Audit log entries for this email', description: 'Blocks, responses and triage in saaswatch that mention this email', categories: ['Search', 'saaswatch'], url: `${DASHBOARD}/audit?subject=alice%40example.com` },
    ]);
  });
});

describe('the relay\'s responses', () => {
  let w: RelayWorld;
  const upn = ACTION_USERS[0]!.userPrincipalName;
  beforeEach(async () => {
    w = await relayWorld({ m365: true });
  });
  afterEach(async () => {
    await w.close();
  });

  it('/respond/observables offers block (or unblock) and, where suspend-user is enabled, suspend for email and user observables', async () => {
    const t = await w.token();
    const ids = async (body: unknown) => ((await w.post('/respond/observables', body, t)).json.data as Array<{ id: string }>).map((a) => a.id);
    expect(await ids([{ type: 'email', value: upn }, { type: 'ip', value: ATTACKER_IP }])).toEqual(['saaswatch-block-user', 'saaswatch-suspend-user']);
    // A user name that is not an address: saaswatch's blocklist only (services are asked by email).
    expect(await ids([{ type: 'user', value: 'alice' }])).toEqual(['saaswatch-block-user']);
    await w.store.blockUser({ user: VICTIM, reason: 'test', blockedBy: 'web:lead@example.com' });
    const r = await w.post('/respond/observables', [{ type: 'email', value: VICTIM }], t);
    expect(r.json.data[0]).toEqual({
      id: 'saaswatch-unblock-user', title: 'Unblock in saaswatch', description: `Lift saaswatch's block of ${VICTIM}`, categories: ['saaswatch', 'Unblock user'],
      'query-params': { observable_type: 'email', observable_value: VICTIM },
    });
  });

  it('offers no suspend where suspend-user is offered but not enabled for execution', async () => {
    const plain = await relayWorld({ m365: true, execute: [] });
    try {
      const r = await plain.post('/respond/observables', [{ type: 'email', value: upn }], await plain.token());
      expect(r.json.data.map((a: { id: string }) => a.id)).toEqual(['saaswatch-block-user']);
      const t = await plain.post('/respond/trigger', { 'action-id': 'saaswatch-suspend-user', observable_type: 'email', observable_value: upn }, await plain.token());
      expect(t.json).toEqual({ data: { status: 'failure' }, errors: [{ type: 'fatal', code: 'invalid argument', message: `suspend-user is not enabled for ${upn} on any service (response.execute)` }] });
      expect(plain.m365!.writes()).toBe(0);
    } finally {
      await plain.close();
    }
  });

  it('/respond/trigger blocks, unblocks and suspends through the responder, audited as the relay token\'s subject', async () => {
    const t = await w.token();
    const trigger = (id: string, type = 'email', value = VICTIM) => w.post('/respond/trigger', { 'action-id': id, observable_type: type, observable_value: value }, t);
    expect((await trigger('saaswatch-block-user')).json).toEqual({ data: { status: 'success' } });
    expect((await w.store.listBlockedUsers({ user: VICTIM })).map((b) => b.blockedBy)).toEqual(['relay:xdr-module-1']);
    expect((await trigger('saaswatch-unblock-user')).json).toEqual({ data: { status: 'success' } });
    expect(await w.store.listBlockedUsers({ user: VICTIM })).toEqual([]);
    const audit = await w.store.listAudit({ actor: 'relay:xdr-module-1' });
    expect(audit.map((a) => [a.action, a.details.user])).toEqual([['unblock', VICTIM], ['block', VICTIM]]);

    // Suspend: the microsoft-graph source disables the account in the (fake) tenant.
    expect(w.m365!.inspect({ kind: 'user', id: upn })).toMatchObject({ accountEnabled: true });
    expect((await trigger('saaswatch-suspend-user', 'email', upn)).json).toEqual({ data: { status: 'success' } });
    expect(w.m365!.inspect({ kind: 'user', id: upn })).toMatchObject({ accountEnabled: false });
    const [rec] = await w.store.listActions({ action: 'suspend-user' });
    expect(rec).toMatchObject({ source: 'm365', actor: 'relay:xdr-module-1', status: 'done', mode: 'execute', target: { kind: 'user', id: upn } });

    expect((await trigger('saaswatch-delete-everything')).json).toEqual({
      data: { status: 'failure' },
      errors: [{ type: 'fatal', code: 'invalid argument', message: 'Unsupported action: "saaswatch-delete-everything" (expected saaswatch-block-user, saaswatch-unblock-user, saaswatch-suspend-user)' }],
    });
    expect((await trigger('saaswatch-block-user', 'ip', ATTACKER_IP)).json.errors![0]!.message).toBe('observable_type ip has no response actions (only email and user do)');
    expect((await w.post('/respond/trigger', { observable_type: 'email' }, t)).json.errors![0]!.message).toBe('Invalid JSON payload received. action-id: expected a string');
  });

  it('reports a suspend the service refuses as a failure', async () => {
    w.m365!.denyScopes();
    const r = await w.post('/respond/trigger', { 'action-id': 'saaswatch-suspend-user', observable_type: 'email', observable_value: upn }, await w.token());
    expect(r.json.data).toEqual({ status: 'failure' });
    expect(r.json.errors![0]!.message).toMatch(/^suspend-user on m365 failed: /);
    expect(w.m365!.inspect({ kind: 'user', id: upn })).toMatchObject({ accountEnabled: true });
  });
});

describe('the relay without an injected Graph half', () => {
  it('answers its own sightings when Graph has no credentials, and reports the Graph half\'s failure when it has', async () => {
    const w = await relayWorld({ graph: null });
    try {
      const own = await w.post('/observe/observables', [{ type: 'ip', value: ATTACKER_IP }], await w.token());
      expect(own.json.errors).toBeUndefined();
      expect(own.json.data.sightings.count).toBeGreaterThan(0);
      const r = await w.post('/observe/observables', [{ type: 'ip', value: ATTACKER_IP }], await w.token({ claims: GRAPH_CREDENTIALS }));
      expect(r.json.data.sightings.count).toBe(own.json.data.sightings.count);
      expect(r.json.errors).toHaveLength(1);
    } finally {
      await w.close();
    }
  });
});

describe('the relay\'s binding to this deployment (relay.token_key in the saaswatch_key claim)', () => {
  // Validly signed by Cisco's issuer for our audience, as any XDR organisation can have one signed.
  const strangers = [
    ['no key', { tokenKey: null }],
    ['a wrong key', { tokenKey: 'guessed' }],
    ['the key with a different case', { tokenKey: TOKEN_KEY.toUpperCase() }],
  ] as const;
  const OBS = [{ type: 'ip', value: ATTACKER_IP }];
  const m365 = (w: RelayWorld) => ({ tenant_id: w.m365!.config.tenant_id as string, application_id: w.m365!.config.client_id as string, client_secret: w.m365!.config.client_secret as string });
  let w: RelayWorld;
  beforeEach(async () => {
    w = await relayWorld({ m365: true });
  });
  afterEach(async () => {
    await w.close();
  });

  it.each(strangers)('a token with %s gets no own sightings and no saaswatch Graph credentials, only Graph with its own', async (_name, opt) => {
    w.graph.answers.set(ATTACKER_IP, { sightings: [graphSighting(ATTACKER_IP)], errors: [] });
    const bare = await w.post('/observe/observables', OBS, await w.token(opt));
    expect(bare.json.data).toBeUndefined();
    expect(bare.json.errors).toEqual([{ type: 'warning', code: 'authorization error', message: expect.stringMatching(/^saaswatch's own sightings were left out: the token does not carry this deployment's key: set the saaswatch_key field/) }]);
    // saaswatch's own Graph credentials (the microsoft-graph source's) were never used for it.
    expect(w.graph.calls).toEqual([]);
    expect((await w.post('/health', {}, await w.token(opt))).json).toEqual({ data: { status: 'ok' } });
    expect(w.graph.healthCalls).toEqual([]);

    const own = await w.post('/observe/observables', OBS, await w.token({ ...opt, claims: GRAPH_CREDENTIALS }));
    expect((own.json.data.sightings.docs as CtimSighting[]).map((d) => d.source)).toEqual(['Microsoft Graph Security']);
    expect(own.json.errors).toHaveLength(1);
    expect(w.graph.calls.map((c) => c.credentials)).toEqual([GRAPH_CREDENTIALS]);
  });

  it.each(strangers)('a token with %s can neither list nor trigger response actions', async (_name, opt) => {
    const t = await w.token(opt);
    const listed = await w.post('/respond/observables', [{ type: 'email', value: VICTIM }], t);
    expect(listed.json).toEqual({ errors: [{ type: 'fatal', code: 'authorization error', message: expect.stringMatching(/^Authorization failed: response actions need this deployment's key: .*saaswatch_key/) }] });
    for (const id of ['saaswatch-block-user', 'saaswatch-suspend-user']) {
      const r = await w.post('/respond/trigger', { 'action-id': id, observable_type: 'email', observable_value: VICTIM }, t);
      expect(r.json.data).toEqual({ status: 'failure' });
      expect(r.json.errors![0]!.code).toBe('authorization error');
    }
    expect(await w.store.listBlockedUsers({ user: VICTIM })).toEqual([]);
    expect(await w.store.listActions({})).toEqual([]);
    expect(w.m365!.writes()).toBe(0);
  });

  it('a token with the key gets everything: own sightings, saaswatch\'s Graph credentials, response actions', async () => {
    const r = await w.post('/observe/observables', OBS, await w.token());
    expect(r.json.errors).toBeUndefined();
    expect((r.json.data.sightings.docs as CtimSighting[]).some((d) => d.source === OWN_SOURCE)).toBe(true);
    expect(w.graph.calls.map((c) => c.credentials)).toEqual([m365(w)]);
    expect((await w.post('/respond/trigger', { 'action-id': 'saaswatch-block-user', observable_type: 'email', observable_value: VICTIM }, await w.token())).json).toEqual({ data: { status: 'success' } });
  });

  it('without relay.token_key configured, no token is bound, and the message says to set it', async () => {
    const open = await relayWorld({ relay: { token_key: undefined, respond: false } });
    try {
      const r = await open.post('/observe/observables', OBS, await open.token());
      expect(r.json).toEqual({ errors: [{ type: 'warning', code: 'authorization error', message: 'saaswatch\'s own sightings were left out: relay.token_key is not set: set it, and the saaswatch_key field of the module\'s configuration in Cisco XDR to the same value' }] });
      // Response actions are off: none offered, a trigger refused naming the setting.
      expect((await open.post('/respond/observables', [{ type: 'email', value: VICTIM }], await open.token())).json).toEqual({ data: [] });
      const t = await open.post('/respond/trigger', { 'action-id': 'saaswatch-block-user', observable_type: 'email', observable_value: VICTIM }, await open.token());
      expect(t.json).toEqual({ data: { status: 'failure' }, errors: [{ type: 'fatal', code: 'invalid argument', message: 'Response actions are off: set relay.respond: true (with relay.token_key) to offer them' }] });
      expect(await open.store.listBlockedUsers({ user: VICTIM })).toEqual([]);
    } finally {
      await open.close();
    }
  });

  it('respond is off by default even with the key', async () => {
    const off = await relayWorld({ relay: { respond: undefined } });
    try {
      expect((await off.post('/respond/observables', [{ type: 'email', value: VICTIM }], await off.token())).json).toEqual({ data: [] });
      expect((await off.post('/respond/trigger', { 'action-id': 'saaswatch-block-user', observable_type: 'email', observable_value: VICTIM }, await off.token())).json.errors![0]!.message).toMatch(/relay\.respond: true/);
    } finally {
      await off.close();
    }
  });
});

describe('the relay and protected accounts (response.protected)', () => {
  it('never offers or runs block or suspend of a protected account, by its address or by the name a service knows it by', async () => {
    const upn = ACTION_USERS[0]!.userPrincipalName;
    const w = await relayWorld({ m365: true, protected: [upn, VICTIM] });
    try {
      const t = await w.token();
      expect((await w.post('/respond/observables', [{ type: 'email', value: upn.toUpperCase() }], t)).json).toEqual({ data: [] });
      for (const [id, value] of [['saaswatch-block-user', VICTIM], ['saaswatch-suspend-user', upn]] as const) {
        const r = await w.post('/respond/trigger', { 'action-id': id, observable_type: 'email', observable_value: value }, t);
        expect(r.json).toEqual({ data: { status: 'failure' }, errors: [{ type: 'fatal', code: 'invalid argument', message: `${value.toLowerCase()} is a protected account (response.protected): saaswatch never blocks or suspends it at the relay's request; act in saaswatch by hand if you must` }] });
      }
      expect(await w.store.listBlockedUsers({ user: VICTIM })).toEqual([]);
      expect(w.m365!.writes()).toBe(0);
      // A block made by hand can still be lifted from XDR.
      await w.store.blockUser({ user: VICTIM, reason: 'test', blockedBy: 'web:lead@example.com' });
      expect((await w.post('/respond/observables', [{ type: 'email', value: VICTIM }], t)).json.data.map((a: { id: string }) => a.id)).toEqual(['saaswatch-unblock-user']);
      expect((await w.post('/respond/trigger', { 'action-id': 'saaswatch-unblock-user', observable_type: 'email', observable_value: VICTIM }, t)).json).toEqual({ data: { status: 'success' } });
    } finally {
      await w.close();
    }
  });
});

describe('the bounds of one relay request', () => {
  it('refuses more than 100 observables of the types it answers, naming the field and the limit', async () => {
    const w = await relayWorld();
    try {
      const many = Array.from({ length: 101 }, (_, i) => ({ type: 'ip', value: `198.51.100.${i}` }));
      const r = await w.post('/observe/observables', many, await w.token({ claims: GRAPH_CREDENTIALS }));
      expect(r.json).toEqual({ errors: [{ type: 'fatal', code: 'invalid argument', message: expect.stringMatching(/^Invalid JSON payload received\. body: expected at most 100 observables of the types the relay answers .*got 101; ask in smaller batches$/) }] });
      expect((await w.post('/respond/observables', many, await w.token())).json.errors![0]!.code).toBe('invalid argument');
      expect(w.graph.calls).toEqual([]);
      // CTIM's other types do not count: XDR sends them all.
      const mixed = [...many.slice(0, 100), ...Array.from({ length: 50 }, (_, i) => ({ type: 'md5', value: `${i}`.padStart(32, '0') }))];
      expect((await w.post('/observe/observables', mixed, await w.token({ claims: GRAPH_CREDENTIALS }))).json.errors).toBeUndefined();
      expect(w.graph.calls).toHaveLength(100);
    } finally {
      await w.close();
    }
  });

  it('gives up the observables not yet asked when the deadline passes, passing its signal to the Graph half', async () => {
    const w = await relayWorld({ deadlineMs: 50 });
    try {
      const signals: AbortSignal[] = [];
      // A Graph that answers only when the request's signal aborts: the deadline, never the test's timing, decides.
      w.graph.observe = (_o, opts) =>
        new Promise((resolve) => {
          signals.push(opts.signal!);
          opts.signal!.addEventListener('abort', () => resolve({ sightings: [], errors: [relayError('connection error', 'Microsoft Graph: request aborted')] }), { once: true });
        });
      const obs = Array.from({ length: 6 }, (_, i) => ({ type: 'domain', value: `d${i}.example` }));
      const r = await w.post('/observe/observables', obs, await w.token({ claims: GRAPH_CREDENTIALS }));
      expect(signals).toHaveLength(4);
      expect(signals.every((s) => s.aborted)).toBe(true);
      expect(r.json.errors).toEqual([
        { type: 'fatal', code: 'connection error', message: 'Microsoft Graph: request aborted' },
        { type: 'fatal', code: 'service unavailable', message: '2 of 6 observables were not looked up: the request ran out of time (0.05 s); ask again for them, or in smaller batches' },
      ]);
    } finally {
      await w.close();
    }
  });

  it('stops the Graph half when the client goes away', async () => {
    const w = await relayWorld();
    try {
      let called!: (s: AbortSignal) => void;
      const asked = new Promise<AbortSignal>((resolve) => (called = resolve));
      w.graph.observe = (_o, opts) =>
        new Promise((resolve) => {
          called(opts.signal!);
          opts.signal!.addEventListener('abort', () => resolve({ sightings: [], errors: [] }), { once: true });
        });
      const url = await w.app.listen({ host: '127.0.0.1', port: 0 });
      const client = new AbortController();
      const res = fetch(`${url}/relay/observe/observables`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await w.token({ claims: GRAPH_CREDENTIALS })}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ type: 'domain', value: 'slow.example' }]),
        signal: client.signal,
      });
      const signal = await asked;
      expect(signal.aborted).toBe(false);
      client.abort();
      await expect(res).rejects.toThrow();
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      expect(signal.aborted).toBe(true);
    } finally {
      await w.close();
    }
  });
});
