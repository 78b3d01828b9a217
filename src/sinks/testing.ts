/** Test helpers for sinks: a sample alert and a scripted HTTP receiver on 127.0.0.1. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert, DeliveryContext, SinkRefs } from '../core/index.js';

export function sampleAlert(overrides: Partial<Alert> = {}): Alert {
  const windowStart = Date.parse('2024-05-01T10:00:00.000Z');
  return {
    id: 'alrt_0001',
    dedupKey: 'brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z',
    rule: 'brute-force',
    title: 'Brute force from 203.0.113.7',
    severity: 'high',
    entity: { type: 'ip', value: '203.0.113.7' },
    windowStart,
    windowEnd: windowStart + 300_000,
    evidence: ['ev1', 'ev2', 'ev3'],
    description: '42 failed logins in 5 minutes (expected at most 10)',
    observed: { failures: 42 },
    expected: { failures: 10 },
    status: 'open',
    createdAt: '2024-05-01T10:05:01.000Z',
    ...overrides,
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Exactly the bytes sent, as a signature verifier must see them. */
  rawBody: string;
}

/** Decides the response to the n-th request (0-based); returning nothing means 200. */
export type Responder = (req: ReceivedRequest, index: number, res: ServerResponse) => void | 'hang';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(respond: Responder = () => undefined): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      if (respond(received, requests.length - 1, res) === 'hang') return;
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/plain' });
      if (!res.writableEnded) res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** One alert as it reached the destination. */
export interface ArrivedAlert {
  /** Delivery id the destination recorded with it (how a receiver drops repeats). */
  deliveryId: string | undefined;
  /** The alert's id and dedup key as the destination got them. */
  alertId: string;
  dedupKey: string;
}

/** A way the destination refuses the next delivery; a harness supports those its destination has. */
export type Refusal =
  /** "Later": an overloaded or restarting destination. */
  | { kind: 'retryable' }
  /** The request itself is wrong; `echo` asks a destination that can to quote the request (headers included) back. */
  | { kind: 'permanent'; echo?: boolean }
  /** The destination asks for a delay (HTTP 429 with Retry-After). */
  | { kind: 'throttle'; retryAfterSec: number };

/** A destination for a sink under the contract suite, started by the sink's `fixtures/contract.ts`. */
export interface SinkContractTarget {
  /** The sink's config section (without `type`/`name`), using the secret given to start() as its credential, if the sink takes one. */
  config: Record<string, unknown>;
  dataDir: string;
  /** Every alert that arrived, in order. */
  arrived(): Promise<ArrivedAlert[]>;
  /** Makes the destination refuse the next delivery this way; false when it cannot refuse like that. */
  refuseNext(r: Refusal): Promise<boolean>;
  close(): Promise<void>;
}

export interface SinkContractHarness {
  /** How repeats of one delivery id are handled: dropped by the sink, or delivered again with the id for the receiver to drop. */
  redelivery: 'idempotent' | 'at-least-once';
  /** Whether the sink takes a credential (token, key) the contract must keep out of errors and logs. */
  takesSecret: boolean;
  /**
   * A fresh destination; `secret` is the credential to put in the config. `unthrottled`: without the
   * destination's rate limits, for the delivery benchmark (a fake that paces like its vendor would
   * measure the pace, not the sink).
   */
  start(secret: string, opts?: { unthrottled?: boolean }): Promise<SinkContractTarget>;
}

/** SinkRefs in memory, for a sink's own tests (the outbox gives the store's in the app). Shared by `new` sink instances to play a restart. */
export function memoryRefs(map: Map<string, string> = new Map()): SinkRefs & { map: Map<string, string> } {
  return {
    map,
    get: async (key) => map.get(key),
    put: async (key, value) => {
      map.set(key, value);
    },
  };
}

/** A first attempt's context for a sink's own tests; `over` adds kind, group, refs, evidence, activity. */
export function deliveryContext(deliveryId = 'dlv_1', over: Partial<DeliveryContext> = {}): DeliveryContext {
  return { deliveryId, attempt: 1, signal: new AbortController().signal, ...over };
}
