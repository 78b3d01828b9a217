/** The API's shapes the dashboard reads (see /api/openapi.json for the full ones). */
export type Role = 'viewer' | 'analyst' | 'admin';
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'closed';

export interface Session {
  csrf_token: string;
  user: { email: string; role: Role };
}

export interface List<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface SecurityEvent {
  id?: string;
  '@timestamp': string;
  event: { id: string; action: string; outcome: string; provider: string; dataset: string; category?: string[] };
  user?: { email?: string; id?: string; name?: string };
  source?: { ip?: string; geo?: { country_iso_code?: string; city_name?: string; location?: { lat: number; lon: number } }; as?: { number?: number; organization?: { name?: string } } };
  user_agent?: { original?: string };
  file?: { id?: string; name?: string };
  target?: { user?: { email?: string } };
  share?: { visibility?: string };
  raw?: unknown;
}

export interface Alert {
  id: string;
  rule: string;
  title: string;
  severity: Severity;
  status: AlertStatus;
  entity: { type: string; value: string };
  window_start: string;
  window_end: string;
  created_at: string;
  updated_at?: string;
  description: string;
  tags: string[];
  source: string | null;
  group_id: string | null;
  assignee: string | null;
  muted: boolean;
  observed?: Record<string, number> | null;
  expected?: Record<string, number> | null;
  score?: number | null;
  features?: Array<{ name: string; value: number; contribution: number }> | null;
  details?: Record<string, string | number | boolean | string[]> | null;
}

export interface GeoPoint {
  time: string;
  ip?: string | null;
  city?: string | null;
  country?: string | null;
  /** Null for a login the GeoIP database could not place. */
  lat: number | null;
  lon: number | null;
  outcome?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface AlertDetail {
  alert: Alert;
  explanation: { text: string; observed: Record<string, number>; expected: Record<string, number> };
  evidence: SecurityEvent[];
  travel: GeoPoint[];
  responses: Array<Record<string, unknown>>;
  audit: AuditEntry[];
  mute: Record<string, unknown> | null;
}

export interface Block {
  user: string;
  reason: string;
  scope: string;
  blocked_at: string;
  blocked_by: string;
  expires_at: string | null;
  alert_id: string | null;
}

export interface SourceHealth {
  name: string;
  type: string;
  last_poll_at: string | null;
  last_event_at: string | null;
  lag_ms: number | null;
  cursor: string | null;
  dead_letters: number;
  recent_dead_letters?: Array<Record<string, unknown>>;
}

export interface RiskyUser {
  user: string;
  risk: number;
  open_alerts: number;
  max_severity: Severity | null;
  last_seen?: string | null;
}

export interface Overview {
  from: string;
  to: string;
  bucket_ms: number;
  events_by_source: Array<{ source: string; points: Array<[string, number]> }>;
  alerts_by_severity: Record<Severity, number>;
  alerts_by_status: Record<AlertStatus, number>;
  top_risky_users: RiskyUser[];
  sources: SourceHealth[];
  totals: { events: number; alerts: number; open_alerts: number; blocked_users: number };
}

export interface UserDetail {
  user: string;
  risk: { score: number; open_alerts: number; by_severity: Partial<Record<Severity, number>> };
  blocked: Block | null;
  identities: Array<{ source: string; source_id: string }>;
  countries: Array<{ code: string; name?: string | null; count: number; last_seen: string }>;
  asns: Array<{ asn: number; org?: string | null; count: number }>;
  devices: Array<{ user_agent: string; os?: string | null; browser?: string | null; device?: string | null; count: number; last_seen: string }>;
  logins: GeoPoint[];
  activity: Array<{ action: string; points: Array<[string, number]>; baseline: { mean: number; std: number } | null }>;
  alerts: Alert[];
  timeline: SecurityEvent[];
}

export interface FileItem {
  key: string;
  provider: string;
  file_id: string;
  name: string | null;
  owner: string | null;
  visibility: string | null;
  external_shares: unknown[];
  /** Null where the list does not count them. */
  downloads: number | null;
  sensitivity: string | null;
  updated_at: string;
}

export interface Rule {
  id: string;
  title: string;
  severity: Severity | null;
  kind: 'sigma' | 'detector';
  enabled: boolean;
  hits: number;
  last_hit: string | null;
}

export interface Account {
  email: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

export interface Token {
  id: string;
  name: string;
  email: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface ActionTarget {
  kind: 'user' | 'file';
  id: string;
  member?: string;
  owner?: string;
}

/** What a configured service can do to a user or file (GET /api/actions/offers). */
export interface Offer {
  source: string;
  service: string;
  action: string;
  summary: string;
  disruptive: boolean;
  /** Enabled in response.execute: running it changes the service; otherwise only a dry run. */
  executes: boolean;
  target: ActionTarget;
}

/** One response action's record, as the store keeps it (POST /api/actions, an alert's responses). */
export interface ActionRecord {
  id: string;
  source: string;
  service: string;
  action: string;
  target: ActionTarget;
  status: string;
  mode: 'dry-run' | 'execute';
  actor: string;
  reason: string;
  plan?: string;
  error?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  alertId?: string;
  policy?: string;
  createdAt: string;
  updatedAt: string;
}
