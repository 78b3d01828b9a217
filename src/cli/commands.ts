/**
 * What each CLI command does. Only `main.ts` imports this, and only lazily inside an action, so
 * `--help` and `version` never load the app, the SDKs, the demo or the fakes.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createApp, createConnectors, openConfiguredStore, runSources, type App } from '../app.js';
import { addAccount, setPassword } from '../api/auth/accounts.js';
import { apiParts, listenOptions, startServe } from '../api/serve.js';
import { ensureWebBuilt } from '../api/web.js';
import { loadConfig, type Config, type PluginInstance } from '../config/load.js';
import { ERROR_CATALOGUE, errors, type Clock, type Delivery, type ErrorCode, type Source } from '../core/index.js';
import { checkResponseConfig, describeState } from '../actions/responder.js';
import { runDemo, type DemoDeliveries } from '../demo/demo.js';
import { DEMO_RELAY_TOKEN_FILE, demoCurl, summarizeSightings } from '../demo/relay.js';
import { DEMO_ADMIN, startDemoServe } from '../demo/serve.js';
import { BUILTIN_RULES_DIR, sigmaConfigSchema, type SigmaConfig } from '../detection/sigma/config.js';
import { runRuleTests } from '../detection/sigma/rule-tests.js';
import { Muter } from '../pipeline/mutes.js';
import type { IngestStats } from '../pipeline/pipeline.js';
import { registry } from '../registry.js';
import { explainInput, formatExplanation, formatMapping } from '../sources/json-logs/explain.js';
import { createJsonLogsSource, type JsonLogsConfig } from '../sources/json-logs/source.js';
import { EXIT, EXPLAIN_RECORDS } from './options.js';
import { ProgressBar } from './progress.js';
import { formatPeriod, PURGED_TABLES, retentionCutoffs, startPurgeSchedule } from './retention.js';
import { errText, out, safeText } from './terminal.js';
import { silentLogger } from '../log.js';

const num = (n: number) => n.toLocaleString('en-US');

async function withApp<T>(configPath: string | undefined, fn: (app: App) => Promise<T>, opts: { once?: boolean; now: Clock }): Promise<T> {
  const config = loadConfig(registry, { path: configPath });
  const app = await createApp(config, opts);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** Ctrl-C stops reading, commits what was read, delivers what is due, then exits. */
function stopSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => {
    if (ac.signal.aborted) process.exit(130);
    errText('\nstopping after the current batch (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return ac.signal;
}

/**
 * Runs sources side by side (pollers never end; files do) with the outbox delivering meanwhile, and
 * hosts the webhook routes of sources that take pushes. Returns once every source has finished.
 */
async function ingestSources(app: App, sources: Source[], label: string, showProgress: boolean, o: { once?: boolean; api?: boolean } = {}): Promise<IngestStats> {
  // One bar for one input; with several sources a bar would only flicker between them.
  const bar = sources.length === 1 && showProgress ? new ProgressBar(process.stdout, label) : undefined;
  const api = o.api === true && !o.once;
  try {
    return await runSources(app, sources, {
      signal: stopSignal(),
      // A one-shot poll has no time to receive pushes or serve anyone; only a long-running one listens.
      listen: o.once ? false : listenOptions(app.config),
      ...(api ? { api: apiParts } : {}),
      onListening: (server, routes) => {
        const what = [...(api ? ['the API'] : []), ...(routes.length ? [`webhooks ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}`] : [])];
        errText(`listening on ${server.url} (${what.join('; ')})`);
      },
      onBatch: (batch, s) => {
        if (bar && batch.progress) bar.update(batch.progress.done, batch.progress.total, batch.progress.unit, s.events);
      },
    });
  } finally {
    bar?.done();
  }
}

async function report(app: App, what: string, stats: IngestStats): Promise<number> {
  const secs = (stats.durationMs / 1000).toFixed(1);
  out(`${what}: ${num(stats.events)} events (${num(stats.inserted)} new, ${num(stats.duplicates)} already stored), ${num(stats.deadLetters)} dead letters in ${secs} s`);
  out(`alerts: ${num(stats.alertsCreated)} new, ${num(stats.alertsUpdated)} updated`);
  const alerts = await app.store.listAlerts({ limit: 20 });
  const muter = new Muter({ store: app.store, config: app.config.alerting.mutes });
  await muter.refresh();
  for (const a of alerts) out(`  ${a.severity.toUpperCase().padEnd(8)} ${a.rule.padEnd(18)} ${a.entity.type}:${a.entity.value}  ${a.title}${muter.mutedWhenRaised(a) ? '  [muted]' : ''}`);
  // One read of the outbox, counted by status, rather than one query per status.
  const deliveries = await app.store.listDeliveries();
  const failed = deliveries.filter((d) => d.status === 'failed');
  const pending = deliveries.filter((d) => d.status === 'pending' || d.status === 'delivering');
  const delivered = deliveries.filter((d) => d.status === 'delivered').length;
  out(`deliveries: ${num(delivered)} delivered, ${num(pending.length)} pending, ${num(failed.length)} failed`);
  await reportUndelivered(app, [...failed, ...pending]);
  if (stats.deadLetters > 0) out(`dead letters: see \`saaswatch dead-letters\` for the rejected records and why`);
  // An alert that reached no one is not a success, whether it may still go out (pending) or not (failed).
  return stats.deadLetters > 0 || failed.length > 0 || pending.length > 0 ? EXIT.partial : EXIT.ok;
}

/** Deliveries shown one by one per group, and groups shown; the rest is counted. */
const UNDELIVERED_SHOWN = 5;
const UNDELIVERED_GROUPS = 10;

/**
 * Tells, on stderr, what did not reach its destination and where: one group per sink and reason
 * (the last error, or who holds the lease), with the catalogue's fix and the alerts it concerns.
 */
async function reportUndelivered(app: App, undelivered: Delivery[]): Promise<void> {
  if (undelivered.length === 0) return;
  // One line each: a line break inside remote error text is escaped too.
  const err = (line: string) => process.stderr.write(`${safeText(line)}\n`);
  const groups = new Map<string, Delivery[]>();
  for (const d of undelivered) {
    const state = d.status === 'failed' ? 'failed' : 'pending';
    const why = d.status === 'delivering' ? `lease ${d.leaseOwner ?? ''}` : (d.lastError ?? '');
    const key = `${state}\u0000${d.sink}\u0000${why}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const shown = [...groups.values()].slice(0, UNDELIVERED_GROUPS);
  for (const group of shown) {
    const first = group[0]!;
    const sink = app.sinks.get(first.sink);
    const where = sink ? `${first.sink} (${sink.type}${sink.target ? ` ${sink.target}` : ''})` : `${first.sink} (no longer configured)`;
    const state = first.status === 'failed' ? 'failed' : 'pending';
    const count = group.length === 1 ? '1 alert' : `${num(group.length)} alerts`;
    let why: string;
    if (first.status === 'delivering') {
      why = `being delivered by ${first.leaseOwner ?? 'another saaswatch process'}${first.leaseUntil === undefined ? '' : `, lease until ${new Date(first.leaseUntil).toISOString()}`}`;
    } else {
      why = first.lastError ?? 'not attempted yet';
    }
    err(`delivery ${state}: ${count} to ${where}: ${why}`);
    const code = /^([A-Z_]+):/.exec(first.lastError ?? '')?.[1];
    if (first.status !== 'delivering' && code !== undefined && code in ERROR_CATALOGUE) err(`  fix: ${ERROR_CATALOGUE[code as ErrorCode].fix}`);
    for (const d of group.slice(0, UNDELIVERED_SHOWN)) {
      const alert = await app.store.getAlert(d.alertId);
      const what = alert ? ` ${alert.rule} ${alert.entity.type}:${alert.entity.value}` : '';
      const next = d.status === 'pending' ? `, next attempt ${new Date(d.nextAttemptAt).toISOString()}` : '';
      err(`  alert ${d.alertId}${what}: ${num(d.attempts)} attempt${d.attempts === 1 ? '' : 's'}${next}`);
    }
    if (group.length > UNDELIVERED_SHOWN) err(`  and ${num(group.length - UNDELIVERED_SHOWN)} more`);
  }
  const hidden = undelivered.length - shown.reduce((n, g) => n + g.length, 0);
  if (hidden > 0) err(`and ${num(hidden)} more undelivered in ${num(groups.size - shown.length)} other groups (sink and reason)`);
  const anyPending = undelivered.some((d) => d.status !== 'failed');
  const anyFailed = undelivered.some((d) => d.status === 'failed');
  if (anyPending) err('pending deliveries go out when saaswatch next runs (`saaswatch run`, or any ingest) and their time comes');
  if (anyFailed) err('failed deliveries are not retried by themselves: fix the cause, then `saaswatch deliveries --retry`');
}

function jsonLogsInstance(config: Config, name: string | undefined): PluginInstance {
  const candidates = config.sources.filter((s) => s.type === 'json-logs');
  if (name) {
    const found = candidates.find((s) => s.name === name);
    if (!found) {
      throw errors.configInvalid({
        path: `--source ${name}`,
        problem: `no json-logs source with that name in ${config.file ?? 'the config'}`,
        fix: `known: ${candidates.map((s) => s.name).join(', ') || 'none'}`,
      });
    }
    return found;
  }
  if (candidates[0]) return candidates[0];
  const plugin = registry.sources.get('json-logs')!;
  return { type: 'json-logs', name: 'ingest', config: plugin.configSchema.parse({}) };
}

export async function run(opts: { config?: string; progress: boolean; once?: boolean }, now: Clock): Promise<number> {
  return withApp(opts.config, async (app) => {
    if (!app.config.sources.length) {
      throw errors.configInvalid({ path: 'sources', problem: 'nothing to run', fix: `add a source to ${app.config.file ?? 'saaswatch.yml'} or use \`saaswatch ingest FILE\`` });
    }
    // Retention at start, then hourly while the sources run; a one-shot run purges at start only.
    const purges = await startPurgeSchedule(app.store, app.config.storage.retention, { now, logger: app.logger, ...(opts.once ? { once: true } : {}) });
    let stats: IngestStats;
    try {
      // A run that only reads log files ends with them: nobody could use an API that goes away with it.
      const continuous = !opts.once && app.config.sources.some((s) => s.type !== 'json-logs');
      stats = await ingestSources(app, app.config.sources.map((s) => app.createSource(s)), 'run', opts.progress, { api: continuous, ...(opts.once ? { once: true } : {}) });
    } finally {
      await purges.stop();
    }
    return report(app, `sources ${app.config.sources.map((s) => s.name).join(', ')}`, stats);
  }, { now, ...(opts.once ? { once: true } : {}) });
}

