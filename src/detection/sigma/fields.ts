/** Per-provider field mappings (the pySigma "processing pipeline" idea): a rule's field name becomes a getter over the normalized event or its raw record. */
import { sensitivityRank, isSensitivity, type SecurityEvent } from '../../core/index.js';
import { userOf } from '../fields.js';

export type FieldGetter = (e: SecurityEvent) => unknown;

export interface ResolvedField {
  get: FieldGetter;
  /** The field is the event's action, so equality values can index the rule. */
  isAction?: boolean;
}

/** Top-level keys of the normalized schema: a dotted name starting with one of these reads the normalized event. */
const NORMALIZED_ROOTS = new Set(['@timestamp', 'event', 'user', 'source', 'user_agent', 'file', 'target', 'share', 'email', 'related', 'labels']);

const action: ResolvedField = { get: (e) => e.event.action, isAction: true };
const userEmail: ResolvedField = { get: (e) => e.user?.email };
const sourceIp: ResolvedField = { get: (e) => e.source?.ip };

/**
 * Compiles a dotted path into a walker over plain objects. Arrays met on the way are flattened (so
 * `participants.user.email` yields every participant's email), and a `tag` segment also reads
 * Dropbox's `.tag` key, which cannot be written in a dotted Sigma field name.
 */
export function pathGetter(path: string, root: (e: SecurityEvent) => unknown): FieldGetter {
  const parts = path.split('.');
  // Remainders precomputed: this runs per event and must not allocate.
  const rests = parts.map((_, i) => parts.slice(i).join('.'));
  const step = (cur: unknown, i: number): unknown => {
    if (i === parts.length) return cur;
    if (Array.isArray(cur)) {
      const out: unknown[] = [];
      for (const x of cur) {
        const v = step(x, i);
        if (Array.isArray(v)) out.push(...v);
        else if (v !== undefined) out.push(v);
      }
      return out.length ? out : undefined;
    }
    if (cur === null || typeof cur !== 'object') return undefined;
    const o = cur as Record<string, unknown>;
    // A key that itself contains dots (`event.action` flattened by a source) wins over walking.
    if (i < parts.length - 1) {
      const rest = rests[i]!;
      if (rest in o) return o[rest];
    }
    const part = parts[i]!;
    const next = part in o ? o[part] : part === 'tag' ? o['.tag'] : undefined;
    return step(next, i + 1);
  };
  if (parts.length === 1) {
    const key = parts[0]!;
    return (e) => {
      const r = root(e);
      return r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>)[key] : step(r, 0);
    };
  }
  return (e) => step(root(e), 0);
}

const rawRoot = (e: SecurityEvent) => e.raw;
const eventRoot = (e: SecurityEvent) => e;

/** Dropbox wraps enumerations as `{'.tag': x, ...}`: a rule comparing `event_type: file_delete` means the tag. */
function untag(get: FieldGetter): FieldGetter {
  return (e) => {
    const v = get(e);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const tag = (v as Record<string, unknown>)['.tag'];
      return typeof tag === 'string' ? tag : v;
    }
    return v;
  };
}

// ---- Google Workspace (Admin SDK Reports activity, one event item per SecurityEvent) ----

interface GoogleParam {
  name?: string;
  value?: string;
  boolValue?: boolean;
  intValue?: string;
  multiValue?: string[];
  multiIntValue?: string[];
}

function googleItem(e: SecurityEvent): { type?: string; name?: string; parameters?: GoogleParam[] } | undefined {
  const events = (e.raw as { events?: unknown } | null)?.events;
  const item = Array.isArray(events) ? events[0] : undefined;
  return item !== null && typeof item === 'object' ? (item as { parameters?: GoogleParam[] }) : undefined;
}

/** A Reports parameter by name, case-insensitively: SigmaHQ writes `setting_name` for Google's `SETTING_NAME`. */
function googleParam(name: string): FieldGetter {
  const lower = name.toLowerCase();
  return (e) => {
    const params = googleItem(e)?.parameters;
    if (!Array.isArray(params)) return undefined;
    for (const p of params) {
      if (p.name !== name && p.name?.toLowerCase() !== lower) continue;
      return p.value ?? p.boolValue ?? p.intValue ?? p.multiValue ?? p.multiIntValue;
    }
    return undefined;
  };
}

