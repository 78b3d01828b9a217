/** The saaswatch command line: run, ingest, alerts, config check, version. */
import { Command, CommanderError, Option } from 'commander';
import { createApp, runSources, type App } from '../app.js';
import { loadConfig, type Config, type PluginInstance } from '../config/load.js';
import { clockFrom, errorMessage, SaaswatchError, systemClock, type Clock, type Source } from '../core/index.js';
import { join, resolve } from 'node:path';
import { runDemo } from '../demo/demo.js';
import { BUILTIN_RULES_DIR } from '../detection/sigma/config.js';
import { runRuleTests } from '../detection/sigma/rule-tests.js';
import { VERSION } from '../version.js';
import type { IngestStats } from '../pipeline/pipeline.js';
import { registry } from '../registry.js';
import { explainInput, formatExplanation, formatMapping } from '../sources/json-logs/explain.js';
import { createJsonLogsSource, type JsonLogsConfig } from '../sources/json-logs/source.js';
import { ProgressBar } from './progress.js';

/** Exit codes scripts can rely on (documented in the README). */
export const EXIT = { ok: 0, error: 1, usage: 2, partial: 3 } as const;

const out = (line = '') => process.stdout.write(`${line}\n`);
/** Records `ingest --explain` reads: enough to see every shape a log mixes, quick on any file. */
const EXPLAIN_RECORDS = 1000;
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
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to quit now)\n');
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
async function ingestSources(app: App, sources: Source[], label: string, showProgress: boolean, once = false): Promise<IngestStats> {
  // One bar for one input; with several sources a bar would only flicker between them.
  const bar = sources.length === 1 && showProgress ? new ProgressBar(process.stdout, label) : undefined;
  try {
    return await runSources(app, sources, {
      signal: stopSignal(),
      // A one-shot poll has no time to receive pushes; only a long-running one listens.
      listen: once ? false : { host: app.config.server.host, port: app.config.server.port },
      onListening: (server, routes) => process.stderr.write(`webhooks listening on ${server.url} (${routes.map((r) => `${r.method} ${r.path}`).join(', ')})\n`),
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
  for (const a of alerts) out(`  ${a.severity.toUpperCase().padEnd(8)} ${a.rule.padEnd(18)} ${a.entity.type}:${a.entity.value}  ${a.title}`);
  // One read of the outbox, counted by status, rather than one query per status.
  const deliveries = await app.store.listDeliveries();
  const failed = deliveries.filter((d) => d.status === 'failed');
  const pending = deliveries.filter((d) => d.status === 'pending' || d.status === 'delivering').length;
  const delivered = deliveries.filter((d) => d.status === 'delivered').length;
  out(`deliveries: ${num(delivered)} delivered, ${num(pending)} pending, ${num(failed.length)} failed`);
  for (const d of failed.slice(0, 5)) out(`  failed: ${d.sink} alert ${d.alertId} after ${d.attempts} attempts: ${d.lastError ?? ''}`);
  if (stats.deadLetters > 0) out(`dead letters: see \`saaswatch dead-letters\` for the rejected records and why`);
  return stats.deadLetters > 0 || failed.length > 0 ? EXIT.partial : EXIT.ok;
}

function jsonLogsInstance(config: Config, name: string | undefined): PluginInstance {
  const candidates = config.sources.filter((s) => s.type === 'json-logs');
  if (name) {
    const found = candidates.find((s) => s.name === name);
    if (!found) throw new SaaswatchError('CONFIG_INVALID', `--source ${name}: no json-logs source with that name in ${config.file ?? 'the config'}; known: ${candidates.map((s) => s.name).join(', ') || 'none'}`);
    return found;
  }
  if (candidates[0]) return candidates[0];
  const plugin = registry.sources.get('json-logs')!;
  return { type: 'json-logs', name: 'ingest', config: plugin.configSchema.parse({}) };
}

/**
 * The clock a run reads "now" from: SAASWATCH_NOW (an ISO time) pins where the run starts in time,
 * for reproducible runs and tests; otherwise the system clock.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const at = env.SAASWATCH_NOW;
  if (at === undefined || at === '') return systemClock;
  const t = Date.parse(at);
  if (!Number.isFinite(t) || !/\d{4}-\d{2}-\d{2}T/.test(at)) {
    throw new SaaswatchError('CONFIG_INVALID', `SAASWATCH_NOW: expected an ISO time such as 2026-03-02T09:00:00Z, got "${at}"; unset it to use the system clock`);
  }
  return clockFrom(t);
}

export function buildProgram(opts: { now?: Clock } = {}): Command {
  const now = opts.now ?? systemClock;
  const program = new Command('saaswatch')
    .description('Watch SaaS audit logs, detect attacks, and raise deduplicated alerts.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const configOption = () => new Option('-c, --config <file>', 'config file (default ./saaswatch.yml, then ~/.config/saaswatch/config.yml)');

  program
    .command('run')
    .description('ingest every configured source, detect, and deliver alerts')
    .addOption(configOption())
    .option('--once', 'poll each source up to now, then exit (for cron jobs and backfills)')
    .option('--no-progress', 'never draw a progress bar')
    .action(async (opts: { config?: string; progress: boolean; once?: boolean }) => {
      process.exitCode = await withApp(opts.config, async (app) => {
        if (!app.config.sources.length) {
          throw new SaaswatchError('CONFIG_INVALID', `sources: nothing to run; add a source to ${app.config.file ?? 'saaswatch.yml'} or use \`saaswatch ingest FILE\``);
        }
        await app.store.purgeEventsBefore(now() - app.config.storage.retention);
        const stats = await ingestSources(app, app.config.sources.map((s) => app.createSource(s)), 'run', opts.progress, opts.once);
        return report(app, `sources ${app.config.sources.map((s) => s.name).join(', ')}`, stats);
      }, { now, ...(opts.once ? { once: true } : {}) });
    });

  program
    .command('ingest')
    .description('ingest a JSON, JSONL or CSV log file (or - for stdin) through the json-logs source')
    .argument('<file>', 'log file, or - to read standard input')
    .addOption(configOption())
    .option('-s, --source <name>', 'json-logs source in the config whose field mapping to use')
    .addOption(new Option('-f, --format <format>', 'input format').choices(['auto', 'json', 'jsonl', 'csv']))
    .option('--no-progress', 'never draw a progress bar')
    .option('--explain', `read the first ${num(EXPLAIN_RECORDS)} records, show which input key feeds each field and how the outcome was decided, and store nothing`)
    .action(async (file: string, opts: { config?: string; source?: string; format?: string; progress: boolean; explain?: boolean }) => {
      const input = file === '-' ? { stream: process.stdin, label: 'stdin' } : { path: file };
      const withFormat = (instance: PluginInstance) =>
        ({ ...(instance.config as JsonLogsConfig), ...(opts.format ? { format: opts.format as JsonLogsConfig['format'] } : {}) }) satisfies JsonLogsConfig;
      if (opts.explain) {
        // No app: explaining must not create a database or touch detector state.
        const instance = jsonLogsInstance(loadConfig(registry, { path: opts.config }), opts.source);
        const x = await explainInput(instance.name, withFormat(instance), input, { limit: EXPLAIN_RECORDS, now });
        for (const line of formatExplanation(x)) out(line);
        process.exitCode = EXIT.ok;
        return;
      }
      process.exitCode = await withApp(opts.config, async (app) => {
        const instance = jsonLogsInstance(app.config, opts.source);
        const source = createJsonLogsSource(instance.name, withFormat(instance), input, { now });
        const stats = await ingestSources(app, [source], file === '-' ? 'stdin' : file, opts.progress);
        return report(app, `ingested ${file === '-' ? 'stdin' : file}`, stats);
      }, { now });
    });

  program
    .command('demo')
    .description('generate an organisation, serve it from local fakes of the SaaS APIs, and watch it')
    .option('-d, --data-dir <dir>', 'where the demo database and alerts go', '.saaswatch')
    .option('--users <n>', 'users in the generated organisation', (v) => Number.parseInt(v, 10), 300)
    .option('--days <n>', 'days of history to backfill', (v) => Number.parseInt(v, 10), 7)
    .option('--seed <n>', 'seed of the generated organisation and its attacks', (v) => Number.parseInt(v, 10), 7)
    .option('--end <time>', 'when the generated history ends, ISO (default now): the same seed and end give the same run any day')
    .action(async (opts: { dataDir: string; users: number; days: number; seed: number; end?: string }) => {
      const end = opts.end === undefined ? undefined : new Date(opts.end);
      if (end && !Number.isFinite(end.getTime())) throw new SaaswatchError('CONFIG_INVALID', `--end: expected an ISO time such as 2026-03-02T09:00:00Z, got "${opts.end}"`);
      const { stats, truth, app } = await runDemo({
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
        for (const t of truth) out(`  ${t.kind.padEnd(20)} ${t.actor}${t.ip ? ` from ${t.ip}` : ''} (${t.sources.join(', ')})`);
        process.exitCode = await report(app, 'demo', stats);
        out(`events and alerts are in ${app.config.storage.type === 'sqlite' ? app.config.storage.path : 'the database'}; alerts also in ${join(resolve(opts.dataDir), 'demo-alerts.jsonl')}`);
      } finally {
        await app.close();
      }
    });

  program
    .command('alerts')
    .description('list stored alerts, newest first')
    .addOption(configOption())
    .option('-n, --limit <n>', 'how many', (v) => Number.parseInt(v, 10), 50)
    .option('--json', 'one JSON object per line')
    .action(async (opts: { config?: string; limit: number; json?: boolean }) => {
      await withApp(opts.config, async (app) => {
        for (const a of await app.store.listAlerts({ limit: opts.limit })) {
          if (opts.json) out(JSON.stringify(a));
          else out(`${a.createdAt}  ${a.severity.toUpperCase().padEnd(8)} ${a.rule.padEnd(18)} ${a.entity.type}:${a.entity.value}  ${a.description}`);
        }
      }, { now });
    });

  program
    .command('dead-letters')
    .description('list records that were rejected, with the reason and where they came from')
    .addOption(configOption())
    .option('-n, --limit <n>', 'how many', (v) => Number.parseInt(v, 10), 50)
    .action(async (opts: { config?: string; limit: number }) => {
      await withApp(opts.config, async (app) => {
        for (const d of await app.store.listDeadLetters({ limit: opts.limit })) {
          const where = [d.position?.file, d.position?.line].filter((x) => x !== undefined).join(':');
          out(`${d.source} ${where} ${d.code}: ${d.reason}`);
        }
      }, { now });
    });

  const rules = program.command('rules').description('work with Sigma rules');
  rules
    .command('test')
    .description("run every rule's positive and negative examples (<rule>.tests.yml) through the real normalizers")
    .argument('[dir]', 'rules folder', BUILTIN_RULES_DIR)
    .action(async (dir: string) => {
      const results = await runRuleTests(resolve(dir), registry.sources);
      const failed = results.filter((r) => !r.passed);
      for (const r of failed) out(`FAIL ${r.rule} ${r.case}: ${r.message}`);
      out(`${results.length - failed.length} passed, ${failed.length} failed (${new Set(results.map((r) => r.rule)).size} rules)`);
      process.exitCode = failed.length ? EXIT.error : EXIT.ok;
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the config file and print what it sets up')
    .addOption(configOption())
    .action((opts: { config?: string }) => {
      const cfg = loadConfig(registry, { path: opts.config });
      const names = (xs: readonly PluginInstance[]) => xs.map((x) => (x.name === x.type ? x.type : `${x.name} (${x.type})`)).join(', ') || 'none';
      out(`${cfg.file ?? 'built-in defaults (no config file found)'}: OK`);
      out(`  storage:   ${cfg.storage.type === 'sqlite' ? `sqlite ${cfg.storage.path}` : 'postgres'}`);
      out(`  sources:   ${names(cfg.sources)}`);
      out(`  detection: ${names(cfg.detection)}`);
      out(`  sinks:     ${names(cfg.sinks)}`);
      // The mapping is what decides whether a log's failures are seen at all, so it is shown, not implied.
      const jsonLogs = cfg.sources.filter((s) => s.type === 'json-logs');
      const mappings = jsonLogs.length ? jsonLogs : [jsonLogsInstance(cfg, undefined)];
      for (const s of mappings) {
        out(jsonLogs.length ? `  fields of ${s.name} (json-logs):` : '  fields of `saaswatch ingest FILE` (no json-logs source, no fields: set):');
        for (const line of formatMapping(s.config as JsonLogsConfig)) out(`    ${line}`);
      }
    });

  program
    .command('version')
    .description('print the version')
    .action(() => {
      out(VERSION);
    });

  return program;
}

export async function main(argv: string[], opts: { now?: Clock } = {}): Promise<number> {
  try {
    const program = buildProgram({ now: opts.now ?? clockFromEnv() });
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are "errors" to commander; they are successes to a script.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof SaaswatchError && (err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND')) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return EXIT.error;
  }
}
