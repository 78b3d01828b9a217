import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type Alert, type Delivery, type DeliveryContext, type Sink, type Store } from '../core/index.js';
import { JsonlFileSink } from '../sinks/jsonl-file/sink.js';
import { sampleAlert, startReceiver, type Receiver, type Responder } from '../sinks/testing.js';
import { WebhookSink, verifySignature, webhookConfigSchema } from '../sinks/webhook/sink.js';
import { openStore } from '../storage/index.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import type { RetryPolicy } from './retry.js';

const TOKEN = 'outbox-test-token-xyz';
const SECRET = 'outbox-test-hmac-key';

let dir: string;
let store: Store;
let receivers: Receiver[];
/** Fake clock, shared by the store (its stamps) and the outbox: deliveries are due exactly when the test says. */
let t: number;
let sleeps: number[];
let logs: Array<Record<string, unknown>>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saaswatch-outbox-'));
  t = Date.parse('2026-05-04T10:00:00.000Z');
  store = await openStore({ dialect: 'sqlite', path: join(dir, 'store.db'), now: () => t });
  receivers = [];
  sleeps = [];
  logs = [];
});

afterEach(async () => {
  for (const r of receivers) await r.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function outbox(sinks: Sink[], opts: Partial<OutboxOptions> = {}): Outbox {
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return new Outbox(store, new Map(sinks.map((s) => [s.name, s])), {
    logger,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    // Top of the jitter range, so backoff delays are exact and assertable.
    random: () => 1,
    ...opts,
  });
}

async function receiver(respond?: Responder): Promise<Receiver> {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

function webhook(r: Receiver, extra: Record<string, unknown> = {}, name = 'soc'): WebhookSink {
  const config = webhookConfigSchema.parse({ url: r.url, allow_networks: ['127.0.0.1'], token: TOKEN, secret: SECRET, backoff: { initial: '1s', max: '1m' }, ...extra });
  return new WebhookSink(name, config);
}

async function saveAlert(id: string, sinks: string[]): Promise<Alert> {
  const alert = sampleAlert({ id, dedupKey: `brute-force|ip:${id}|2024-05-01T10:00:00.000Z` });
  const { created } = await store.saveAlerts([alert], sinks);
  expect(created).toHaveLength(1);
  return alert;
}

async function deliveryOf(alertId: string, sink?: string): Promise<Delivery> {
  const all = await store.listDeliveries({ alertId });
  const d = all.find((x) => sink === undefined || x.sink === sink);
  if (!d) throw new Error(`no delivery for ${alertId}`);
  return d;
}

function respondStatuses(...statuses: Array<number | [number, Record<string, string>]>): Responder {
  return (_req, i, res) => {
    const s = statuses[Math.min(i, statuses.length - 1)]!;
    const [status, headers] = Array.isArray(s) ? s : [s, {}];
    res.writeHead(status, headers);
    res.end(status >= 400 ? `status ${status}` : 'ok');
  };
}

describe('Outbox with the webhook sink', () => {
  it('delivers a signed alert and marks it delivered', async () => {
    const r = await receiver();
    await saveAlert('a1', ['soc']);
    const result = await outbox([webhook(r)]).drainOnce();
    expect(result).toEqual({ delivered: 1, retried: 0, failed: 0 });
    const d = await deliveryOf('a1');
    expect(d.status).toBe('delivered');
    expect(d.attempts).toBe(1);
    const req = r.requests[0]!;
    expect(req.headers['x-saaswatch-delivery']).toBe(d.id);
    expect(req.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(verifySignature(SECRET, req.headers['x-saaswatch-signature'] as string, req.rawBody)).toBe(true);
    expect(JSON.parse(req.rawBody).delivery).toEqual({ id: d.id, attempt: 1 });
  });

  it('retries a 5xx with backoff and then succeeds, with the same delivery id', async () => {
    const r = await receiver(respondStatuses(503, 200));
    await saveAlert('a1', ['soc']);
    const ob = outbox([webhook(r)]);

    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
    let d = await deliveryOf('a1');
    expect(d.status).toBe('pending');
    expect(d.nextAttemptAt).toBe(t + 1_000);
    expect(d.lastError).toMatch(/^HTTP_RETRYABLE: webhook 127\.0\.0\.1:\d+ responded 503/);

    // Not due yet: nothing is sent.
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(r.requests).toHaveLength(1);

    t += 1_000;
    expect(await ob.drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    d = await deliveryOf('a1');
    expect(d.status).toBe('delivered');
    expect(d.attempts).toBe(2);
    expect(r.requests.map((q) => q.headers['x-saaswatch-delivery'])).toEqual([d.id, d.id]);
    expect(r.requests.map((q) => JSON.parse(q.rawBody).delivery.attempt)).toEqual([1, 2]);
  });

  it('grows the backoff per attempt within the configured maximum', async () => {
    const r = await receiver(respondStatuses(500));
    await saveAlert('a1', ['soc']);
    const ob = outbox([webhook(r, { max_attempts: 10, backoff: { initial: '1s', max: '5s' } })]);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = t;
      await ob.drainOnce();
      const d = await deliveryOf('a1');
      delays.push(d.nextAttemptAt - before);
      t = d.nextAttemptAt;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('honours Retry-After of a 429 over its own backoff', async () => {
    const r = await receiver(respondStatuses([429, { 'retry-after': '7' }], 200));
    await saveAlert('a1', ['soc']);
    const ob = outbox([webhook(r)]);
    const start = t;
    await ob.drainOnce();
    expect((await deliveryOf('a1')).nextAttemptAt).toBe(start + 7_000);

    const result = await ob.drain({ timeoutMs: 10_000 });
    expect(result).toEqual({ delivered: 1, retried: 0, failed: 0, remaining: 0 });
    expect(sleeps).toEqual([7_000]);
    expect(r.requests).toHaveLength(2);
  });

  it('does not wait past its timeout for a retry due later', async () => {
    const r = await receiver(respondStatuses([429, { 'retry-after': '120' }]));
    await saveAlert('a1', ['soc']);
    const result = await outbox([webhook(r)]).drain({ timeoutMs: 30_000 });
    expect(result).toEqual({ delivered: 0, retried: 1, failed: 0, remaining: 1 });
    expect(sleeps).toEqual([]);
    expect((await deliveryOf('a1')).status).toBe('pending');
  });

  it('fails a 400 at once, records the error and logs a warning without secrets', async () => {
    const r = await receiver((req, _i, res) => {
      res.writeHead(400);
      res.end(`rejected: ${String(req.headers['authorization'])}`);
    });
    await saveAlert('a1', ['soc']);
    expect(await outbox([webhook(r)]).drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect(r.requests).toHaveLength(1);

    const failed = await store.listDeliveries({ status: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attempts).toBe(1);
    expect(failed[0]!.lastError).toMatch(/^HTTP_REJECTED: webhook 127\.0\.0\.1:\d+ rejected the request with 400/);
    expect(failed[0]!.lastError).not.toContain(TOKEN);

    const warning = logs.find((l) => l.msg === 'delivery failed permanently');
    expect(warning).toMatchObject({ level: 40, deliveryId: failed[0]!.id, sink: 'soc', sinkType: 'webhook', attempts: 1, err: { code: 'HTTP_REJECTED', retryable: false } });
    expect((warning as { err: { stack?: string } }).err.stack).toContain('SaaswatchError');
    const allLogs = JSON.stringify(logs);
    expect(allLogs).not.toContain(TOKEN);
    expect(allLogs).not.toContain(SECRET);
  });

  it('gives up after max_attempts and leaves the delivery failed with its last error', async () => {
    const r = await receiver(respondStatuses(502));
    await saveAlert('a1', ['soc']);
    const result = await outbox([webhook(r, { max_attempts: 3 })]).drain({ timeoutMs: 60_000 });
    expect(result).toEqual({ delivered: 0, retried: 2, failed: 1, remaining: 0 });
    expect(r.requests).toHaveLength(3);
    expect(sleeps).toEqual([1_000, 2_000]);

    const failed = await store.listDeliveries({ status: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attempts).toBe(3);
    expect(failed[0]!.lastError).toContain('HTTP_RETRYABLE');
    expect(failed[0]!.lastError).toContain('502');
    expect(logs.filter((l) => l.msg === 'delivery failed; will retry')).toHaveLength(2);
  });

  it('retries an unreachable receiver (NETWORK) and a slow one (TIMEOUT)', async () => {
    const down = await receiver();
    const downUrl = down.url;
    await down.close();
    receivers = receivers.filter((x) => x !== down);
    const slow = await receiver(() => 'hang');
    await saveAlert('a1', ['down', 'slow']);
    const ob = outbox([
      new WebhookSink('down', webhookConfigSchema.parse({ url: downUrl, allow_networks: ['127.0.0.1'] })),
      webhook(slow, { timeout: '50ms' }, 'slow'),
    ]);
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 2, failed: 0 });
    expect((await deliveryOf('a1', 'down')).lastError).toMatch(/^NETWORK: could not reach webhook 127\.0\.0\.1:\d+: ECONNREFUSED$/);
    expect((await deliveryOf('a1', 'slow')).lastError).toMatch(/^TIMEOUT: /);
  });
});

/** A sink whose behaviour each test scripts. */
class ScriptedSink implements Sink {
  readonly type = 'scripted';
  calls: Array<{ alertId: string; ctx: DeliveryContext }> = [];
  active = 0;
  maxActive = 0;
  constructor(
    readonly name: string,
    private readonly behaviour: (alert: Alert, ctx: DeliveryContext) => Promise<void> = async () => undefined,
    readonly retryPolicy?: RetryPolicy,
  ) {}
  async deliver(alert: Alert, ctx: DeliveryContext): Promise<void> {
    this.calls.push({ alertId: alert.id, ctx });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await this.behaviour(alert, ctx);
    } finally {
      this.active--;
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Outbox scheduling', () => {
  it('delivers to different sinks concurrently and to one sink in order', async () => {
    const gate = deferred();
    let global = 0;
    let globalMax = 0;
    const track = async (wait?: Promise<void>) => {
      global++;
      globalMax = Math.max(globalMax, global);
      await (wait ?? new Promise((r) => setTimeout(r, 5)));
      global--;
    };
    const slow = new ScriptedSink('slow', () => track(gate.promise));
    const fast = new ScriptedSink('fast', () => track());
    // Created a millisecond apart, in an order neither alphabetical nor by id: due order is creation order.
    for (const id of ['a3', 'a1', 'a2']) {
      await saveAlert(id, ['slow', 'fast']);
      t += 1;
    }

    const run = outbox([slow, fast]).drainOnce();
    // The fast sink finishes all three while the slow one is still stuck on its first.
    await expect.poll(() => fast.calls.length).toBe(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(slow.calls).toHaveLength(1);
    gate.resolve();
    expect(await run).toEqual({ delivered: 6, retried: 0, failed: 0 });
    expect(slow.maxActive).toBe(1);
    expect(fast.maxActive).toBe(1);
    expect(globalMax).toBe(2);
    expect(fast.calls.map((c) => c.alertId)).toEqual(['a3', 'a1', 'a2']);
    expect(slow.calls.map((c) => c.alertId)).toEqual(['a3', 'a1', 'a2']);
  });

  it('attempts the longest-due delivery first, whatever order the deliveries were created in', async () => {
    const sink = new ScriptedSink('s', async (alert) => {
      if (alert.id === 'a1' && sink.calls.length === 1) throw new SaaswatchError('NETWORK', 'down', { retryable: true });
    });
    await saveAlert('a1', ['s']);
    const ob = outbox([sink], { defaultRetryPolicy: { maxAttempts: 3, initialMs: 5_000, maxMs: 5_000 } });
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
    // a1 is due again at +5 s; a2 and a3 are created after it was, but due before it.
    t += 1_000;
    await saveAlert('a2', ['s']);
    t += 1_000;
    await saveAlert('a3', ['s']);
    t += 10_000;
    expect(await ob.drainOnce()).toEqual({ delivered: 3, retried: 0, failed: 0 });
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1', 'a2', 'a3', 'a1']);
  });

  it('bounds how many sinks run at once', async () => {
    let active = 0;
    let max = 0;
    const behaviour = async () => {
      active++;
      max = Math.max(max, active);
      await new Promise((r) => setTimeout(r, 10));
      active--;
    };
    const sinks = ['s1', 's2', 's3', 's4', 's5'].map((n) => new ScriptedSink(n, behaviour));
    await saveAlert('a1', sinks.map((s) => s.name));
    expect(await outbox(sinks, { concurrency: 2 }).drainOnce()).toEqual({ delivered: 5, retried: 0, failed: 0 });
    expect(max).toBe(2);
  });

  it('claims at most batchSize per drainOnce', async () => {
    const sink = new ScriptedSink('s');
    for (const id of ['a1', 'a2', 'a3']) await saveAlert(id, ['s']);
    const ob = outbox([sink], { batchSize: 2 });
    expect((await ob.drainOnce()).delivered).toBe(2);
    expect((await ob.drainOnce()).delivered).toBe(1);
  });

  it('fails deliveries whose sink is no longer configured', async () => {
    await saveAlert('a1', ['removed']);
    expect(await outbox([]).drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 1 });
    const d = await deliveryOf('a1');
    expect(d.status).toBe('failed');
    expect(d.lastError).toBe('CONFIG_INVALID: sinks.removed: the sink is no longer configured; delivery abandoned');
  });

  it('treats an unclassified sink error as permanent', async () => {
    const sink = new ScriptedSink('s', async () => {
      throw new TypeError('bug in sink');
    });
    await saveAlert('a1', ['s']);
    expect(await outbox([sink]).drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect((await deliveryOf('a1')).lastError).toBe('INTERNAL: bug in sink');
  });

  it('uses the default policy for sinks without one', async () => {
    const sink = new ScriptedSink('s', async () => {
      throw new SaaswatchError('NETWORK', 'down', { retryable: true });
    });
    await saveAlert('a1', ['s']);
    const ob = outbox([sink], { defaultRetryPolicy: { maxAttempts: 2, initialMs: 10, maxMs: 10 } });
    expect(await ob.drain({ timeoutMs: 1_000 })).toEqual({ delivered: 0, retried: 1, failed: 1, remaining: 0 });
    expect(sink.calls.map((c) => c.ctx.attempt)).toEqual([1, 2]);
  });

  it('releases claimed deliveries it did not start when stopped', async () => {
    const stop = new AbortController();
    const sink = new ScriptedSink('s', async () => stop.abort());
    for (const id of ['a1', 'a2']) await saveAlert(id, ['s']);
    expect(await outbox([sink]).drainOnce(stop.signal)).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(sink.calls).toHaveLength(1);
    const left = await store.listDeliveries({ status: 'pending' });
    expect(left).toHaveLength(1);
    expect(left[0]!.nextAttemptAt).toBeLessThanOrEqual(t);
    expect(left[0]!.lastError).toBe('not attempted: outbox stopping');
  });

  it('abort() cancels a request in flight and releases its delivery', async () => {
    const r = await receiver(() => 'hang');
    await saveAlert('a1', ['soc']);
    const ob = outbox([webhook(r, { timeout: '30s' })]);
    const run = ob.drainOnce();
    await expect.poll(() => r.requests.length).toBe(1);
    ob.abort();
    expect(await run).toEqual({ delivered: 0, retried: 0, failed: 0 });
    const d = await deliveryOf('a1');
    expect(d.status).toBe('pending');
    expect(d.nextAttemptAt).toBeLessThanOrEqual(t);
    expect(d.lastError).toMatch(/^interrupted: NETWORK/);
  });

  it('run() delivers until aborted, with real timers', async () => {
    const sink = new ScriptedSink('s');
    const ob = new Outbox(store, new Map([['s', sink]]), { logger: pino({ level: 'silent' }), pollIntervalMs: 5 });
    const stop = new AbortController();
    const running = ob.run(stop.signal);
    await saveAlert('a1', ['s']);
    await expect.poll(async () => (await deliveryOf('a1')).status, { timeout: 5_000 }).toBe('delivered');
    await saveAlert('a2', ['s']);
    await expect.poll(async () => (await deliveryOf('a2')).status, { timeout: 5_000 }).toBe('delivered');
    stop.abort();
    await running;
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1', 'a2']);
  });

  it('run() goes again at once after a full batch and idles only after a short one', async () => {
    const sink = new ScriptedSink('s');
    for (const id of ['a1', 'a2']) {
      await saveAlert(id, ['s']);
      t += 1_000;
    }
    const stop = new AbortController();
    const ob = outbox([sink], {
      batchSize: 1,
      pollIntervalMs: 250,
      sleep: async (ms) => {
        sleeps.push(ms);
        stop.abort();
      },
    });
    await ob.run(stop.signal);
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1', 'a2']);
    expect(sleeps).toEqual([250]);
  });

  it('run() logs a failed poll and keeps polling', async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    let failures = 1;
    const flaky = new Proxy(store, {
      get(target, prop, receiverObj) {
        if (prop === 'claimDeliveries' && failures > 0) {
          failures--;
          return async () => {
            throw new SaaswatchError('STORAGE_UNAVAILABLE', 'database is locked', { retryable: true });
          };
        }
        const v = Reflect.get(target, prop, receiverObj);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const stop = new AbortController();
    const ob = new Outbox(flaky, new Map([['s', sink]]), {
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
      now: () => t,
      pollIntervalMs: 250,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sink.calls.length > 0) stop.abort();
      },
    });
    await ob.run(stop.signal);
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1']);
    expect(logs.filter((l) => l.msg === 'outbox poll failed')).toHaveLength(1);
    expect(sleeps).toEqual([250, 250]);
  });

  it('runs at least one sink at a time whatever the configured concurrency', async () => {
    const sinks = ['s1', 's2'].map((n) => new ScriptedSink(n));
    await saveAlert('a1', ['s1', 's2']);
    expect(await outbox(sinks, { concurrency: 0 }).drainOnce()).toEqual({ delivered: 2, retried: 0, failed: 0 });
  });

  it('keeps running when the store fails to record an outcome; the lease brings it back', async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    let failOnce = true;
    const flaky = new Proxy(store, {
      get(target, prop, receiverObj) {
        if (prop === 'completeDelivery' && failOnce) {
          failOnce = false;
          return async () => {
            throw new SaaswatchError('STORAGE_UNAVAILABLE', 'database is locked', { retryable: true });
          };
        }
        const v = Reflect.get(target, prop, receiverObj);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const ob = new Outbox(flaky, new Map([['s', sink]]), {
      logger: pino({ level: 'silent' }),
      now: () => t,
      leaseMs: 1_000,
    });
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect((await deliveryOf('a1')).status).toBe('delivering');
    t += 1_001;
    expect(await ob.drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(sink.calls.map((c) => [c.ctx.deliveryId, c.ctx.attempt])).toEqual([
      [(await deliveryOf('a1')).id, 1],
      [(await deliveryOf('a1')).id, 2],
    ]);
  });
});

describe('Outbox with the jsonl-file sink', () => {
  it('writes the alert once even when a crash forces a redelivery', async () => {
    const path = join(dir, 'alerts.jsonl');
    await saveAlert('a1', ['file']);
    // First process: writes the line, then dies before recording the outcome (lease stays).
    const first = new JsonlFileSink('file', path);
    const claimed = await store.claimDeliveries(t, 10, { owner: 'crashed', now: t, ms: 1_000 });
    expect(claimed).toHaveLength(1);
    await first.deliver((await store.getAlert('a1'))!, { deliveryId: claimed[0]!.id, attempt: 1, signal: new AbortController().signal });

    // Second process, after the lease expired.
    t += 1_001;
    const second = outbox([new JsonlFileSink('file', path)], { leaseMs: 1_000 });
    expect(await second.drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).delivery_id).toBe(claimed[0]!.id);
    expect((await deliveryOf('a1')).status).toBe('delivered');
  });
});

/** The store with one of its methods replaced, as a failing or changing database would behave. */
function storeWith<K extends keyof Store>(prop: K, replacement: (original: Store[K]) => Store[K]): Store {
  return new Proxy(store, {
    get(target, p, receiverObj) {
      const v = Reflect.get(target, p, receiverObj);
      const bound = typeof v === 'function' ? v.bind(target) : v;
      return p === prop ? replacement(bound as Store[K]) : bound;
    },
  });
}

/** A retryable failure that asks for a given wait, as a 429 with Retry-After does. */
const later = (ms: number) => new SaaswatchError('HTTP_RETRYABLE', `receiver responded 429; retry in ${ms} ms`, { retryable: true, retryAfterMs: ms });

describe('Outbox drain()', () => {
  it('stops when its signal aborts: deliveries not started are released, and no listener is left on the signal', async () => {
    const stop = new AbortController();
    const sink = new ScriptedSink('s', async () => stop.abort());
    for (const id of ['a1', 'a2']) {
      await saveAlert(id, ['s']);
      t += 1;
    }
    const result = await outbox([sink]).drain({ timeoutMs: 60_000, signal: stop.signal });
    expect(result).toEqual({ delivered: 1, retried: 0, failed: 0, remaining: 1 });
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1']);
    expect((await deliveryOf('a2')).lastError).toBe('not attempted: outbox stopping');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener on a signal that never aborts, however many drains share it', async () => {
    const signal = new AbortController().signal;
    const ob = outbox([new ScriptedSink('s')]);
    for (let i = 0; i < 3; i++) await ob.drain({ timeoutMs: 1_000, signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('attempts nothing when its signal has aborted already', async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    const stop = new AbortController();
    stop.abort();
    expect(await outbox([sink]).drain({ timeoutMs: 60_000, signal: stop.signal })).toEqual({ delivered: 0, retried: 0, failed: 0, remaining: 1 });
    expect(sink.calls).toEqual([]);
    expect((await deliveryOf('a1')).status).toBe('pending');
  });

  it('goes on at once after a batch that claimed something', async () => {
    const sink = new ScriptedSink('s');
    for (const id of ['a1', 'a2', 'a3']) {
      await saveAlert(id, ['s']);
      t += 1;
    }
    expect(await outbox([sink], { batchSize: 1 }).drain({ timeoutMs: 60_000 })).toEqual({ delivered: 3, retried: 0, failed: 0, remaining: 0 });
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1', 'a2', 'a3']);
    expect(sleeps).toEqual([]);
  });

  it('waits for the earliest retry, whatever order the retries were created in', async () => {
    // a2, created between the others, falls due first; a1 and a3 fall due after the timeout.
    const waits: Record<string, number> = { a1: 50_000, a2: 5_000, a3: 60_000 };
    const sink = new ScriptedSink('s', async (alert, ctx) => {
      if (ctx.attempt === 1) throw later(waits[alert.id]!);
    });
    for (const id of ['a1', 'a2', 'a3']) {
      await saveAlert(id, ['s']);
      t += 1;
    }
    const result = await outbox([sink]).drain({ timeoutMs: 10_000 });
    expect(result).toEqual({ delivered: 1, retried: 3, failed: 0, remaining: 2 });
    expect(sleeps).toEqual([5_000]);
    expect((await deliveryOf('a2')).status).toBe('delivered');
  });

  it('leaves a retry due exactly at its timeout for later', async () => {
    const sink = new ScriptedSink('s', async (_alert, ctx) => {
      if (ctx.attempt === 1) throw later(10_000);
    });
    await saveAlert('a1', ['s']);
    const start = t;
    const result = await outbox([sink]).drain({ timeoutMs: 10_000 });
    expect(result).toEqual({ delivered: 0, retried: 1, failed: 0, remaining: 1 });
    expect(sink.calls).toHaveLength(1);
    expect(t - start).toBeLessThanOrEqual(10_000);
    // Nor does it sleep out the timeout for a retry it would not try.
    expect(sleeps).toEqual([]);
  });

  it('never sleeps past its timeout, even to poll', async () => {
    // Due in 30 ms, but the outbox polls no more often than every 100 ms; only 50 ms are left.
    const sink = new ScriptedSink('s', async (_alert, ctx) => {
      if (ctx.attempt === 1) throw later(30);
    });
    await saveAlert('a1', ['s']);
    const result = await outbox([sink]).drain({ timeoutMs: 50 });
    expect(result.retried).toBe(1);
    expect(sleeps).toEqual([50]);
  });

  it("waits for another process's lease to run out when that is within its timeout", async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    // A process that crashed holding the delivery leased for a minute.
    expect(await store.claimDeliveries(t, 10, { owner: 'crashed', now: t, ms: 60_000 })).toHaveLength(1);
    t += 10_000;
    const ob = outbox([sink], { leaseMs: 60_000 });

    expect(await ob.drain({ timeoutMs: 30_000 })).toEqual({ delivered: 0, retried: 0, failed: 0, remaining: 1 });
    expect(sleeps).toEqual([]);

    expect(await ob.drain({ timeoutMs: 60_000 })).toEqual({ delivered: 1, retried: 0, failed: 0, remaining: 0 });
    // The lease ends 60 s after it was taken, 50 s from now; it can be taken a millisecond after its end.
    expect(sleeps).toEqual([50_001]);
    expect(sink.calls.map((c) => c.ctx.attempt)).toEqual([2]);
  });

  it('does not wait on deliveries that are finished', async () => {
    await saveAlert('a1', ['s']);
    t += 1;
    await saveAlert('a2', ['gone']);
    const ob = outbox([new ScriptedSink('s')], { leaseMs: 60_000 });
    expect(await ob.drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 1 });
    expect(await ob.drain({ timeoutMs: 600_000 })).toEqual({ delivered: 0, retried: 0, failed: 0, remaining: 0 });
    expect(sleeps).toEqual([]);
  });

  it('counts pending and leased deliveries as remaining', async () => {
    const sink = new ScriptedSink('s', async () => {
      throw later(3_600_000);
    });
    await saveAlert('a2', ['held']);
    t += 1;
    await saveAlert('a1', ['s']);
    expect(await store.claimDeliveries(t, 1, { owner: 'other', now: t, ms: 3_600_000 }).then((c) => c.map((d) => d.sink))).toEqual(['held']);
    const result = await outbox([sink]).drain({ timeoutMs: 1_000 });
    expect(result).toEqual({ delivered: 0, retried: 1, failed: 0, remaining: 2 });
  });
});

describe('Outbox failures and their logs', () => {
  it('logs a retry with the delivery, the sink, the attempt, the delay and the error', async () => {
    const sink = new ScriptedSink('s', async () => {
      throw later(7_000);
    });
    await saveAlert('a1', ['s']);
    await outbox([sink]).drainOnce();
    const d = await deliveryOf('a1');
    expect(d.nextAttemptAt).toBe(t + 7_000);
    expect(logs.filter((l) => l.msg === 'delivery failed; will retry')).toEqual([
      expect.objectContaining({ level: 30, deliveryId: d.id, sink: 's', sinkType: 'scripted', attempts: 1, delayMs: 7_000, err: expect.objectContaining({ code: 'HTTP_RETRYABLE' }) }),
    ]);
  });

  it('fails a delivery whose alert is gone, naming both', async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    const gone = storeWith('getAlert', () => async () => undefined);
    const ob = new Outbox(gone, new Map([['s', sink]]), { logger: pino({ level: 'silent' }), now: () => t });
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect(sink.calls).toEqual([]);
    const d = await deliveryOf('a1');
    expect(d.status).toBe('failed');
    expect(d.lastError).toBe(`INTERNAL: internal error: alert a1 of delivery ${d.id} not found`);
  });

  it('logs an outcome it could not record, with the delivery and the error', async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    const locked = storeWith('completeDelivery', () => async () => {
      throw new SaaswatchError('STORAGE_UNAVAILABLE', 'database is locked', { retryable: true });
    });
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const ob = new Outbox(locked, new Map([['s', sink]]), { logger, now: () => t });
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    const d = await deliveryOf('a1');
    expect(logs.filter((l) => l.msg === 'could not record delivery outcome')).toEqual([
      expect.objectContaining({ level: 50, deliveryId: d.id, sink: 's', err: expect.objectContaining({ code: 'STORAGE_UNAVAILABLE' }) }),
    ]);
  });

  it('run() logs a failed poll with its error', async () => {
    let failures = 1;
    const flaky = storeWith('claimDeliveries', (claim) => async (...args) => {
      if (failures-- > 0) throw new SaaswatchError('STORAGE_UNAVAILABLE', 'database is locked', { retryable: true });
      return claim(...args);
    });
    const stop = new AbortController();
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const ob = new Outbox(flaky, new Map(), { logger, now: () => t, sleep: async () => stop.abort() });
    await ob.run(stop.signal);
    expect(logs.filter((l) => l.msg === 'outbox poll failed')).toEqual([
      expect.objectContaining({ level: 50, err: expect.objectContaining({ code: 'STORAGE_UNAVAILABLE', message: 'database is locked' }) }),
    ]);
  });

  it('run() wakes from its idle wait when stopped, with the default sleep', async () => {
    const ob = new Outbox(store, new Map(), { logger: pino({ level: 'silent' }), pollIntervalMs: 3_600_000 });
    const stop = new AbortController();
    const running = ob.run(stop.signal);
    // Let the first poll finish and the hour-long idle wait begin.
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await running;
  });
});

describe('Outbox leases', () => {
  /** The lease clock, apart from `t` as in the app: a pinned run clock (t) and the wall clock (lt). */
  let lt: number;
  beforeEach(() => {
    lt = Date.parse('2026-11-20T08:00:00.000Z');
  });

  /** A sink call that lasts until its signal aborts, then fails as an aborted request does. */
  const untilAborted = (_alert: Alert, ctx: DeliveryContext) =>
    new Promise<void>((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new SaaswatchError('NETWORK', 'request aborted', { retryable: true })), { once: true });
    });

  it('names its owner by host and process', () => {
    const ob = new Outbox(store, new Map(), { logger: pino({ level: 'silent' }) });
    expect(ob.owner).toMatch(new RegExp(`^[^:]+:${process.pid}:[0-9a-f]{8}$`));
    expect(new Outbox(store, new Map(), { logger: pino({ level: 'silent' }) }).owner).not.toBe(ob.owner);
  });

  it('takes over what a killed process left leased once its short lease runs out, on the lease clock', async () => {
    const sink = new ScriptedSink('s');
    await saveAlert('a1', ['s']);
    // The killed process claimed it on its wall clock with the default lease, and never renewed it.
    const [held] = await store.claimDeliveries(t, 10, { owner: 'host:1234:dead', now: lt, ms: 10_000 });
    expect(held!.leaseUntil).toBe(lt + 10_000);
    const ob = outbox([sink], {
      owner: 'host:5678:live',
      leaseClock: () => lt,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
        lt += ms;
      },
    });
    // The default lease is well within a one-shot run's drain: the rerun delivers it.
    expect(await ob.drain({ timeoutMs: 30_000 })).toEqual({ delivered: 1, retried: 0, failed: 0, remaining: 0 });
    expect(sleeps).toEqual([10_001]);
    expect(sink.calls.map((c) => c.ctx.attempt)).toEqual([2]);
    expect(await deliveryOf('a1')).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('renews the leases of the batch it works on, so a slow sink keeps them', async () => {
    const gate = deferred();
    const sink = new ScriptedSink('s', () => gate.promise);
    await saveAlert('a1', ['s']);
    const ob = outbox([sink], { owner: 'outbox-a', leaseMs: 90, leaseClock: () => lt });
    const run = ob.drainOnce();
    await expect.poll(() => sink.calls.length).toBe(1);
    for (let i = 0; i < 4; i++) {
      // Each step uses up a third of the lease; the heartbeat pushes its end ahead of the clock again.
      lt += 30;
      await expect.poll(async () => (await deliveryOf('a1')).leaseUntil).toBe(lt + 90);
      expect(await store.claimDeliveries(t, 10, { owner: 'outbox-b', now: lt, ms: 90 })).toEqual([]);
    }
    expect((await deliveryOf('a1')).leaseOwner).toBe('outbox-a');
    gate.resolve();
    expect(await run).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(await deliveryOf('a1')).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(sink.calls).toHaveLength(1);
  });

  it('stops an attempt whose lease another outbox took over, and writes nothing over it', async () => {
    const sink = new ScriptedSink('s', untilAborted);
    await saveAlert('a1', ['s']);
    const ob = outbox([sink], { owner: 'outbox-a', leaseMs: 60, leaseClock: () => lt });
    const run = ob.drainOnce();
    await expect.poll(() => sink.calls.length).toBe(1);
    // outbox-b's clock runs ahead: by its clock the lease has run out, and it takes the delivery over.
    const [taken] = await store.claimDeliveries(t, 10, { owner: 'outbox-b', now: lt + 60_000, ms: 10_000 });
    expect(taken!.id).toBe((await deliveryOf('a1')).id);
    expect(await run).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(sink.calls[0]!.ctx.signal.aborted).toBe(true);
    expect(await deliveryOf('a1')).toMatchObject({ status: 'delivering', leaseOwner: 'outbox-b', attempts: 2 });
    expect((await deliveryOf('a1')).lastError).toBeUndefined();
    expect(logs.filter((l) => l.msg === 'delivery lease was taken over by another outbox; its attempt here stops')).toEqual([
      expect.objectContaining({ level: 40, deliveryId: taken!.id }),
    ]);
  });

  it('stops an attempt whose lease it cannot renew before it runs out, and gives the delivery back', async () => {
    const sink = new ScriptedSink('s', untilAborted);
    await saveAlert('a1', ['s']);
    const down = storeWith('renewLeases', () => async () => {
      throw new SaaswatchError('STORAGE_UNAVAILABLE', 'database is locked', { retryable: true });
    });
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const ob = new Outbox(down, new Map([['s', sink]]), { logger, now: () => t, leaseClock: () => lt, leaseMs: 60, owner: 'outbox-a' });
    const run = ob.drainOnce();
    await expect.poll(() => sink.calls.length).toBe(1);
    // Two thirds of the lease gone without a renewal: the next renewal might come too late, so it stops now.
    lt += 40;
    expect(await run).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(sink.calls[0]!.ctx.signal.aborted).toBe(true);
    const d = await deliveryOf('a1');
    expect(d).toMatchObject({ status: 'pending', nextAttemptAt: t, attempts: 1 });
    expect(d.leaseOwner).toBeUndefined();
    expect(d.lastError).toBe('interrupted: lease ran out: NETWORK: request aborted');
    expect(logs.some((l) => l.msg === 'could not renew delivery leases')).toBe(true);
    expect(logs.filter((l) => l.msg === 'delivery lease could not be renewed in time; its attempt stops')).toHaveLength(1);
  });

  it('does not record an outcome over a holder that took the delivery over mid-attempt', async () => {
    let takenBy: Delivery | undefined;
    const sink = new ScriptedSink('s', async () => {
      // Another outbox, its clock far ahead, takes the delivery over while the send is under way.
      [takenBy] = await store.claimDeliveries(t, 10, { owner: 'outbox-b', now: lt + 60_000, ms: 10_000 });
    });
    await saveAlert('a1', ['s']);
    const ob = outbox([sink], { owner: 'outbox-a', leaseClock: () => lt });
    expect(await ob.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(takenBy!.leaseOwner).toBe('outbox-b');
    expect(await deliveryOf('a1')).toMatchObject({ status: 'delivering', leaseOwner: 'outbox-b', attempts: 2 });
    expect(logs.filter((l) => l.msg === 'delivery outcome not recorded: its lease was taken over')).toEqual([
      expect.objectContaining({ level: 40, deliveryId: takenBy!.id, err: expect.objectContaining({ code: 'STORAGE' }) }),
    ]);
  });

  it('gives back, unattempted, a delivery whose lease ran out while it waited its turn', async () => {
    const sink = new ScriptedSink('s', async () => {
      // The first send takes so long that the rest of the batch's leases (not renewed: no timer fires in between) run low.
      lt += 50;
    });
    for (const id of ['a1', 'a2']) {
      await saveAlert(id, ['s']);
      t += 1;
    }
    const ob = outbox([sink], { owner: 'outbox-a', leaseMs: 60, leaseClock: () => lt });
    expect(await ob.drainOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(sink.calls.map((c) => c.alertId)).toEqual(['a1']);
    expect(await deliveryOf('a2')).toMatchObject({ status: 'pending', lastError: 'not attempted: its lease ran out first' });
  });
});
