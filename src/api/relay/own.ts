/**
 * saaswatch's own sightings of an observable, from its store: alerts on the IP, user or file, the events
 * that carry it (grouped by what happened), and inventory files shared beyond the organisation under
 * that name, as CTIM sightings with source "saaswatch" linking back into the dashboard.
 */
import { randomUUID } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Alert, Severity } from '../../core/alert.js';
import type { SecurityEvent } from '../../core/event.js';
import type { FileRecord, Store } from '../../core/store.js';
import { EXTERNAL_VISIBILITIES, FILE_EVENT_DAYS } from '../routes/files.js';
import { relayError, RELAY_CODES } from './errors.js';
import type { CtimConfidence, CtimSeverity, CtimSighting, Observable, SightingResult } from './types.js';
import { CTIM_SCHEMA_VERSION } from './types.js';

/** The CTIM schema version Cisco's modules write. */
export { CTIM_SCHEMA_VERSION };
export const OWN_SOURCE = 'saaswatch';

const DAY = 86_400_000;
/** Inventory pages read looking for a file by name (no name index): bounds the scan of one observable. */
const FILE_SCAN_PAGES = 20;
/** The same bound for a whole request: ten file observables do not read the inventory ten times over. */
export const REQUEST_FILE_SCAN_PAGES = 40;
const FILE_PAGE = 500;

export type OwnStore = Pick<Store, 'listAlerts' | 'queryEvents' | 'listFiles'>;

export interface OwnOptions {
  /** At most this many alerts, events (read) and files per observable. */
  limit: number;
  now: number;
  /** An absolute dashboard URL for a path such as /alerts/abc. */
  link: (path: string) => string;
  logger: Logger;
  /** The request's: when it aborts (the client left, or its deadline passed) no more store reads start. */
  signal?: AbortSignal;
  /** Inventory pages this request may still read, shared by its observables (REQUEST_FILE_SCAN_PAGES). */
  fileBudget?: { pages: number };
}

const SEVERITY: Record<Severity, CtimSeverity> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const CONFIDENCE: Record<Severity, CtimConfidence> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'High' };

const iso = (ms: number) => new Date(ms).toISOString();
const enc = encodeURIComponent;

function base(o: Observable, at: { start: string; end: string; timestamp: string }): Pick<CtimSighting, 'type' | 'schema_version' | 'id' | 'source' | 'count' | 'internal' | 'timestamp' | 'observed_time' | 'observables'> {
  return {
    type: 'sighting',
    schema_version: CTIM_SCHEMA_VERSION,
    id: `transient:sighting-${randomUUID()}`,
    source: OWN_SOURCE,
    count: 1,
    // saaswatch watches the organisation's own services: what it saw happened inside.
    internal: true,
    timestamp: at.timestamp,
    observed_time: { start_time: at.start, end_time: at.end },
    observables: [{ type: o.type, value: o.value }],
  };
}

export function alertSighting(o: Observable, a: Alert, link: OwnOptions['link']): CtimSighting {
  const url = link(`/alerts/${enc(a.id)}`);
  return {
    ...base(o, { start: iso(a.windowStart), end: iso(Math.max(a.windowEnd, a.windowStart)), timestamp: a.createdAt }),
    title: a.title,
    description: a.description,
    short_description: `saaswatch ${a.rule} alert on ${a.entity.type} ${a.entity.value} (${a.status})`,
    source_uri: url,
    confidence: CONFIDENCE[a.severity] ?? 'Unknown',
    severity: SEVERITY[a.severity] ?? 'Unknown',
    external_ids: [a.id],
    external_references: [{ source_name: OWN_SOURCE, url, description: `The ${a.rule} alert in the saaswatch dashboard`, external_id: a.id }],
  };
}