const googleApp = (e: SecurityEvent): string | undefined => {
  const app = (e.raw as { id?: { applicationName?: unknown } } | null)?.id?.applicationName;
  return typeof app === 'string' ? app : e.event.dataset.split('.')[1];
};

/** Every parameter's value (Cloud Logging's `protoPayload.metadata.event.parameter.value`), lists flattened. */
function googleParamValues(pick: (p: GoogleParam) => unknown): FieldGetter {
  return (e) => {
    const params = googleItem(e)?.parameters;
    if (!Array.isArray(params)) return undefined;
    const out: unknown[] = [];
    for (const p of params) {
      const v = pick(p);
      if (Array.isArray(v)) out.push(...(v as unknown[]));
      else if (v !== undefined && v !== null) out.push(v);
    }
    return out.length ? out : undefined;
  };
}

/** Raw top-level keys of a Reports activity (after narrowing to one event). */
const GOOGLE_RAW_ROOTS = new Set(['kind', 'id', 'actor', 'ipAddress', 'ownerDomain', 'events', 'eventIndex']);

const googleService: ResolvedField = { get: (e) => `${googleApp(e)}.googleapis.com` };
const googleType: ResolvedField = { get: (e) => googleItem(e)?.type };

const GOOGLE_ALIASES: Record<string, ResolvedField> = {
  eventName: action,
  name: action,
  'events.name': action,
  eventService: googleService,
  applicationName: { get: googleApp },
  'id.applicationName': { get: googleApp },
  eventType: googleType,
  type: googleType,
  'events.type': googleType,
  principalEmail: userEmail,
  callerIp: sourceIp,
};

/**
 * SigmaHQ's google_workspace rules name fields as Cloud Logging exports the Workspace audit log:
 * one AuditLog per activity, the Reports event under `protoPayload.metadata.event` with its
 * `eventName`, `eventType` and `parameter` list. These are the same facts the Reports API record
 * holds. Keys are lower-cased: published rules vary the case (`protoPayload.Servicename`).
 */
const CLOUD_LOGGING: Record<string, ResolvedField> = {
  'protopayload.servicename': googleService,
  'protopayload.methodname': action,
  'protopayload.metadata.event.eventname': action,
  'protopayload.metadata.event.eventtype': googleType,
  'protopayload.metadata.event.parameter.name': { get: googleParamValues((p) => p.name) },
  'protopayload.metadata.event.parameter.value': { get: googleParamValues((p) => p.value ?? p.boolValue ?? p.intValue ?? p.multiValue ?? p.multiIntValue) },
  'protopayload.metadata.event.parameter.boolvalue': { get: googleParamValues((p) => p.boolValue) },
  'protopayload.metadata.event.parameter.intvalue': { get: googleParamValues((p) => p.intValue) },
  'protopayload.metadata.event.parameter.multistrvalue': { get: googleParamValues((p) => p.multiValue) },
  'protopayload.metadata.event.parameter.multiintvalue': { get: googleParamValues((p) => p.multiIntValue) },
  'protopayload.metadata.activityid.uniqqualifier': { get: pathGetter('id.uniqueQualifier', rawRoot) },
  'protopayload.metadata.activityid.timeusec': { get: (e) => (Number.isFinite(Date.parse(e['@timestamp'])) ? String(Date.parse(e['@timestamp']) * 1000) : undefined) },
  'protopayload.authenticationinfo.principalemail': userEmail,
  'protopayload.requestmetadata.callerip': sourceIp,
};

function googleField(name: string): ResolvedField {
  const alias = GOOGLE_ALIASES[name];
  if (alias) return alias;
  const lower = name.toLowerCase();
  if (lower.startsWith('protopayload.')) {
    const cl = CLOUD_LOGGING[lower];
    if (cl) return cl;
    // Any other key under the event is a parameter: SigmaHQ writes both
    // `protoPayload.metadata.event.parameter.visibility` and `protoPayload.metadata.event.visibility`.
    const param = /^protopayload\.metadata\.event\.(?:parameter\.)?(.+)$/.exec(lower)?.[1];
    // Anything else of the AuditLog (resourceName, status) has no Reports counterpart: it reads nothing.
    return param ? { get: googleParam(name.slice(name.length - param.length)) } : { get: () => undefined };
  }
  const root = name.split('.')[0]!;
  if (GOOGLE_RAW_ROOTS.has(root)) return { get: pathGetter(name, rawRoot) };
  const param = /^(?:events\.)?parameters?\.(.+)$/.exec(name)?.[1];
  return { get: googleParam(param ?? name) };
}

