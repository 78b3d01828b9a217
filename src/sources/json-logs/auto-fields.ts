/** Finds the usual field names of other people's logs in a record, so json-logs needs no `fields:` mapping for them. */

/** The targets json-logs recognises on its own; file and target-user fields are too varied to guess. */
export type AutoTarget = 'timestamp' | 'user' | 'ip' | 'action' | 'outcome' | 'user_agent';

export const AUTO_TARGETS: readonly AutoTarget[] = ['timestamp', 'user', 'ip', 'action', 'outcome', 'user_agent'];

/**
 * Input keys recognised per target, highest priority first, when `fields.<target>` is not set.
 * Keys match ignoring case and `_`, `-`, `.` and spaces (`sourceIp`, `SOURCE_IP` and `source-ip`
 * are all `source_ip`); `a.b` is key `b` inside object `a`, one level deep. Specific names come
 * before generic ones (`source_ip` before `ip`), and flat keys before nested ones.
 */
export const AUTO_FIELDS: Readonly<Record<AutoTarget, readonly string[]>> = {
  timestamp: [
    '@timestamp', 'timestamp', 'time', 'ts', 'date', 'datetime', 'eventTime', 'time_iso8601', 'time_local',
    'published', 'createdDateTime', 'created_at', 'occurred_at', 'logged_at',
  ],
  user: [
    'user', 'username', 'user_email', 'email', 'userPrincipalName', 'actor', 'user_id',
    'user.email', 'user.name', 'user.id', 'actor.email', 'actor.alternateId', 'actor.login', 'actor.name', 'actor.id',
    'userIdentity.userName',
  ],
  ip: [
    'source_ip', 'src_ip', 'client_ip', 'remote_addr', 'remote_address', 'remote_ip', 'ip', 'ip_address',
    'sourceIPAddress', 'clientIPAddress', 'actor_ip', 'ipaddr',
    'source.ip', 'source.address', 'client.ip', 'client.ipAddress', 'client.address',
  ],
  action: ['action', 'event', 'event_type', 'eventName', 'activity', 'operation', 'operationName', 'event.action'],
  outcome: ['outcome', 'result', 'status', 'status_code', 'http_status', 'success', 'event.outcome', 'outcome.result'],
  user_agent: ['user_agent', 'http_user_agent', 'ua', 'user_agent.original', 'client.user_agent'],
};

/** The comparison form of a key: lower case without `_`, `-`, `.` or spaces; `@` stays, `@timestamp` is not `timestamp`. */
export function canonicalKey(key: string): string {
  return key.toLowerCase().replace(/[\s_.-]+/g, '');
}

interface Entry {
  target: number;
  priority: number;
}

interface KeyInfo {
  leaf: Entry[];
  children: Map<string, Entry[]> | undefined;
}

/** Per target: the value chosen, the input path it came from, and its priority (lower wins). */
export interface AutoHits {
  value: unknown[];
  path: string[];
  priority: number[];
  /** First recognised key whose value was an object or list, for messages when nothing usable was found. */
  skipped: (string | undefined)[];
}

/** Distinct keys remembered; logs whose keys are ids (one key per user) would otherwise grow it without end. */
const MAX_CACHED_KEYS = 10_000;

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== '-';

/**
 * Picks, per target, the highest-priority recognised key holding a scalar. Objects and lists are
 * passed over (ECS `event: {...}` is not an action), nested keys are looked up inside them.
 */
export class AutoFieldFinder {
  readonly targets: readonly AutoTarget[];
  readonly #top = new Map<string, Entry[]>();
  readonly #nested = new Map<string, Map<string, Entry[]>>();
  readonly #keys = new Map<string, KeyInfo | null>();
  readonly #childKeys = new Map<string, string>();

  constructor(targets: readonly AutoTarget[]) {
    this.targets = targets;
    targets.forEach((t, target) => {
      AUTO_FIELDS[t].forEach((spec, priority) => {
        const dot = spec.indexOf('.');
        if (dot === -1) {
          push(this.#top, canonicalKey(spec), { target, priority });
        } else {
          const container = canonicalKey(spec.slice(0, dot));
          let children = this.#nested.get(container);
          if (!children) this.#nested.set(container, (children = new Map()));
          push(children, canonicalKey(spec.slice(dot + 1)), { target, priority });
        }
      });
    });
  }

  newHits(): AutoHits {
    const n = this.targets.length;
    return { value: new Array(n), path: new Array(n), priority: new Array(n), skipped: new Array(n) };
  }

  /** Fills `hits` (indexed like `targets`) from one record. */
  find(data: Record<string, unknown>, hits: AutoHits): void {
    for (let i = 0; i < this.targets.length; i++) {
      hits.value[i] = undefined;
      hits.path[i] = '';
      hits.priority[i] = Number.POSITIVE_INFINITY;
      hits.skipped[i] = undefined;
    }
    for (const key in data) {
      const info = this.#info(key);
      if (info === null) continue;
      const v = data[key];
      if (!present(v)) continue;
      const isObject = typeof v === 'object';
      for (const e of info.leaf) offer(hits, e, v, key, isObject);
      if (info.children !== undefined && isObject && !Array.isArray(v)) {
        const inner = v as Record<string, unknown>;
        for (const child of Object.keys(inner)) {
          const entries = info.children.get(this.#canonicalChild(child));
          if (entries === undefined) continue;
          const cv = inner[child];
          if (!present(cv)) continue;
          const path = `${key}.${child}`;
          for (const e of entries) offer(hits, e, cv, path, typeof cv === 'object');
        }
      }
    }
  }

  #info(key: string): KeyInfo | null {
    let info = this.#keys.get(key);
    if (info === undefined) {
      const c = canonicalKey(key);
      const leaf = this.#top.get(c);
      const children = this.#nested.get(c);
      info = leaf === undefined && children === undefined ? null : { leaf: leaf ?? [], children };
      if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.clear();
      this.#keys.set(key, info);
    }
    return info;
  }

  #canonicalChild(key: string): string {
    let c = this.#childKeys.get(key);
    if (c === undefined) {
      c = canonicalKey(key);
      if (this.#childKeys.size >= MAX_CACHED_KEYS) this.#childKeys.clear();
      this.#childKeys.set(key, c);
    }
    return c;
  }
}

function push(map: Map<string, Entry[]>, key: string, e: Entry): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

function offer(hits: AutoHits, e: Entry, v: unknown, path: string, isObject: boolean): void {
  if (e.priority >= hits.priority[e.target]!) return;
  if (isObject) {
    hits.skipped[e.target] ??= path;
    return;
  }
  hits.value[e.target] = v;
  hits.path[e.target] = path;
  hits.priority[e.target] = e.priority;
}
