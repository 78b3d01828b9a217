/**
 * A local Jira Cloud REST v3 for tests and `saaswatch demo`: issue create and read, the enhanced JQL
 * search (`/rest/api/3/search/jql`, ids only unless fields are asked for) and the removed
 * `/rest/api/3/search` answering 410, comments, transitions and issue properties, with Jira's
 * `{errorMessages, errors}` envelope for 400/401/403/404, 429 with Retry-After, and scripted failures.
 * With `deployment: 'data-center'` it is a Jira Data Center instead: REST v2 only (`/rest/api/2`,
 * plain-string description and comments, `/rest/api/2/search` paged by startAt), and none of Cloud's
 * extras the sink must not count on there (properties in create, search or comment answers).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, readBody } from '../http.js';

/** Jira's three status categories; every status belongs to one. */
export type JiraStatusCategory = 'new' | 'indeterminate' | 'done';

const CATEGORIES: Record<JiraStatusCategory, { id: number; key: JiraStatusCategory; colorName: string; name: string }> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

/** The fake's workflow: one status per category, named like Jira's default (team-managed) workflow. */
const STATUSES: Record<JiraStatusCategory, { id: string; name: string }> = {
  new: { id: '10000', name: 'To Do' },
  indeterminate: { id: '10001', name: 'In Progress' },
  done: { id: '10002', name: 'Done' },
};

/** Transitions named after their target status, plus `Reopen` out of Done, as many company-managed workflows have. */
const TRANSITIONS: Array<{ id: string; name: string; to: JiraStatusCategory; from?: JiraStatusCategory }> = [
  { id: '11', name: 'To Do', to: 'new' },
  { id: '21', name: 'In Progress', to: 'indeterminate' },
  { id: '31', name: 'Done', to: 'done' },
  { id: '41', name: 'Reopen', to: 'new', from: 'done' },
];

export interface FakeJiraComment {
  id: string;
  /** ADF, as received. */
  body: unknown;
  created: number;
  properties: Record<string, unknown>;
}

export interface FakeJiraIssue {
  id: string;
  key: string;
  project: string;
  /** The fields as received on create (description in ADF, labels, priority, custom fields...). */
  fields: Record<string, unknown>;
  status: JiraStatusCategory;
  created: number;
  comments: FakeJiraComment[];
  properties: Record<string, unknown>;
  /** Put there by seed() (a past run, a lost database), not created through the API. */
  seeded?: boolean;
}

export interface FakeJiraRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** `basic`, `bearer`, or `none`; never the credential. */
  auth: 'basic' | 'bearer' | 'none';
  body: unknown;
  status: number;
}

export interface FakeJiraTransition {
  key: string;
  transitionId: string;
  name: string;
  from: JiraStatusCategory;
  to: JiraStatusCategory;
}

export interface FakeJiraFailure {
  status: number;
  retryAfterSec?: number;
  /** Quote the request (headers included) back in errorMessages, as some proxies do; tests check it is redacted. */
  echo?: boolean;
  /** Only requests whose path starts with this fail (e.g. `/rest/api/3/issue` for creates and comments). */
  pathPrefix?: string;
  method?: string;
  /** Carry the request out and never answer: the client's acknowledgement is lost (a crash test kills it there). `status` is then ignored. */
  hang?: boolean;
}

export interface JiraFakeOptions {
  port?: number;
  /** `cloud` (default): REST v3 with ADF and /search/jql. `data-center`: REST v2 only. */
  deployment?: 'cloud' | 'data-center';
  /** Jira Cloud: Basic base64(email:apiToken). */
  email?: string;
  apiToken?: string;
  /** Data Center personal access token, or a Cloud OAuth 2.0 access token: `Authorization: Bearer`. */
  pat?: string;
  /** Project keys that exist; default `['SEC']`. */
  projects?: string[];
  issueTypes?: string[];
  priorities?: string[];
  /** Component names that exist (in every project). */
  components?: string[];
  /** Custom field ids that may be set on create (`customfield_10050`). */
  customFields?: string[];
  /** Clock for created times (epoch ms); default Date.now. */
  now?: () => number;
  /** Issues younger than this are not yet in search results, as Jira's search index trails writes. Default 0. */
  indexLagMs?: number;
}