// ---- Dropbox (team_log TeamEvent) ----

const DROPBOX_RAW_ROOTS = new Set(['timestamp', 'event_category', 'actor', 'origin', 'involve_non_team_member', 'context', 'participants', 'assets', 'event_type', 'details']);

const DROPBOX_ALIASES: Record<string, ResolvedField> = {
  eventName: action,
  event_type: action,
  'event_type.tag': action,
  'event_type..tag': action,
  category: { get: untag(pathGetter('event_category', rawRoot)) },
  ip_address: sourceIp,
  email: userEmail,
};

function dropboxField(name: string): ResolvedField {
  const alias = DROPBOX_ALIASES[name];
  if (alias) return alias;
  const root = name.split('.')[0]!;
  if (DROPBOX_RAW_ROOTS.has(root)) return { get: untag(pathGetter(name, rawRoot)) };
  // Anything else is most likely a detail of the event (`shared_link_access_level`, `new_value`).
  return { get: untag(pathGetter(`details.${name}`, rawRoot)) };
}

/**
 * SigmaHQ's Entra ID rules (`product: azure, service: signinlogs`) name the columns of Azure
 * Monitor's SigninLogs table; Graph returns the same sign-in with camelCase properties. Most columns
 * are the property with its first letter lowered (`DeviceDetail.isCompliant`); these differ.
 */
const graphStatus = pathGetter('status', rawRoot);
const graphErrorCode = pathGetter('status.errorCode', rawRoot);
const SIGNINLOGS_ALIASES: Record<string, ResolvedField> = {
  ResultType: { get: graphErrorCode },
  ResultDescription: { get: pathGetter('status.failureReason', rawRoot) },
  // SigninLogs' Status says Success or Failure; an alert's own status (a string) reads as it is.
  Status: {
    get: (e) => {
      const code = graphErrorCode(e);
      if (typeof code === 'number') return code === 0 ? 'Success' : 'Failure';
      return graphStatus(e);
    },
  },
  IPAddress: sourceIp,
  UserPrincipalName: userEmail,
  Location: { get: pathGetter('location.countryOrRegion', rawRoot) },
  LocationDetails: { get: pathGetter('location', rawRoot) },
  Identity: { get: pathGetter('userDisplayName', rawRoot) },
};
const SIGNINLOGS_PREFIXES: Record<string, string> = { 'LocationDetails.': 'location.' };

function graphField(name: string): ResolvedField {
  const alias = SIGNINLOGS_ALIASES[name];
  if (alias) return alias;
  for (const [from, to] of Object.entries(SIGNINLOGS_PREFIXES)) if (name.startsWith(from)) return { get: pathGetter(to + name.slice(from.length), rawRoot) };
  // Graph's own names (camelCase) read as they are; a column name (PascalCase) is lowered segment by segment.
  const path = /^[A-Z]/.test(name) ? name.split('.').map((p) => (/^[A-Z][a-z]/.test(p) ? p[0]!.toLowerCase() + p.slice(1) : p)).join('.') : name;
  return { get: pathGetter(path, rawRoot) };
}

// ---- Slack (Audit Logs API entries, team.accessLogs aggregates, Events API callbacks) ----

const SLACK_RAW_ROOTS = new Set([
  // Audit Logs API entry
  'id', 'date_create', 'action', 'actor', 'entity', 'context', 'details',
  // team.accessLogs aggregate
  'user_id', 'username', 'date_first', 'date_last', 'count', 'ip', 'user_agent', 'isp', 'country', 'region',
  // Events API envelope (`event` itself is a normalized root: its inner event reads as `event_callback.*`)
  'team_id', 'api_app_id', 'event_id', 'event_time', 'type', 'authorizations',
]);

