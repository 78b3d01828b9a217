/**
 * `npm run bench`: events/s for ingest → detect on one million generated events (in memory and with
 * SQLite), and for 100k-event backfills through the vendor SDKs against the local fakes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detector, Source } from '../src/core/index.js';
import { generateTeamEvents, startFakeDropbox } from '../src/fakes/dropbox/server.js';
import { createServiceAccountKey, generateActivities, startFakeGoogle } from '../src/fakes/google/index.js';
import { dropboxConfigSchema } from '../src/sources/dropbox/config.js';
import { createDropboxSource } from '../src/sources/dropbox/source.js';
import { googleWorkspaceConfigSchema } from '../src/sources/google-workspace/config.js';
import { createGoogleWorkspaceSource } from '../src/sources/google-workspace/source.js';
import { silentLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { StagedState } from '../src/pipeline/staged-state.js';
import { Watermarks } from '../src/pipeline/watermarks.js';
import { registry } from '../src/registry.js';
import { createJsonLogsSource } from '../src/sources/json-logs/source.js';
import { openStore } from '../src/storage/index.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const DAY = 86_400_000;
// The SQLite run goes twice: as a file that promises nothing until it ends (detectors hold what
// they count until then, so memory grows with the file) and as a live, time-ordered log promising
// 5 minutes of lateness (detectors judge as they read: memory must stay flat).
// BENCH_LATENESS=5m: the log promises it is at most that far out of order, so detectors judge as
// they read; unset, they hold what they count until the file ends (exact for any order).
const LATENESS = process.env.BENCH_LATENESS;
function sourceConfig(lateness: string | undefined) {
  return registry.sources.get('json-logs')!.configSchema.parse({
    format: 'jsonl',
    fields: { timestamp: 'time', user: 'user', ip: 'src_ip', action: 'action', outcome: 'result' },
    ...(lateness ? { lateness } : {}),
  });
}
const SOURCE_CONFIG = sourceConfig(LATENESS);

/** A deterministic auth log: 5,000 users, 20,000 IPs, ~3% failures, one event every 50 ms. */
function* lines(n: number): Generator<string> {
  let x = 0x9e3779b9;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const actions = ['login', 'logout', 'view_report', 'download_file', 'update_profile', 'list_users'];
  const start = Date.parse('2026-10-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const u = Math.floor(rnd() * 5000);
    const ip = `10.${(u >> 8) & 255}.${u & 255}.${Math.floor(rnd() * 4)}`;
    const action = actions[Math.floor(rnd() * actions.length)]!;
    const result = action === 'login' && rnd() < 0.1 ? 'failure' : 'success';
    yield `{"time":"${new Date(start + i * 50).toISOString()}","user":"user${u}@example.com","src_ip":"${ip}","action":"${action}","result":"${result}","seq":${i}}\n`;
  }
}

