/** `saaswatch demo`: a generated organisation served by the local fakes, watched by the full pipeline. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, runSources, type App } from '../app.js';
import { validateConfig } from '../config/load.js';
import { clockFrom, systemClock, type Clock } from '../core/index.js';
import { startFakeDropbox, type TeamEvent } from '../fakes/dropbox/server.js';
import { createServiceAccountKey, startFakeGoogle } from '../fakes/google/index.js';
import { DEFAULT_ARCHER_SINK_LEVEL, startArcherFake } from '../fakes/archer/server.js';
import { startJiraFake } from '../fakes/jira/server.js';
import { startFakeGraph } from '../fakes/microsoft-graph/server.js';
import { DEFAULT_STREAMS } from '../sources/microsoft-graph/config.js';
import { startFakeOffice365, type FakeBlob } from '../fakes/office-365/server.js';
import { FAKE_SLACK_CHANNEL, startSlackFake } from '../fakes/slack/server.js';
import { startSmtpFake } from '../fakes/smtp/server.js';
import { generateScenario, type Scenario } from '../fakes/scenario/index.js';
import type { EnrichOptions } from '../enrich/index.js';
import type { Logger } from '../log.js';
import type { IngestStats } from '../pipeline/pipeline.js';
import { registry } from '../registry.js';
import { relayPlugin } from '../api/relay/plugin.js';
import { startApiServer } from '../api/server.js';
import { startJwksIssuer, type FakeJwksIssuer } from '../fakes/jwks/server.js';
import { attackerIp, DEMO_GRAPH_CLIENT_ID, DEMO_GRAPH_CLIENT_SECRET, demoRelayConfig, demoToken, observeBody, writeDemoRun } from './relay.js';

/**
 * The detectors the demo runs, also used by the false-positive benchmark. The Sigma pack covers
 * brute force and spraying, so the threshold detector would only repeat it.
 */
export function demoDetection(learningPeriod: string): Array<Record<string, unknown>> {
  return [
    { type: 'sigma' },
    { type: 'isolation-forest' },
    { type: 'baseline', learning_period: learningPeriod, min_count: 50, threshold: 5, max_actions: 8 },
    { type: 'novelty', learning_period: learningPeriod },
    { type: 'impossible-travel' },
    // Fires only on scanned files (pii.enabled): a medium+ file made public, shared out, or mass-downloaded.
    { type: 'sensitive-files' },
  ];
}

export interface DemoOptions {
  dataDir: string;
  /** Scenario size. */
  users?: number;
  days?: number;
  seed?: number;
  /** End of the generated history (default: now by `now`). */
  end?: Date;
  /**
   * The run's clock. Default: one that starts at `end` and advances in real time, so the demo sits
   * at the end of its history whatever the date: the same seed and end give the same run any day.
   */
  now?: Clock;
  /** Stop after this long even if the sources are still busy (default five minutes: a loaded two-core machine takes two). */
  maxMs?: number;
  /** The backfill is done once no batch arrived for this long. */
  idleMs?: number;
  logger?: Logger;
  out?: (line: string) => void;
  signal?: AbortSignal;
}

/** The scenario's addresses come from unrouted ranges; its directory says where each one "is". */
export function scenarioEnrichOverrides(scenario: Scenario): NonNullable<EnrichOptions['overrides']> {
  const dir = Object.entries(scenario.org.ipDirectory);
  return {
    geo: Object.fromEntries(
      dir.map(([ip, i]) => [ip, { country_iso_code: i.country, city_name: i.city, location: { lat: i.lat, lon: i.lon }, accuracy_radius_km: 20 }]),
    ),
    asn: Object.fromEntries(dir.map(([ip, i]) => [ip, { number: i.asn, name: i.asnOrg }])),
  };
}

/**
 * The scenario's Microsoft 365 audit records as the Management Activity API publishes them: one blob
 * per content type and hour, created minutes after its last record (and never after `endMs`, when
 * the demo reads them).
 */
