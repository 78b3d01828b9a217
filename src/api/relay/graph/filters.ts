/** What the relay asks Graph for per observable: OData `$filter`s for legacy /security/alerts, and the evidence match for alerts_v2, which Graph cannot filter on. */
import type { Observable } from '../types.js';
import type { V2Alert } from './wire.js';

/**
 * An OData string literal: quoted, each `'` doubled (OData ABNF `SQUOTE-in-string`). Nothing else
 * needs escaping inside the literal; the whole `$filter` is percent-encoded when it goes into the
 * query string (see `queryValue`), so `&`, `#`, `+` and `%` in a value stay part of the value.
 */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A query-string value as it must go on the wire: percent-encoded whole. The Graph SDK puts
 * `.filter()` text into the URL as it is, so an unencoded `&$top=1000` in a value would become a
 * parameter of its own, and a `#` would cut the query short.
 */
export function queryValue(text: string): string {
  return encodeURIComponent(text);
}

/** `<collection>/any(x:x/<p1> eq '<v>' or x/<p2> eq '<v>' ...)`: the lambda shape legacy /security/alerts takes on its collections. */
function anyOf(collection: string, properties: string[], value: string): string {
  const lit = odataString(value);
  return `${collection}/any(x:${properties.map((p) => `x/${p} eq ${lit}`).join(' or ')})`;
}

/**
 * The legacy `$filter` per observable type. Network, host and file shapes are those of Cisco's
 * Graph Security relay module (tr-05-serverless-microsoft-graph-security); users and e-mail
 * addresses use `userStates/any(...)` on the UPN (or the account name for a bare user name), as
 * Microsoft's own samples do. A host name with a dot is an FQDN, not a NetBIOS name.
 */
export function legacyFilter(o: Observable): string {
  const v = o.value;
  switch (o.type) {
    case 'ip':
    case 'ipv6':
      return anyOf('networkConnections', ['sourceAddress', 'destinationAddress'], v);
    case 'domain':
      return anyOf('networkConnections', ['destinationDomain'], v);
    case 'url':
      return anyOf('networkConnections', ['destinationUrl'], v);
    case 'hostname':
      return anyOf('hostStates', [v.includes('.') ? 'fqdn' : 'netBiosName'], v);
    case 'file_name':
      return anyOf('fileStates', ['name'], v);
    case 'file_path':
      return anyOf('fileStates', ['path'], v);
    case 'sha256':
      return anyOf('fileStates', ['fileHash/hashValue'], v);
    case 'email':
      return anyOf('userStates', ['userPrincipalName'], v);
    case 'user':
      return anyOf('userStates', [v.includes('@') ? 'userPrincipalName' : 'accountName'], v);
  }
}

/**
 * alerts_v2 filters only on assignedTo, classification, determination, createdDateTime,
 * lastUpdateDateTime, severity, serviceSource and status (Graph's "List alerts_v2" page); its
 * evidence is not filterable and an `evidence/any(...)` filter is refused with 400. So the server
 * filter bounds the time (alerts updated in the look-back) and the evidence is matched here.
 */
export function v2TimeFilter(sinceMs: number): string {
  return `lastUpdateDateTime ge ${new Date(sinceMs).toISOString()}`;
}

