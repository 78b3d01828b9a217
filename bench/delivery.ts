/**
 * `npm run bench` (delivery part): alert → delivered latency, p50/p99, for every sink in the
 * registry against the destination its contract harness starts (its vendor fake, a local SMTP
 * server, a file): 1,000 alerts raised at once and drained by the real outbox on SQLite (a burst:
 * latency is mostly queueing), then 200 raised one at a time (the round trip a lone alert waits).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Alert, DeliveryContext, Sink } from '../src/core/index.js';
import { silentLogger } from '../src/log.js';
import { Outbox } from '../src/pipeline/outbox.js';
import { registry } from '../src/registry.js';
import { sampleAlert, type SinkContractHarness } from '../src/sinks/testing.js';
import { openStore } from '../src/storage/index.js';
import { percentile } from './stats.js';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 1_000);
const SINGLE = Math.min(ALERTS, 200);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const T0 = Date.parse('2026-11-03T10:00:00Z');

function alerts(n: number): Alert[] {
  return Array.from({ length: n }, (_, i) => {
    const windowStart = T0 + i * 60_000;
    const ip = `203.0.${(i >> 8) & 255}.${i & 255}`;
    return sampleAlert({
      id: `bench${String(i).padStart(6, '0')}`,
      dedupKey: `brute-force|ip:${ip}|${new Date(windowStart).toISOString()}`,
      entity: { type: 'ip', value: ip },
      title: `Brute force from ${ip}`,
      windowStart,
      windowEnd: windowStart + 300_000,
      createdAt: new Date(windowStart + 301_000).toISOString(),
    });
  });
}


async function benchSink(type: string, harness: SinkContractHarness): Promise<void> {
  const target = await harness.start('bench-credential-0123456789', { unthrottled: true });
  const plugin = registry.sinks.get(type)!;
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', logger: silentLogger });
  try {
    await store.migrate();
    const inner = plugin.create('bench', plugin.configSchema.parse(target.config), { logger: silentLogger, dataDir: target.dataDir }) as Sink;
    const done = new Map<string, number>();
    // Timed at the sink's return: what the outbox then commits is the store's cost, measured elsewhere.
    const sink: Sink = Object.assign(Object.create(inner) as Sink, {
      deliver: async (alert: Alert, ctx: DeliveryContext) => {
        await inner.deliver(alert, ctx);
        done.set(alert.id, performance.now());
      },
    });
    const raised = alerts(ALERTS);
    const t0 = performance.now();
    await store.saveAlerts(raised, ['bench']);
    const outbox = new Outbox(store, new Map([['bench', sink]]), { logger: silentLogger, pollIntervalMs: 5 });
    const result = await outbox.drain({ timeoutMs: 600_000 });
    const wall = performance.now() - t0;
    const latencies = [...done.values()].map((t) => t - t0).sort((a, b) => a - b);
    const arrived = (await target.arrived()).length;
    const p50 = latencies.length ? percentile(latencies, 50) : NaN;
    const p99 = latencies.length ? percentile(latencies, 99) : NaN;
    console.log(
      `${`deliver → ${type}`.padEnd(28)} ${String(result.delivered).padStart(5)}/${ALERTS} delivered (${arrived} arrived)  p50 ${p50.toFixed(0).padStart(6)} ms  p99 ${p99.toFixed(0).padStart(6)} ms  ${Math.round(result.delivered / (wall / 1000)).toLocaleString('en-US').padStart(6)} alerts/s`,
    );
    // One at a time: what a lone alert waits, the sink's round trip plus the outbox's claim and commit.
    const single: number[] = [];
    for (const alert of alerts(SINGLE).map((a) => ({ ...a, id: `one${a.id}`, dedupKey: `one|${a.dedupKey}` }))) {
      const s0 = performance.now();
      await store.saveAlerts([alert], ['bench']);
      await outbox.drain({ timeoutMs: 60_000 });
      single.push(performance.now() - s0);
    }
    single.sort((a, b) => a - b);
    console.log(`${''.padEnd(28)} one at a time (${SINGLE}): p50 ${percentile(single, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(single, 99).toFixed(1).padStart(6)} ms`);
    await inner.close?.();
  } finally {
    await store.close();
    await target.close();
  }
}

console.log(`saaswatch delivery bench: ${ALERTS.toLocaleString('en-US')} alerts per sink, raised at once, node ${process.version}`);
const only = process.env.BENCH_SINK;
for (const type of registry.sinks.keys()) {
  if (only && only !== type) continue;
  const path = join(ROOT, 'src/sinks', type, 'fixtures/contract.ts');
  if (!existsSync(path)) continue;
  const { contractHarness } = (await import(path)) as { contractHarness: SinkContractHarness };
  await benchSink(type, contractHarness);
}
