/**
 * The demo's CTIM relay: the fakes it answers from (Microsoft Graph's security alerts for the scenario's
 * attacks, a Cisco-like token issuer), the relay settings pointing at them, the demo run's parameters
 * that `serve --demo` regenerates the scenario from, and the ready `curl` a newcomer runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { errors, type Clock } from '../core/index.js';
import { startJwksIssuer, type FakeJwksIssuer } from '../fakes/jwks/server.js';
import { startFakeGraph, type FakeGraph } from '../fakes/microsoft-graph/server.js';
import { generateScenario, type Scenario } from '../fakes/scenario/index.js';
import { TOKEN_KEY_CLAIM } from '../api/relay/config.js';

// Credentials of the demo's fake tenant only: they guard nothing but a server on 127.0.0.1.
export const DEMO_GRAPH_CLIENT_ID = '5d2c6a41-7f3e-4b8a-9c61-0e4f2b7d9a13';
export const DEMO_GRAPH_CLIENT_SECRET = 'demo-graph-client-secret';
/** The `aud` the demo's relay tokens carry: the URL a module would be registered with in Cisco XDR. */
export const DEMO_RELAY_AUDIENCE = 'http://127.0.0.1/saaswatch-demo';
/** The demo's `relay.token_key`: what an XDR module type's `saaswatch_key` field would carry. A local fake's credential, like the demo's others. */
export const DEMO_RELAY_KEY = 'demo-relay-token-key';
/** Where `serve --demo` writes its current relay token, so the curl `saaswatch demo` prints can read it. */
export const DEMO_RELAY_TOKEN_FILE = 'demo-relay-token';
const RUN_FILE = 'demo.json';
/** `serve --demo` tokens last a working day: the printed curl keeps working while it serves. */
const TOKEN_LIFETIME_S = 12 * 3600;

const runSchema = z.object({
  seed: z.number().int(),
  users: z.number().int().min(1),
  days: z.number().int().min(1),
  end: z.iso.datetime({ offset: true }),
});
/** What regenerates a demo run's scenario: the generator is deterministic in these. */
export type DemoRun = z.infer<typeof runSchema>;