export interface ServeOptions {
  config?: string;
  /** Serve the demo's database (running the demo first when it has none), with a printed login and the relay. */
  demo?: boolean;
  dataDir?: string;
  host?: string;
  port?: number;
}

/** Serves the store's API on `server:` with no source running, until SIGINT or SIGTERM; then answers what is in flight and exits 0. */
export async function serve(opts: ServeOptions, now: Clock): Promise<number> {
  let serving: { server: { url: string }; close(): Promise<void> };
  if (opts.demo) {
    const dir = resolve(opts.dataDir ?? '.saaswatch');
    if (!existsSync(join(dir, 'demo.yml')) || !existsSync(join(dir, 'demo.db'))) {
      out(`no demo data in ${dir} yet: running the demo first`);
      // The dashboard is built before the demo runs: a build beside its backfill would starve it.
      await ensureWebBuilt();
      await demo({ dataDir: dir, users: 300, days: 7, seed: 7 }, now);
    }
    const d = await startDemoServe(dir, now, { ...(opts.host === undefined ? {} : { host: opts.host }), ...(opts.port === undefined ? {} : { port: opts.port }), out });
    serving = { server: d.serving.server, close: d.close };
    out(`the dashboard: ${d.serving.server.url}/  log in as ${DEMO_ADMIN} with password ${d.password} (new each start)`);
    if (d.relay) {
      out(`the relay (Cisco XDR's CTIM), asking about the demo attacker's address ${d.relay.ip} (token also in ${join(dir, DEMO_RELAY_TOKEN_FILE)}, good for 12 hours):`);
      out(`  ${d.relay.curl}`);
    }
  } else {
    let config = loadConfig(registry, { path: opts.config });
    if (opts.host !== undefined || opts.port !== undefined) {
      config = { ...config, server: { ...config.server, ...(opts.host === undefined ? {} : { host: opts.host }), ...(opts.port === undefined ? {} : { port: opts.port }) } };
    }
    serving = await startServe(config, { now });
  }
  out(`serving ${serving.server.url} (the API and the dashboard; /healthz); Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second signal while closing quits at once.
      const quit = () => process.exit(130);
      process.once('SIGINT', quit);
      process.once('SIGTERM', quit);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  errText('stopping: answering requests in flight');
  await serving.close();
  return EXIT.ok;
}

export async function ingest(file: string, opts: { config?: string; source?: string; format?: string; progress: boolean; explain?: boolean }, now: Clock): Promise<number> {
  const input = file === '-' ? { stream: process.stdin, label: 'stdin' } : { path: file };
  const withFormat = (instance: PluginInstance) =>
    ({ ...(instance.config as JsonLogsConfig), ...(opts.format ? { format: opts.format as JsonLogsConfig['format'] } : {}) }) satisfies JsonLogsConfig;
  if (opts.explain) {
    // No app: explaining must not create a database or touch detector state.
    const instance = jsonLogsInstance(loadConfig(registry, { path: opts.config }), opts.source);
    const x = await explainInput(instance.name, withFormat(instance), input, { limit: EXPLAIN_RECORDS, now });
    for (const line of formatExplanation(x)) out(line);
    return EXIT.ok;
  }
  return withApp(opts.config, async (app) => {
    const instance = jsonLogsInstance(app.config, opts.source);
    const source = createJsonLogsSource(instance.name, withFormat(instance), input, { now });
    const stats = await ingestSources(app, [source], file === '-' ? 'stdin' : file, opts.progress);
    return report(app, `ingested ${file === '-' ? 'stdin' : file}`, stats);
  }, { now });
}

export async function demo(opts: { dataDir: string; users: number; days: number; seed: number; end?: string }, now: Clock): Promise<number> {
  const end = opts.end === undefined ? undefined : new Date(opts.end);
  if (end && !Number.isFinite(end.getTime())) throw errors.configInvalid({ path: '--end', problem: `expected an ISO time such as 2026-03-02T09:00:00Z, got "${opts.end}"` });
  const { stats, truth, app, delivered, responses, relay } = await runDemo({
    dataDir: resolve(opts.dataDir),
    users: opts.users,
    days: opts.days,
    seed: opts.seed,
    ...(end ? { end } : { now }),
    out,
    signal: stopSignal(),
  });
  try {
    out('injected attacks:');
    for (const t of truth) out(`  ${t.kind.padEnd(22)} ${t.actor}${t.ip ? ` from ${t.ip}` : ''} (${t.sources.join(', ')})`);
    const code = await report(app, 'demo', stats);
    await reportDemoDeliveries(app, delivered, resolve(opts.dataDir));
    out('what the response policies did (only remove-public-link executes in the demo; the rest are dry runs):');
    for (const r of responses) {
      const change = r.before && r.after ? `  before: ${describeState(r.before)}  after: ${describeState(r.after)}` : '';
      out(`  ${r.policy}: ${r.action} on ${safeText(r.target)} via ${r.source}: ${r.status}${r.plan ? ` (${safeText(r.plan)})` : ''}${change}`);
    }
    if (responses.length === 0) out('  nothing');
    out(`the relay (Cisco XDR's CTIM) asked over HTTP about the brute force's address ${relay.ip}:`);
    for (const line of summarizeSightings(relay.body)) out(line);
    const dir = resolve(opts.dataDir);
    out(`ask it yourself while \`npx saaswatch serve --demo${dir === resolve('.saaswatch') ? '' : ` -d ${opts.dataDir}`}\` runs (it writes a fresh token to ${join(dir, DEMO_RELAY_TOKEN_FILE)}):`);
    out(`  ${demoCurl(dir, relay.ip)}`);
    out(`the audit log (who did what, before and after): npx saaswatch -c ${join(resolve(opts.dataDir), 'demo.yml')} audit`);
    out(`events and alerts are in ${app.config.storage.type === 'sqlite' ? app.config.storage.path : 'the database'}; alerts also in ${join(resolve(opts.dataDir), 'demo-alerts.jsonl')}`);
    out(`see it all in the browser: npx saaswatch serve --demo${resolve(opts.dataDir) === resolve('.saaswatch') ? '' : ` -d ${opts.dataDir}`} (prints a login)`);
    return code;
  } finally {
    await app.close();
  }
}

