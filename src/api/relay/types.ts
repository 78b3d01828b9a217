/** The CTIM relay's vocabulary: observables in, sightings and relay-convention errors out, and the port the Graph half fills. */

/** The CTIM schema version every sighting the relay returns declares, whichever half found it. */
export const CTIM_SCHEMA_VERSION = '1.0.17';

/** Observable types the relay answers for (CTIM names). */
export const OBSERVABLE_TYPES = ['ip', 'ipv6', 'domain', 'hostname', 'url', 'email', 'file_name', 'file_path', 'sha256', 'user'] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export interface Observable {
  type: ObservableType;
  value: string;
}

/** An error in Cisco's relay convention: reported with HTTP 200 inside `{"errors": [...]}`. */
export interface RelayError {
  type: 'fatal' | 'error' | 'warning';
  /** Cisco's codes: `invalid argument`, `authorization error`, `too many requests`, `service unavailable`, `health check failed`, `not found`, `method not allowed`, `unknown`, ... */
  code: string;
  message: string;
}

export interface CtimObservable {
  type: string;
  value: string;
}

export interface CtimTarget {
  type: 'endpoint';
  observables: CtimObservable[];
  observed_time: { start_time: string; end_time?: string };
  os?: string;
}

export interface CtimRelation {
  origin: string;
  relation: 'Connected_To' | 'File_Name_Of' | 'File_Path_Of' | string;
  source: CtimObservable;
  related: CtimObservable;
}

export type CtimConfidence = 'None' | 'Low' | 'Medium' | 'High' | 'Unknown';
export type CtimSeverity = 'Info' | 'Low' | 'Medium' | 'High' | 'Critical' | 'None' | 'Unknown';

/** A CTIM sighting (https://github.com/threatgrid/ctim/blob/master/doc/structures/sighting.md). */
export interface CtimSighting {
  type: 'sighting';
  schema_version: string;
  /** `transient:sighting-<uuid>`. */
  id: string;
  source: string;
  source_uri?: string;
  count: number;
  internal: boolean;
  title?: string;
  description?: string;
  short_description?: string;
  timestamp: string;
  observed_time: { start_time: string; end_time?: string };
  confidence: CtimConfidence;
  severity: CtimSeverity;
  sensor?: string;
  external_ids: string[];
  external_references: Array<{ source_name: string; url: string; description?: string; external_id?: string }>;
  observables: CtimObservable[];
  targets?: CtimTarget[];
  relations?: CtimRelation[];
  data?: unknown;
}

/** Credentials for Graph: from the relay JWT's payload (Cisco's modules send them) or saaswatch's config. */
export interface GraphCredentials {
  tenant_id: string;
  /** Entra application (client) id. */
  application_id: string;
  client_secret: string;
}

/** Sightings for one observable from one place, and what went wrong getting them (partial results). */
export interface SightingResult {
  sightings: CtimSighting[];
  errors: RelayError[];
}

/** What the relay asks of Microsoft Graph. Implemented in `./graph/`; tests may pass their own. */
export interface GraphSightings {
  /**
   * Sightings of one observable in Graph security alerts (alerts_v2, plus legacy /security/alerts when
   * configured), at most `limit` per alert API. Never throws for a vendor failure: it is in `errors`.
   */
  observe(observable: Observable, opts: { credentials: GraphCredentials; limit: number; signal?: AbortSignal }): Promise<SightingResult>;
  /** Gets a token and reads one alert (`$top=1`); resolves when both work, else returns the relay error. */
  health(opts: { credentials: GraphCredentials; signal?: AbortSignal }): Promise<RelayError | undefined>;
}