export function writeDemoRun(dataDir: string, run: DemoRun): void {
  writeFileSync(join(dataDir, RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
}

/** The recorded run, or undefined for a data dir of an older demo that recorded none. */
export function readDemoRun(dataDir: string): DemoRun | undefined {
  const file = join(dataDir, RUN_FILE);
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    doc = undefined;
  }
  const r = runSchema.safeParse(doc);
  if (!r.success) throw errors.configInvalid({ path: file, problem: 'not a demo run record (seed, users, days, end)', fix: 'run `saaswatch demo` again' });
  return r.data;
}

export function demoScenario(run: DemoRun): Scenario {
  return generateScenario({ seed: run.seed, users: run.users, days: run.days, end: new Date(run.end) });
}

/** The address the scenario's brute force comes from: what the demo asks the relay about. */
export function attackerIp(scenario: Scenario): string {
  const ip = scenario.truth.find((t) => t.kind === 'brute-force')?.ip;
  if (!ip) throw errors.internal({ problem: 'the demo scenario has no brute force with an address' });
  return ip;
}

/** The `relay:` section for a fake Graph tenant and a fake issuer (http is accepted for 127.0.0.1). */
export function demoRelayConfig(o: { issuer: FakeJwksIssuer; graph: FakeGraph; tenantId: string }): Record<string, unknown> {
  return {
    enabled: true,
    audience: DEMO_RELAY_AUDIENCE,
    token_key: DEMO_RELAY_KEY,
    jwks_hosts: [o.issuer.host],
    graph_url: o.graph.url,
    login_url: o.graph.loginUrl,
    legacy_alerts: true,
    credentials: { tenant_id: o.tenantId, client_id: DEMO_GRAPH_CLIENT_ID, client_secret: DEMO_GRAPH_CLIENT_SECRET },
  };
}

export interface DemoRelayFakes {
  graph: FakeGraph;
  issuer: FakeJwksIssuer;
  ip: string;
  relay: Record<string, unknown>;
  /** A relay token good for TOKEN_LIFETIME_S from now. */
  mint(): Promise<string>;
  close(): Promise<void>;
}

/** For `serve --demo`: a fake Graph serving only the scenario's security alerts, and a token issuer. */
export async function startDemoRelayFakes(scenario: Scenario, clock: Clock): Promise<DemoRelayFakes> {
  const m365 = scenario.microsoft;
  const graph = await startFakeGraph({
    tenantId: m365.tenantId,
    tenantDomain: scenario.org.domain,
    clientId: DEMO_GRAPH_CLIENT_ID,
    clientSecret: DEMO_GRAPH_CLIENT_SECRET,
    alerts: m365.alerts,
    legacyAlerts: m365.legacyAlerts,
  });
  const issuer = await startJwksIssuer({ clock }).catch(async (err: unknown) => {
    await graph.close();
    throw err;
  });
  return {
    graph,
    issuer,
    ip: attackerIp(scenario),
    relay: demoRelayConfig({ issuer, graph, tenantId: m365.tenantId }),
    mint: () => demoToken(issuer, clock),
    close: async () => {
      await issuer.close();
      await graph.close();
    },
  };
}

export function demoToken(issuer: FakeJwksIssuer, clock: Clock): Promise<string> {
  return issuer.mint({ aud: DEMO_RELAY_AUDIENCE, sub: 'saaswatch-demo', claims: { [TOKEN_KEY_CLAIM]: DEMO_RELAY_KEY }, exp: Math.floor(clock() / 1000) + TOKEN_LIFETIME_S });
}

/** The body of the demo's query: the attacker's address. */
export const observeBody = (ip: string) => JSON.stringify([{ type: 'ip', value: ip }]);

/** A shell command that asks the relay about `ip`; `token` is the token itself or a shell expression for it. */
export function relayCurl(serverUrl: string, token: string, ip: string, prefix = '/relay'): string {
  return `curl -s -X POST -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '${observeBody(ip)}' ${serverUrl}${prefix}/observe/observables`;
}

/** Where `serve --demo` listens without --port (the config's default): the server `demoCurl` names. */
export const DEMO_SERVE_URL = 'http://127.0.0.1:8080';

/** The curl `saaswatch demo` prints: it asks `serve --demo` (default port), reading the token that command writes. */
export function demoCurl(dataDir: string, ip: string): string {
  return relayCurl(DEMO_SERVE_URL, `$(cat ${join(dataDir, DEMO_RELAY_TOKEN_FILE)})`, ip);
}

interface SightingDoc {
  source?: string;
  title?: string;
}

/** Lines saying what an observe answer holds: sightings per source with their titles, then any errors. */
export function summarizeSightings(body: unknown): string[] {
  const b = (body ?? {}) as { data?: { sightings?: { docs?: SightingDoc[] } }; errors?: Array<{ code?: string; message?: string }> };
  const docs = b.data?.sightings?.docs ?? [];
  const bySource = new Map<string, Map<string, number>>();
  for (const d of docs) {
    const titles = bySource.get(d.source ?? '?') ?? new Map<string, number>();
    titles.set(d.title ?? '', (titles.get(d.title ?? '') ?? 0) + 1);
    bySource.set(d.source ?? '?', titles);
  }
  const lines: string[] = [];
  for (const [source, titles] of bySource) {
    const n = [...titles.values()].reduce((a, c) => a + c, 0);
    lines.push(`  ${source}: ${n} sighting${n === 1 ? '' : 's'}`);
    for (const [title, count] of titles) lines.push(`    ${count > 1 ? `${count} × ` : ''}${title}`);
  }
  if (docs.length === 0) lines.push('  no sightings');
  for (const e of b.errors ?? []) lines.push(`  error: ${e.code ?? '?'}: ${e.message ?? ''}`);
  return lines;
}
