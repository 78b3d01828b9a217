/** Novelty detector: a user's first successful login from a new country, ASN or user-agent family, after that user's learning period. */
import { eventTime, type Finding, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { isLoginAttempt, userOf } from '../fields.js';
import { PerUserDetector } from '../state.js';
import type { NoveltyConfig } from './config.js';

export const NOVELTY_RULE = 'novelty';

/** User-agent family names are short; a longer one is cut so one odd header cannot bloat the state. */
const MAX_VALUE_LENGTH = 48;

type Attribute = NoveltyConfig['attributes'][number];

const LABEL: Record<Attribute, string> = { country: 'country', asn: 'network (ASN)', user_agent: 'browser family' };

export interface NoveltyUserState {
  /** First successful login: the learning period runs from here. */
  first: number;
  /** Per attribute, values seen, least recently seen first. */
  seen: Record<Attribute, string[]>;
}

function read(e: SecurityEvent, a: Attribute): string | undefined {
  let v: string | number | undefined;
  if (a === 'country') v = e.source?.geo?.country_iso_code;
  else if (a === 'asn') v = e.source?.as?.number;
  else v = e.user_agent?.name;
  if (v === undefined || v === '') return undefined;
  return String(v).slice(0, MAX_VALUE_LENGTH);
}

/**
 * One finding per login that shows new values (all of them listed), windowStart the login's time:
 * the alert dedup key is rule + user + windowStart, so two findings for one login would merge anyway.
 */
export class NoveltyDetector extends PerUserDetector<NoveltyUserState> {
  readonly id: string = NOVELTY_RULE;
  readonly #c: NoveltyConfig;

  constructor(config: NoveltyConfig, deps: Pick<PluginDeps, 'state'> = {}) {
    super(
      {
        create: () => ({ first: Number.POSITIVE_INFINITY, seen: { country: [], asn: [], user_agent: [] } }),
        encode: (s) => ({ f: s.first, s: s.seen }),
        decode: (v) => decode(v),
      },
      { prefix: NOVELTY_RULE, maxUsers: config.max_users, store: deps.state },
    );
    this.#c = config;
  }

  protected accept(e: SecurityEvent): string | undefined {
    if (e.event.outcome !== 'success' || !isLoginAttempt(e)) return undefined;
    const user = userOf(e);
    return user === undefined || !Number.isFinite(eventTime(e)) ? undefined : user;
  }

  encoded(user: string): unknown {
    const s = this.users.get(user);
    return s && { f: s.first, s: s.seen };
  }

  protected applyEvent(user: string, s: NoveltyUserState, e: SecurityEvent): Finding[] {
    const t = eventTime(e);
    if (t < s.first) s.first = t;
    const learning = t - s.first < this.#c.learning_period;
    const fresh: Array<[Attribute, string, string[]]> = [];
    for (const a of this.#c.attributes) {
      const v = read(e, a);
      if (v === undefined) continue;
      const list = s.seen[a];
      const i = list.indexOf(v);
      if (i >= 0) {
        list.splice(i, 1);
      } else {
        if (!learning && list.length > 0) fresh.push([a, v, list.slice()]);
        if (list.length >= this.#c.max_values) list.shift();
      }
      list.push(v);
    }
    if (fresh.length === 0) return [];
    return [this.#finding(user, s, e, t, fresh)];
  }

  #finding(user: string, s: NoveltyUserState, e: SecurityEvent, t: number, fresh: Array<[Attribute, string, string[]]>): Finding {
    const geo = e.source?.geo;
    const where = geo?.city_name ? `${geo.city_name}, ${geo.country_iso_code ?? '?'}` : (geo?.country_iso_code ?? e.source?.ip ?? 'an unknown place');
    const days = Math.floor((t - s.first) / 86_400_000);
    const parts = fresh.map(([a, v, known]) => `new ${LABEL[a]} ${a === 'asn' ? `AS${v}` : v} (known: ${known.map((k) => (a === 'asn' ? `AS${k}` : k)).join(', ')})`);
    const observed: Record<string, number> = { new_values: fresh.length, history_days: days };
    const expected: Record<string, number> = {};
    for (const [a, , known] of fresh) {
      observed[`new_${a}`] = 1;
      expected[`known_${a}_values`] = known.length;
    }
    const asn = fresh.find(([a]) => a === 'asn')?.[1];
    if (asn !== undefined) observed.asn = Number(asn);
    return {
      rule: NOVELTY_RULE,
      title: `First login by ${user} from ${fresh.map(([a, v]) => (a === 'asn' ? `AS${v}` : v)).join(' / ')}`,
      severity: this.#c.severity as Severity,
      entity: { type: 'user', value: user },
      windowStart: t,
      windowEnd: t,
      evidence: [e.event.id],
      description: `${user} logged in from ${where} with ${parts.join('; ')}, for the first time in ${days} days of history (learning period ${Math.round(this.#c.learning_period / 86_400_000)} d).`,
      observed,
      expected,
    };
  }
}

function decode(v: unknown): NoveltyUserState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { f, s } = v as { f?: unknown; s?: Record<string, unknown> };
  if (typeof f !== 'number' || typeof s !== 'object' || s === null) return undefined;
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((y): y is string => typeof y === 'string') : []);
  return { first: f, seen: { country: list(s.country), asn: list(s.asn), user_agent: list(s.user_agent) } };
}
