/** Graph security alerts as CTIM sightings: the rules of Cisco's Graph Security relay module for legacy alerts, and the same rules over alerts_v2 evidence. */
import { randomUUID } from 'node:crypto';
import type { CtimConfidence, CtimObservable, CtimRelation, CtimSeverity, CtimSighting, CtimTarget, Observable } from '../types.js';
import { CTIM_SCHEMA_VERSION } from '../types.js';
import { evidenceFiles, evidenceKind } from './filters.js';
import type { LegacyAlert, V2Alert } from './wire.js';

/** CTIM schema version of the sightings, as Cisco's module declares it. */
export const SCHEMA_VERSION = CTIM_SCHEMA_VERSION;
/**
 * `source` of every Graph sighting: the module, as Cisco's relay names it, so XDR shows where a
 * sighting came from next to saaswatch's own (`source "saaswatch"`). The alert's provider
 * (Defender for Endpoint, Palo Alto Networks, ...) is in `external_references[].source_name` and
 * `relations[].origin`.
 */
export const GRAPH_SOURCE = 'Microsoft Graph Security';

type Rec = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Confidence (a percentage) as CTIM's scale: null → None, 0–33 Low, 34–66 Medium, 67–100 High, anything else Unknown. */
export function confidence(v: unknown): CtimConfidence {
  if (v === null || v === undefined) return 'None';
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) return 'Unknown';
  return v <= 33 ? 'Low' : v <= 66 ? 'Medium' : 'High';
}

const SEVERITY: Record<string, CtimSeverity> = { informational: 'Info', low: 'Low', medium: 'Medium', high: 'High' };

/** Graph's severity as CTIM's: informational → Info, low/medium/high capitalised, anything else (unknown, unknownFutureValue, junk) Unknown. */
export function severity(v: unknown): CtimSeverity {
  return (typeof v === 'string' && Object.hasOwn(SEVERITY, v) ? SEVERITY[v] : undefined) ?? 'Unknown';
}

/** A Palo Alto Networks firewall is a network sensor; everything else that reports to Graph sits on an endpoint. */
export function sensor(vendorInformation: unknown): string {
  const v = obj(vendorInformation);
  const sub = str(v?.subProvider);
  return str(v?.provider) === 'Palo Alto Networks' && (sub === 'NGFW' || sub === 'NG Firewall') ? 'network.firewall' : 'endpoint';
}

/** Observables of one host, in Cisco's order (private ip, public ip, NetBIOS name, FQDN), empty and repeated values dropped. */
function hostObservables(pairs: Array<[type: string, value: unknown]>): CtimObservable[] {
  const out: CtimObservable[] = [];
  for (const [type, value] of pairs) {
    const v = str(typeof value === 'string' ? value.trim() : value);
    if (v && !out.some((o) => o.type === type && o.value === v)) out.push({ type, value: v });
  }
  return out;
}

function target(observables: CtimObservable[], observed: CtimSighting['observed_time'], os: unknown): CtimTarget {
  const o = str(os);
  return { type: 'endpoint', observables, observed_time: { ...observed }, ...(o ? { os: o } : {}) };
}

/** The parts every sighting shares. */
function base(o: Observable, a: { id: string; title?: string; description?: string; time: string; start: string; end: string; provider: string; links: string[]; confidence: CtimConfidence; severity: CtimSeverity; sensor: string }): CtimSighting {
  return {
    type: 'sighting',
    schema_version: SCHEMA_VERSION,
    id: `transient:sighting-${randomUUID()}`,
    source: GRAPH_SOURCE,
    ...(a.links[0] ? { source_uri: a.links[0] } : {}),
    count: 1,
    // The alert was raised inside the customer's own tenant.
    internal: true,
    ...(a.title ? { title: a.title } : {}),
    ...(a.description ? { description: a.description } : {}),
    timestamp: a.time,
    observed_time: { start_time: a.start, end_time: a.end },
    confidence: a.confidence,
    severity: a.severity,
    sensor: a.sensor,
    external_ids: a.id ? [a.id] : [],
    external_references: a.links.map((url) => ({ source_name: a.provider, url })),
    observables: [{ type: o.type, value: o.value }],
  };
}

/** Connected_To (source ip → destination domain) per network connection that names both, then File_Name_Of and File_Path_Of (→ sha256) per file with a hash. */
function relations(origin: string, connections: Array<{ ip?: string; domain?: string }>, files: Array<{ name?: string; path?: string; sha256?: string }>): CtimRelation[] {
  const out: CtimRelation[] = [];
  for (const c of connections) {
    if (c.ip && c.domain) out.push({ origin, relation: 'Connected_To', source: { type: 'ip', value: c.ip }, related: { type: 'domain', value: c.domain } });
  }
  for (const f of files) if (f.name && f.sha256) out.push({ origin, relation: 'File_Name_Of', source: { type: 'file_name', value: f.name }, related: { type: 'sha256', value: f.sha256 } });
  for (const f of files) if (f.path && f.sha256) out.push({ origin, relation: 'File_Path_Of', source: { type: 'file_path', value: f.path }, related: { type: 'sha256', value: f.sha256 } });
  // A file is often evidence twice (the file, and the image of its process): one relation each.
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = JSON.stringify([r.relation, r.source, r.related]);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * A legacy alert as a sighting of `o`. Every time is the alert's eventDateTime (Cisco's rule),
 * else its creation or last change; `fallbackTime` only when the record has none of them.
 */
