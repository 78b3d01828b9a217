/** The Sigma detector: compiled rules indexed by provider and action, single-event findings, and correlation rules fed from their base rules. */
import { eventTime, type Detector, type Entity, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { watermarkOf } from '../event-order.js';
import { ipOf, userOf } from '../fields.js';
import { stateHash, WindowLog, type WindowLogStats } from '../window-log.js';
import { compileDetection, type CompiledDetection } from './compile.js';
import { CorrelationState, entityTypeOf, type CorrelationStats } from './correlation.js';
import { fieldFor, type FieldGetter } from './fields.js';
import { LEVELS, SigmaRuleError, type CorrelationRuleDef, type DetectionRuleDef, type RuleDef, type SigmaLevel } from './loader.js';
import { scalarString } from './match.js';

export const SIGMA_DETECTOR = 'sigma';

export interface SigmaEngineOptions {
  /** Rules below this level make no findings (they may still feed correlations). */
  minLevel: SigmaLevel;
  /** Rule keys, ids or names to leave out. */
  disabled: readonly string[];
  maxEvidence: number;
  /** Per correlation rule: groups (entities) tracked at once, so a flood of spoofed values cannot exhaust memory. */
  maxGroups: number;
  /** Values of the `%name%` placeholders of rules using the `expand` modifier. */
  placeholders: Readonly<Record<string, readonly string[]>>;
  /** A rule using an unconfigured placeholder fails the load (`error`) or never matches (`skip`: the caller disables it and says so). */
  missingPlaceholders: 'error' | 'skip';
}

export const DEFAULT_ENGINE_OPTIONS: SigmaEngineOptions = { minLevel: 'low', disabled: [], maxEvidence: 100, maxGroups: 100_000, placeholders: {}, missingPlaceholders: 'error' };

/** Sigma's five levels onto the four severities of findings. */
export function severityOf(level: SigmaLevel | undefined): Severity {
  switch (level ?? 'medium') {
    case 'informational':
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    case 'high':
      return 'high';
    case 'critical':
      return 'critical';
  }
}

const levelRank = (l: SigmaLevel | undefined) => LEVELS.indexOf(l ?? 'medium');

interface Consumer {
  corr: CorrelationState;
  /** Position of corr in the engine's correlation list, indexing the per-event scratch below. */
  slot: number;
  input: number;
}

interface Entry {
  c: CompiledDetection;
  /** Load order: candidate lists are merged in this order so findings come out in rule order. */
  order: number;
  emit: boolean;
  severity: Severity;
  consumers: Consumer[];
  entityFields: Array<{ type: string; get: FieldGetter }>;
  /** The rule's `fields`, shown in the finding's description. */
  shownFields: Array<{ name: string; get: FieldGetter }>;
}

interface Bucket {
  byAction: Map<string, Entry[]>;
  any: Entry[];
}

/** Bound on the memo of (provider, action) → candidate rules; actions come from logs and could be anything. */
const MAX_CANDIDATE_CACHE = 20_000;

export interface SigmaStats {
  rules: number;
  correlations: number;
  /** Rules that run but report only through correlations. */
  baseRules: number;
  correlationState: Record<string, CorrelationStats>;
  /** Saved correlation windows, when a store is given. */
  windowLog?: WindowLogStats;
}

/**
 * Rules are compiled once at construction and bucketed by provider (from the logsource) and by the
 * event actions their condition requires, so an event only meets the rules that could match it.
 */
export class SigmaEngine implements Detector {
  readonly id: string = SIGMA_DETECTOR;
  readonly #entries: Entry[] = [];
  readonly #correlations: CorrelationState[] = [];
  readonly #buckets = new Map<string, Bucket>();
  /** Memo provider → action → candidates: two lookups on the event's own strings instead of hashing a fresh concatenated key per event. */
  readonly #candidates = new Map<string, Map<string, Entry[]>>();
  #candidateCount = 0;
  // Per-event scratch indexed by correlation slot, replacing a search of a list of fresh
  // {corr, inputs} objects per consumer: the slots fed by the current event in first-fed order, and
  // per slot the matched input positions, valid while #fedStamp[slot] equals the current #stamp.
  readonly #fedSlots: number[] = [];
  readonly #fedInputs: number[][] = [];
  readonly #fedStamp: number[] = [];
  #stamp = 0;
  readonly #log: WindowLog | undefined;

  constructor(defs: readonly RuleDef[], options: Partial<SigmaEngineOptions> = {}, deps: { state?: PluginDeps['state'] | undefined; logger?: PluginDeps['logger'] | undefined } = {}) {
    const opts = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    const disabled = new Set(opts.disabled);
    const isDisabled = (r: RuleDef) => disabled.has(r.key) || (r.id !== undefined && disabled.has(r.id)) || (r.name !== undefined && disabled.has(r.name));
    const detections = defs.filter((r): r is DetectionRuleDef => r.kind === 'detection');
    const correlations = defs.filter((r): r is CorrelationRuleDef => r.kind === 'correlation');

    const byRef = new Map<string, RuleDef>();
    for (const r of defs) for (const k of [r.key, r.id, r.name]) if (k !== undefined) byRef.set(k, r);
    // Every rule compiles, enabled or not, so a broken rule is reported at load rather than when enabled.
    const compiled = new Map<DetectionRuleDef, CompiledDetection>(detections.map((d) => [d, compileDetection(d, { placeholders: opts.placeholders, missingPlaceholders: opts.missingPlaceholders })]));

    // Sigma: rules a correlation refers to report nothing themselves unless it says `generate: true`.
    const referenced = new Map<DetectionRuleDef, boolean>();
    for (const c of correlations) {
      c.rules.forEach((ref, i) => {
        const target = byRef.get(ref);
        const field = `correlation.rules.${i}`;
        if (!target) throw new SigmaRuleError(`${c.file}#${c.doc}`, field, `refers to unknown rule "${ref}"`);
        if (target.kind === 'correlation') throw new SigmaRuleError(`${c.file}#${c.doc}`, field, `refers to the correlation "${ref}"; correlations of correlations are not supported`);
        referenced.set(target, (referenced.get(target) ?? false) || c.generate);
      });
    }

    const entryOf = new Map<DetectionRuleDef, Entry>();
    const entry = (d: DetectionRuleDef): Entry => {
      let e = entryOf.get(d);
      if (!e) {
        const c = compiled.get(d)!;
        e = { c, order: 0, emit: false, severity: severityOf(d.level), consumers: [],
          entityFields: entityFieldsOf(d, c),
          shownFields: d.fields.map((name) => ({ name, get: fieldFor(c.logsource.providers, name).get })),
        };
        entryOf.set(d, e);
      }
      return e;
    };
    for (const d of detections) {
      if (isDisabled(d)) continue;
      const generate = referenced.get(d);
      if (generate === false) continue;
      if (levelRank(d.level) < levelRank(opts.minLevel)) continue;
      entry(d).emit = true;
    }
    for (const c of correlations) {
      if (isDisabled(c) || levelRank(c.level) < levelRank(opts.minLevel)) continue;
      const targets = c.rules.map((ref) => byRef.get(ref) as DetectionRuleDef);
      // A correlation over a disabled rule could never be satisfied as written; it goes too.
      if (targets.some(isDisabled)) continue;
      const stateName = this.#correlations.some((x) => x.name === c.key) ? `${c.key}#${this.#correlations.length}` : c.key;
      const corr = new CorrelationState(
        c,
        targets.map((t, i) => ({ ref: c.rules[i]!, names: [t.key, t.id, t.name].filter((x): x is string => !!x), providers: compiled.get(t)!.logsource.providers })),
        { severity: severityOf(c.level), maxEvidence: opts.maxEvidence, maxGroups: opts.maxGroups, stateName, stateHash: correlationStateHash(c, targets, opts.maxEvidence) },
      );
      const slot = this.#correlations.length;
      this.#correlations.push(corr);
      this.#fedInputs.push([]);
      this.#fedStamp.push(0);
      targets.forEach((t, i) => entry(t).consumers.push({ corr, slot, input: i }));
    }

    // Keep load order; it is also the order findings of one event come out in.
    for (const d of detections) {
      const e = entryOf.get(d);
      if (!e) continue;
      e.order = this.#entries.length;
      this.#entries.push(e);
      for (const p of e.c.logsource.providers ?? ['*']) {
        let b = this.#buckets.get(p);
        if (!b) this.#buckets.set(p, (b = { byAction: new Map(), any: [] }));
        if (!e.c.actions) b.any.push(e);
        else for (const a of e.c.actions) (b.byAction.get(a) ?? b.byAction.set(a, []).get(a)!).push(e);
      }
    }

    if (deps.state && this.#correlations.length) {
      this.#log = new WindowLog({ store: deps.state, prefix: SIGMA_DETECTOR, parts: this.#correlations, logger: deps.logger });
      for (const c of this.#correlations) c.attach(this.#log);
    }
  }

  /** Loads the open correlation windows saved by the previous run (see WindowLog). */
  async restore(): Promise<void> {
    await this.#log?.restore();
  }

  /** Saves the correlation groups changed since the last save. */
  async persist(): Promise<void> {
    await this.#log?.persist();
  }

  observe(e: SecurityEvent): Finding[] {
    return this.#match(e, false);
  }

  /** Earliest time from which some correlation wants the stored events it held at the last save. */
  resumeFrom(): number | undefined {
    let from: number | undefined;
    for (const c of this.#correlations) {
      const t = c.resumeFrom();
      if (t !== undefined && (from === undefined || t < from)) from = t;
    }
    return from;
  }

  /** A stored event back after a restart: only the correlations that held it take it; single rules reported it already. */
  replay(e: SecurityEvent): void {
    this.#match(e, true);
  }

  #match(e: SecurityEvent, replaying: boolean): Finding[] {
    const list = this.#candidatesFor(e);
    if (list.length === 0) return [];
    let out: Finding[] | undefined;
    // Correlations fed by this event, in the order first fed, with the input positions that matched.
    // Slots are written by index up to a local count and an event's input list is a fresh literal,
    // because truncating arrays (length = 0) is a runtime call that showed in the profile.
    const fedSlots = this.#fedSlots;
    const fedInputs = this.#fedInputs;
    const fedStamp = this.#fedStamp;
    let fedCount = 0;
    // Stamping instead of clearing every slot: exact for 2^53 events, far beyond any process lifetime.
    const stamp = ++this.#stamp;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (!entry.c.logsource.test(e) || !entry.c.match(e)) continue;
      if (entry.emit && !replaying) (out ??= []).push(this.#single(entry, e));
      const consumers = entry.consumers;
      for (let j = 0; j < consumers.length; j++) {
        const c = consumers[j]!;
        if (fedStamp[c.slot] !== stamp) {
          fedStamp[c.slot] = stamp;
          fedInputs[c.slot] = [c.input];
          fedSlots[fedCount++] = c.slot;
        } else fedInputs[c.slot]!.push(c.input);
      }
    }
    if (fedCount) {
      const t = eventTime(e);
      if (Number.isFinite(t)) {
        for (let i = 0; i < fedCount; i++) {
          const slot = fedSlots[i]!;
          if (replaying) this.#correlations[slot]!.replay(e, t, fedInputs[slot]!);
          else this.#correlations[slot]!.observe(e, t, fedInputs[slot]!);
        }
      }
    }
    return out ?? [];
  }

  /** Correlations count the events the watermark has passed, in time order, and report what that found. */
  flush(opts: FlushOptions): Finding[] {
    const watermark = watermarkOf(opts);
    const out: Finding[] = [];
    for (const c of this.#correlations) {
      c.advance(watermark);
      const found = c.flush();
      for (const f of found) out.push(f);
    }
    return out;
  }

  /** Keys of every loaded detection rule whose logsource and condition match the event (reporting or not). */
  matchingRules(e: SecurityEvent): string[] {
    return this.#candidatesFor(e)
      .filter((x) => x.c.logsource.test(e) && x.c.match(e))
      .map((x) => x.c.def.key);
  }

  stats(): SigmaStats {
    return {
      rules: this.#entries.filter((e) => e.emit).length,
      correlations: this.#correlations.length,
      baseRules: this.#entries.filter((e) => !e.emit).length,
      correlationState: Object.fromEntries(this.#correlations.map((c) => [c.def.key, c.stats()])),
      ...(this.#log ? { windowLog: this.#log.stats() } : {}),
    };
  }

  #candidatesFor(e: SecurityEvent): Entry[] {
    const provider = e.event.provider;
    const action = e.event.action.toLowerCase();
    let byAction = this.#candidates.get(provider);
    const hit = byAction?.get(action);
    if (hit) return hit;
    const parts: Entry[][] = [];
    for (const b of [this.#buckets.get(provider), provider === '*' ? undefined : this.#buckets.get('*')]) {
      if (!b) continue;
      const forAction = b.byAction.get(action);
      if (forAction) parts.push(forAction);
      if (b.any.length) parts.push(b.any);
    }
    const list = parts.length === 1 ? parts[0]! : [...new Set(parts.flat())].sort((a, b) => a.order - b.order);
    if (this.#candidateCount < MAX_CANDIDATE_CACHE) {
      if (!byAction) this.#candidates.set(provider, (byAction = new Map()));
      byAction.set(action, list);
      this.#candidateCount++;
    }
    return list;
  }

  #single(entry: Entry, e: SecurityEvent): Finding {
    const def = entry.c.def;
    const t = eventTime(e);
    const time = Number.isFinite(t) ? t : 0;
    const entity = entityOf(entry, e);
    const who = [userOf(e) && `by ${userOf(e)}`, ipOf(e) && `from ${ipOf(e)}`].filter(Boolean).join(' ');
    const fieldValues = entry.shownFields
      .map((f) => {
        const v = f.get(e);
        const s = Array.isArray(v) ? v.map(scalarString).filter(Boolean).join(', ') : scalarString(v);
        return s ? `${f.name}=${s}` : undefined;
      })
      .filter(Boolean);
    const parts = [`${def.title}: ${e.event.provider} event ${e.event.action}${who ? ` ${who}` : ''} at ${e['@timestamp']}.`];
    if (fieldValues.length) parts.push(`${fieldValues.join('; ')}.`);
    if (def.description) parts.push(def.description.trim());
    if (def.falsepositives.length) parts.push(`False positives: ${def.falsepositives.join('; ')}.`);
    return {
      rule: def.key,
      title: `${def.title} (${entity.value})`,
      severity: entry.severity,
      entity,
      windowStart: time,
      windowEnd: time,
      evidence: [e.event.id],
      description: parts.join(' '),
      observed: { events: e.event.count ?? 1 },
      // Routes filter on them (include/exclude tags).
      ...(def.tags.length ? { tags: [...def.tags] } : {}),
    };
  }
}

/**
 * What a correlation's saved windows mean: its own logic, the matching logic of the rules it counts,
 * and the evidence cap. Wording (title, description, level, tags) is left out, so editing it keeps
 * the windows; any change to what lands in them discards them.
 */
function correlationStateHash(c: CorrelationRuleDef, targets: DetectionRuleDef[], maxEvidence: number): string {
  return stateHash({
    type: c.type,
    rules: c.rules,
    groupBy: c.groupBy,
    timespanMs: c.timespanMs,
    condition: c.condition ?? null,
    aliases: c.aliases,
    inputs: targets.map((t) => ({ logsource: t.logsource, detection: t.detection, condition: t.condition })),
    maxEvidence,
  });
}

/** Entity candidates from the rule's `fields` list (user or IP fields, in the order written). */
function entityFieldsOf(d: DetectionRuleDef, c: CompiledDetection): Entry['entityFields'] {
  return d.fields
    .map((f) => ({ type: entityTypeOf(f), get: fieldFor(c.logsource.providers, f).get }))
    .filter((f) => f.type === 'user' || f.type === 'ip');
}

/** The rule's first user/IP field that has a value, else the acting user, the source IP, the file, the event. */
function entityOf(entry: Entry, e: SecurityEvent): Entity {
  for (const f of entry.entityFields) {
    const v = f.get(e);
    const s = scalarString(Array.isArray(v) ? v[0] : v);
    if (s) return { type: f.type, value: s };
  }
  const user = userOf(e);
  if (user) return { type: 'user', value: user };
  const ip = ipOf(e);
  if (ip) return { type: 'ip', value: ip };
  if (e.file?.id) return { type: 'file', value: e.file.id };
  return { type: 'event', value: e.event.id };
}
