/** Scores a detector set against a generated organisation: which injected attacks it caught, and what else it raised. */
import { validateConfig } from '../config/load.js';
import type { Alert, SecurityEvent, Source, SourceBatch } from '../core/index.js';
import { createEnrichers } from '../enrich/index.js';
import type { GraphMessage, Scenario, TruthEntry } from '../fakes/scenario/index.js';
import { silentLogger } from '../log.js';
import { Pipeline, type IngestStats } from '../pipeline/pipeline.js';
import { StagedState } from '../pipeline/staged-state.js';
import { registry } from '../registry.js';
import { normalizeTeamEvent } from '../sources/dropbox/normalize.js';
import { normalizeActivity } from '../sources/google-workspace/normalize.js';
import { MESSAGE_SELECT } from '../sources/microsoft-graph/client.js';
import { normalizeReportedMessage, normalizeRiskDetection, normalizeSignIn, reportRecord } from '../sources/microsoft-graph/normalize.js';
import { normalizeRecord as normalizeOffice365 } from '../sources/office-365/normalize.js';
import { normalizeAccessLog, normalizeAuditEntry } from '../sources/slack/normalize.js';
import { isAutomated } from '../sources/slack/poller.js';
import { openStore } from '../storage/index.js';
import { scenarioEnrichOverrides } from './demo.js';

/** The scenario's vendor records through the real normalizers, in time order (as a merged backfill would deliver them). */
export function scenarioEvents(scenario: Scenario): SecurityEvent[] {
  // Read as the demo reads them: at the end of the generated history.
  const ingested = scenario.window.end;
  const out: SecurityEvent[] = [];
  for (const a of scenario.google.activities) {
    out.push(...normalizeActivity(a, { source: 'google', application: a.id.applicationName, ingested }).events);
  }
  const keep = (r: { ok: true; event: SecurityEvent } | { ok: false }) => {
    if (r.ok) out.push(r.event);
  };
  for (const e of scenario.dropbox.events) keep(normalizeTeamEvent(e, ingested));
  for (const s of scenario.microsoft.signIns) keep(normalizeSignIn(s, ingested));
  for (const d of scenario.microsoft.riskDetections) keep(normalizeRiskDetection(d, ingested));
  for (const { contentType, record } of scenario.office365.records) keep(normalizeOffice365(record, ingested, contentType));
  for (const m of scenario.microsoft.reportedMessages) keep(normalizeReportedMessage(asPolled(m), ingested));
  out.push(...slackEvents(scenario));
  return out.sort((x, y) => (x['@timestamp'] < y['@timestamp'] ? -1 : x['@timestamp'] > y['@timestamp'] ? 1 : 0));
}

/**
 * Slack as its source delivers a backfill: every audit entry, and each access-log aggregate once in
 * the state it was read, with the email users.info gives and without the integrations' rows.
 */
export function slackEvents(scenario: Scenario): SecurityEvent[] {
  const ingested = scenario.window.end;
  const users = new Map(scenario.slack.users.map((u) => [u.id, u]));
  const out: SecurityEvent[] = [];
  for (const row of scenario.slack.accessLogs) {
    const user = users.get(row.user_id);
    if (isAutomated(row.user_id, user)) continue;
    const r = normalizeAccessLog(row, ingested, { email: user?.profile.email });
    if (r.ok) out.push(r.event);
  }
  for (const entry of scenario.slack.auditLogs) {
    const r = normalizeAuditEntry(entry, ingested);
    if (r.ok) out.push(r.event);
  }
  return out;
}

/** A reported message as the poller keeps it: the properties its delta query selects, and the attachments it fetches (the original expanded). */
function asPolled(m: GraphMessage): Record<string, unknown> {
  const record = m as Record<string, unknown>;
  const selected = Object.fromEntries(['@odata.type', ...MESSAGE_SELECT].filter((k) => k in record).map((k) => [k, record[k]]));
  return reportRecord(selected, m.hasAttachments ? (m.attachments ?? []) : undefined);
}

function memorySource(all: SecurityEvent[]): Source {
  return {
    name: 'scenario',
    type: 'scenario',
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 0; i < all.length; i += 5000) yield { events: all.slice(i, i + 5000), deadLetters: [] };
    },
  };
}

export interface Evaluation {
  alerts: Alert[];
  stats: IngestStats;
  events: number;
}

/** Runs the scenario through enrichment and the configured detectors on an in-memory SQLite store. */
export async function detectOnScenario(scenario: Scenario, detection: Array<Record<string, unknown>>): Promise<Evaluation> {
  const config = validateConfig({ detection }, registry);
  const store = await openStore({ dialect: 'sqlite', path: ':memory:' });
  try {
    const state = new StagedState(store);
    const deps = { logger: silentLogger, dataDir: '.', state };
    const detectors = config.detection.map((d) => registry.detectors.get(d.type)!.create(d.config, deps));
    const enrichers = await createEnrichers({ overrides: scenarioEnrichOverrides(scenario) });
    const pipeline = new Pipeline({ store, detectors, sinkNames: [], logger: silentLogger, enrichers, state });
    const all = scenarioEvents(scenario);
    const stats = await pipeline.ingest(memorySource(all));
    return { alerts: await store.listAlerts(), stats, events: all.length };
  } finally {
    await store.close();
  }
}

/** Slack around an attack's injected records: windows of correlations and baselines start before and end after it. */
const SLACK_MS = 2 * 3_600_000;

/**
 * The alerts that caught an attack: they name its actor, address or a target (a sprayed account,
 * a phishing reporter) and their window meets the attack's time span. For a phishing campaign the
 * actor is the sender's address exactly as the normalizer writes `email.from.address` (lower case),
 * which is what the campaign correlation groups by. An alert on the right person at another time
 * is not a detection.
 */
export function alertsFor(t: TruthEntry, alerts: Alert[]): Alert[] {
  const from = Date.parse(t.start) - SLACK_MS;
  const to = Date.parse(t.end) + SLACK_MS;
  const names = new Set([t.actor, ...(t.ip ? [t.ip] : []), ...t.targets]);
  return alerts.filter((a) => names.has(a.entity.value) && a.windowEnd >= from && a.windowStart <= to);
}

/**
 * Rules whose alerts a person asked for: every reported message becomes an incident to triage, a
 * harmless one too, so the report explains it, not an attack.
 */
const REQUESTED_RULES = new Set(['reported-mail']);

/** Alerts that no injected attack (or, for requested rules, no report) explains. */
export function unexplained(truth: TruthEntry[], alerts: Alert[]): Alert[] {
  const explained = new Set(truth.flatMap((t) => alertsFor(t, alerts)));
  return alerts.filter((a) => !explained.has(a) && !REQUESTED_RULES.has(a.rule));
}
