/** Shows which input key feeds each normalized field, from the config alone or from the first records of a log, without storing anything. */
import type { DeadLetterInput, SecurityEvent } from '../../core/index.js';
import { AUTO_FIELDS, AUTO_TARGETS, type AutoTarget } from './auto-fields.js';
import { FIELD_TARGETS, type FieldTarget, type JsonLogsConfig } from './config.js';
import { guarded, openInput, type JsonLogsInput } from './input.js';
import { createNormalizer, TARGET_FIELD, type FieldTrace } from './normalize.js';
import { payloadOf, readRecords } from './reader.js';

export interface MappingLine {
  target: FieldTarget;
  /** The normalized field it fills (`source.ip`). */
  field: string;
  /** `explicit`: fields.<target> in the config; `auto`: the recognised names. */
  how: 'explicit' | 'auto';
  paths: readonly string[];
}

/** The mapping a json-logs config puts in effect: configured paths where set, recognised names elsewhere. */
export function describeMapping(config: Pick<JsonLogsConfig, 'fields'>): MappingLine[] {
  return FIELD_TARGETS.flatMap((target): MappingLine[] => {
    const paths = config.fields[target];
    if (paths !== undefined) return [{ target, field: TARGET_FIELD[target], how: 'explicit', paths }];
    if (!(AUTO_TARGETS as readonly string[]).includes(target)) return [];
    return [{ target, field: TARGET_FIELD[target], how: 'auto', paths: AUTO_FIELDS[target as AutoTarget] }];
  });
}

const WIDTH = 'user_agent.original'.length + 2;

/** `config check` lines for one json-logs source. */
export function formatMapping(config: Pick<JsonLogsConfig, 'fields' | 'infer_outcome'>): string[] {
  const lines = describeMapping(config).map((m) => {
    const from = m.how === 'explicit' ? `${m.paths.join(', ')} (fields.${m.target})` : `recognised by name: ${m.paths.join(', ')}`;
    return `${m.field.padEnd(WIDTH)}${from}`;
  });
  const i = lines.findIndex((l) => l.startsWith('event.outcome '));
  if (config.infer_outcome && i !== -1) lines[i] += '; else inferred from the words of event.action (failed_login → failure)';
  return lines;
}

export interface Explanation {
  label: string;
  /** Records read (parsed), good or not. */
  records: number;
  /** Records that became events. */
  normalized: number;
  /** Reading stopped at the limit; the input has more. */
  limited: boolean;
  limit: number;
  mapping: MappingLine[];
  inferOutcome: boolean;
  /** Per target: input path → records it fed. */
  used: Map<FieldTarget, Map<string, number>>;
  /** Outcomes read from the outcome field, by value. */
  outcomeFromField: Map<string, number>;
  /** Outcomes inferred from the action, by rule (`action:failed`). */
  outcomeInferred: Map<string, { outcome: string; count: number }>;
  outcomeUnknown: number;
  categories: Map<string, number>;
  deadLetters: DeadLetterInput[];
  first: { raw: unknown; event: SecurityEvent; trace: FieldTrace } | undefined;
}

export interface ExplainOptions {
  /** Records to read; the rest of the input is left unread. */
  limit?: number;
  now?: () => number;
}

const inc = <K>(m: Map<K, number>, k: K, n = 1): void => {
  m.set(k, (m.get(k) ?? 0) + n);
};

/** Reads up to `limit` records of `input` through the normalizer with tracing on, and counts where each field came from. */
export async function explainInput(name: string, config: JsonLogsConfig, input: JsonLogsInput | undefined, opts: ExplainOptions = {}): Promise<Explanation> {
  const limit = opts.limit ?? 1000;
  const now = opts.now ?? Date.now;
  const normalize = createNormalizer(name, config, { now, trace: true });
  const opened = await openInput(name, config, input);
  const x: Explanation = {
    label: opened.label,
    records: 0,
    normalized: 0,
    limited: false,
    limit,
    mapping: describeMapping(config),
    inferOutcome: config.infer_outcome,
    used: new Map(),
    outcomeFromField: new Map(),
    outcomeInferred: new Map(),
    outcomeUnknown: 0,
    categories: new Map(),
    deadLetters: [],
    first: undefined,
  };
  try {
    const ingested = new Date(now()).toISOString();
    const chunks = readRecords(guarded(opened.chunks, opened.label), {
      source: name,
      file: opened.label,
      format: config.format,
      maxRecordBytes: config.max_record_bytes,
      maxRecordDepth: config.max_record_depth,
    });
    outer: for await (const chunk of chunks) {
      x.deadLetters.push(...chunk.deadLetters);
      for (const rec of chunk.records) {
        if (x.records >= limit) {
          x.limited = true;
          break outer;
        }
        x.records++;
        const r = normalize(rec.data, ingested, false);
        if (!r.ok) {
          x.deadLetters.push({
            source: name,
            code: r.code,
            reason: `line ${rec.line} of ${opened.label}: ${r.reason}`,
            payload: payloadOf(JSON.stringify(rec.data)),
            position: { file: opened.label, line: rec.line },
          });
          continue;
        }
        x.normalized++;
        const trace = r.trace!;
        x.first ??= { raw: rec.data, event: r.event, trace };
        for (const [target, path] of Object.entries(trace.paths) as [FieldTarget, string][]) {
          let m = x.used.get(target);
          if (!m) x.used.set(target, (m = new Map()));
          inc(m, path);
        }
        const outcome = r.event.event.outcome;
        if (trace.outcome === 'field') inc(x.outcomeFromField, outcome);
        else if (trace.outcome !== undefined) {
          const o = x.outcomeInferred.get(trace.outcome);
          if (o) o.count++;
          else x.outcomeInferred.set(trace.outcome, { outcome, count: 1 });
        } else x.outcomeUnknown++;
        for (const c of r.event.event.category) inc(x.categories, c);
      }
    }
  } finally {
    opened.close();
  }
  return x;
}