export function office365Blobs(scenario: Scenario, endMs: number): FakeBlob[] {
  const HOUR = 3_600_000;
  const buckets = new Map<string, { contentType: string; hour: number; records: Array<Record<string, unknown>>; last: number }>();
  for (const { contentType, record } of scenario.office365.records) {
    const t = Date.parse(`${String(record.CreationTime)}Z`);
    const hour = Math.floor(t / HOUR) * HOUR;
    const key = `${contentType}|${hour}`;
    const b = buckets.get(key) ?? { contentType, hour, records: [], last: t };
    b.records.push(record);
    b.last = Math.max(b.last, t);
    buckets.set(key, b);
  }
  return [...buckets.values()]
    .sort((a, b) => a.hour - b.hour || a.contentType.localeCompare(b.contentType))
    .map((b) => ({ contentType: b.contentType, contentCreated: new Date(Math.max(b.last, Math.min(b.hour + HOUR + 7 * 60_000, endMs - 1_000))).toISOString(), records: b.records }));
}

/** Where the demo's alerts went: the destinations' own records, read back from the fakes. */
export interface DemoDeliveries {
  slack: { messages: number; threadReplies: number; charts: string[] };
  jira: { issues: Array<{ key: string; summary: string }>; comments: number };
  archer: { incidents: Array<{ id: number; title: string }> };
  email: { messages: Array<{ to: string[]; subject: string }> };
}

