/**
 * The sink contract (docs/contracts/sink.md) as checks that run against any sink plugin and its
 * harness: each returns the violations it found, every one opening with the clause it breaks.
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import pino from 'pino';
import { SaaswatchError, type DeliveryContext, type Sink, type SinkPlugin, type SinkRefs } from '../../src/core/index.js';
import { ERROR_CATALOGUE } from '../../src/core/errors.js';
import { DEFAULT_RETRY_POLICY, nextAttemptDelay } from '../../src/pipeline/retry.js';
import { memoryRefs, sampleAlert, type Refusal, type SinkContractHarness, type SinkContractTarget } from '../../src/sinks/testing.js';

export const SINK_CLAUSES = {
  S1: 'delivers an alert',
  S2: 'a repeated delivery id is dropped, or carried for the receiver to drop',
  S3: 'every failure is a SaaswatchError with a catalogue code that says whether retrying helps',
  S4: 'no secret in any error or log',
  S5: 'honours Retry-After through its retry policy',
  S6: 'refuses loopback, private and metadata addresses unless allow_networks names them',
} as const;
export type SinkClause = keyof typeof SINK_CLAUSES;

const violation = (clause: SinkClause, text: string) => `${clause} (${SINK_CLAUSES[clause]}): ${text}`;

/** The credential handed to the sink under test: distinctive, so any leak of it is found verbatim. */
export const CONTRACT_SECRET = 'sw-contract-s3cr3t-7f2a9c41e0';

export interface SinkSubject {
  type: string;
  harness: SinkContractHarness;
  plugin: SinkPlugin<any>;
}

/** A sink on the target's current config, logging at trace level into `logs`. */
function open(s: SinkSubject, target: SinkContractTarget, logs: string[]): Sink {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, stream);
  return s.plugin.create(`contract-${s.type}`, s.plugin.configSchema.parse(target.config), { logger, dataDir: target.dataDir, now: () => Date.parse('2026-12-01T00:00:00.000Z') });
}

/** A delivery's context as the outbox gives it, with the sink's saved handles (one map per destination, as the store keeps them per sink). */
const ctx = (deliveryId: string, attempt = 1, refs: SinkRefs = memoryRefs()): DeliveryContext => ({ deliveryId, attempt, signal: new AbortController().signal, refs });

async function failure(p: Promise<void>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err;
  }
}

async function withTarget<T>(s: SinkSubject, fn: (t: SinkContractTarget, refs: SinkRefs) => Promise<T>): Promise<T> {
  const target = await s.harness.start(CONTRACT_SECRET);
  try {
    // Shared by every sink instance on this destination, as the store's are across a restart.
    return await fn(target, memoryRefs());
  } finally {
    await target.close();
  }
}

export async function checkDelivers(s: SinkSubject): Promise<string[]> {
  return withTarget(s, async (t, refs) => {
    const sink = open(s, t, []);
    const alert = sampleAlert({ id: 'alrt_contract_1' });
    const err = await failure(sink.deliver(alert, ctx('dlv_contract_1', 1, refs)));
    await sink.close?.();
    if (err !== undefined) return [violation('S1', `${s.type}: deliver() to a destination that accepts failed: ${String(err)}`)];
    const got = await t.arrived();
    if (got.length !== 1 || got[0]!.alertId !== alert.id || got[0]!.dedupKey !== alert.dedupKey) {
      return [violation('S1', `${s.type}: the destination holds ${JSON.stringify(got)} instead of alert ${alert.id}`)];
    }
    return got[0]!.deliveryId === 'dlv_contract_1' ? [] : [violation('S1', `${s.type}: the alert arrived without its delivery id (got ${String(got[0]!.deliveryId)})`)];
  });
}

export async function checkRedelivery(s: SinkSubject): Promise<string[]> {
  return withTarget(s, async (t, refs) => {
    const alert = sampleAlert({ id: 'alrt_contract_2' });
    const first = open(s, t, []);
    await first.deliver(alert, ctx('dlv_contract_2', 1, refs));
    await first.deliver(alert, ctx('dlv_contract_2', 2, refs));
    await first.close?.();
    // A crash between deliver and commit: the next process delivers the same id again.
    const restarted = open(s, t, []);
    await restarted.deliver(alert, ctx('dlv_contract_2', 3, refs));
    await restarted.deliver(sampleAlert({ id: 'alrt_contract_3' }), ctx('dlv_contract_3', 1, refs));
    await restarted.close?.();
    const got = await t.arrived();
    const copies = got.filter((a) => a.alertId === alert.id);
    if (!got.some((a) => a.alertId === 'alrt_contract_3')) return [violation('S2', `${s.type}: a new delivery after the repeats did not arrive`)];
    if (s.harness.redelivery === 'idempotent') {
      return copies.length === 1 ? [] : [violation('S2', `${s.type}: declared idempotent, but one delivery id arrived ${copies.length} times`)];
    }
    return copies.length >= 1 && copies.every((a) => a.deliveryId === 'dlv_contract_2')
      ? []
      : [violation('S2', `${s.type}: at-least-once, but the repeats do not all carry delivery id dlv_contract_2 (${JSON.stringify(copies.map((a) => a.deliveryId))}), so a receiver cannot drop them`)];
  });
}