export interface JiraFake {
  url: string;
  issues: FakeJiraIssue[];
  requests: FakeJiraRequest[];
  transitions: FakeJiraTransition[];
  /** The next `n` matching requests answer `status` (429 with Retry-After when given). */
  failNext(n: number, status: number, opts?: Omit<FakeJiraFailure, 'status'>): void;
  /** Moves an issue to a status category, as an analyst would (no transition recorded). */
  setStatus(key: string, category: JiraStatusCategory): void;
  /** Puts an issue in the fake as if a past run (or a lost database) made it. */
  seed(fields: Record<string, unknown>, opts?: { status?: JiraStatusCategory; properties?: Record<string, unknown>; project?: string; created?: number }): FakeJiraIssue;
  /** Issues created through the API (POST /rest/api/3/issue), in order. */
  created(): FakeJiraIssue[];
  /** Every comment added through the API, with its issue key. */
  comments(): Array<FakeJiraComment & { issueKey: string }>;
  close(): Promise<void>;
}

const envelope = (errorMessages: string[], errors: Record<string, string> = {}) => ({ errorMessages, errors });

/** The JQL the fake understands: clauses joined by AND, then an optional ORDER BY created. */
interface Query {
  clauses: Array<(i: FakeJiraIssue) => boolean>;
  order: 'ASC' | 'DESC' | undefined;
  bounded: boolean;
}

const JQL_VALUE = String.raw`(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_\-.]+))`;

function unquote(quoted: string | undefined, bare: string | undefined): string {
  return quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
}

