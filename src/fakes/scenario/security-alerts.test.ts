import { afterEach, describe, expect, it } from 'vitest';
import { createGraphSightings } from '../../api/relay/graph/index.js';
import { startFakeGraph, type FakeGraph } from '../microsoft-graph/server.js';
import { generateScenario } from './generate.js';

const OPTS = { seed: 11, users: 40, files: 200, days: 5 } as const;

const closers: FakeGraph[] = [];
afterEach(async () => {
  for (const f of closers.splice(0)) await f.close();
});

describe('scenario security alerts', () => {
  const s = generateScenario({ ...OPTS, attacks: ['brute-force', 'new-country-login', 'mass-download'] });

  it('one alerts_v2 record and one legacy alert per sign-in attack, naming its address and accounts, after it', () => {
    const attacks = s.truth.filter((t) => t.kind === 'brute-force' || t.kind === 'new-country-login');
    expect(attacks).toHaveLength(2);
    expect(s.microsoft.alerts).toHaveLength(2);
    expect(s.microsoft.legacyAlerts).toHaveLength(2);
    for (const t of attacks) {
      const v2 = s.microsoft.alerts.find((a) => a.evidence?.some((e) => (e as { ipAddress?: string }).ipAddress === t.ip))!;
      expect(v2).toMatchObject({ serviceSource: 'azureAdIdentityProtection', tenantId: s.microsoft.tenantId, title: t.kind === 'brute-force' ? 'Password spray' : 'Unfamiliar sign-in properties' });
      expect(Date.parse(v2.createdDateTime!)).toBeGreaterThan(Date.parse(t.end));
      expect(Date.parse(v2.createdDateTime!)).toBeLessThan(Date.parse(s.window.end));
      const upns = v2.evidence!.map((e) => (e as { userAccount?: { userPrincipalName?: string } }).userAccount?.userPrincipalName).filter(Boolean);
      expect(upns).toEqual(t.kind === 'brute-force' ? t.targets : [t.actor]);
      const legacy = s.microsoft.legacyAlerts.find((a) => a.networkConnections?.[0]?.sourceAddress === t.ip)!;
      expect(legacy).toMatchObject({ vendorInformation: { provider: 'IPC' }, eventDateTime: t.end.replace(/\.\d{3}Z$/, 'Z'), title: v2.title });
      expect(legacy.userStates!.map((u) => u.logonIp)).toEqual(upns.map(() => t.ip));
    }
  });

  it('is seeded and changes nothing else', () => {
    expect(generateScenario({ ...OPTS, attacks: ['brute-force', 'new-country-login', 'mass-download'] }).microsoft).toEqual(s.microsoft);
    const clean = generateScenario({ ...OPTS, attacks: [] });
    expect(clean.microsoft.alerts).toEqual([]);
    expect(clean.microsoft.legacyAlerts).toEqual([]);
    // Other attacks raise none.
    expect(generateScenario({ ...OPTS, attacks: ['mass-download', 'phishing-campaign'] }).microsoft.alerts).toEqual([]);
  });

  it('the relay finds the brute-force attacker in both alert APIs of the fake Graph', async () => {
    const secret = 'scenario-secret-value';
    const clientId = '5b0d6bd5-6f3b-4c7a-9a4b-2b2d4d0f3c11';
    const f = await startFakeGraph({ tenantId: s.microsoft.tenantId, clientId, clientSecret: secret, signIns: s.microsoft.signIns, alerts: s.microsoft.alerts, legacyAlerts: s.microsoft.legacyAlerts });
    closers.push(f);
    const attacker = s.truth.find((t) => t.kind === 'brute-force')!;
    const relay = createGraphSightings({ graphUrl: f.url, loginUrl: f.loginUrl, legacyAlerts: true, now: () => Date.parse(s.window.end) });
    const r = await relay.observe({ type: 'ip', value: attacker.ip! }, { credentials: { tenant_id: s.microsoft.tenantId, application_id: clientId, client_secret: secret }, limit: 100 });
    expect(r.errors).toEqual([]);
    expect(r.sightings.map((x) => [x.title, x.severity, x.external_references[0]!.source_name])).toEqual([
      ['Password spray', 'High', 'Azure Active Directory Identity Protection'],
      ['Password spray', 'High', 'IPC'],
    ]);
    const victim = await relay.observe({ type: 'email', value: attacker.targets[0]! }, { credentials: { tenant_id: s.microsoft.tenantId, application_id: clientId, client_secret: secret }, limit: 100 });
    expect(victim.sightings.length).toBeGreaterThanOrEqual(2);
  });
});
