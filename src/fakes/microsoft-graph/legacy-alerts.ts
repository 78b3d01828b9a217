/** Legacy Graph security alerts (GET /security/alerts, the v1 schema) for the fake: a record builder, and the `$filter` shapes Graph evaluates on them. */
import type { Alert } from '@microsoft/microsoft-graph-types';
import { graphTime } from './records.js';

export type LegacyGraphAlert = Alert;

/** What a legacy alert says, in the words of its schema; the builder fills in the rest as Graph serves it. */
export interface LegacyAlertSpec {
  id: string;
  tenantId: string;
  title: string;
  description: string;
  category: string;
  /** unknown, informational, low, medium, high. */
  severity: string;
  /** Percentage, or null when the provider gives none. */
  confidence?: number | null;
  eventMs: number;
  vendor: { provider: string; subProvider?: string | null; vendor: string; providerVersion?: string | null };
  hosts?: Array<{ netBiosName?: string | null; fqdn?: string | null; privateIpAddress?: string | null; publicIpAddress?: string | null; os?: string | null }>;
  connections?: Array<{ sourceAddress?: string | null; destinationAddress?: string | null; destinationDomain?: string | null; destinationUrl?: string | null; destinationPort?: string | null; protocol?: string; direction?: string }>;
  files?: Array<{ name?: string | null; path?: string | null; sha256?: string | null }>;
  users?: Array<{ userPrincipalName?: string | null; accountName?: string | null; domainName?: string | null; aadUserId?: string | null; logonIp?: string | null }>;
  sourceMaterials?: string[];
  status?: string;
}

/** A legacy alert as `GET /security/alerts` returns it: every v1 property present, null or empty when the provider has nothing (as in Graph's documented responses). */
export function legacyAlert(s: LegacyAlertSpec): LegacyGraphAlert {
  const t = graphTime(s.eventMs);
  return {
    id: s.id,
    activityGroupName: null,
    assignedTo: null,
    azureSubscriptionId: null,
    azureTenantId: s.tenantId,
    category: s.category,
    closedDateTime: null,
    cloudAppStates: [],
    comments: [],
    confidence: s.confidence ?? null,
    createdDateTime: graphTime(s.eventMs + 25_000),
    description: s.description,
    detectionIds: [],
    eventDateTime: t,
    feedback: null,
    fileStates: (s.files ?? []).map((f) => ({ name: f.name ?? null, path: f.path ?? null, riskScore: null, fileHash: f.sha256 ? { hashType: 'sha256', hashValue: f.sha256 } : null })),
    historyStates: [],
    hostStates: (s.hosts ?? []).map((h) => ({
      fqdn: h.fqdn ?? null,
      isAzureAdJoined: false,
      isAzureAdRegistered: true,
      isHybridAzureDomainJoined: null,
      netBiosName: h.netBiosName ?? null,
      os: h.os ?? null,
      privateIpAddress: h.privateIpAddress ?? null,
      publicIpAddress: h.publicIpAddress ?? null,
      riskScore: null,
    })),
    lastModifiedDateTime: graphTime(s.eventMs + 90_000),
    malwareStates: [],
    networkConnections: (s.connections ?? []).map((c) => ({
      applicationName: null,
      destinationAddress: c.destinationAddress ?? null,
      destinationDomain: c.destinationDomain ?? null,
      destinationPort: c.destinationPort ?? null,
      destinationUrl: c.destinationUrl ?? null,
      direction: (c.direction ?? 'inbound') as 'inbound',
      domainRegisteredDateTime: null,
      localDnsName: null,
      natDestinationAddress: null,
      natDestinationPort: null,
      natSourceAddress: null,
      natSourcePort: null,
      protocol: (c.protocol ?? 'tcp') as 'tcp',
      riskScore: null,
      sourceAddress: c.sourceAddress ?? null,
      sourcePort: null,
      status: null,
      urlParameters: null,
    })),
    processes: [],
    recommendedActions: [],
    registryKeyStates: [],
    severity: s.severity as 'high',
    sourceMaterials: s.sourceMaterials ?? [],
    status: (s.status ?? 'newAlert') as 'newAlert',
    tags: [],
    title: s.title,
    triggers: [],
    userStates: (s.users ?? []).map((u) => ({
      aadUserId: u.aadUserId ?? null,
      accountName: u.accountName ?? null,
      domainName: u.domainName ?? null,
      emailRole: 'unknown',
      isVpn: null,
      logonDateTime: u.logonIp ? t : null,
      logonId: null,
      logonIp: u.logonIp ?? null,
      logonLocation: null,
      logonType: null,
      onPremisesSecurityIdentifier: null,
      riskScore: null,
      userAccountType: null,
      userPrincipalName: u.userPrincipalName ?? null,
    })),
    vendorInformation: { provider: s.vendor.provider, providerVersion: s.vendor.providerVersion ?? null, subProvider: s.vendor.subProvider ?? null, vendor: s.vendor.vendor },
    vulnerabilityStates: [],
  } as LegacyGraphAlert;
}