const rawCountry = pathGetter('country', rawRoot);
const SLACK_ALIASES: Record<string, ResolvedField> = {
  // One name for the actor on both logs: the audit log's actor, the access log's user (its email from users.info).
  'actor.user.email': userEmail,
  'actor.user.id': { get: (e) => e.user?.id },
  'actor.user.name': { get: (e) => e.user?.name },
  user_id: { get: (e) => e.user?.id },
  username: { get: (e) => e.user?.name },
  'context.ip_address': sourceIp,
  ip: sourceIp,
  ip_address: sourceIp,
  'context.ua': { get: (e) => e.user_agent?.original },
  user_agent: { get: (e) => e.user_agent?.original },
  ua: { get: (e) => e.user_agent?.original },
  // The access log names the country; for audit entries it is where the address geolocates.
  country: { get: (e) => rawCountry(e) ?? e.source?.geo?.country_iso_code },
  'event_callback.type': { get: pathGetter('event.type', rawRoot) },
};

function slackField(name: string): ResolvedField {
  if (name === 'action') return action;
  const alias = SLACK_ALIASES[name];
  if (alias) return alias;
  if (name.startsWith('event_callback.')) return { get: pathGetter(`event.${name.slice('event_callback.'.length)}`, rawRoot) };
  const root = name.split('.')[0]!;
  if (SLACK_RAW_ROOTS.has(root)) return { get: pathGetter(name, rawRoot) };
  // Anything else is most likely a detail of the audit entry (`new_scopes`, `previous_role`).
  return { get: pathGetter(`details.${name}`, rawRoot) };
}

// ---- Office 365 (Management Activity API audit records) ----

/** A `[{Name, Value}]` list of the record (`Parameters` of Exchange cmdlets, `ExtendedProperties`, `OperationProperties`) by name, case-insensitively. */
function o365NameValue(list: string, name: string): FieldGetter {
  const lower = name.toLowerCase();
  return (e) => {
    const items = (e.raw as Record<string, unknown> | null)?.[list];
    if (!Array.isArray(items)) return undefined;
    for (const p of items) {
      const n = (p as { Name?: unknown } | null)?.Name;
      if (typeof n === 'string' && n.toLowerCase() === lower) return (p as { Value?: unknown }).Value;
    }
    return undefined;
  };
}

const O365_ALIASES: Record<string, ResolvedField> = {
  Operation: action,
  // UserId is the UPN (lower-cased in user.email); ClientIP as an address, without Exchange's port.
  UserId: userEmail,
  ClientIP: sourceIp,
  ClientIPAddress: sourceIp,
  ActorIpAddress: sourceIp,
  UserAgent: { get: (e) => e.user_agent?.original },
  TargetUserOrGroupName: { get: pathGetter('TargetUserOrGroupName', rawRoot) },
  MailboxOwnerUPN: { get: pathGetter('MailboxOwnerUPN', rawRoot) },
};
const O365_LISTS = ['Parameters', 'ExtendedProperties', 'OperationProperties'];

/**
 * Record fields read by Microsoft's names (`Operation`, `Workload`, `SourceFileName`, `LogonError`,
 * `Actor.ID`); `Parameters.ForwardTo` (likewise ExtendedProperties, OperationProperties) reads
 * that entry's Value; any other name the record lacks is looked up among the cmdlet's Parameters.
 */
function o365Field(name: string): ResolvedField {
  const alias = O365_ALIASES[name];
  if (alias) return alias;
  const dot = name.indexOf('.');
  if (dot > 0 && O365_LISTS.includes(name.slice(0, dot))) return { get: o365NameValue(name.slice(0, dot), name.slice(dot + 1)) };
  const raw = pathGetter(name, rawRoot);
  const param = o365NameValue('Parameters', name);
  return { get: (e) => raw(e) ?? param(e) };
}