/** Where each demo alert went, by sink, then what each fake destination holds. */
async function reportDemoDeliveries(app: App, d: DemoDeliveries, dataDir: string): Promise<void> {
  const bySink = new Map<string, string[]>();
  for (const del of await app.store.listDeliveries({ limit: 100_000 })) {
    const list = bySink.get(del.alertId) ?? [];
    list.push(`${del.sink}${del.kind === 'update' ? ' (update)' : ''}${del.status === 'delivered' ? '' : ` ${del.status}`}`);
    bySink.set(del.alertId, list);
  }
  out('where the alerts went:');
  for (const a of await app.store.listAlerts({ limit: 1_000 })) {
    out(`  ${safeText(a.title)} → ${[...new Set(bySink.get(a.id) ?? ['nowhere (no route took it, or muted)'])].join(', ')}`);
  }
  out(`  slack (fake): ${num(d.slack.messages)} messages, ${num(d.slack.threadReplies)} thread replies, ${num(d.slack.charts.length)} chart PNGs in ${join(dataDir, 'demo-slack')}`);
  out(`  jira (fake): ${num(d.jira.issues.length)} issues (${d.jira.issues.map((i) => i.key).join(', ') || 'none'}), ${num(d.jira.comments)} comment${d.jira.comments === 1 ? "" : "s"}`);
  out(`  archer (fake): ${num(d.archer.incidents.length)} incidents from reported mail`);
  out(`  email (fake SMTP): ${num(d.email.messages.length)} messages`);
}

