/**
 * The SSRF guard every outbound sink uses: a URL may not reach loopback, private, link-local,
 * CGNAT, multicast, unspecified or cloud-metadata addresses unless the sink's `allow_networks`
 * names them; checked on every address DNS returns, and the connection pinned to what was checked.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { SaaswatchError, errors } from '../core/index.js';
import { nodeRequestParts, toFetchResponse } from '../pipeline/http-body.js';

/** Ranges an alert must never be posted to by default, with the word the error uses. */
const FORBIDDEN: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** Cloud metadata services: the address an attacker wants most (credentials of the machine). */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

/** The config field, the same on every sink that posts somewhere. */
export const ALLOW_FIELD = 'allow_networks';

/** `allow_networks`: CIDRs (or single addresses) a sink may reach although they are private, loopback or link-local. */
export const zAllowNetworks = z
  .array(
    z.string().refine((s) => parseCidr(s) !== undefined, {
      message: 'expected an address or CIDR such as 10.20.0.0/16, 127.0.0.1 or fd12::/64',
    }),
  )
  .default([])
  .describe('Private, loopback or link-local networks this sink may post to (CIDRs); everything else outside the public internet is refused.');

interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidr(text: string): Cidr | undefined {
  const [addr, bits, ...rest] = text.trim().split('/');
  if (rest.length > 0 || !addr) return undefined;
  const address = unmapped(addr);
  const v = isIP(address);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** `[::ffff:7f00:1]` / `::ffff:127.0.0.1` / `::127.0.0.1` → `127.0.0.1`: an IPv4 address dressed as IPv6 is judged as IPv4. */
export function unmapped(address: string): string {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(a) !== 6) return a;
  const groups = expandV6(a);
  if (!groups) return a;
  const embedded = groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || (groups[5] === 0 && groups[6] !== 0));
  if (!embedded) return a;
  return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
}

function expandV6(a: string): number[] | undefined {
  let text = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const all = [...h, ...fill, ...t];
  if (all.length !== 8) return undefined;
  return all.map((g) => parseInt(g || '0', 16));
}

const RANGES = FORBIDDEN.map(([net, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, family, kind };
});

/** Where a refused address lies, or undefined when it is a public address. */
function forbiddenKind(address: string, family: 'ipv4' | 'ipv6'): string | undefined {
  if (METADATA_ADDRESSES.has(address)) return 'cloud metadata';
  return RANGES.find((r) => r.family === family && r.list.check(address, family))?.kind;
}

/** The checks for one sink: what it may reach, and how its errors name it. */
export class NetGuard {
  readonly #allow = new BlockList();
  readonly #allowed: Cidr[];

  readonly #allowPrivate: boolean;

  constructor(
    allowNetworks: readonly string[],
    /** How the error names the sink (`sinks.soc`), so the user knows where to set allow_networks. */
    private readonly where: string,
    /**
     * `allow_private_networks: true`: loopback, private, link-local and CGNAT ranges may be reached
     * (an on-premises Jira, a test on 127.0.0.1). Cloud metadata stays refused unless allow_networks names it.
     */
    opts: { allowPrivate?: boolean } = {},
  ) {
    this.#allowed = allowNetworks.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== undefined);
    for (const c of this.#allowed) this.#allow.addSubnet(c.address, c.prefix, c.family);
    this.#allowPrivate = opts.allowPrivate === true;
  }

  /** Undefined when `address` may be reached; else the refusal, naming host, address and the field to set. */
  check(host: string, address: string): SaaswatchError | undefined {
    const a = unmapped(address);
    const family = isIP(a) === 4 ? 'ipv4' : 'ipv6';
    const kind = forbiddenKind(a, family);
    if (kind === undefined || this.#allow.check(a, family)) return undefined;
    if (this.#allowPrivate && kind !== 'cloud metadata') return undefined;
    return refusal(this.where, host, `${a}, a ${kind} address`, `${a}/${family === 'ipv4' ? 32 : 128}`);
  }

  /** Checks a URL's host before any DNS: IP literals and metadata names. */
  checkHost(hostname: string): SaaswatchError | undefined {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
    if (METADATA_NAMES.has(host) && !this.#allow.check('169.254.169.254', 'ipv4')) {
      return refusal(this.where, host, 'the cloud metadata service', '169.254.169.254/32');
    }
    return isIP(unmapped(host)) ? this.check(host, host) : undefined;
  }

  /** A `dns.lookup` for sockets: resolves every address, refuses the name if any one is forbidden, and hands the socket only checked addresses. */
  readonly lookup = (hostname: string, options: LookupOptions | number | undefined, callback: (...args: any[]) => void): void => {
    const opts: LookupOptions = typeof options === 'number' ? { family: options } : (options ?? {});
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      // Every address, not just the first: a name with one public and one private address could
      // be steered to the private one by whichever the socket happens to try.
      for (const a of addresses) {
        const refused = this.check(hostname, a.address);
        if (refused) return callback(refused);
      }
      if (addresses.length === 0) return callback(errors.network({ target: hostname, problem: 'ENOTFOUND (no address)' }));
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function refusal(where: string, host: string, what: string, cidr: string): SaaswatchError {
  return errors.configInvalid({
    path: `${where}.url`,
    problem: `${host} resolves to ${what}; outbound URLs may not reach loopback, private, link-local or cloud-metadata addresses`,
    fix: `if this receiver is meant to be on your network, add ${JSON.stringify(cidr)} to ${where}.${ALLOW_FIELD} (or set ${where}.allow_private_networks: true)`,
    details: { host, field: `${where}.${ALLOW_FIELD}` },
  });
}

/**
 * HTTP agents whose every connection goes through the guard's lookup: for SDKs on axios or
 * node:http (jira.js), where a fetch cannot be handed in.
 */
export function guardedAgents(guard: NetGuard): { http: http.Agent; https: https.Agent } {
  const lookup = guard.lookup as never;
  return { http: new http.Agent({ keepAlive: true, lookup }), https: new https.Agent({ keepAlive: true, lookup }) };
}

/**
 * A `fetch` for one sink that goes through the guard: the URL's host is checked, then every
 * address DNS gives, and the socket connects only to those (its `lookup` is the guard), so a DNS
 * answer that changes between check and connect (rebinding) cannot reach a refused address.
 * On node:http rather than global fetch: fetch takes no per-request lookup without undici's Agent.
 * Redirects are never followed (the sinks want `manual` anyway).
 */
export function guardedFetch(guard: NetGuard, opts: { target?: string } = {}): typeof fetch {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const early = guard.checkHost(url.hostname);
    if (early) throw early;
    const { headers, body } = await nodeRequestParts(init);
    const secure = url.protocol === 'https:';
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? https : http).request(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent: secure ? agents.https : agents.http,
          lookup: guard.lookup as never,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => resolve(toFetchResponse(res, init.method)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // The guard's refusal reaches us through the socket as it is, and an abort goes to the
        // caller's timeout classification; a socket error is NETWORK with its code, as fetch's would be.
        if (err instanceof SaaswatchError || err.name === 'AbortError') reject(err);
        else reject(errors.network({ target: opts.target ?? url.host, problem: typeof err.code === 'string' ? err.code : err.message, cause: err }));
      });
      req.end(body ?? undefined);
    });
  };
}