interface Provoked {
  refusal: Refusal | 'unreachable';
  err: unknown;
  logs: string[];
}

/** Every failure the harness can produce, and the destination gone, with the errors and log lines they caused. */
async function provoke(s: SinkSubject): Promise<Provoked[]> {
  const out: Provoked[] = [];
  const refusals: Refusal[] = [{ kind: 'retryable' }, { kind: 'permanent' }, { kind: 'permanent', echo: true }, { kind: 'throttle', retryAfterSec: 120 }];
  for (const refusal of refusals) {
    await withTarget(s, async (t, refs) => {
      if (!(await t.refuseNext(refusal))) return;
      const logs: string[] = [];
      const sink = open(s, t, logs);
      const err = await failure(sink.deliver(sampleAlert(), ctx('dlv_contract_fail', 1, refs)));
      await sink.close?.();
      out.push({ refusal, err, logs });
    });
  }
  const logs: string[] = [];
  let gone: Sink | undefined;
  await withTarget(s, async (t, refs) => {
    gone = open(s, t, logs);
  });
  // The destination is closed now: a webhook's port refuses, a file's folder is gone.
  out.push({ refusal: 'unreachable', err: await failure(gone!.deliver(sampleAlert(), ctx('dlv_contract_gone'))), logs });
  await gone!.close?.();
  return out;
}

const label = (p: Provoked) => (p.refusal === 'unreachable' ? 'destination gone' : `${p.refusal.kind}${'echo' in p.refusal && p.refusal.echo ? ' (echoing the request)' : ''}`);

export async function checkErrors(s: SinkSubject): Promise<string[]> {
  const out: string[] = [];
  let refused = 0;
  for (const p of await provoke(s)) {
    if (p.err === undefined) {
      // A gone file destination may simply be recreated; a refusal the harness arranged must fail.
      if (p.refusal !== 'unreachable') out.push(violation('S3', `${s.type}: ${label(p)}: deliver() succeeded although the destination refused`));
      continue;
    }
    if (p.refusal !== 'unreachable') refused++;
    if (!(p.err instanceof SaaswatchError)) {
      out.push(violation('S3', `${s.type}: ${label(p)}: threw ${inspect(p.err, { depth: 0 }).split('\n')[0]}, not a SaaswatchError`));
      continue;
    }
    if (!(p.err.code in ERROR_CATALOGUE)) out.push(violation('S3', `${s.type}: ${label(p)}: code ${p.err.code} is not in the catalogue`));
    const want = p.refusal === 'unreachable' || p.refusal.kind !== 'permanent';
    if (p.err.retryable !== want) out.push(violation('S3', `${s.type}: ${label(p)}: retryable is ${p.err.retryable}, should be ${want}`));
  }
  if (refused === 0) out.push(violation('S3', `${s.type}: its harness could not make the destination refuse a delivery in any way`));
  return out;
}

/** Everything an error shows: message, stack, own fields and its causes, as a log would serialise them. */
function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error) || depth > 5) return inspect(err, { depth: 5 });
  const own = JSON.stringify(Object.fromEntries(Object.entries(err)), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  return [err.message, err.stack ?? '', own, inspect(err, { depth: 5 }), errorText((err as { cause?: unknown }).cause, depth + 1)].join('\n');
}

export async function checkNoSecrets(s: SinkSubject): Promise<string[]> {
  if (!s.harness.takesSecret) return [];
  const out: string[] = [];
  const encoded = encodeURIComponent(CONTRACT_SECRET);
  const leaks = (text: string) => text.includes(CONTRACT_SECRET) || text.includes(encoded);
  const provoked = await provoke(s);
  // Success logs too (at trace level): one accepted delivery.
  await withTarget(s, async (t, refs) => {
    const logs: string[] = [];
    const sink = open(s, t, logs);
    await failure(sink.deliver(sampleAlert(), ctx('dlv_contract_ok', 1, refs)));
    await sink.close?.();
    provoked.push({ refusal: { kind: 'retryable' }, err: undefined, logs });
    // The CLI prints the target when a delivery is stuck.
    if (sink.target !== undefined && leaks(sink.target)) out.push(violation('S4', `${s.type}: its target names the secret: ${sink.target}`));
  });
  for (const p of provoked) {
    if (p.err !== undefined && leaks(errorText(p.err))) out.push(violation('S4', `${s.type}: ${label(p)}: the error carries the secret: ${errorText(p.err).split('\n')[0]}`));
    const line = p.logs.find(leaks);
    if (line) out.push(violation('S4', `${s.type}: ${label(p)}: a log line carries the secret: ${line.trim().slice(0, 200)}`));
  }
  return out;
}