const num = (n: number): string => n.toLocaleString('en-US');
const counts = (m: Map<string, number>): string =>
  [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${num(n)}`).join(', ');

/** The human report of an explanation, one line per string. */
export function formatExplanation(x: Explanation): string[] {
  const out: string[] = [];
  out.push(`${x.label}: ${x.limited ? `the first ${num(x.records)} records` : `${num(x.records)} records`} read, ${num(x.normalized)} normalized; nothing stored`);
  const auto = x.mapping.some((m) => m.how === 'auto');
  const explicit = x.mapping.some((m) => m.how === 'explicit');
  out.push(
    `field mapping: ${explicit ? (auto ? 'from fields: in the config, the rest recognised by name' : 'from fields: in the config') : 'recognised by name (no fields: in the config)'}`,
  );
  for (const m of x.mapping) {
    const used = x.used.get(m.target);
    const origin = m.how === 'explicit' ? ` (fields.${m.target})` : '';
    let line: string;
    if (m.target === 'outcome') {
      const parts: string[] = [];
      if (used) parts.push(`${counts(used)}${origin}: ${x.outcomeFromField.size ? counts(x.outcomeFromField) : 'no value read as success or failure'}`);
      else parts.push(`no outcome field${m.how === 'explicit' ? ` (${m.paths.join(', ')} absent)` : ''}`);
      if (x.outcomeInferred.size) {
        const inferred = [...x.outcomeInferred]
          .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
          .map(([rule, o]) => `${o.outcome} ${num(o.count)} (${rule})`)
          .join(', ');
        parts.push(`inferred from event.action: ${inferred}`);
      } else if (!x.inferOutcome) parts.push('inference from event.action is off (infer_outcome: false)');
      if (x.outcomeUnknown) parts.push(`unknown ${num(x.outcomeUnknown)}`);
      line = parts.join('; ');
    } else if (used) line = `${counts(used)}${origin}`;
    else line = m.how === 'explicit' ? `${m.paths.join(', ')}${origin}: absent from every record` : 'not found (none of the recognised names is present)';
    out.push(`  ${m.field.padEnd(WIDTH)}← ${line}`);
  }
  if (x.categories.size) out.push(`  ${'event.category'.padEnd(WIDTH)}${counts(x.categories)}`);
  out.push(`dead letters: ${num(x.deadLetters.length)}`);
  for (const d of x.deadLetters.slice(0, 3)) out.push(`  ${d.code}: ${d.reason}`);
  if (x.first) {
    const e = x.first.event;
    const user = e.user?.email !== undefined ? `user.email ${e.user.email}` : e.user?.name !== undefined ? `user.name ${e.user.name}` : e.user?.id !== undefined ? `user.id ${e.user.id}` : undefined;
    const how = x.first.trace.outcome === undefined ? '' : x.first.trace.outcome === 'field' ? ` (from ${x.first.trace.paths.outcome})` : ` (${x.first.trace.outcome})`;
    const fields = [
      `@timestamp ${e['@timestamp']}`,
      user,
      e.source?.ip !== undefined ? `source.ip ${e.source.ip}` : undefined,
      `event.action ${e.event.action}`,
      `event.outcome ${e.event.outcome}${how}`,
      `event.category ${e.event.category.join(',')}`,
    ].filter((f) => f !== undefined);
    const raw = JSON.stringify(x.first.raw);
    out.push(`first record: ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}`);
    out.push(`  → ${fields.join(' | ')}`);
  }
  return out;
}