/** The normalized fields rules use most, read without a path walk (the hot path of every rule). */
const DIRECT: Record<string, ResolvedField> = {
  'user.email': userEmail,
  'source.ip': sourceIp,
  'event.outcome': { get: (e) => e.event.outcome },
  'event.dataset': { get: (e) => e.event.dataset },
  'event.provider': { get: (e) => e.event.provider },
  'event.category': { get: (e) => e.event.category },
  'file.id': { get: (e) => e.file?.id },
  'file.path': { get: (e) => e.file?.path },
  'file.name': { get: (e) => e.file?.name },
  'target.user.email': { get: (e) => e.target?.user?.email },
  'share.visibility': { get: (e) => e.share?.visibility },
  // Set by the scanner's own event and by the file-sensitivity enricher on events touching a scanned file.
  'file.sensitivity': { get: (e) => e.file?.sensitivity },
  // none 0 … critical 4, so a rule can say `file.sensitivity_rank|gte: 2` for "medium or above" (Sigma compares numbers only).
  'file.sensitivity_rank': { get: (e) => (isSensitivity(e.file?.sensitivity) ? sensitivityRank(e.file.sensitivity) : undefined) },
  'file.pii': { get: (e) => e.file?.pii },
};

/**
 * `file.pii.<TYPE>`: the count of one entity type in the file's last scan. Types are Presidio's
 * upper-case names; a rule may write them in any case (`file.pii.credit_card|gte: 10`).
 */
function piiCount(name: string): ResolvedField | undefined {
  if (!name.startsWith('file.pii.')) return undefined;
  const type = name.slice('file.pii.'.length).toUpperCase();
  return { get: (e) => e.file?.pii?.[type] };
}

/** Field mappings keyed by event.provider; providers without one read normalized paths, then the raw record. */
const PIPELINES: Record<string, (name: string) => ResolvedField> = {
  'google-workspace': googleField,
  dropbox: dropboxField,
  'microsoft-graph': graphField,
  slack: slackField,
  'office-365': o365Field,
};

/**
 * Each provider's exact-name aliases. They win over the normalized roots: Slack's access log has a
 * raw `user_agent` string (the normalized `user_agent` is an object), Dropbox's rules say `email`
 * for the actor's address; a dotted normalized name (`user_agent.original`) still reads the
 * normalized event.
 */
const ALIASES: Record<string, Record<string, ResolvedField>> = {
  'google-workspace': GOOGLE_ALIASES,
  dropbox: DROPBOX_ALIASES,
  'microsoft-graph': SIGNINLOGS_ALIASES,
  slack: SLACK_ALIASES,
  'office-365': O365_ALIASES,
};

function aliasOf(provider: string | undefined, name: string): ResolvedField | undefined {
  const table = provider !== undefined && Object.hasOwn(ALIASES, provider) ? ALIASES[provider]! : undefined;
  return table && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Resolves a rule field for one provider: its exact aliases, then the normalized schema, then the provider's vendor mapping. */
export function resolveField(provider: string | undefined, name: string): ResolvedField {
  if (name === 'event.action') return action;
  const direct = DIRECT[name];
  if (direct) return direct;
  const pii = piiCount(name);
  if (pii) return pii;
  if (name === 'user') return { get: userOf };
  const alias = aliasOf(provider, name);
  if (alias) return alias;
  if (NORMALIZED_ROOTS.has(name.split('.')[0]!)) return { get: pathGetter(name, eventRoot) };
  const pipeline = provider ? PIPELINES[provider] : undefined;
  if (pipeline) return pipeline(name);
  return { get: pathGetter(name, rawRoot) };
}

/**
 * A field getter for rules that can see several providers (generic logsource): the mapping is
 * chosen per event by its provider, and memoized so each provider's getter is built once.
 */
export function fieldFor(providers: readonly string[] | undefined, name: string): ResolvedField {
  if (providers && providers.length === 1) return resolveField(providers[0], name);
  const normalized = resolveField(undefined, name);
  // Normalized names read the same on every provider, unless one the rule can see has an alias of that exact name.
  const aliased = (providers ?? Object.keys(ALIASES)).some((p) => aliasOf(p, name) !== undefined);
  if (name === 'event.action' || name === 'user' || DIRECT[name] !== undefined || (NORMALIZED_ROOTS.has(name.split('.')[0]!) && !aliased)) return normalized;
  const cache = new Map<string, FieldGetter>();
  // Not indexable: a provider without a mapping reads the name from its raw record, not the action.
  return {
    get(e) {
      const p = e.event.provider;
      let g = cache.get(p);
      if (!g) {
        g = resolveField(p, name).get;
        // Providers come from a handful of sources; the bound only guards against a hostile stream.
        if (cache.size < 64) cache.set(p, g);
      }
      return g(e);
    },
  };
}

/** Every string value of the normalized event and its raw record, for keyword searches. */
export function eventStrings(e: SecurityEvent): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
    else if (v !== null && typeof v === 'object' && depth < 12) {
      for (const x of Array.isArray(v) ? v : Object.values(v as object)) walk(x, depth + 1);
    }
  };
  const { raw, ...normalized } = e;
  walk(normalized, 0);
  walk(raw, 0);
  return out;
}

