/**
 * `npm run bench` (response part): what one response action costs end to end through the responder
 * (read, record started, send, read again, record with its audit entry on SQLite), p50/p99, for every
 * source that offers actions, against the fake its contract harness starts, through the official SDK;
 * then how fast policies queue and run saaswatch's own block-user for a burst of alerts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { responseSchema } from '../src/actions/config.js';
import { Responder } from '../src/actions/responder.js';
import type { ActionContractHarness } from '../src/actions/testing.js';
import type { Alert } from '../src/core/index.js';
import { silentLogger } from '../src/log.js';
import { findingToAlert } from '../src/pipeline/alerts.js';
import { registry } from '../src/registry.js';
import { openStore } from '../src/storage/index.js';
import { percentile } from './stats.js';

const RUNS = Number(process.env.BENCH_ACTIONS ?? 100);
const ALERTS = Number(process.env.BENCH_POLICY_ALERTS ?? 5_000);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const T0 = Date.parse('2026-11-03T10:00:00Z');

const fmt = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms`;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function benchConnector(type: string, harness: ActionContractHarness): Promise<void> {
  const f = await harness.start();
  const plugin = registry.sources.get(type)!;
  const connector = plugin.actions!(`bench-${type}`, plugin.configSchema.parse(f.config), { logger: silentLogger, dataDir: '.' });
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', logger: silentLogger });
  try {
    const config = responseSchema.parse({ execute: connector.actions.map((a) => a.name), retry: { max_attempts: 1 } });
    const responder = new Responder({ store, connectors: new Map([['bench', connector]]), config, logger: silentLogger });
    const user = f.targets['suspend-user'];
    if (!user) {
      console.log(`response ${type}: no suspend-user target; skipped`);
      return;
    }
    const act = (action: string, execute: boolean) => responder.act({ action, target: user.id, source: 'bench', execute, reason: 'bench', actor: 'bench' });
    const dry: number[] = [];
    const suspend: number[] = [];
    const unsuspend: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      dry.push(await timed(() => act('suspend-user', false)));
      suspend.push(await timed(() => act('suspend-user', true)));
      unsuspend.push(await timed(() => act('unsuspend-user', true)));
    }
    const done = await store.countActions({ status: ['done'] });
    console.log(`response ${type.padEnd(17)} dry-run suspend-user ${fmt(dry)}; executed suspend-user ${fmt(suspend)}; unsuspend-user ${fmt(unsuspend)} (${done} done, ${RUNS} runs each)`);
  } finally {
    await connector.close?.();
    await store.close();
    await f.close();
  }
}

async function benchPolicies(): Promise<void> {
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', logger: silentLogger });
  try {
    // No rate limit: the figure is the responder's own pace, not the limit's.
    const config = responseSchema.parse({ max_automatic_per_hour: 1_000_000, policies: [{ name: 'block-attackers', include: { rules: ['bench-*'] }, actions: ['block-user'] }] });
    const now = T0 + 3_600_000;
    const responder = new Responder({ store, connectors: new Map(), config, logger: silentLogger, now: () => now });
    const alerts: Alert[] = Array.from({ length: ALERTS }, (_, i) =>
      findingToAlert(
        { rule: 'bench-rule', title: `bench ${i}`, severity: 'high', entity: { type: 'user', value: `user${i}@example.com` }, windowStart: T0 + i, windowEnd: T0 + i, evidence: [], description: 'bench' },
        new Date(T0 + i),
      ),
    );
    await store.saveAlerts(alerts, []);
    const queued = await timed(() => responder.plan(alerts));
    let ran = 0;
    const run = await timed(async () => {
      for (let n = await responder.tick(); n > 0; n = await responder.tick()) ran += n;
    });
    const blocked = (await store.listBlockedUsers()).length;
    console.log(
      `response policies: ${ALERTS.toLocaleString('en-US')} alerts queued in ${queued.toFixed(0)} ms (${Math.round(ALERTS / (queued / 1000)).toLocaleString('en-US')}/s); ` +
        `${ran.toLocaleString('en-US')} block-user actions run in ${run.toFixed(0)} ms (${Math.round(ran / (run / 1000)).toLocaleString('en-US')}/s), ${blocked.toLocaleString('en-US')} users blocked`,
    );
  } finally {
    await store.close();
  }
}

for (const plugin of registry.sources.values()) {
  if (!plugin.actions) continue;
  const path = join(ROOT, 'src/sources', plugin.type, 'fixtures/actions.ts');
  if (!existsSync(path)) continue;
  const { actionHarness } = (await import(path)) as { actionHarness: ActionContractHarness };
  await benchConnector(plugin.type, actionHarness);
}
await benchPolicies();
