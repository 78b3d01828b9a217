/**
 * The sink contract checks reject broken sinks, each naming the clause it breaks: so a green
 * contract suite means the clauses hold, not that the checks cannot fail.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SaaswatchError, type Alert, type DeliveryContext, type PluginDeps, type Sink, type SinkPlugin } from '../../src/core/index.js';
import { classifyHttpStatus } from '../../src/pipeline/retry.js';
import { formatWebhookPayload } from '../../src/sinks/webhook/format.js';
import { contractHarness } from '../../src/sinks/webhook/fixtures/contract.js';
import { checkDelivers, checkErrors, checkNoSecrets, checkRedelivery, checkRetryAfter, checkSsrf, SINK_CLAUSES, type SinkClause, type SinkSubject } from './sink-checks.js';

const configSchema = z.looseObject({ url: z.string(), token: z.string() });
type Config = z.output<typeof configSchema>;

interface Quirks {
  /** What to throw for a non-2xx answer (default: the shared classification). */
  onStatus?(res: Response, config: Config): Error;
  /** The delivery id header for an attempt. */
  idFor?(ctx: DeliveryContext): string;
  /** Logs before sending. */
  log?(deps: PluginDeps, config: Config): void;
}

/** A minimal webhook-like sink, correct except for its quirks. */
function brokenSink(type: string, q: Quirks): SinkPlugin<Config> {
  return {
    type,
    description: 'broken on purpose',
    configSchema,
    create(name, config, deps): Sink {
      return {
        name,
        type,
        async deliver(alert: Alert, ctx: DeliveryContext) {
          q.log?.(deps, config);
          let res: Response;
          try {
            res = await fetch(config.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}`, 'x-saaswatch-delivery': q.idFor?.(ctx) ?? ctx.deliveryId },
              body: JSON.stringify(formatWebhookPayload(alert, ctx)),
            });
          } catch (err) {
            throw new SaaswatchError('NETWORK', `could not reach ${new URL(config.url).host}`, { retryable: true, cause: err });
          }
          await res.arrayBuffer();
          if (res.ok) return;
          throw q.onStatus ? q.onStatus(res, config) : classifyHttpStatus(res.status, res.headers.get('retry-after'), { target: 'receiver' });
        },
      };
    },
  };
}

const subject = (p: SinkPlugin<any>): SinkSubject => ({ type: p.type, harness: contractHarness, plugin: p });

const cases: Array<[SinkPlugin<Config>, SinkClause, (s: SinkSubject) => Promise<string[]>]> = [
  [brokenSink('retry-id', { idFor: (c) => (c.attempt === 1 ? c.deliveryId : `${c.deliveryId}.${c.attempt}`) }), 'S2', checkRedelivery],
  [brokenSink('plain-error', { onStatus: (res) => new Error(`receiver said ${res.status}`) }), 'S3', checkErrors],
  [
    brokenSink('always-retry', { onStatus: (res) => new SaaswatchError('HTTP_RETRYABLE', `receiver said ${res.status}`, { retryable: true }) }),
    'S3',
    checkErrors,
  ],
  [brokenSink('leaky-error', { onStatus: (res, c) => new SaaswatchError('HTTP_REJECTED', `POST ${c.url} refused ${res.status}`, { retryable: res.status !== 401 }) }), 'S4', checkNoSecrets],
  [brokenSink('leaky-log', { log: (deps, c) => deps.logger.debug({ token: c.token }, 'sending') }), 'S4', checkNoSecrets],
  // Posts wherever the URL points: the plain fetch has no SSRF guard.
  [brokenSink('unguarded', {}), 'S6', checkSsrf],
  [brokenSink('deaf', { onStatus: (res) => new SaaswatchError(res.status === 401 ? 'HTTP_REJECTED' : 'HTTP_RETRYABLE', `receiver said ${res.status}`, { retryable: res.status !== 401 }) }), 'S5', checkRetryAfter],
];

describe('the sink contract checks reject a broken sink, naming the clause', () => {
  it.each(cases.map(([p, clause]) => [p.type, clause] as const))('%s breaks %s', async (type, clause) => {
    const [p, , run] = cases.find(([c]) => c.type === type)!;
    const violations = await run(subject(p));
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) expect(v).toMatch(new RegExp(`^${clause} \\(${SINK_CLAUSES[clause].replace(/[()]/g, '\\$&')}\\): ${type}: `));
  });

  it('the same sink without its quirks passes every check', async () => {
    const s = subject(brokenSink('plain', {}));
    for (const check of [checkDelivers, checkRedelivery, checkErrors, checkNoSecrets, checkRetryAfter]) expect(await check(s)).toEqual([]);
  });
});