/** The events carrying the observable, one sighting per (provider, action, outcome), newest group first. */
export function eventSightings(o: Observable, events: readonly SecurityEvent[], read: number, url: string): CtimSighting[] {
  const groups = new Map<string, SecurityEvent[]>();
  for (const e of events) {
    const k = `${e.event.provider}\u0000${e.event.action}\u0000${e.event.outcome}`;
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  return [...groups.values()].map((g) => {
    const times = g.map((e) => Date.parse(e['@timestamp'])).filter(Number.isFinite);
    const first = Math.min(...times);
    const last = Math.max(...times);
    const { provider, action, outcome } = g[0]!.event;
    const users = [...new Set(g.flatMap((e) => (e.user?.email ? [e.user.email] : [])))];
    const ips = [...new Set(g.flatMap((e) => (e.source?.ip ? [e.source.ip] : [])))];
    const count = g.reduce((n, e) => n + (e.event.count ?? 1), 0);
    const who = [users.length ? `users ${users.slice(0, 5).join(', ')}${users.length > 5 ? ', ...' : ''}` : '', ips.length ? `from ${ips.slice(0, 5).join(', ')}${ips.length > 5 ? ', ...' : ''}` : '']
      .filter(Boolean)
      .join(' ');
    return {
      ...base(o, { start: iso(first), end: iso(last), timestamp: iso(last) }),
      count,
      title: `${provider} ${action} (${outcome}) seen by saaswatch`,
      description: `${count} ${provider} ${action} event${count === 1 ? '' : 's'} (${outcome}) with ${o.type} ${o.value} between ${iso(first)} and ${iso(last)}${who ? `: ${who}` : ''}${events.length >= read ? ` (the newest ${read} events were read)` : ''}.`,
      source_uri: url,
      confidence: 'High' as const,
      severity: outcome === 'failure' ? ('Low' as const) : ('Info' as const),
      external_ids: g.map((e) => e.event.id),
      external_references: [{ source_name: OWN_SOURCE, url, description: 'The events in saaswatch' }],
    };
  });
}

export function fileSighting(o: Observable, f: FileRecord, link: OwnOptions['link']): CtimSighting {
  const url = link(`/files/${enc(f.key)}`);
  const at = Date.parse(f.updatedAt);
  return {
    ...base(o, { start: iso(at), end: iso(at), timestamp: iso(at) }),
    title: `${f.name ?? f.fileId} is shared beyond the organisation (${f.visibility})`,
    description: `saaswatch's inventory of ${f.provider} lists ${f.name ?? f.fileId} (id ${f.fileId}${f.owner ? `, owner ${f.owner}` : ''}) with visibility ${f.visibility}.`,
    source_uri: url,
    confidence: 'High',
    severity: f.visibility === 'external' ? 'Low' : 'Medium',
    external_ids: [f.key],
    external_references: [{ source_name: OWN_SOURCE, url, description: 'The file in the saaswatch dashboard', external_id: f.key }],
  };
}

/** Files shared beyond the organisation whose name (or, for file_name, id) is the value: a bounded walk of the inventory. */
async function sharedFiles(store: OwnStore, name: string, id: string | undefined, limit: number, opts: Pick<OwnOptions, 'signal' | 'fileBudget'>): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  let afterKey: string | undefined;
  const budget = opts.fileBudget ?? { pages: FILE_SCAN_PAGES };
  for (let page = 0; page < FILE_SCAN_PAGES && out.length < limit && budget.pages > 0 && !opts.signal?.aborted; page++) {
    budget.pages--;
    const rows = await store.listFiles({ visibility: EXTERNAL_VISIBILITIES, limit: FILE_PAGE, ...(afterKey ? { afterKey } : {}) });
    for (const f of rows) if (f.name === name || (id !== undefined && f.fileId === id)) out.push(f);
    if (rows.length < FILE_PAGE) break;
    afterKey = rows[rows.length - 1]!.key;
  }
  return out.slice(0, limit);
}

/**
 * An address as saaswatch's sources store it: IPv6 lowercase and compressed (`2001:DB8:0::1` is
 * `2001:db8::1`), an IPv4 address as it is; anything else trimmed, to find nothing.
 */
export function canonicalIp(value: string): string {
  const v = value.trim();
  if (!isIPv6(v)) return v;
  try {
    return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  } catch {
    return v.toLowerCase();
  }
}

/** The observable's sightings in saaswatch's store; a store failure is reported in `errors`, never thrown. */
export async function ownSightings(store: OwnStore, o: Observable, opts: OwnOptions): Promise<SightingResult> {
  const { limit, link } = opts;
  const v = o.type === 'ip' || o.type === 'ipv6' ? canonicalIp(o.value) : o.value.trim();
  if (opts.signal?.aborted) return { sightings: [], errors: [] };
  try {
    switch (o.type) {
      case 'ip':
      case 'ipv6': {
        const [alerts, events] = await Promise.all([store.listAlerts({ entity: { type: 'ip', value: v }, limit }), store.queryEvents({ sourceIp: v, order: 'desc', limit })]);
        return { sightings: [...alerts.map((a) => alertSighting(o, a, link)), ...eventSightings(o, events, limit, link(`/api/events?ip=${enc(v)}`))], errors: [] };
      }
      case 'email':
      case 'user': {
        // saaswatch keys people by lowercase email; a user name that is not one is taken as it is.
        const user = o.type === 'email' || v.includes('@') ? v.toLowerCase() : v;
        const [alerts, events] = await Promise.all([store.listAlerts({ entity: { type: 'user', value: user }, limit }), store.queryEvents({ userEmail: user, order: 'desc', limit })]);
        return { sightings: [...alerts.map((a) => alertSighting(o, a, link)), ...eventSightings(o, events, limit, link(`/users/${enc(user)}`))], errors: [] };
      }
      case 'file_name':
      case 'file_path': {
        const name = o.type === 'file_path' ? (v.split(/[\\/]/).pop() ?? v) : v;
        const files = await sharedFiles(store, name, o.type === 'file_name' ? v : undefined, limit, opts);
        const ids = [...new Set([...files.map((f) => f.fileId), ...(o.type === 'file_name' ? [v] : [])])];
        const alerts = (await Promise.all(ids.map((id) => store.listAlerts({ entity: { type: 'file', value: id }, limit })))).flat().slice(0, limit);
        // File ids live in the stored document only, so events are read over a bounded period, as the file page does.
        const events = (await Promise.all(files.map((f) => store.queryEvents({ fileId: f.fileId, from: opts.now - FILE_EVENT_DAYS * DAY, order: 'desc', limit })))).flat().slice(0, limit);
        return {
          sightings: [
            ...files.map((f) => fileSighting(o, f, link)),
            ...alerts.map((a) => alertSighting(o, a, link)),
            ...eventSightings(o, events, limit, files[0] ? link(`/files/${enc(files[0].key)}`) : link('/files')),
          ],
          errors: [],
        };
      }
      default:
        // saaswatch's records hold no domains, hostnames, URLs or hashes it could be asked about.
        return { sightings: [], errors: [] };
    }
  } catch (err) {
    opts.logger.error({ err, observableType: o.type }, 'Relay could not read its own sightings.');
    return { sightings: [], errors: [relayError(RELAY_CODES.unknown, `saaswatch could not read its own sightings of the ${o.type}: its store failed`)] };
  }
}