function parseJql(jql: string): Query {
  const q: Query = { clauses: [], order: undefined, bounded: false };
  let rest = jql.trim();
  const order = /\s*ORDER\s+BY\s+created(?:\s+(ASC|DESC))?\s*$/i.exec(rest);
  if (order) {
    q.order = (order[1]?.toUpperCase() as 'ASC' | 'DESC' | undefined) ?? 'ASC';
    rest = rest.slice(0, order.index);
  }
  if (rest.trim() === '') return q;
  for (const part of rest.split(/\s+AND\s+/i)) {
    const clause = part.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^project\\s*=\\s*${JQL_VALUE}$`, 'i').exec(clause))) {
      const key = unquote(m[1], m[2]);
      q.clauses.push((i) => i.project === key);
      q.bounded = true;
    } else if ((m = new RegExp(`^labels\\s*=\\s*${JQL_VALUE}$`, 'i').exec(clause))) {
      const label = unquote(m[1], m[2]);
      q.clauses.push((i) => Array.isArray(i.fields['labels']) && (i.fields['labels'] as unknown[]).includes(label));
      q.bounded = true;
    } else if ((m = new RegExp(`^statusCategory\\s*(=|!=)\\s*${JQL_VALUE}$`, 'i').exec(clause))) {
      const name = unquote(m[2], m[3]).toLowerCase();
      const cat = (Object.keys(CATEGORIES) as JiraStatusCategory[]).find((c) => CATEGORIES[c].name.toLowerCase() === name || c === name);
      if (!cat) throw new HttpError(400, envelope([`The value '${unquote(m[2], m[3])}' does not exist for the field 'statusCategory'.`]));
      const neg = m[1] === '!=';
      q.clauses.push((i) => (i.status === cat) !== neg);
    } else {
      throw new HttpError(400, envelope([`Error in the JQL Query: the fake does not understand ${JSON.stringify(clause)}.`]));
    }
  }
  return q;
}

const TEXT_LIMIT = 32_767;

/** The Atlassian Document Format checks Jira applies that matter here: a doc, known node types, non-empty text. */
function adfProblem(doc: unknown): string | undefined {
  if (doc === null || typeof doc !== 'object') return 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
  const d = doc as { type?: unknown; version?: unknown; content?: unknown };
  if (d.type !== 'doc' || d.version !== 1 || !Array.isArray(d.content)) return 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
  if (JSON.stringify(doc).length > TEXT_LIMIT) return `The entered text is too long. It exceeds the allowed limit of ${TEXT_LIMIT} characters.`;
  const NODES = new Set(['paragraph', 'heading', 'bulletList', 'orderedList', 'listItem', 'text', 'hardBreak', 'rule', 'codeBlock', 'blockquote', 'table', 'tableRow', 'tableHeader', 'tableCell', 'panel']);
  const MARKS = new Set(['strong', 'em', 'code', 'link', 'underline', 'strike']);
  const walk = (n: unknown): string | undefined => {
    if (n === null || typeof n !== 'object') return 'ADF nodes must be objects';
    const node = n as { type?: unknown; text?: unknown; content?: unknown; marks?: unknown };
    if (typeof node.type !== 'string' || !NODES.has(node.type)) return `ADF node type ${JSON.stringify(node.type)} is not supported`;
    if (node.type === 'text') {
      if (typeof node.text !== 'string' || node.text.length === 0) return 'ADF text nodes need non-empty text';
      if (node.marks !== undefined) {
        if (!Array.isArray(node.marks)) return 'ADF marks must be an array';
        for (const m of node.marks as Array<{ type?: unknown; attrs?: { href?: unknown } }>) {
          if (typeof m?.type !== 'string' || !MARKS.has(m.type)) return `ADF mark ${JSON.stringify(m?.type)} is not supported`;
          if (m.type === 'link' && typeof m.attrs?.href !== 'string') return 'ADF link marks need attrs.href';
        }
      }
      return undefined;
    }
    if (node.content !== undefined) {
      if (!Array.isArray(node.content)) return 'ADF content must be an array';
      for (const c of node.content) {
        const p = walk(c);
        if (p) return p;
      }
    }
    return undefined;
  };
  for (const c of d.content) {
    const p = walk(c);
    if (p) return p;
  }
  return undefined;
}

function issueJson(base: string, i: FakeJiraIssue, fields: string[] | undefined, properties: string[] | undefined, v = '3'): Record<string, unknown> {
  const cat = CATEGORIES[i.status];
  const all: Record<string, unknown> = {
    ...i.fields,
    project: { key: i.project },
    created: new Date(i.created).toISOString().replace('Z', '+0000'),
    status: { self: `${base}/rest/api/${v}/status/${STATUSES[i.status].id}`, id: STATUSES[i.status].id, name: STATUSES[i.status].name, statusCategory: { self: `${base}/rest/api/${v}/statuscategory/${cat.id}`, ...cat } },
  };
  const out: Record<string, unknown> = { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: i.id, self: `${base}/rest/api/${v}/issue/${i.id}`, key: i.key };
  if (fields !== undefined) {
    const want = fields.includes('*all') || fields.includes('*navigable') ? Object.keys(all) : fields.filter((f) => !f.startsWith('-'));
    out['fields'] = Object.fromEntries(want.filter((f) => f in all).map((f) => [f, all[f]]));
  }
  if (properties !== undefined && properties.length > 0) {
    out['properties'] = Object.fromEntries(properties.filter((p) => p in i.properties).map((p) => [p, i.properties[p]]));
  }
  return out;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

export async function startJiraFake(opts: JiraFakeOptions = {}): Promise<JiraFake> {
  const now = opts.now ?? Date.now;
  const dc = opts.deployment === 'data-center';
  const v = dc ? '2' : '3';
  /** Rich text: ADF on Cloud's v3, a wiki-markup string on Data Center's v2. */
  const richTextProblem = (x: unknown): string | undefined => (dc ? (typeof x !== 'string' ? 'Operation value must be a string' : x.length > TEXT_LIMIT ? `The entered text is too long. It exceeds the allowed limit of ${TEXT_LIMIT} characters.` : undefined) : adfProblem(x));
  const projects = new Set(opts.projects ?? ['SEC']);
  const issueTypes = opts.issueTypes ?? ['Task', 'Bug', 'Incident'];
  const priorities = opts.priorities ?? ['Highest', 'High', 'Medium', 'Low', 'Lowest'];
  const components = new Set(opts.components ?? ['Security']);
  const customFields = new Set(opts.customFields ?? []);
  const issues: FakeJiraIssue[] = [];
  const requests: FakeJiraRequest[] = [];
  const transitions: FakeJiraTransition[] = [];
  const failures: FakeJiraFailure[] = [];
  const counters = new Map<string, number>();
  let nextId = 10_000;
  let nextCommentId = 20_000;
  let base = '';

  const find = (keyOrId: string): FakeJiraIssue => {
    const i = issues.find((x) => x.key === keyOrId || x.id === keyOrId);
    if (!i) throw new HttpError(404, envelope(['Issue does not exist or you do not have permission to see it.']));
    return i;
  };

  function authOf(req: IncomingMessage): 'basic' | 'bearer' | 'none' | 'wrong' {
    const h = req.headers['authorization'];
    if (!h) return 'none';
    const basic = /^Basic\s+(\S+)$/i.exec(h);
    if (basic && opts.email !== undefined && opts.apiToken !== undefined) {
      return Buffer.from(basic[1]!, 'base64').toString('utf8') === `${opts.email}:${opts.apiToken}` ? 'basic' : 'wrong';
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(h);
    if (bearer && opts.pat !== undefined) return bearer[1] === opts.pat ? 'bearer' : 'wrong';
    return 'wrong';
  }

  function create(body: unknown): { status: number; payload: unknown } {
    const b = (body ?? {}) as { fields?: Record<string, unknown>; properties?: Array<{ key?: unknown; value?: unknown }> };
    const fields = b.fields ?? {};
    const errs: Record<string, string> = {};
    const projectKey = (fields['project'] as { key?: unknown } | undefined)?.key;
    if (typeof projectKey !== 'string' || !projects.has(projectKey)) errs['project'] = 'valid project is required';
    const it = fields['issuetype'] as { name?: unknown; id?: unknown } | undefined;
    const typeOk = it !== undefined && (typeof it.name === 'string' ? issueTypes.includes(it.name) : typeof it.id === 'string' && Number(it.id) >= 10_000 && Number(it.id) < 10_000 + issueTypes.length);
    if (!typeOk) errs['issuetype'] = 'Specify a valid issue type';
    const summary = fields['summary'];
    if (typeof summary !== 'string' || summary.trim() === '') errs['summary'] = 'You must specify a summary of the issue.';
    else if (summary.length > 255) errs['summary'] = 'Summary must be less than 255 characters.';
    else if (/[\r\n]/.test(summary)) errs['summary'] = 'The summary is invalid because it contains newline characters.';
    if (fields['description'] !== undefined) {
      const p = richTextProblem(fields['description']);
      if (p) errs['description'] = p;
    }
    const labels = fields['labels'];
    if (labels !== undefined) {
      if (!Array.isArray(labels)) errs['labels'] = 'data was not an array';
      else {
        const bad = labels.find((l) => typeof l !== 'string' || /\s/.test(l) || l.length > 255 || l === '');
        if (bad !== undefined) errs['labels'] = `The label '${String(bad)}' contains spaces which is invalid.`;
      }
    }
    const priority = fields['priority'] as { name?: unknown } | undefined;
    if (priority !== undefined && (typeof priority.name !== 'string' || !priorities.includes(priority.name))) {
      errs['priority'] = `Specify the Priority (id or name) in the string format`;
      if (typeof priority.name === 'string') errs['priority'] = `Priority name '${priority.name}' is not valid`;
    }
    const comps = fields['components'];
    if (comps !== undefined) {
      const bad = Array.isArray(comps) ? comps.find((c) => !components.has((c as { name?: string })?.name ?? '')) : comps;
      if (bad !== undefined) errs['components'] = `Component name '${String((bad as { name?: unknown })?.name)}' is not valid`;
    }
    for (const f of Object.keys(fields)) {
      if (f.startsWith('customfield_') && !customFields.has(f)) errs[f] = `Field '${f}' cannot be set. It is not on the appropriate screen, or unknown.`;
      else if (!f.startsWith('customfield_') && !['project', 'issuetype', 'summary', 'description', 'labels', 'priority', 'components'].includes(f)) {
        errs[f] = `Field '${f}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
    }
    if (Object.keys(errs).length > 0) return { status: 400, payload: envelope([], errs) };
    const key = projectKey as string;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    const properties: Record<string, unknown> = {};
    if (!dc) for (const p of b.properties ?? []) if (typeof p.key === 'string') properties[p.key] = p.value;
    const issue: FakeJiraIssue = { id: String(nextId++), key: `${key}-${n}`, project: key, fields: structuredClone(fields), status: 'new', created: now(), comments: [], properties };
    issues.push(issue);
    return { status: 201, payload: { id: issue.id, key: issue.key, self: `${base}/rest/api/${v}/issue/${issue.id}` } };
  }

  /** Data Center's `GET /rest/api/2/search`: startAt paging, a total, navigable fields by default. */
  function searchV2(query: Record<string, string>): unknown {
    const jql = query['jql'] ?? '';
    const q = parseJql(jql);
    const hits = issues.filter((i) => i.created <= now() - (opts.indexLagMs ?? 0) && q.clauses.every((c) => c(i))).sort((a, b) => (q.order === 'DESC' ? b.created - a.created || Number(b.id) - Number(a.id) : a.created - b.created || Number(a.id) - Number(b.id)));
    const maxResults = Math.min(Math.max(Number(query['maxResults'] ?? 50) || 50, 1), 1_000);
    const startAt = Math.max(Number(query['startAt'] ?? 0) || 0, 0);
    return { expand: 'schema,names', startAt, maxResults, total: hits.length, issues: hits.slice(startAt, startAt + maxResults).map((i) => issueJson(base, i, list(query['fields']) ?? ['*navigable'], undefined, v)) };
  }

  function search(query: Record<string, string>): unknown {
    const jql = query['jql'];
    if (!jql) throw new HttpError(400, envelope(['The JQL query is required.']));
    const q = parseJql(jql);
    if (!q.bounded) throw new HttpError(400, envelope(['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']));
    const indexed = issues.filter((i) => i.created <= now() - (opts.indexLagMs ?? 0));
    let hits = indexed.filter((i) => q.clauses.every((c) => c(i)));
    // Without ORDER BY Jira sorts by key, newest first is not promised; created order is close enough.
    hits = [...hits].sort((a, b) => (q.order === 'DESC' ? b.created - a.created || Number(b.id) - Number(a.id) : a.created - b.created || Number(a.id) - Number(b.id)));
    const maxResults = Math.min(Math.max(Number(query['maxResults'] ?? 50) || 50, 1), 5_000);
    const start = query['nextPageToken'] ? Number(Buffer.from(query['nextPageToken'], 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new HttpError(400, envelope(['Invalid nextPageToken.']));
    const page = hits.slice(start, start + maxResults);
    const fields = list(query['fields']);
    const props = list(query['properties']);
    const out: Record<string, unknown> = {
      issues: page.map((i) => (fields === undefined && props === undefined ? { id: i.id } : issueJson(base, i, fields, props))),
      isLast: start + maxResults >= hits.length,
    };
    if (start + maxResults < hits.length) out['nextPageToken'] = Buffer.from(String(start + maxResults), 'utf8').toString('base64url');
    return out;
  }

  async function route(req: IncomingMessage, url: URL, body: unknown): Promise<{ status: number; payload?: unknown }> {
    let path = url.pathname.replace(/\/+$/, '');
    const query = Object.fromEntries(url.searchParams);
    const m = req.method ?? 'GET';
    if (dc) {
      if (!path.startsWith('/rest/api/2/') || path.startsWith('/rest/api/2/search/')) return { status: 404, payload: envelope([`No route for ${m} ${path}: this Jira serves REST v2.`]) };
      if (path === '/rest/api/2/search' && m === 'GET') return { status: 200, payload: searchV2(query) };
      // The routes below are written once, for v3's paths.
      path = path.replace('/rest/api/2/', '/rest/api/3/');
    } else if (path === '/rest/api/3/search' || path === '/rest/api/2/search') {
      return { status: 410, payload: envelope(['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046']) };
    }
    if (path === '/rest/api/3/search/jql' && m === 'GET') return { status: 200, payload: search(query) };
    if (path === '/rest/api/3/search/jql' && m === 'POST') {
      const b = (body ?? {}) as Record<string, unknown>;
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(b)) if (v !== undefined && v !== null) flat[k] = Array.isArray(v) ? v.join(',') : String(v);
      return { status: 200, payload: search(flat) };
    }
    if (path === '/rest/api/3/issue' && m === 'POST') return create(body);
    let r: RegExpExecArray | null;
    if ((r = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(path)) && m === 'GET') {
      return { status: 200, payload: issueJson(base, find(decodeURIComponent(r[1]!)), list(query['fields']) ?? ['*all'], dc ? undefined : list(query['properties']), v) };
    }
    if ((r = /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/.exec(path))) {
      const issue = find(decodeURIComponent(r[1]!));
      const expandProps = !dc && (list(query['expand']) ?? []).includes('properties');
      const commentJson = (c: FakeJiraComment) => ({
        self: `${base}/rest/api/${v}/issue/${issue.id}/comment/${c.id}`,
        id: c.id,
        body: c.body,
        created: new Date(c.created).toISOString().replace('Z', '+0000'),
        updated: new Date(c.created).toISOString().replace('Z', '+0000'),
        ...(expandProps ? { properties: Object.entries(c.properties).map(([key, value]) => ({ key, value })) } : {}),
      });
      if (m === 'GET') {
        const sorted = query['orderBy'] === '-created' ? [...issue.comments].reverse() : issue.comments;
        const startAt = Number(query['startAt'] ?? 0) || 0;
        const maxResults = Math.min(Number(query['maxResults'] ?? 100) || 100, 100);
        return { status: 200, payload: { startAt, maxResults, total: issue.comments.length, comments: sorted.slice(startAt, startAt + maxResults).map(commentJson) } };
      }
      if (m === 'POST') {
        const b = (body ?? {}) as { body?: unknown; properties?: Array<{ key?: unknown; value?: unknown }> };
        const p = richTextProblem(b.body);
        if (p) return { status: 400, payload: envelope([], { comment: p }) };
        const properties: Record<string, unknown> = {};
        if (!dc) for (const prop of b.properties ?? []) if (typeof prop.key === 'string') properties[prop.key] = prop.value;
        const c: FakeJiraComment = { id: String(nextCommentId++), body: structuredClone(b.body), created: now(), properties };
        issue.comments.push(c);
        return { status: 201, payload: commentJson(c) };
      }
    }
    if ((r = /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/.exec(path))) {
      const issue = find(decodeURIComponent(r[1]!));
      const available = TRANSITIONS.filter((t) => t.to !== issue.status && (t.from === undefined || t.from === issue.status));
      if (m === 'GET') {
        return {
          status: 200,
          payload: {
            expand: 'transitions',
            transitions: available.map((t) => ({
              id: t.id,
              name: t.name,
              to: { self: `${base}/rest/api/${v}/status/${STATUSES[t.to].id}`, id: STATUSES[t.to].id, name: STATUSES[t.to].name, statusCategory: CATEGORIES[t.to] },
              hasScreen: false,
              isGlobal: true,
              isInitial: false,
              isAvailable: true,
              isConditional: false,
            })),
          },
        };
      }
      if (m === 'POST') {
        const id = (body as { transition?: { id?: unknown } } | undefined)?.transition?.id;
        const t = available.find((x) => x.id === String(id));
        if (!t) return { status: 400, payload: envelope([`Transition id '${String(id)}' is not valid for this issue.`]) };
        transitions.push({ key: issue.key, transitionId: t.id, name: t.name, from: issue.status, to: t.to });
        issue.status = t.to;
        return { status: 204 };
      }
    }
    if ((r = /^\/rest\/api\/3\/issue\/([^/]+)\/properties\/([^/]+)$/.exec(path))) {
      const issue = find(decodeURIComponent(r[1]!));
      const key = decodeURIComponent(r[2]!);
      if (m === 'PUT') {
        const existed = key in issue.properties;
        issue.properties[key] = body;
        return { status: existed ? 200 : 201 };
      }
      if (m === 'GET') {
        if (!(key in issue.properties)) return { status: 404, payload: envelope([`The property with key '${key}' does not exist.`]) };
        return { status: 200, payload: { key, value: issue.properties[key] } };
      }
    }
    return { status: 404, payload: envelope([`No route for ${m} ${path} in the Jira fake.`]) };
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    let body: unknown;
    const auth = authOf(req);
    const record = (status: number) => requests.push({ method: req.method ?? '', path: url.pathname, query, auth: auth === 'wrong' ? 'none' : auth, body, status });
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record(status);
      if (payload === undefined) res.writeHead(status, headers).end();
      else res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers }).end(JSON.stringify(payload));
    };
    try {
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return send(400, envelope(['Unexpected character in the request body: it is not JSON.']));
        }
      }
      const fi = failures.findIndex((f) => (f.pathPrefix === undefined || url.pathname.startsWith(f.pathPrefix)) && (f.method === undefined || f.method === req.method));
      if (fi >= 0) {
        const f = failures.splice(fi, 1)[0]!;
        if (f.hang && auth !== 'none' && auth !== 'wrong') {
          record((await route(req, url, body)).status);
          return;
        }
        const headers: Record<string, string> = f.retryAfterSec === undefined ? {} : { 'retry-after': String(f.retryAfterSec) };
        const messages = f.status === 429 ? ['Rate limit exceeded.'] : f.status === 401 ? ['Client must be authenticated to access this resource.'] : f.status === 403 ? ['You do not have permission to perform this operation.'] : f.status >= 500 ? ['Internal server error'] : ['Request refused.'];
        if (f.echo) messages.push(`request headers: ${JSON.stringify(req.headers)} for ${req.method} ${req.url}`);
        return send(f.status, envelope(messages), headers);
      }
      if (auth === 'none' || auth === 'wrong') {
        return send(401, envelope(['Client must be authenticated to access this resource.']), { 'www-authenticate': 'Basic realm="protected-area"' });
      }
      const out = await route(req, url, body);
      send(out.status, out.payload);
    } catch (err) {
      if (err instanceof HttpError) send(err.status, err.payload, err.headers);
      else send(500, envelope([`fake error: ${String(err)}`]));
    }
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    issues,
    requests,
    transitions,
    failNext(n, status, o = {}) {
      for (let i = 0; i < n; i++) failures.push({ status, ...o });
    },
    setStatus(key, category) {
      find(key).status = category;
    },
    seed(fields, o = {}) {
      const project = o.project ?? 'SEC';
      const n = (counters.get(project) ?? 0) + 1;
      counters.set(project, n);
      const issue: FakeJiraIssue = { id: String(nextId++), key: `${project}-${n}`, project, fields: structuredClone(fields), status: o.status ?? 'new', created: o.created ?? now(), comments: [], properties: o.properties ?? {}, seeded: true };
      issues.push(issue);
      return issue;
    },
    created: () => issues.filter((i) => !i.seeded),
    comments: () => issues.flatMap((i) => i.comments.map((c) => ({ ...c, issueKey: i.key }))),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