// ---- Logsource ----

export interface Logsource {
  product?: string;
  service?: string;
  category?: string;
}

export interface CompiledLogsource {
  /** Providers the rule can match; undefined means any. */
  providers: string[] | undefined;
  test(e: SecurityEvent): boolean;
}

const PRODUCT_PROVIDER: Record<string, string> = {
  google_workspace: 'google-workspace',
  'google-workspace': 'google-workspace',
  gworkspace: 'google-workspace',
  workspace: 'google-workspace',
  dropbox: 'dropbox',
  microsoft_graph: 'microsoft-graph',
  msgraph: 'microsoft-graph',
  slack: 'slack',
  'office-365': 'office-365',
  office365: 'office-365',
  o365: 'office-365',
  microsoft365: 'office-365',
};

/** Sigma log categories onto normalized event.category values. */
const CATEGORY_MAP: Record<string, string> = {
  authentication: 'authentication',
  login: 'authentication',
  file: 'file',
  file_event: 'file',
  file_access: 'file',
  file_delete: 'file',
  file_change: 'file',
  iam: 'iam',
  identity: 'iam',
  configuration: 'configuration',
  web: 'web',
  email: 'email',
};

/** Services that mean "the whole audit log" of a product rather than one dataset. */
const WHOLE_LOG_SERVICES = new Set(['audit', 'team_log', 'team_events', 'reports', 'activity']);

/**
 * Maps a rule's logsource onto event.provider / event.dataset / event.category. SigmaHQ's own Google
 * Workspace rules say `product: gcp, service: google_workspace.admin`; both that and
 * `product: google_workspace, service: admin` select dataset `google-workspace.admin`. Its Entra ID
 * rules say `product: azure, service: signinlogs`, which selects `microsoft-graph.sign_ins`.
 */
export function compileLogsource(ls: Logsource): CompiledLogsource {
  let product = ls.product?.toLowerCase();
  let service = ls.service?.toLowerCase();
  if (product === 'gcp' && service?.startsWith('google_workspace')) {
    product = 'google_workspace';
    service = service.slice('google_workspace'.length).replace(/^[._]/, '') || undefined;
  }
  // SigmaHQ's Entra ID sign-in rules: the same sign-ins Graph serves.
  if (product === 'azure' && service === 'signinlogs') {
    product = 'microsoft_graph';
    service = 'sign_ins';
  }
  const provider = product ? (PRODUCT_PROVIDER[product] ?? product.replace(/_/g, '-')) : undefined;
  const tests: Array<(e: SecurityEvent) => boolean> = [];
  if (provider) tests.push((e) => e.event.provider === provider);
  if (service && !WHOLE_LOG_SERVICES.has(service)) {
    if (provider) {
      const dataset = `${provider}.${service}`;
      tests.push((e) => e.event.dataset === dataset);
    } else {
      const suffix = `.${service}`;
      tests.push((e) => e.event.dataset === service || e.event.dataset.endsWith(suffix));
    }
  }
  if (ls.category) {
    const cat = CATEGORY_MAP[ls.category.toLowerCase()] ?? ls.category.toLowerCase();
    tests.push((e) => e.event.category.includes(cat));
  }
  return {
    providers: provider ? [provider] : undefined,
    // A loop, not tests.every(arrow): this runs for every candidate rule of every event.
    test:
      tests.length === 0
        ? () => true
        : tests.length === 1
          ? tests[0]!
          : (e) => {
              for (const t of tests) if (!t(e)) return false;
              return true;
            },
  };
}