export function legacySighting(o: Observable, alert: LegacyAlert, fallbackTime: string): CtimSighting {
  const a = alert as unknown as Rec;
  const vendor = obj(a.vendorInformation);
  const provider = str(vendor?.provider) ?? GRAPH_SOURCE;
  const time = str(a.eventDateTime) ?? str(a.createdDateTime) ?? str(a.lastModifiedDateTime) ?? fallbackTime;
  const observed = { start_time: time, end_time: time };
  const s = base(o, {
    id: str(a.id) ?? '',
    ...(str(a.title) ? { title: str(a.title)! } : {}),
    ...(str(a.description) ? { description: str(a.description)! } : {}),
    time,
    start: time,
    end: time,
    provider,
    links: arr(a.sourceMaterials).map(str).filter((x): x is string => !!x),
    confidence: confidence(a.confidence),
    severity: severity(a.severity),
    sensor: sensor(vendor),
  });
  const hosts = arr(a.hostStates).map(obj).filter((h): h is Rec => !!h);
  s.targets = hosts
    .map((h) => target(hostObservables([['ip', h.privateIpAddress], ['ip', h.publicIpAddress], ['hostname', h.netBiosName], ['domain', h.fqdn]]), observed, h.os))
    .filter((t) => t.observables.length > 0);
  const connections = arr(a.networkConnections).map(obj).filter((c): c is Rec => !!c).map((c) => ({ ip: str(c.sourceAddress), domain: str(c.destinationDomain) }));
  const files = arr(a.fileStates)
    .map(obj)
    .filter((f): f is Rec => !!f)
    .map((f) => ({ name: str(f.name), path: str(f.path), sha256: str(obj(f.fileHash)?.hashValue) }))
    .map((f) => ({ ...(f.name ? { name: f.name } : {}), ...(f.path ? { path: f.path } : {}), ...(f.sha256 ? { sha256: f.sha256 } : {}) }));
  s.relations = relations(provider, connections, files);
  return s;
}

/** The product that raised an alerts_v2 record, as a provider name: `productName`, else its service source. */
function v2Provider(a: Rec): string {
  return str(a.productName) ?? str(a.serviceSource) ?? GRAPH_SOURCE;
}

/**
 * An alerts_v2 record as a sighting of `o`, by the same rules: the alert's creation is the
 * timestamp, its first and last activity the observed time; the alert and incident pages are the
 * references; each device in the evidence is a target (ip ← last private address, ip ← last
 * public address, hostname ← host name, domain ← DNS name); file and process image evidence with
 * a SHA-256 give the file relations. alerts_v2 has no network-connection evidence, so no
 * Connected_To; v2 alerts carry no confidence, so it is None.
 */
export function v2Sighting(o: Observable, alert: V2Alert, fallbackTime: string): CtimSighting {
  const a = alert as unknown as Rec;
  const provider = v2Provider(a);
  const time = str(a.createdDateTime) ?? str(a.firstActivityDateTime) ?? str(a.lastUpdateDateTime) ?? fallbackTime;
  const start = str(a.firstActivityDateTime) ?? time;
  const end = str(a.lastActivityDateTime) ?? start;
  const observed = { start_time: start, end_time: end };
  const s = base(o, {
    id: str(a.id) ?? '',
    ...(str(a.title) ? { title: str(a.title)! } : {}),
    ...(str(a.description) ? { description: str(a.description)! } : {}),
    time,
    start,
    end,
    provider,
    links: [str(a.alertWebUrl), str(a.incidentWebUrl)].filter((x): x is string => !!x),
    confidence: confidence(a.confidence),
    severity: severity(a.severity),
    sensor: 'endpoint',
  });
  const evidence = arr(a.evidence).map(obj).filter((e): e is Rec => !!e);
  s.targets = evidence
    .filter((e) => evidenceKind(e) === 'deviceEvidence')
    .map((d) =>
      target(
        hostObservables([['ip', str(d.lastIpAddress) ?? arr(d.ipInterfaces).map(str).find(Boolean)], ['ip', d.lastExternalIpAddress], ['hostname', d.hostName], ['domain', d.deviceDnsName]]),
        observed,
        d.osPlatform,
      ),
    )
    .filter((t) => t.observables.length > 0);
  s.relations = relations(provider, [], evidence.flatMap((e) => evidenceFiles(e)));
  return s;
}