/** Lines joined into 64 KiB chunks, as a file read delivers them. */
function* chunks(n: number): Generator<string> {
  let buf = '';
  for (const line of lines(n)) {
    buf += line;
    if (buf.length >= 65_536) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

// Generated once into a file, before any timing: the figures measure saaswatch reading a log file (as
// `saaswatch ingest FILE` does), not the generator, and the input's size is not held in the heap.
let INPUT: string | undefined;
const INPUT_DIR = mkdtempSync(join(tmpdir(), 'sw-bench-input-'));
process.on('exit', () => rmSync(INPUT_DIR, { recursive: true, force: true }));

function input() {
  if (INPUT === undefined) {
    INPUT = join(INPUT_DIR, 'auth.jsonl');
    writeFileSync(INPUT, '');
    for (const c of chunks(N)) writeFileSync(INPUT, c, { flag: 'a' });
  }
  return { path: INPUT };
}

/**
 * Resident set size over a run: sampled every 100 ms and at each committed batch, with the peak. The
 * growth is the RSS at the end of the run less the RSS once the first tenth of the events was in:
 * flat when memory does not grow with the number of events.
 */
class RssWatch {
  readonly #start = process.memoryUsage().rss;
  #peak = this.#start;
  #atTenth: number | undefined;
  /** RSS once each further tenth of the events was in: flat when memory is bounded. */
  readonly #tenths: number[] = [];
  readonly #timer = setInterval(() => this.sample(), 100);

  sample(events?: number): void {
    const rss = process.memoryUsage().rss;
    if (rss > this.#peak) this.#peak = rss;
    if (events !== undefined && this.#atTenth === undefined && events >= N / 10) this.#atTenth = rss;
    while (events !== undefined && events >= ((this.#tenths.length + 1) * N) / 10) this.#tenths.push(rss);
  }

  done(): string {
    clearInterval(this.#timer);
    this.sample();
    const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
    const end = process.memoryUsage().rss;
    const growth = this.#atTenth === undefined ? 'n/a' : `${end >= this.#atTenth ? '+' : ''}${mib(end - this.#atTenth)}`;
    const trace = this.#tenths.map((b) => (b / 1048576).toFixed(0)).join(' ');
    return `rss peak ${mib(this.#peak)} (start ${mib(this.#start)}, end ${mib(end)}, growth after the first 10% ${growth}; MiB at each tenth: ${trace})`;
  }
}

/** The detectors, saving their state through `state` when given (as the app does: staged, committed with each batch). */
function detectors(state?: StagedState): Detector[] {
  const deps = { logger: silentLogger, dataDir: tmpdir(), ...(state ? { state } : {}) };
  return [
    registry.detectors.get('brute-force')!.create(registry.detectors.get('brute-force')!.configSchema.parse({}), deps),
    registry.detectors.get('isolation-forest')!.create(registry.detectors.get('isolation-forest')!.configSchema.parse({}), deps),
  ];
}

/** CPU seconds the main thread has used (Linux /proc; undefined elsewhere). */
function mainThreadCpu(): number | undefined {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the parenthesised command name.
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function report(label: string, events: number, ms: number, cpu?: NodeJS.CpuUsage, main0?: number): void {
  const rss = process.memoryUsage().rss / 1048576;
  // CPU time of the process (all threads) and of the main thread alone: steadier than wall time on a
  // busy machine, for A/B comparisons. The main thread's is what bounds events/s on a quiet one.
  const main1 = mainThreadCpu();
  const mainText = main0 !== undefined && main1 !== undefined ? `, main thread ${(main1 - main0).toFixed(1)} s` : '';
  const cpuText = cpu ? `  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s${mainText}` : '';
  console.log(`${label.padEnd(46)} ${events.toLocaleString('en-US').padStart(10)} events  ${(ms / 1000).toFixed(2).padStart(6)} s  ${Math.round(events / (ms / 1000)).toLocaleString('en-US').padStart(9)} events/s  rss ${rss.toFixed(0)} MiB${cpuText}`);
}

async function inMemory(): Promise<void> {
  const dets = detectors();
  const source = createJsonLogsSource('bench', SOURCE_CONFIG, input());
  // The pipeline's watermark, without its store.
  const marks = new Watermarks();
  marks.start('bench');
  const rss = new RssWatch();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  let events = 0;
  let findings = 0;
  for await (const batch of source.batches({ cursor: undefined, signal: new AbortController().signal })) {
    let newest = Number.NEGATIVE_INFINITY;
    for (const e of batch.events) {
      for (const d of dets) findings += d.observe(e).length;
      newest = Math.max(newest, Date.parse(e['@timestamp']));
    }
    marks.batch('bench', batch.watermark, newest);
    for (const d of dets) findings += d.flush({ final: false, watermark: marks.current() }).length;
    events += batch.events.length;
    rss.sample(events);
  }
  marks.end('bench');
  for (const d of dets) findings += d.flush({ final: true, watermark: marks.current() }).length;
  report(`parse → normalize → detect (memory)${LATENESS ? `, lateness ${LATENESS}` : ''}`, events, performance.now() - t0, process.cpuUsage(cpu0), main0);
  console.log(`  findings: ${findings}; ${rss.done()}`);
}

async function withSqlite(lateness: string | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
  const store = await openStore({ dialect: 'sqlite', path: join(dir, 'bench.db') });
  try {
    const state = new StagedState(store);
    const pipeline = new Pipeline({ store, detectors: detectors(state), sinkNames: ['alerts-file'], logger: silentLogger, state });
    const source = createJsonLogsSource('bench', sourceConfig(lateness), input());
    const rss = new RssWatch();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpu();
    const stats = await pipeline.ingest(source, { onBatch: (_b, st) => rss.sample(st.events) });
    report(`full pipeline with SQLite (WAL), state saved${lateness ? `, lateness ${lateness}` : ''}`, stats.events, stats.durationMs, process.cpuUsage(cpu0), main0);
    console.log(`  stored ${stats.inserted.toLocaleString('en-US')} events, ${stats.alertsCreated} alerts; ${rss.done()}`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`saaswatch bench: ${N.toLocaleString('en-US')} generated events, node ${process.version}`);
/** A backfill through the official SDK against the local fake, into SQLite: network, paging, normalize, store. */
async function backfill(label: string, source: (once: true) => Source, expected: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
  const store = await openStore({ dialect: 'sqlite', path: join(dir, 'bench.db') });
  try {
    const pipeline = new Pipeline({ store, detectors: detectors(), sinkNames: [], logger: silentLogger });
    const stats = await pipeline.ingest(source(true));
    if (stats.inserted !== expected) throw new Error(`${label}: stored ${stats.inserted} of ${expected} events`);
    report(label, stats.events, stats.durationMs);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function backfills(): Promise<void> {
  const events = Number(process.env.BENCH_BACKFILL_EVENTS ?? 100_000);
  const now = Date.now();
  const key = createServiceAccountKey();
  // Drive activities carry one to three events; 1.13 events per activity on average with this generator.
  const activities = generateActivities({ count: Math.round(events / 1.13), from: now - 7 * DAY, to: now - 60_000, seed: 9 });
  const googleEvents = activities.reduce((n, a) => n + a.events.length, 0);
  const google = await startFakeGoogle({ serviceAccounts: [key], activities });
  try {
    const config = googleWorkspaceConfigSchema.parse({
      credentials: JSON.stringify(key.json), subject: 'admin@example.com', base_url: google.url, token_url: google.tokenUrl,
      backfill: '8d', window: '1d',
    });
    await backfill(`google-workspace backfill (SDK → fake)`, (once) => createGoogleWorkspaceSource('bench', config, { logger: silentLogger, once }), googleEvents);
  } finally {
    await google.close();
  }
  const teamEvents = generateTeamEvents({ count: events, start: now - 7 * DAY, spanMs: 6 * DAY, seed: 9 });
  const dropbox = await startFakeDropbox({ events: teamEvents, accessToken: 'bench', appSecret: 'bench' });
  try {
    const config = dropboxConfigSchema.parse({ access_token: 'bench', app_secret: 'bench', base_url: dropbox.url, backfill: '8d' });
    await backfill(`dropbox backfill (SDK → fake)`, (once) => createDropboxSource('bench', config, { logger: silentLogger, once }), teamEvents.length);
  } finally {
    await dropbox.close();
  }
}

const only = process.env.BENCH_ONLY;
if (!only || only === 'memory') await inMemory();
if (!only || only === 'sqlite') {
  await withSqlite(LATENESS);
  if (!LATENESS) await withSqlite('5m');
}
if (!only || only === 'backfill') await backfills();