/** One response a demo policy ran (or dry-ran), as recorded in the action log. */
export interface DemoResponse {
  policy: string;
  action: string;
  source: string;
  target: string;
  status: string;
  /** What it did or would do. */
  plan: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export interface DemoResult {
  stats: IngestStats;
  /** What the response policies did, oldest first. */
  responses: DemoResponse[];
  /** What each destination received. */
  delivered: DemoDeliveries;
  truth: ReturnType<typeof generateScenario>['truth'];
  /** The relay's answer to "have we seen the brute force's address?", asked over HTTP after the backfill. */
  relay: DemoRelayAnswer;
  app: App;
}

export interface DemoRelayAnswer {
  ip: string;
  status: number;
  /** The relay's JSON: `{data: {sightings: {count, docs}}}`, with `errors` if a part failed. */
  body: unknown;
}

/**
 * Asks the relay about `ip` as Cisco XDR would: a signed token, through a real listener mounting the
 * relay alone, over the app's store and the still running fake Graph.
 */
async function askRelay(app: App, now: Clock, issuer: FakeJwksIssuer, ip: string): Promise<DemoRelayAnswer> {
  const ctx = { store: app.store, config: app.config, clock: now, logger: app.logger, responder: app.responder };
  const server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    routes: [],
    logger: app.logger,
    api: { ctx, authenticate: async () => undefined, routes: [] },
    plugins: [relayPlugin(ctx, app.config.relay)],
  });
  try {
    const res = await fetch(`${server.url}${app.config.relay.prefix}/observe/observables`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await demoToken(issuer, now)}`, 'content-type': 'application/json' },
      body: observeBody(ip),
    });
    return { ip, status: res.status, body: await res.json() };
  } finally {
    await server.close();
  }
}

// Credentials of the local fakes only: they guard nothing but a server on 127.0.0.1 that lives as
// long as the demo.
const DROPBOX_TOKEN = 'demo-dropbox-team-token';
const DROPBOX_APP_SECRET = 'demo-dropbox-app-secret';
const GRAPH_CLIENT_ID = DEMO_GRAPH_CLIENT_ID;
const GRAPH_CLIENT_SECRET = DEMO_GRAPH_CLIENT_SECRET;
/** The same app registration reads the Management Activity API (ActivityFeed.Read). */
const OFFICE365_CLIENT_SECRET = 'demo-office365-client-secret';
const SLACK_TOKEN = 'xoxb-demo-saaswatch';
const SLACK_ADMIN_TOKEN = 'xoxp-demo-slack-admin';
const SLACK_AUDIT_TOKEN = 'xoxp-demo-slack-org-owner';
const JIRA_EMAIL = 'soc@demo.example';
const JIRA_TOKEN = 'demo-jira-api-token';
const ARCHER_PASSWORD = 'demo-archer-password';
const SMTP_PASSWORD = 'demo-smtp-password';

/**
 * Starts the fakes with a generated organisation, runs every source until the backfill is idle,
 * then shows a live webhook push. Returns with the app still open so callers can inspect the store;
 * they must call `result.app.close()`.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = opts.out ?? (() => undefined);
  const end = opts.end ?? new Date((opts.now ?? systemClock)());
  const now = opts.now ?? clockFrom(end.getTime());
  const seed = opts.seed ?? 7;
  const users = opts.users ?? 300;
  const days = opts.days ?? 7;
  const scenario = generateScenario({ seed, users, days, end });
  const m365 = scenario.microsoft;
  out(
    `scenario: ${scenario.org.users.length} users at ${scenario.org.domain}, ${scenario.google.activities.length} Google activities, ${scenario.dropbox.events.length} Dropbox events, ` +
      `${m365.signIns.length} Microsoft 365 sign-ins, ${m365.riskDetections.length} risk detections, ${scenario.office365.records.length} Microsoft 365 audit records, ${m365.reportedMessages.length} reported messages, ` +
      `${scenario.slack.accessLogs.length} Slack access-log aggregates and ${scenario.slack.auditLogs.length} Slack audit entries, ${scenario.truth.length} injected attacks`,
  );

  const key = createServiceAccountKey({ clientEmail: 'saaswatch-demo@demo-project.iam.gserviceaccount.com' });
  const google = await startFakeGoogle({
    serviceAccounts: [key],
    activities: scenario.google.activities,
    files: scenario.google.files,
  });
  const dropbox = await startFakeDropbox({
    events: scenario.dropbox.events as unknown as TeamEvent[],
    accessToken: DROPBOX_TOKEN,
    appSecret: DROPBOX_APP_SECRET,
  });
  const graph = await startFakeGraph({
    tenantId: m365.tenantId,
    tenantDomain: scenario.org.domain,
    clientId: GRAPH_CLIENT_ID,
    clientSecret: GRAPH_CLIENT_SECRET,
    signIns: m365.signIns,
    riskDetections: m365.riskDetections,
    // Identity Protection's own alerts for the sign-in attacks: ingested as events, and what the relay finds in Graph.
    alerts: m365.alerts,
    legacyAlerts: m365.legacyAlerts,
    mailbox: { address: m365.mailbox.address, folder: m365.mailbox.folder, messages: m365.reportedMessages },
  });
  // One fake Slack serves both sides: the organisation's access and audit logs the source reads, and
  // the channel alerts go to (the same fake the sink tests use, so a newcomer sees each message).
  // Its pace is off: the demo's burst would otherwise wait out 1 msg/s and the backfill Tier 2.
  const slack = await startSlackFake({
    tokens: [SLACK_TOKEN],
    rateLimits: false,
    users: scenario.slack.users,
    accessLogs: scenario.slack.accessLogs,
    auditLogs: scenario.slack.auditLogs,
    adminTokens: [SLACK_ADMIN_TOKEN],
    auditTokens: [SLACK_AUDIT_TOKEN],
  });
  const office365 = await startFakeOffice365({
    tenantId: m365.tenantId,
    clientId: GRAPH_CLIENT_ID,
    clientSecret: OFFICE365_CLIENT_SECRET,
    blobs: office365Blobs(scenario, end.getTime()),
    now: () => now(),
  });
  const jira = await startJiraFake({ email: JIRA_EMAIL, apiToken: JIRA_TOKEN });
  const archer = await startArcherFake({ password: ARCHER_PASSWORD });
  const smtp = await startSmtpFake({ username: 'saaswatch', password: SMTP_PASSWORD });
  // Cisco XDR's token issuer, for the relay query after the backfill.
  const issuer = await startJwksIssuer({ clock: now });
  const fakes = [google, dropbox, graph, office365, slack, jira, archer, smtp, issuer];
  const config = validateConfig(
    {
      data_dir: opts.dataDir,
      log_level: 'warn',
      storage: { type: 'sqlite', path: 'demo.db', retention: '30d' },
      sources: [
        {
          type: 'google-workspace',
          name: 'google',
          credentials: JSON.stringify(key.json),
          subject: `admin@${scenario.org.domain}`,
          base_url: google.url,
          token_url: google.tokenUrl,
          backfill: `${days + 1}d`,
          window: '1d',
          poll_interval: '1m',
          drive: { inventory: true },
        },
        {
          type: 'dropbox',
          name: 'dropbox',
          access_token: DROPBOX_TOKEN,
          app_secret: DROPBOX_APP_SECRET,
          base_url: dropbox.url,
          backfill: `${days + 1}d`,
          poll_interval: '1m',
          // The push comes 2 s after the backfill goes quiet and the demo ends 2 s after it: the
          // woken poll must not wait out the default 10 s since the backfill's poll began.
          min_poll_interval: '1s',
        },
        {
          type: 'microsoft-graph',
          name: 'm365',
          tenant_id: m365.tenantId,
          client_id: GRAPH_CLIENT_ID,
          client_secret: GRAPH_CLIENT_SECRET,
          mailbox: m365.mailbox.address,
          folder: m365.mailbox.folder,
          // Identity Protection (Entra ID P2) is asked for by name; the demo tenant has it.
          streams: [...DEFAULT_STREAMS, 'risk_detections', 'reported_mail'],
          base_url: graph.url,
          login_url: graph.loginUrl,
          backfill: `${days + 1}d`,
          window: '1d',
          poll_interval: '1m',
        },
        {
          type: 'office-365',
          name: 'o365',
          tenant_id: m365.tenantId,
          client_id: GRAPH_CLIENT_ID,
          client_secret: OFFICE365_CLIENT_SECRET,
          content_types: ['Audit.SharePoint', 'Audit.Exchange'],
          api_url: office365.url,
          login_url: office365.loginUrl,
          // The API keeps seven days.
          backfill: `${Math.min(days + 1, 7)}d`,
          window: '1d',
          poll_interval: '1m',
        },
        {
          type: 'slack',
          name: 'slack',
          token: SLACK_ADMIN_TOKEN,
          audit_token: SLACK_AUDIT_TOKEN,
          streams: ['access_logs', 'audit_logs'],
          base_url: slack.url,
          audit_url: slack.auditUrl,
          backfill: `${days + 1}d`,
          window: '1d',
          poll_interval: '1m',
        },
      ],
      // A week of history is all the demo has: learn for two days, then watch.
      detection: [...demoDetection('2d'), { type: 'reported-mail' }],
      sinks: [
        { type: 'jsonl-file', name: 'alerts-file', path: join(opts.dataDir, 'demo-alerts.jsonl') },
        { type: 'slack', name: 'soc-slack', token: SLACK_TOKEN, channel: `#${FAKE_SLACK_CHANNEL.name}`, base_url: slack.url, allow_private_networks: true, dashboard_url: 'http://127.0.0.1:8080' },
        {
          type: 'jira',
          name: 'soc-jira',
          min_severity: 'high',
          exclude: { rules: ['reported-mail'] },
          base_url: jira.url,
          email: JIRA_EMAIL,
          api_token: JIRA_TOKEN,
          project: 'SEC',
          allow_private_networks: true,
        },
        {
          type: 'archer',
          name: 'incidents',
          include: { rules: ['reported-mail'] },
          base_url: archer.url,
          instance: archer.instance,
          username: archer.username,
          password: ARCHER_PASSWORD,
          ...DEFAULT_ARCHER_SINK_LEVEL,
          mappings: [
            { id: 1010, type: 'text', from: 'email.reporters' },
            { id: 1011, type: 'text', from: 'email.from.address' },
            { id: 1012, type: 'text', from: 'email.reply_to.address' },
            { id: 1013, type: 'text', from: 'email.subject' },
            { id: 1014, type: 'date', from: 'email.delivery_timestamp' },
            { id: 1015, type: 'text', from: 'email.message_id' },
          ],
          allow_private_networks: true,
        },
        {
          type: 'email',
          name: 'mail',
          min_severity: 'high',
          exclude: { rules: ['reported-mail'] },
          smtp: { host: smtp.host, port: smtp.port, starttls: true, username: 'saaswatch', password: SMTP_PASSWORD, ca: smtp.ca },
          from: `saaswatch@${scenario.org.domain}`,
          to: [`soc@${scenario.org.domain}`],
          allow_private_networks: true,
        },
      ],
      // File content is scanned (the Drive fake serves it): the card-number Sheet made public is a sensitive-files alert.
      pii: { enabled: true },
      server: { host: '127.0.0.1', port: 0 },
      relay: demoRelayConfig({ issuer, graph, tenantId: m365.tenantId }),
      // Dry-run is off for one action only: the public payroll file loses its link in the fake
      // Drive, as it would in a deployment that enabled it. Containment of a mass download is
      // planned on every service that can do it, and only said.
      response: {
        interval: '1s',
        execute: ['google/remove-public-link'],
        policies: [
          { name: 'unpublish-public-files', min_severity: 'high', include: { rules: ['rules/google-workspace/public-link'] }, actions: ['remove-public-link'] },
          { name: 'contain-mass-download', min_severity: 'high', include: { rules: ['rules/*/mass-download'] }, actions: ['suspend-user', 'sign-out-user'] },
        ],
      },
    },
    registry,
    { baseDir: opts.dataDir },
  );
  const enrichOverrides = scenarioEnrichOverrides(scenario);
  const app = await createApp(config, { enrichOverrides, now, ...(opts.logger ? { logger: opts.logger } : {}) }).catch(async (err: unknown) => {
    await Promise.all(fakes.map((f) => f.close()));
    throw err;
  });
  const sources = config.sources.map((s) => app.createSource(s));
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let webhooks: string | undefined;
  let batches = 0;
  // Elapsed time of the run itself (not event time): when the backfill has gone quiet.
  let lastBatchAt = performance.now();
  let pushed = false;
  const started = performance.now();
  const scanner = app.deps.scanner;
  let vendorCalls = 0;
  const watchdog = setInterval(() => {
    // A source scanning file content yields no batch meanwhile (its next page waits for the
    // metadata reads, downloads and scans): still calling its vendor or scanning is busy, not idle,
    // or the backfill would be cut short and its later events never read.
    const calls = google.requests.length + dropbox.requests.length + graph.requests.length + office365.requests.length + slack.requests.length;
    if (calls !== vendorCalls || (scanner && (scanner.stats.running > 0 || scanner.stats.queued > 0))) lastBatchAt = performance.now();
    vendorCalls = calls;
    const idle = performance.now() - lastBatchAt > (opts.idleMs ?? 2_000);
    if (idle && batches > 0 && !pushed && webhooks) {
      // Backfill done: show the push path, a signed webhook that makes the poller fetch at once.
      pushed = true;
      const late = scenario.dropbox.events.slice(-5).map((e, i) => ({ ...e, timestamp: new Date(now() - i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }));
      dropbox.addEvents(late as unknown as TeamEvent[]);
      void dropbox.sendWebhook(`${webhooks}/webhooks/dropbox`).then((r) => out(`webhook push answered ${r.status}; polling now`));
      lastBatchAt = performance.now();
    } else if ((idle && pushed) || performance.now() - started > (opts.maxMs ?? 300_000)) {
      stop.abort();
    }
  }, 250);
  try {
    const stats = await runSources(app, sources, {
      signal: stop.signal,
      listen: { host: '127.0.0.1', port: 0 },
      onListening: (server) => {
        webhooks = server.url;
        out(`fake Google APIs at ${google.url}, fake Dropbox API at ${dropbox.url}, fake Microsoft Graph at ${graph.url}, fake Slack at ${slack.url}; webhooks at ${server.url}`);
      },
      onBatch: () => {
        lastBatchAt = performance.now();
        batches++;
      },
      drainMs: 10_000,
    });
    const charts = await slack.saveUploads(join(opts.dataDir, 'demo-slack'));
    const delivered: DemoDeliveries = {
      slack: {
        messages: slack.topLevel(FAKE_SLACK_CHANNEL.id).length,
        threadReplies: slack.messages.filter((m) => m.thread_ts !== undefined && m.thread_ts !== m.ts).length,
        charts,
      },
      jira: { issues: jira.created().map((i) => ({ key: i.key, summary: String(i.fields.summary ?? '') })), comments: jira.comments().length },
      archer: { incidents: [...archer.records.values()].map((r) => ({ id: r.Id, title: archer.text(r, 1001) ?? '' })) },
      email: { messages: smtp.messages.map((m) => ({ to: m.envelope.to, subject: m.parsed.subject ?? '' })) },
    };
    const relay = await askRelay(app, now, issuer, attackerIp(scenario));
    const responses = (await app.store.listActions({ automatic: true })).map((r) => ({
      policy: r.policy ?? '',
      action: r.action,
      source: r.source,
      target: r.target.id,
      status: r.status,
      plan: r.error ?? r.plan ?? '',
      ...(r.before ? { before: r.before } : {}),
      ...(r.after ? { after: r.after } : {}),
    }));
    // A config that opens this database, so `saaswatch -c <dir>/demo.yml audit` (or alerts, blocked) reads the demo's.
    writeFileSync(join(opts.dataDir, 'demo.yml'), `# Opens the demo's database: saaswatch -c ${join(opts.dataDir, 'demo.yml')} audit\ndata_dir: .\nstorage: { type: sqlite, path: demo.db }\n`);
    // What `serve --demo` regenerates the scenario from, to serve the same Graph alerts to the relay.
    writeDemoRun(opts.dataDir, { seed, users, days, end: end.toISOString() });
    return { stats, delivered, responses, relay, truth: scenario.truth, app };
  } finally {
    clearInterval(watchdog);
    // Sinks first: Archer's logout needs its fake still up.
    for (const sink of app.sinks.values()) await sink.close?.();
    await Promise.all(fakes.map((f) => f.close()));
  }
}