export async function deadLetters(opts: { config?: string; limit: number }, now: Clock): Promise<number> {
  await withApp(opts.config, async (app) => {
    for (const d of await app.store.listDeadLetters({ limit: opts.limit })) {
      const where = [d.position?.file, d.position?.line].filter((x) => x !== undefined).join(':');
      out(`${d.source} ${where} ${d.code}: ${d.reason}`);
    }
  }, { now });
  return EXIT.ok;
}

/**
 * Lists the outbox (newest first), or with --retry puts failed deliveries back in it: once the cause
 * is fixed (a sink's URL, token or file), the next run sends them. Opens the store alone.
 */
export async function deliveries(opts: { config?: string; limit: number; status?: string; retry?: boolean }, now: Clock): Promise<number> {
  const config = loadConfig(registry, { path: opts.config });
  const store = await openConfiguredStore(config, now);
  try {
    if (opts.retry) {
      const failed = await store.listDeliveries({ status: 'failed' });
      // Due now; the attempt count is kept, so a cause that is not fixed fails it again after one try.
      for (const d of failed) await store.retryDelivery(d.id, now(), d.lastError ?? '');
      out(`${num(failed.length)} failed ${failed.length === 1 ? 'delivery' : 'deliveries'} queued again; the next \`saaswatch run\` (or a running one, or any ingest) sends ${failed.length === 1 ? 'it' : 'them'}`);
      return EXIT.ok;
    }
    const list = await store.listDeliveries({ ...(opts.status ? { status: opts.status as Delivery['status'] } : {}), limit: opts.limit });
    for (const d of list) {
      const next = d.status === 'pending' ? ` next ${new Date(d.nextAttemptAt).toISOString()}` : '';
      out(`${d.updatedAt}  ${d.status.padEnd(10)} ${d.sink} alert ${d.alertId}  ${num(d.attempts)} attempt${d.attempts === 1 ? '' : 's'}${next}${d.lastError ? `  ${d.lastError}` : ''}`);
    }
    return list.some((d) => d.status !== 'delivered') ? EXIT.partial : EXIT.ok;
  } finally {
    await store.close();
  }
}

/**
 * Deletes what is older than its table's retention period and prints, per table, how many rows went
 * (or, with --dry-run, would go). Opens the store alone: no detectors, sinks or enrichment.
 */
