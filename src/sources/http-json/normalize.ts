/** Splits a response body into records (a JSON array, an object holding one, or JSONL) and maps each through the json-logs normalizer. */
import type { DeadLetterInput, SecurityEvent } from '../../core/index.js';
import { errors } from '../../core/index.js';
import { payloadOf } from '../json-logs/reader.js';
import { createNormalizer, type Normalizer } from '../json-logs/normalize.js';
import type { HttpJsonConfig } from './config.js';

export const PROVIDER = 'http-json';

/** Keys where an object body usually keeps its records, tried in order when items_path is unset. */
const ITEM_KEYS = ['items', 'data', 'events', 'results', 'records', 'logs', 'entries'];

export function getPath(v: unknown, path: string): unknown {
  let cur = v;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export interface ParsedPage {
  /** The records, each still unchecked; a line of JSONL that does not parse is a string with `bad` set. */
  records: Array<{ data: unknown; line?: number; bad?: string }>;
  /** The whole body when it was one JSON value (for next_path and cursor_path), else undefined. */
  document: unknown;
}

/** A body as records. A JSON body without a records array is the endpoint answering something else: an error naming items_path. */
export function parseBody(body: string, config: Pick<HttpJsonConfig, 'format' | 'items_path'>, target: string): ParsedPage {
  const text = body.trim();
  if (text === '') return { records: [], document: undefined };
  let format = config.format;
  let document: unknown;
  if (format !== 'jsonl') {
    try {
      document = JSON.parse(text);
      format = 'json';
    } catch {
      // Not the parser's message: it quotes the body.
      if (format === 'json' || !text.includes('\n')) {
        throw errors.inputMalformed({ where: target, problem: 'did not answer JSON', fix: 'check url, or set format: jsonl if it sends a record a line' });
      }
      format = 'jsonl';
    }
  }
  if (format === 'jsonl') {
    const records: ParsedPage['records'] = [];
    text.split('\n').forEach((line, i) => {
      const l = line.trim();
      if (l === '') return;
      try {
        records.push({ data: JSON.parse(l), line: i + 1 });
      } catch {
        records.push({ data: line.replace(/\r$/, ''), line: i + 1, bad: 'line is not JSON' });
      }
    });
    return { records, document: undefined };
  }
  if (Array.isArray(document)) return { records: document.map((data) => ({ data })), document };
  const items = config.items_path !== undefined ? getPath(document, config.items_path) : ITEM_KEYS.map((k) => getPath(document, k)).find(Array.isArray);
  if (!Array.isArray(items)) {
    const where = config.items_path ? `at items_path "${config.items_path}"` : `(looked for ${ITEM_KEYS.join(', ')})`;
    throw errors.inputMalformed({ where: target, problem: `answered a JSON object without a records array ${where}`, fix: 'set items_path to where the records are' });
  }
  return { records: items.map((data) => ({ data })), document };
}

export interface NormalizedPage {
  events: SecurityEvent[];
  deadLetters: DeadLetterInput[];
  /** Newest event time on the page, epoch ms (-∞ when none). */
  newest: number;
}

export function createPageNormalizer(name: string, config: HttpJsonConfig, now: () => number): (page: ParsedPage, position: string) => NormalizedPage {
  const normalize: Normalizer = createNormalizer(name, config, { now });
  return (page, position) => {
    const ingested = new Date(now()).toISOString();
    const events: SecurityEvent[] = [];
    const deadLetters: DeadLetterInput[] = [];
    let newest = Number.NEGATIVE_INFINITY;
    const dead = (code: string, reason: string, data: unknown, line?: number) =>
      deadLetters.push({
        source: name,
        code,
        reason: `${position}${line === undefined ? '' : ` line ${line}`}: ${reason}`,
        payload: payloadOf(typeof data === 'string' ? data : (JSON.stringify(data) ?? String(data))),
        position: { page: position, ...(line === undefined ? {} : { line }) },
      });
    for (const rec of page.records) {
      if (rec.bad !== undefined) {
        dead('INPUT_MALFORMED', rec.bad, rec.data, rec.line);
        continue;
      }
      if (rec.data === null || typeof rec.data !== 'object' || Array.isArray(rec.data)) {
        dead('INPUT_MALFORMED', `a record must be a JSON object, got ${Array.isArray(rec.data) ? 'an array' : rec.data === null ? 'null' : typeof rec.data}`, rec.data, rec.line);
        continue;
      }
      const r = normalize(rec.data as Record<string, unknown>, ingested);
      if (!r.ok) {
        dead(r.code, r.reason, rec.data, rec.line);
        continue;
      }
      r.event.event.provider = PROVIDER;
      if (r.ms > newest) newest = r.ms;
      events.push(r.event);
    }
    return { events, deadLetters, newest };
  };
}
