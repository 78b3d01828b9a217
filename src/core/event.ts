/** The one normalized event schema every source produces (ECS-style field names, nested objects). */

export type EventKind = 'event' | 'alert' | 'state';
export type EventOutcome = 'success' | 'failure' | 'unknown';

export interface GeoInfo {
  country_iso_code?: string;
  country_name?: string;
  city_name?: string;
  location?: { lat: number; lon: number };
  /** Accuracy radius of the location in km, as the GeoIP database gives it. */
  accuracy_radius_km?: number;
}

export interface SecurityEvent {
  /** Event time, ISO-8601 UTC with milliseconds. */
  '@timestamp': string;
  event: {
    /** Stable id: hash of the whole raw record plus its source (see eventId). */
    id: string;
    kind: EventKind;
    category: string[];
    action: string;
    outcome: EventOutcome;
    /** Vendor or system that produced the record, e.g. `google-workspace`, `json-logs`. */
    provider: string;
    /** Source instance and log kind, e.g. `auth-logs` or `google-workspace.login`. */
    dataset: string;
    /** Ingest time, ISO-8601 UTC. */
    ingested: string;
    /** How many identical records this event stands for (duplicate compression); 1 when absent. */
    count?: number;
  };
  user?: {
    email?: string;
    id?: string;
    name?: string;
    /**
     * What kind of identity acted, when a source can tell: a person (`user`), or a workload signing
     * in as itself (`service_principal`, `managed_identity`), whose id and name are the app's.
     */
    kind?: 'user' | 'service_principal' | 'managed_identity';
  };
  source?: {
    ip?: string;
    geo?: GeoInfo;
    as?: { number?: number; organization?: { name?: string } };
  };
  user_agent?: { original?: string; name?: string; os?: { name?: string }; device?: { name?: string } };
  file?: {
    id?: string;
    name?: string;
    path?: string;
    size?: number;
    mime_type?: string;
    owner?: string;
    /** The file's sensitivity as last scanned (src/pii), set on the scan's own event and by enrichment on events that touch the file. */
    sensitivity?: 'none' | 'low' | 'medium' | 'high' | 'critical';
    /** Findings per entity type (Presidio names) from the last scan; counts only, never values. */
    pii?: Record<string, number>;
  };
  target?: { user?: { email?: string } };
  share?: { visibility?: string; link?: string };
  /**
   * An email message (ECS `email.*`): for a user-reported message, the suspicious message itself,
   * while `user` is whoever reported it. Address lists are arrays, as in ECS.
   */
  email?: {
    subject?: string;
    /** The message's Message-ID header (Graph's internetMessageId). */
    message_id?: string;
    from?: { address?: string[] };
    to?: { address?: string[] };
    reply_to?: { address?: string[] };
    attachments?: Array<{ file: { name?: string; mime_type?: string; size?: number } }>;
    /** When the sender sent it, ISO. */
    origination_timestamp?: string;
    /** When it reached the recipient's mailbox, ISO. */
    delivery_timestamp?: string;
  };
  related?: { ip?: string[]; user?: string[]; hash?: string[] };
  /** Free-form vendor fields worth keeping in structured form (e.g. login type, challenge). */
  labels?: Record<string, string>;
  /** The record exactly as the source delivered it. */
  raw: unknown;
}

/** Reads a dotted ECS path (`user.email`, `event.action`, `@timestamp`) from an event or any object. */
export function getField(obj: unknown, path: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const direct = (obj as Record<string, unknown>)[path];
  if (direct !== undefined) return direct;
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Epoch milliseconds of an event's `@timestamp`. */
export function eventTime(e: SecurityEvent): number {
  return Date.parse(e['@timestamp']);
}