/** Properties of each collection the legacy API filters on with `any`, and the entity type Graph names when one is unknown. */
const COLLECTIONS: Record<string, { type: string; props: string[] }> = {
  networkConnections: { type: 'microsoft.graph.networkConnection', props: ['sourceAddress', 'destinationAddress', 'destinationDomain', 'destinationUrl', 'destinationPort', 'sourcePort'] },
  hostStates: { type: 'microsoft.graph.hostSecurityState', props: ['netBiosName', 'fqdn', 'privateIpAddress', 'publicIpAddress', 'os'] },
  fileStates: { type: 'microsoft.graph.fileSecurityState', props: ['name', 'path', 'fileHash/hashValue', 'fileHash/hashType'] },
  userStates: { type: 'microsoft.graph.userSecurityState', props: ['userPrincipalName', 'accountName', 'domainName', 'aadUserId', 'logonIp'] },
};
/** Top-level properties compared with `eq`. */
const TOP_LEVEL = ['id', 'category', 'severity', 'status', 'title', 'vendorInformation/provider', 'vendorInformation/subProvider', 'vendorInformation/vendor'];

/** A filter Graph refuses: the fake answers 400 BadRequest with this message. */
export class FilterRejected extends Error {}

type Token = { k: 'path'; v: string } | { k: 'str'; v: string } | { k: 'sym'; v: '(' | ')' | ':' } | { k: 'end' };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ':') {
      out.push({ k: 'sym', v: c });
      i++;
      continue;
    }
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterRejected(`Syntax error: unterminated string literal at position ${text.length} in '${text}'.`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += text[i];
        i++;
      }
      out.push({ k: 'str', v });
      continue;
    }
    const m = /^[A-Za-z_][\w]*(?:\/[A-Za-z_][\w]*)*/.exec(text.slice(i));
    if (!m) throw new FilterRejected(`Syntax error: character '${c}' is not valid at position ${i} in '${text}'.`);
    out.push({ k: 'path', v: m[0] });
    i += m[0].length;
  }
  out.push({ k: 'end' });
  return out;
}

type Pred = (a: Record<string, unknown>) => boolean;

const at = (rec: unknown, path: string): unknown => path.split('/').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), rec);

/**
 * The legacy `$filter` as a predicate: clauses joined by `and`, each `<property> eq '<text>'` on a
 * top-level property or `<collection>/any(v:v/<property> eq '<text>' [or v/<property> eq '<text>']...)`
 * on a state collection. Strings are OData literals (`''` is a quote) and compare exactly.
 * Anything else is refused, as Graph refuses what it cannot parse.
 */
export function parseLegacyFilter(text: string): Pred {
  const t = tokenize(text);
  let p = 0;
  const peek = () => t[p]!;
  const next = () => t[p++]!;
  const expectSym = (s: '(' | ')' | ':') => {
    const tok = next();
    if (tok.k !== 'sym' || tok.v !== s) throw new FilterRejected(`Syntax error at position ${p} in '${text}': '${s}' expected.`);
  };
  const expectEq = () => {
    const tok = next();
    if (tok.k !== 'path' || tok.v.toLowerCase() !== 'eq') throw new FilterRejected(`Invalid filter clause: only 'eq' comparisons are supported in '${text}'.`);
  };
  const literal = () => {
    const tok = next();
    if (tok.k !== 'str') throw new FilterRejected(`Invalid filter clause: a string literal is expected in '${text}'.`);
    return tok.v;
  };
  const clause = (): Pred => {
    const tok = next();
    if (tok.k !== 'path') throw new FilterRejected(`Syntax error at position ${p} in '${text}'.`);
    const lambda = /^(\w+)\/any$/.exec(tok.v);
    if (lambda) {
      const coll = COLLECTIONS[lambda[1]!];
      if (!coll) throw new FilterRejected(`Could not find a property named '${lambda[1]}' on type 'microsoft.graph.alert'.`);
      expectSym('(');
      const v = next();
      if (v.k !== 'path' || v.v.includes('/')) throw new FilterRejected(`Syntax error: a range variable is expected in '${text}'.`);
      expectSym(':');
      const tests: Array<{ prop: string; value: string }> = [];
      for (;;) {
        const ref = next();
        if (ref.k !== 'path' || !ref.v.startsWith(`${v.v}/`)) throw new FilterRejected(`Invalid filter clause: '${v.v}/<property>' expected in '${text}'.`);
        const prop = ref.v.slice(v.v.length + 1);
        if (!coll.props.includes(prop)) throw new FilterRejected(`Could not find a property named '${prop}' on type '${coll.type}'.`);
        expectEq();
        tests.push({ prop, value: literal() });
        const after = peek();
        if (after.k === 'path' && after.v.toLowerCase() === 'or') {
          next();
          continue;
        }
        break;
      }
      expectSym(')');
      const name = lambda[1]!;
      return (a) => {
        const items = a[name];
        return Array.isArray(items) && items.some((it) => tests.some((x) => at(it, x.prop) === x.value));
      };
    }
    if (!TOP_LEVEL.includes(tok.v)) throw new FilterRejected(`Invalid filter clause: '${tok.v}' is not filterable on microsoft.graph.alert.`);
    expectEq();
    const value = literal();
    return (a) => at(a, tok.v) === value;
  };
  const preds: Pred[] = [clause()];
  for (;;) {
    const tok = next();
    if (tok.k === 'end') break;
    if (tok.k === 'path' && tok.v.toLowerCase() === 'and') {
      preds.push(clause());
      continue;
    }
    throw new FilterRejected(`Syntax error at position ${p} in '${text}'.`);
  }
  return (a) => preds.every((f) => f(a));
}