export async function purge(opts: { config?: string; dryRun?: boolean }, now: Clock): Promise<number> {
  const config = loadConfig(registry, { path: opts.config });
  const store = await openConfiguredStore(config, now);
  try {
    const periods = config.storage.retention;
    const cutoffs = retentionCutoffs(periods, now());
    const counts = await store.purge(cutoffs, { dryRun: opts.dryRun === true });
    const width = Math.max(...PURGED_TABLES.map((t) => t.period.length));
    for (const t of PURGED_TABLES) {
      const n = num(counts[t.count]).padStart(9);
      const when = new Date(cutoffs[t.cutoff]).toISOString();
      out(`${t.period.padEnd(width)} ${n} ${opts.dryRun ? 'to purge' : 'purged'}  older than ${formatPeriod(periods[t.period])} (${t.what} before ${when})`);
    }
    if (opts.dryRun) out('dry run: nothing was deleted');
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/**
 * The rule settings `rules test` runs with: a folder given on the command line wins; otherwise the
 * config's first sigma detector (its rules_dirs, disabled and placeholders), else the built-in pack.
 */
export function ruleTestSettings(dir: string | undefined, configPath: string | undefined): { dirs: string[]; disabled: string[]; placeholders: SigmaConfig['placeholders'] } {
  const cfg = loadConfig(registry, { path: configPath });
  const sigma = cfg.detection.find((d) => d.type === 'sigma');
  const settings = (sigma?.config as SigmaConfig | undefined) ?? sigmaConfigSchema.parse({});
  if (dir !== undefined) return { dirs: [resolve(dir)], disabled: [...settings.disabled], placeholders: settings.placeholders };
  // Relative rules_dirs resolve against the config file's folder, as the detector itself does.
  const base = cfg.file ? dirname(cfg.file) : process.cwd();
  const dirs = sigma ? settings.rules_dirs.map((d) => resolve(base, d)) : [BUILTIN_RULES_DIR];
  return { dirs, disabled: [...settings.disabled], placeholders: settings.placeholders };
}

export async function rulesTest(dir: string | undefined, opts: { config?: string }): Promise<number> {
  const settings = ruleTestSettings(dir, opts.config);
  const results = await runRuleTests(settings.dirs, registry.sources, { disabled: settings.disabled, placeholders: settings.placeholders });
  const failed = results.filter((r) => !r.passed);
  for (const r of failed) out(`FAIL ${r.rule} ${r.case}: ${r.message}`);
  out(`${results.length - failed.length} passed, ${failed.length} failed (${new Set(results.map((r) => r.rule)).size} rules)`);
  return failed.length ? EXIT.error : EXIT.ok;
}

export function configCheck(opts: { config?: string }): number {
  const cfg = loadConfig(registry, { path: opts.config });
  const names = (xs: readonly PluginInstance[]) => xs.map((x) => (x.name === x.type ? x.type : `${x.name} (${x.type})`)).join(', ') || 'none';
  const warned = cfg.warnings.length ? ` (${cfg.warnings.length} warning${cfg.warnings.length === 1 ? '' : 's'})` : '';
  out(`${cfg.file ?? 'built-in defaults (no config file found)'}: OK${warned}`);
  out(`  storage:   ${cfg.storage.type === 'sqlite' ? `sqlite ${cfg.storage.path}` : 'postgres'}`);
  out(`  sources:   ${names(cfg.sources)}`);
  out(`  detection: ${names(cfg.detection)}`);
  out(`  sinks:     ${names(cfg.sinks)}`);
  const connectors = createConnectors(cfg, { logger: silentLogger, dataDir: cfg.dataDir }, silentLogger);
  checkResponseConfig(cfg.response, connectors);
  const r = cfg.response;
  const acting = [...connectors].map(([name, c]) => `${name} (${c.actions.map((a) => a.name).join(', ')})`).join('; ') || 'none (block-user only)';
  out(`  response:  actions from ${acting}; execute: ${r.execute.join(', ') || 'nothing (every action is a dry run)'}; ${r.policies.length} polic${r.policies.length === 1 ? 'y' : 'ies'}`);
  for (const w of cfg.warnings) out(`  warning: ${w}`);
  // The mapping is what decides whether a log's failures are seen at all, so it is shown, not implied.
  const jsonLogs = cfg.sources.filter((s) => s.type === 'json-logs');
  const mappings = jsonLogs.length ? jsonLogs : [jsonLogsInstance(cfg, undefined)];
  for (const s of mappings) {
    out(jsonLogs.length ? `  fields of ${s.name} (json-logs):` : '  fields of `saaswatch ingest FILE` (no json-logs source, no fields: set):');
    for (const line of formatMapping(s.config as JsonLogsConfig)) out(`    ${line}`);
  }
  return EXIT.ok;
}
