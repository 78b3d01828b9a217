/**
 * Novelty detector: a user's first successful login from a new country, ASN or user-agent family,
 * after that user's learning period; and a login from a country nobody in the organisation signs in from.
 */
import { eventTime, type Finding, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { isLoginAttempt, userOf } from '../fields.js';
import { PerUserDetector, type StateStore } from '../state.js';
import type { NoveltyConfig } from './config.js';
import { OrgCountries, type OrgNovelty } from './org.js';

export const NOVELTY_RULE = 'novelty';

/** User-agent family names are short; a longer one is cut so one odd header cannot bloat the state. */
const MAX_VALUE_LENGTH = 48;

type Attribute = NoveltyConfig['attributes'][number];

const LABEL: Record<Attribute, string> = { country: 'country', asn: 'network (ASN)', user_agent: 'browser family' };

/** Tag of the finding for a country new to the organisation, for routes and suppressions. */
export const ORG_COUNTRY_TAG = 'org-new-country';

/** Countries named in an organisation finding's description; the count says how many there are. */
const MAX_LISTED = 12;

const DAY = 86_400_000;

type Fresh = Array<[Attribute, string, string[]]>;

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
 * A login from a country new to the whole organisation makes that one finding the organisation's
 * (its severity, and the user's own new values listed with it), not a second one.
 *
 * The organisation's memory is shared by all users, so it must see logins in one order whatever
 * order they arrive in: applyEvent() runs in the (time, id) order the held events are released in
 * (the pipeline settles each release, loading a user's state before their events, so none is
 * queued behind another user's later one). It is saved under `novelty#org` beside the users' states.
 */
export class NoveltyDetector extends PerUserDetector<NoveltyUserState> {
  readonly id: string = NOVELTY_RULE;
  readonly #c: NoveltyConfig;
  readonly #org: OrgCountries;
  readonly #store: StateStore | undefined;
  /** The organisation's memory as last saved (JSON), so an unchanged one is not written again. */
  #orgSaved = '';

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
    this.#org = new OrgCountries(config.org_learning_period, config.org_memory);
    this.#store = deps.state;
  }

  get orgKey(): string {
    return `${NOVELTY_RULE}#org`;
  }

  /** Countries in the organisation's memory (including forgotten ones not yet swept). */
  get orgCountries(): number {
    return this.#org.size;
  }

  override async restore(): Promise<void> {
    await super.restore();
    const saved = await this.#store?.getState(this.orgKey);
    if (saved !== undefined && this.#org.load(saved)) this.#orgSaved = JSON.stringify(saved);
  }

  override async persist(): Promise<void> {
    // First: saving the users replays events queued for users still loading, which the memory sees.
    await super.persist();
    if (!this.#store || !this.#c.org_country) return;
    const value = this.#org.encode();
    const json = JSON.stringify(value);
    if (json === this.#orgSaved) return;
    await this.#store.putState(this.orgKey, value);
    this.#orgSaved = json;
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
    const fresh: Fresh = [];
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
    const country = this.#c.org_country ? read(e, 'country') : undefined;
    const org = country === undefined ? undefined : this.#org.observe(country, t);
    if (org !== undefined) return [this.#orgFinding(user, s, e, t, country!, org, fresh)];
    if (fresh.length === 0) return [];
    return [this.#finding(user, s, e, t, fresh)];
  }

  /** What the per-user finding says about the user's new values, shared with the organisation's. */
  #userPart(s: NoveltyUserState, t: number, fresh: Fresh) {
    const days = Math.floor((t - s.first) / DAY);
    const parts = fresh.map(([a, v, known]) => `new ${LABEL[a]} ${a === 'asn' ? `AS${v}` : v} (known: ${known.map((k) => (a === 'asn' ? `AS${k}` : k)).join(', ')})`);
    const observed: Record<string, number> = { new_values: fresh.length, history_days: days };
    const expected: Record<string, number> = {};
    for (const [a, , known] of fresh) {
      observed[`new_${a}`] = 1;
      expected[`known_${a}_values`] = known.length;
    }
    const asn = fresh.find(([a]) => a === 'asn')?.[1];
    if (asn !== undefined) observed.asn = Number(asn);
    return { days, parts, observed, expected };
  }

  #finding(user: string, s: NoveltyUserState, e: SecurityEvent, t: number, fresh: Fresh): Finding {
    const { days, parts, observed, expected } = this.#userPart(s, t, fresh);
    return {
      rule: NOVELTY_RULE,
      title: `First login by ${user} from ${fresh.map(([a, v]) => (a === 'asn' ? `AS${v}` : v)).join(' / ')}`,
      severity: this.#c.severity as Severity,
      entity: { type: 'user', value: user },
      windowStart: t,
      windowEnd: t,
      evidence: [e.event.id],
      description: `${user} logged in from ${where(e)} with ${parts.join('; ')}, for the first time in ${days} days of history (learning period ${Math.round(this.#c.learning_period / DAY)} d).`,
      observed,
      expected,
    };
  }

  /**
   * The login from a country nobody in the organisation signed in from within org_memory. It names
   * the country, user, address and network; the user's own new values (network, browser) come with it.
   */
  #orgFinding(user: string, s: NoveltyUserState, e: SecurityEvent, t: number, country: string, org: OrgNovelty, fresh: Fresh): Finding {
    const mine = this.#userPart(s, t, fresh);
    const newToUser = fresh.some(([a]) => a === 'country');
    const ip = e.source?.ip;
    const asn = e.source?.as?.number;
    const asName = e.source?.as?.organization?.name;
    const network = asn === undefined ? '' : `AS${asn}${asName ? ` ${asName}` : ''}`;
    const via = [ip, network].filter(Boolean).join(', ');
    const listed = org.known.slice(0, MAX_LISTED).join(', ') + (org.known.length > MAX_LISTED ? ` and ${org.known.length - MAX_LISTED} more` : '');
    const memoryDays = Math.round(this.#c.org_memory / DAY);
    const also = mine.parts.length ? `; for ${user}: ${mine.parts.join('; ')}` : '';
    const observed: Record<string, number> = {
      ...mine.observed,
      new_values: fresh.length + (newToUser ? 0 : 1),
      org_new_country: 1,
      org_history_days: Math.floor((t - org.learningFrom) / DAY),
    };
    if (asn !== undefined) observed.asn = asn;
    const details: NonNullable<Finding['details']> = { 'source.geo.country_iso_code': country };
    details[user.includes('@') ? 'user.email' : 'user.name'] = user;
    if (ip) details['source.ip'] = ip;
    if (asn !== undefined) details['source.as.number'] = asn;
    if (asName) details['source.as.organization.name'] = asName;
    return {
      rule: NOVELTY_RULE,
      title: `First sign-in to the organisation from ${country}, by ${user}`,
      severity: this.#c.org_severity as Severity,
      entity: { type: 'user', value: user },
      windowStart: t,
      windowEnd: t,
      evidence: [e.event.id],
      tags: [ORG_COUNTRY_TAG],
      details,
      description:
        `${user} signed in from ${where(e)}${via ? ` (${via})` : ''}: nobody in the organisation signed in from ${country} in the last ${memoryDays} d ` +
        `(countries seen: ${listed || 'none'}; learning period ${Math.round(this.#c.org_learning_period / DAY)} d)${also}.`,
      observed,
      expected: { ...mine.expected, org_known_countries: org.known.length },
    };
  }
}

function where(e: SecurityEvent): string {
  const geo = e.source?.geo;
  return geo?.city_name ? `${geo.city_name}, ${geo.country_iso_code ?? '?'}` : (geo?.country_iso_code ?? e.source?.ip ?? 'an unknown place');
}

function decode(v: unknown): NoveltyUserState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { f, s } = v as { f?: unknown; s?: Record<string, unknown> };
  if (typeof f !== 'number' || typeof s !== 'object' || s === null) return undefined;
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((y): y is string => typeof y === 'string') : []);
  return { first: f, seen: { country: list(s.country), asn: list(s.asn), user_agent: list(s.user_agent) } };
}