export async function checkRetryAfter(s: SinkSubject): Promise<string[]> {
  return withTarget(s, async (t, refs) => {
    const out: string[] = [];
    const retryAfterSec = 120;
    if (!(await t.refuseNext({ kind: 'throttle', retryAfterSec }))) return [];
    const sink = open(s, t, []);
    const policy = sink.retryPolicy;
    if (policy && !(policy.maxAttempts >= 1 && policy.initialMs > 0 && policy.initialMs <= policy.maxMs)) {
      out.push(violation('S5', `${s.type}: retryPolicy ${JSON.stringify(policy)} is not a usable policy (maxAttempts ≥ 1, 0 < initialMs ≤ maxMs)`));
    }
    const err = await failure(sink.deliver(sampleAlert(), ctx('dlv_contract_throttled', 1, refs)));
    await sink.close?.();
    if (!(err instanceof SaaswatchError) || !err.retryable) return [...out, violation('S5', `${s.type}: a request to wait ${retryAfterSec}s did not fail as retryable (${String(err)})`)];
    // Longer than the harness's backoff ceiling (2 s): the server's word wins over our backoff.
    const delay = nextAttemptDelay(err, 1, policy ?? DEFAULT_RETRY_POLICY, () => 0.5);
    if (delay !== retryAfterSec * 1000) out.push(violation('S5', `${s.type}: asked to wait ${retryAfterSec}s, the outbox would retry after ${delay}ms (retryAfterMs ${String(err.retryAfterMs)})`));
    return out;
  });
}

/**
 * S6, for sinks whose config has a `url` (or `base_url`): with `allow_networks` taken away, the harness's loopback
 * destination, by IP and by a name that resolves to it (`localhost`), is refused, at config check
 * or at delivery, with a non-retryable CONFIG_INVALID that names `allow_networks`, and nothing arrives.
 */
export async function checkSsrf(s: SinkSubject): Promise<string[]> {
  return withTarget(s, async (t, refs) => {
    // `url` (webhook) or `base_url` (an API root, as the Slack sink takes).
    const key = 'url' in t.config ? 'url' : 'base_url';
    const url = t.config[key];
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return [];
    const out: string[] = [];
    const { allow_networks: _allowed, ...denied } = t.config as Record<string, unknown>;
    const byName = url.replace('://127.0.0.1', '://localhost');
    for (const [what, target] of [
      ['its loopback IP', denied],
      ['a name resolving to loopback', { ...denied, [key]: byName }],
    ] as const) {
      const parsed = s.plugin.configSchema.safeParse(target);
      if (!parsed.success) {
        const text = JSON.stringify(parsed.error.issues);
        if (!text.includes('allow_networks')) out.push(violation('S6', `${s.type}: config with ${what} is refused without naming allow_networks: ${text}`));
        continue;
      }
      const sink = s.plugin.create(`contract-${s.type}`, parsed.data, { logger: pino({ level: 'silent' }), dataDir: t.dataDir });
      const err = await failure(sink.deliver(sampleAlert({ id: 'alrt_contract_ssrf' }), ctx('dlv_contract_ssrf', 1, refs)));
      await sink.close?.();
      if (!(err instanceof SaaswatchError) || err.code !== 'CONFIG_INVALID' || err.retryable || !err.message.includes('allow_networks')) {
        out.push(violation('S6', `${s.type}: delivering to ${what} without allow_networks ${err === undefined ? 'succeeded' : `failed with ${String(err)}`}, not a non-retryable CONFIG_INVALID naming allow_networks`));
      }
    }
    const got = await t.arrived();
    if (got.length > 0) out.push(violation('S6', `${s.type}: ${got.length} alert(s) reached the loopback destination without allow_networks`));
    return out;
  });
}

export const SINK_CHECKS: Array<[SinkClause, (s: SinkSubject) => Promise<string[]>]> = [
  ['S1', checkDelivers],
  ['S2', checkRedelivery],
  ['S3', checkErrors],
  ['S4', checkNoSecrets],
  ['S5', checkRetryAfter],
  ['S6', checkSsrf],
];
