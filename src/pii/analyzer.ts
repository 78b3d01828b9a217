/** The analyzer: runs the recognizers over a text, raises scores by nearby context words, applies allow and deny lists, and resolves overlaps. */
import { RE2JS } from 're2js';
import { compileContext, boosted, findContext, matchHeaderCells, type ContextMatcher } from './context.js';
import { parseAnalyzerConfig, type AnalyzerConfig, type AnalyzerConfigInput } from './config.js';
import { BUILTIN_RECOGNIZERS } from './recognizers/index.js';
import { createPhoneRecognizer, DEFAULT_PHONE_REGIONS } from './recognizers/phone.js';
import { withSharedScan, isWordChar } from './scan.js';
import { TableIndex } from './table.js';
import type { Analyzer, AnalyzeOptions, EntityType, Explanation, Recognizer, RecognizerResult } from './types.js';

export interface CreateAnalyzerOptions {
  /** Recognizers instead of the built-in set (tests, or a caller that wants fewer). */
  recognizers?: readonly Recognizer[];
}

/** Allow-list comparison key: case, spaces, dashes and dots ignored, so `4111-1111-…` and `4111 1111 …` are one value. */
export const normalizeValue = (v: string): string => v.toLowerCase().replace(/[\s.\-]/g, '');

/** Custom matches are capped per text: a config pattern that matches everywhere must not make an analysis unbounded in memory. */
const MAX_CUSTOM_MATCHES = 100_000;

function customRecognizer(c: AnalyzerConfig['custom'][number]): Recognizer {
  // RE2, not RegExp: a pattern from config must not be able to backtrack over a 20 MB file.
  const re = RE2JS.compile(c.pattern);
  return {
    id: `custom:${c.name}`,
    entities: [c.type],
    context: { any: c.context },
    recognize(text) {
      const out: RecognizerResult[] = [];
      const m = re.matcher(text);
      while (m.find()) {
        const start = m.start();
        const end = m.end();
        if (end === start) continue;
        out.push({ type: c.type, start, end, score: c.score, explanation: { recognizer: `custom:${c.name}`, pattern: c.name, baseScore: c.score } });
        if (out.length >= MAX_CUSTOM_MATCHES) break;
      }
      return out;
    },
  };
}

function denyRecognizer(deny: AnalyzerConfig['deny']): Recognizer | undefined {
  if (deny.length === 0) return undefined;
  return {
    id: 'deny-list',
    entities: [...new Set(deny.map((d) => d.type))],
    recognize(text) {
      const out: RecognizerResult[] = [];
      for (const d of deny) {
        for (const v of d.values) {
          for (let i = text.indexOf(v); i !== -1; i = text.indexOf(v, i + v.length)) {
            const end = i + v.length;
            // Whole words only: a denied `ACME-7` is not inside `ACME-71`.
            if ((i > 0 && isWordChar(text.charCodeAt(i - 1)) && isWordChar(v.charCodeAt(0))) || (end < text.length && isWordChar(text.charCodeAt(end)) && isWordChar(v.charCodeAt(v.length - 1)))) continue;
            out.push({ type: d.type, start: i, end, score: 1, explanation: { recognizer: 'deny-list', baseScore: 1 } });
          }
        }
      }
      return out;
    },
  };
}

/**
 * Keeps the best of overlapping findings: within each cluster of transitively overlapping spans, the
 * highest score wins, then the longer span, then the earlier one; the rest of the cluster is
 * kept where it no longer overlaps a winner. Sorted by start.
 */
export function resolveOverlaps(results: RecognizerResult[]): RecognizerResult[] {
  if (results.length < 2) return results.slice();
  const byStart = results.slice().sort((a, b) => a.start - b.start || b.end - a.end);
  const out: RecognizerResult[] = [];
  let cluster: RecognizerResult[] = [];
  let clusterEnd = -1;
  const flush = () => {
    if (cluster.length === 1) out.push(cluster[0]!);
    else if (cluster.length > 1) {
      const ranked = cluster.slice().sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
      // Winners stay sorted by start and never overlap, so one binary search tells whether a span is free.
      const kept: RecognizerResult[] = [];
      for (const c of ranked) {
        let lo = 0;
        let hi = kept.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (kept[mid]!.start < c.start) lo = mid + 1;
          else hi = mid;
        }
        if ((lo > 0 && kept[lo - 1]!.end > c.start) || (lo < kept.length && kept[lo]!.start < c.end)) continue;
        kept.splice(lo, 0, c);
      }
      out.push(...kept);
    }
    cluster = [];
  };
  for (const r of byStart) {
    if (r.start >= clusterEnd) {
      flush();
      clusterEnd = r.end;
    } else clusterEnd = Math.max(clusterEnd, r.end);
    cluster.push(r);
  }
  flush();
  return out;
}