type Evidence = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The evidence kind without its namespace: `deviceEvidence`, `fileEvidence`, ...; '' when the record's type is not a string. */
export function evidenceKind(e: Evidence): string {
  const t = e['@odata.type'];
  return typeof t === 'string' ? t.replace(/^#?microsoft\.graph\.security\./, '') : '';
}

/** Windows paths come with a backslash, the rest with a slash; alerts_v2 gives the folder and the name apart. */
export function joinPath(folder: string | undefined, name: string | undefined): string | undefined {
  if (!folder) return name;
  if (!name) return folder;
  const sep = folder.includes('\\') || /^[A-Za-z]:/.test(folder) ? '\\' : '/';
  return folder.endsWith(sep) ? `${folder}${name}` : `${folder}${sep}${name}`;
}

/** The files an evidence entry names: a file's details, or a process's image file. */
export function evidenceFiles(e: Evidence): Array<{ name?: string; folder?: string; path?: string; sha256?: string }> {
  const kind = evidenceKind(e);
  const details = kind === 'fileEvidence' ? obj(e.fileDetails) : kind === 'processEvidence' ? obj(e.imageFile) : undefined;
  if (!details) return [];
  const name = str(details.fileName);
  const folder = str(details.filePath);
  const path = joinPath(folder, name);
  const sha256 = str(details.sha256);
  return [{ ...(name ? { name } : {}), ...(folder ? { folder } : {}), ...(path ? { path } : {}), ...(sha256 ? { sha256 } : {}) }];
}

/** Accounts an evidence entry names (user, mailbox, process owner, logged-on users). */
function evidenceAccounts(e: Evidence): Array<{ upn?: string; accountName?: string; domainName?: string; aadId?: string; email?: string }> {
  const kind = evidenceKind(e);
  const out: Array<{ upn?: string; accountName?: string; domainName?: string; aadId?: string; email?: string }> = [];
  const account = (a: Record<string, unknown> | undefined) => {
    if (!a) return;
    const upn = str(a.userPrincipalName);
    const accountName = str(a.accountName);
    const domainName = str(a.domainName);
    const aadId = str(a.azureAdUserId);
    out.push({ ...(upn ? { upn } : {}), ...(accountName ? { accountName } : {}), ...(domainName ? { domainName } : {}), ...(aadId ? { aadId } : {}) });
  };
  if (kind === 'userEvidence' || kind === 'processEvidence' || kind === 'mailboxEvidence') account(obj(e.userAccount));
  if (kind === 'mailboxEvidence') {
    const email = str(e.primaryAddress);
    const upn = str(e.upn);
    out.push({ ...(email ? { email } : {}), ...(upn ? { upn } : {}) });
  }
  if (kind === 'deviceEvidence') for (const u of arr(e.loggedOnUsers)) account(obj(u));
  if (kind === 'analyzedMessageEvidence') {
    for (const v of [e.recipientEmailAddress, obj(e.p1Sender)?.emailAddress, obj(e.p2Sender)?.emailAddress]) {
      const email = str(v);
      if (email) out.push({ email });
    }
  }
  return out;
}

/** Addresses an evidence entry names. */
function evidenceIps(e: Evidence): string[] {
  const kind = evidenceKind(e);
  if (kind === 'ipEvidence') return [str(e.ipAddress)].filter((x): x is string => !!x);
  if (kind === 'deviceEvidence') return [str(e.lastIpAddress), str(e.lastExternalIpAddress), ...arr(e.ipInterfaces).map(str)].filter((x): x is string => !!x);
  if (kind === 'analyzedMessageEvidence') return [str(e.senderIp)].filter((x): x is string => !!x);
  return [];
}

function urlHost(u: string): string | undefined {
  try {
    return new URL(u).hostname || undefined;
  } catch {
    return undefined;
  }
}

const ci = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Whether one evidence entry names the observable. Names, paths, hosts and accounts compare case-insensitively, as Windows and Entra treat them; URLs exactly. */
export function evidenceMatches(e: Evidence, o: Observable): boolean {
  const v = o.value;
  const kind = evidenceKind(e);
  switch (o.type) {
    case 'ip':
    case 'ipv6':
      return evidenceIps(e).some((ip) => ci(ip, v));
    case 'domain':
      if (kind === 'urlEvidence') return ci(urlHost(str(e.url) ?? ''), v);
      if (kind === 'deviceEvidence') return ci(str(e.deviceDnsName), v);
      return false;
    case 'hostname':
      return kind === 'deviceEvidence' && (ci(str(e.hostName), v) || ci(str(e.deviceDnsName), v));
    case 'url':
      return kind === 'urlEvidence' && str(e.url) === v;
    case 'file_name':
      return evidenceFiles(e).some((f) => ci(f.name, v));
    case 'file_path':
      return evidenceFiles(e).some((f) => ci(f.path, v) || ci(f.folder, v));
    case 'sha256':
      return evidenceFiles(e).some((f) => ci(f.sha256, v));
    case 'email':
      return evidenceAccounts(e).some((a) => ci(a.email, v) || ci(a.upn, v));
    case 'user':
      return evidenceAccounts(e).some(
        (a) => ci(a.upn, v) || ci(a.email, v) || ci(a.aadId, v) || ci(a.accountName, v) || (a.domainName !== undefined && a.accountName !== undefined && ci(`${a.domainName}\\${a.accountName}`, v)),
      );
  }
}

/** Whether an alerts_v2 record names the observable in any of its evidence. */
export function v2AlertMatches(alert: V2Alert, o: Observable): boolean {
  return arr(alert.evidence).some((e) => {
    const ev = obj(e);
    return ev !== undefined && evidenceMatches(ev as Evidence, o);
  });
}
