/** A local audit-log API answering the shapes http-json reads: arrays, wrapped arrays or JSONL, paged by next link, Link header or cursor, filtered by since/until. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeShape = 'array' | 'wrapped' | 'jsonl';
export type FakePaging = 'none' | 'body_link' | 'link_header' | 'cursor';

export interface FakeHttpJsonOptions {
  /** Records in the order served; each has an ISO `ts` used by since/until. */
  records: Array<Record<string, unknown>>;
  /** The header and value a request must carry (`authorization: Bearer k`). */
  auth: { header: string; value: string };
  shape?: FakeShape;
  paging?: FakePaging;
  pageSize?: number;
}

export interface FakeHttpJson {
  url: string;
  /** Each request: path with query, and the status answered. */
  requests: Array<{ url: string; status: number }>;
  /** The next N requests answer 429 with Retry-After: retryAfterSeconds. */
  faults: { rateLimited: number; retryAfterSeconds: number };
  /** Records served from now on (a test adds late ones). */
  records: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startFakeHttpJson(opts: FakeHttpJsonOptions): Promise<FakeHttpJson> {
  const shape = opts.shape ?? 'wrapped';
  const paging = opts.paging ?? 'none';
  const faults = { rateLimited: 0, retryAfterSeconds: 1 };
  const requests: FakeHttpJson['requests'] = [];
  const state = { records: opts.records };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      requests.push({ url: req.url ?? '', status });
      res.writeHead(status, headers).end(body);
    };
    if (req.headers[opts.auth.header.toLowerCase()] !== opts.auth.value) return answer(401, '{"error":"invalid api key"}', { 'content-type': 'application/json' });
    if (faults.rateLimited > 0) {
      faults.rateLimited--;
      return answer(429, '{"error":"slow down"}', { 'content-type': 'application/json', 'retry-after': String(faults.retryAfterSeconds) });
    }
    const since = u.searchParams.get('since');
    const until = u.searchParams.get('until');
    const inRange = state.records.filter((r) => (since === null || String(r.ts) >= since) && (until === null || String(r.ts) < until));
    const size = Number(u.searchParams.get('limit') ?? opts.pageSize ?? 1_000_000);
    const offset = Number(u.searchParams.get('page') ?? u.searchParams.get('cursor')?.replace(/^c-/, '') ?? 0);
    const page = inRange.slice(offset, offset + size);
    const more = offset + size < inRange.length;
    const nextUrl = () => {
      const n = new URL(u.href);
      n.searchParams.set('page', String(offset + size));
      return `${n.pathname}${n.search}`;
    };
    const headers: Record<string, string> = { 'content-type': shape === 'jsonl' ? 'application/x-ndjson' : 'application/json' };
    if (paging === 'link_header' && more) headers.link = `<${nextUrl()}>; rel="next"`;
    let body: string;
    if (shape === 'jsonl') body = page.map((r) => (typeof r.__raw === 'string' ? r.__raw : JSON.stringify(r))).join('\n') + '\n';
    else if (shape === 'array') body = JSON.stringify(page);
    else {
      const envelope: Record<string, unknown> = { data: page };
      if (paging === 'body_link') envelope.links = { next: more ? nextUrl() : null };
      // A cursor feed always hands back a token: the last one when there is nothing new.
      if (paging === 'cursor') envelope.next_cursor = `c-${more ? offset + size : offset + page.length}`;
      body = JSON.stringify(envelope);
    }
    answer(200, body, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/audit`,
    requests,
    faults,
    get records() {
      return state.records;
    },
    set records(r) {
      state.records = r;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
