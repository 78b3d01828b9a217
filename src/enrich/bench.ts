/** Benchmark: load time and memory of the GeoIP and ASN databases, then enrich events/s over 1M events with ~50k distinct IPs (`node --expose-gc --import tsx src/enrich/bench.ts [events] [distinct-ips]`). */
import type { SecurityEvent } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';
import { AsnTable, createAsnEnricher } from './asn.js';
import { createGeoIpEnricher, GeoIpDatabase } from './geoip.js';
import { createIdentityEnricher } from './identity.js';
import { isSpecialIp, parseIp } from './ip.js';
import { createUserAgentEnricher } from './user-agent.js';
import { mulberry32 as rng } from '../detection/random.js';

const total = Number(process.argv[2] ?? 1_000_000);
const distinct = Number(process.argv[3] ?? 50_000);
const BATCH = 1000;


const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;

/** Retained memory of what `load` builds: heap plus array buffers, measured after full GCs. */
async function measure<T>(label: string, load: () => Promise<T>): Promise<T> {
  gc?.();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  const value = await load();
  const ms = performance.now() - t0;
  gc?.();
  const m1 = process.memoryUsage();
  const heap = m1.heapUsed - m0.heapUsed;
  const buffers = m1.arrayBuffers - m0.arrayBuffers;
  console.log(`${label}: ${ms.toFixed(0)} ms, ${mib(heap + buffers)} MiB retained (heap ${mib(heap)}, buffers ${mib(buffers)})${gc ? '' : ' [run with --expose-gc for exact memory]'}`);
  return value;
}

const random = rng(42);
const ips: string[] = [];
while (ips.length < distinct) {
  // One address in ten is IPv6 (a random host under a few big providers' prefixes); the rest random public IPv4.
  if (random() < 0.1) {
    const prefixes = ['2001:4860', '2606:4700', '2a00:1450', '2a02:cf40', '2400:cb00', '2603:1030'];
    const hex = () => Math.floor(random() * 0x10000).toString(16);
    ips.push(`${prefixes[Math.floor(random() * prefixes.length)]}:${hex()}:${hex()}::${hex()}`);
  } else {
    const n = Math.floor(random() * 2 ** 32);
    const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (!isSpecialIp(parseIp(ip)!)) ips.push(ip);
  }
}
const agents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  'python-requests/2.32.3',
];
// Browsers' minor versions vary, so a real fleet shows a few hundred distinct strings, not six.
const uaPool = Array.from({ length: 300 }, (_, i) => agents[i % agents.length]!.replace(/131\.0\.0\.0|18\.1|133\.0/, (v) => `${v}.${i}`));

function batch(start: number): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  for (let i = start; i < start + BATCH && i < total; i++) {
    // Skewed popularity: a few addresses (offices, VPN egress) carry most events, as in real logs.
    const ip = ips[Math.floor(distinct * random() ** 2)]!;
    out.push({
      '@timestamp': '2026-01-05T10:00:00.000Z',
      event: { id: `e${i}`, kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider: 'json-logs', dataset: 'web-auth', ingested: '2026-01-05T10:00:00.000Z' },
      user: { name: `user${i % 5000}` },
      source: { ip },
      user_agent: { original: uaPool[Math.floor(random() * uaPool.length)]! },
      raw: null,
    });
  }
  return out;
}

function run(label: string, enrichers: Enricher[]): void {
  let ms = 0;
  for (let start = 0; start < total; start += BATCH) {
    const events = batch(start);
    // Only the enrich loop is timed: building events is the bench's cost, not the pipeline's.
    const t0 = performance.now();
    for (const e of events) for (const enrich of enrichers) enrich(e);
    ms += performance.now() - t0;
  }
  console.log(`${label}: ${Math.round(total / (ms / 1000)).toLocaleString('en-US')} events/s (${ms.toFixed(0)} ms for ${total.toLocaleString('en-US')} events)`);
}

console.log(`node ${process.version}, ${total.toLocaleString('en-US')} events, ${distinct.toLocaleString('en-US')} distinct IPs (10% IPv6), ${uaPool.length} user agents`);
const asn = await measure('ASN table load (IPv4 + IPv6)', () => AsnTable.load());
console.log(`  ${asn.stats.ipv4Ranges.toLocaleString('en-US')} IPv4 + ${asn.stats.ipv6Ranges.toLocaleString('en-US')} IPv6 ranges, ${asn.stats.organisations.toLocaleString('en-US')} organisations, typed arrays ${mib(asn.stats.typedArrayBytes)} MiB; IPv4 ${asn.stats.ipv4LoadMs.toFixed(0)} ms, IPv6 ${asn.stats.ipv6LoadMs.toFixed(0)} ms`);
const geo = await measure('GeoIP city databases open (IPv4 + IPv6)', () => GeoIpDatabase.open());

// Uncached lookups: what a cache miss costs.
const probe = ips.slice(0, 20_000).map((ip) => parseIp(ip)!);
let t0 = performance.now();
for (const p of probe) asn.lookup(p);
console.log(`ASN lookup, uncached: ${((performance.now() - t0) * 1000 / probe.length).toFixed(2)} µs`);
t0 = performance.now();
for (const p of probe) geo.lookup(p);
console.log(`GeoIP lookup, uncached: ${((performance.now() - t0) * 1000 / probe.length).toFixed(2)} µs`);

run('geoip only', [createGeoIpEnricher(geo)]);
run('asn only', [createAsnEnricher(asn)]);
run('user agent only', [createUserAgentEnricher()]);
run('identity only', [createIdentityEnricher({ 'web-auth': { user_domain: 'example.com' } })]);
const all = [createIdentityEnricher({ 'web-auth': { user_domain: 'example.com' } }), createGeoIpEnricher(geo), createAsnEnricher(asn), createUserAgentEnricher()];
run('all four, cold caches (every distinct IP and agent looked up once)', all);
run('all four, warm caches (steady state of a long-running pipeline)', all);