/** Creates an analyzer from `pii.analyzer` config (raw or parsed); throws CONFIG_INVALID on a bad field. */
export function createAnalyzer(config?: AnalyzerConfigInput | AnalyzerConfig, opts: CreateAnalyzerOptions = {}): Analyzer {
  const cfg = parseAnalyzerConfig(config ?? {});
  const regionsChanged = cfg.phone_regions.join(',') !== DEFAULT_PHONE_REGIONS.join(',');
  const base = (opts.recognizers ?? BUILTIN_RECOGNIZERS).map((r) => (r.id === 'phone' && regionsChanged ? createPhoneRecognizer(cfg.phone_regions) : r));
  const recognizers: Recognizer[] = [...base, ...cfg.custom.map(customRecognizer)];
  const deny = denyRecognizer(cfg.deny);
  const matchers = new Map<string, ContextMatcher>();
  for (const r of recognizers) matchers.set(r.id, compileContext(r.context, [...cfg.languages, 'any']));
  const allow = new Set(cfg.allow.map(normalizeValue));
  const entities = [...new Set<EntityType>([...recognizers.flatMap((r) => r.entities), ...cfg.deny.map((d) => d.type)])];
  const ctx = { languages: cfg.languages };
  const window = cfg.context_window;

  return {
    entities,
    analyze(text: string, aopts: AnalyzeOptions = {}): RecognizerResult[] {
      const wanted = aopts.entities ? new Set<EntityType>(aopts.entities) : undefined;
      const minScore = aopts.minScore ?? 0;
      const found: RecognizerResult[] = [];
      // Built on the first finding that needs a column header, then shared by all of this analysis's findings.
      let table: TableIndex | undefined;
      // Per matcher, the context words of each header span already matched: a column's rows share their header.
      const headerMatches = new Map<ContextMatcher, Map<number, string[]>>();
      const headerContext = (start: number, end: number, matcher: ContextMatcher): string[] => {
        const t = (table ??= new TableIndex(text));
        const span = t.headerSpan(start, end);
        if (span < 0) return [];
        let byMatcher = headerMatches.get(matcher);
        if (!byMatcher) headerMatches.set(matcher, (byMatcher = new Map()));
        let words = byMatcher.get(span);
        if (!words) byMatcher.set(span, (words = matchHeaderCells(t.headerWordsAt(span), matcher)));
        // A copy: each finding owns its explanation.
        return words.length ? words.slice() : words;
      };
      withSharedScan(text, () => {
        for (const r of recognizers) {
          if (wanted && !r.entities.some((e) => wanted.has(e))) continue;
          const matcher = matchers.get(r.id)!;
          for (const res of r.recognize(text, ctx)) {
            if (wanted && !wanted.has(res.type)) continue;
            if (res.start < 0 || res.end > text.length || res.end <= res.start) continue;
            // Even context could not lift it to the floor: drop it before paying for the context search.
            if (boosted(res.score) < minScore) continue;
            if (allow.size && allow.has(normalizeValue(text.slice(res.start, res.end)))) continue;
            if (res.score < 1 && !res.explanation.context?.length) {
              let words = findContext(text, res.start, res.end, matcher, window);
              // In a table the label is the column's header, rows away from the value.
              if (!words.length && !matcher.empty) words = headerContext(res.start, res.end, matcher);
              if (words.length) {
                const score = boosted(res.score);
                if (score > res.score) {
                  res.score = score;
                  // In place, not a spread copy (which cost more than the search in dense tables): results are the analyzer's.
                  res.explanation.context = words;
                }
              }
            }
            // Scores below the floor never win an overlap the caller would see, so drop them first.
            if (res.score < minScore) continue;
            found.push(res);
          }
        }
      });
      if (deny) for (const res of deny.recognize(text, ctx)) if (!wanted || wanted.has(res.type)) found.push(res);
      return resolveOverlaps(found);
    },
  };
}

/** One short line for the CLI and alerts: `credit-card/visa-16, luhn valid, context: card`. Never the value. */
export function describeReason(e: Explanation): string {
  const parts = [e.pattern ? `${e.recognizer}/${e.pattern}` : e.recognizer];
  if (e.validator) parts.push(`${e.validator} valid`);
  if (e.context?.length) parts.push(`context: ${e.context.join(', ')}`);
  return parts.join(', ');
}
