/**
 * `saaswatch scan PATH... | -`: extracts the text of local files (folders recursed) or standard input,
 * runs the PII analyzer over it, and reports findings as masked values only — JSON lines or a
 * readable summary — with an exit code a CI job can gate on.
 */
import { readFileSync } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { configErrorMap } from '../core/config-types.js';
import { errors, SaaswatchError } from '../core/errors.js';
import { findConfigFile } from '../config/load.js';
import { interpolateEnv } from '../config/interpolate.js';
import { DEFAULT_LIMITS, extractLimitsSchema, extractText, isUnsupportedFormat, type ExtractLimits } from '../pii/extract/index.js';
import { createAnalyzer, describeReason, ENTITY_TYPES, maskFinding, parseAnalyzerConfig, summarize, type Analyzer, type EntityType, type RecognizerResult } from '../pii/index.js';
import { EXIT } from './options.js';
import { errText, out, outJson } from './terminal.js';

/** Exit code when something was found at or above the score: distinct from errors, so CI can gate on it. */
export const EXIT_FOUND = 4;

/** Folders a recursive scan never enters: version-control internals and installed dependencies, not the user's files. */
const SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules']);

export interface ScanOptions {
  /** The global `--config`: its `pii.analyzer` (allow/deny lists, custom recognizers) and `pii.limits` apply. */
  config?: string;
  json?: boolean;
  minScore?: number;
  /** Comma-separated entity types, as given. */
  entities?: string;
}

/** One line of `--json`: offsets in Unicode code points (as Python and Presidio count), the value masked. */
export interface ScanFindingLine {
  file: string;
  type: EntityType;
  start: number;
  end: number;
  score: number;
  masked: string;
  reason: string;
}

/**
 * UTF-16 offsets (JS string indexes, what the analyzer gives) to code point offsets, for many offsets
 * in one pass over the text.
 */
export function codePointOffsets(text: string, offsets: readonly number[]): Map<number, number> {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const map = new Map<number, number>();
  let unit = 0;
  let cp = 0;
  for (const target of sorted) {
    while (unit < target && unit < text.length) {
      const c = text.charCodeAt(unit);
      // A high surrogate followed by a low one is one code point of two units.
      unit += c >= 0xd800 && c <= 0xdbff && unit + 1 < text.length && (text.charCodeAt(unit + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      cp++;
    }
    map.set(target, cp);
  }
  return map;
}

/** The findings of one text as `--json` lines. */
export function findingLines(file: string, text: string, findings: readonly RecognizerResult[]): ScanFindingLine[] {
  const cps = codePointOffsets(text, findings.flatMap((f) => [f.start, f.end]));
  return findings.map((f) => ({
    file,
    type: f.type,
    start: cps.get(f.start)!,
    end: cps.get(f.end)!,
    score: Math.round(f.score * 100) / 100,
    masked: maskFinding(text, f),
    reason: describeReason(f.explanation),
  }));
}

/**
 * The files under a path: itself, or a folder's files in name order. A path given is followed if it is a
 * symbolic link; links inside a folder are not (no loops, nothing outside the tree).
 */
async function* walk(path: string, top: boolean): AsyncGenerator<{ path: string; explicit: boolean }> {
  const st = await (top ? stat(path) : lstat(path)).catch(() => undefined);
  if (st?.isDirectory()) {
    const names = (await readdir(path)).sort();
    for (const name of names) {
      if (SKIPPED_DIRS.has(name)) continue;
      yield* walk(join(path, name), false);
    }
    return;
  }
  if (!top && st && !st.isFile()) return; // sockets, fifos and links inside a tree
  yield { path, explicit: top };
}

/** What went wrong reading a file from disk, without the OS's message (which may quote more than the path). */
function readError(path: string, err: unknown): SaaswatchError {
  const code = (err as { code?: unknown }).code;
  const problem =
    code === 'ENOENT' ? 'no such file or folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'a folder' : 'could not be read from disk';
  return errors.fileUnreadable({ file: path, problem, fix: code === 'ENOENT' ? 'check the path' : 'check that it is a readable file', cause: err });
}

async function readInput(path: string, limits: ExtractLimits): Promise<Uint8Array> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      n += chunk.length;
      // Stop reading past the limit: standard input may be endless.
      if (n > limits.max_bytes) throw errors.inputTooLarge({ where: '-', size: `more than ${limits.max_bytes.toLocaleString('en-US')} bytes`, limit: `${limits.max_bytes.toLocaleString('en-US')} bytes (pii.limits.max_bytes)` });
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
  try {
    const st = await stat(path);
    if (st.isFile() && st.size > limits.max_bytes) {
      throw errors.inputTooLarge({ where: path, size: `${st.size.toLocaleString('en-US')} bytes`, limit: `${limits.max_bytes.toLocaleString('en-US')} bytes (pii.limits.max_bytes)` });
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof SaaswatchError) throw err;
    throw readError(path, err);
  }
}

/**
 * The analyzer and limits from the config file's `pii` section (`--config`, else ./saaswatch.yml, else
 * ~/.config/saaswatch/config.yml), or the defaults. Only that section is read: scanning local files
 * needs no source, sink or their secrets.
 */
export function scanSettings(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): { analyzer: Analyzer; limits: ExtractLimits } {
  const file = findConfigFile(configPath);
  let pii: Record<string, unknown> = {};
  if (file) {
    const doc = parseDocument(readFileSync(file, 'utf8'));
    if (doc.errors.length) throw errors.configInvalid({ path: file, problem: 'not valid YAML', fix: 'run `saaswatch config check` for the details' });
    const root = doc.toJS() as unknown;
    const section = root !== null && typeof root === 'object' ? (root as Record<string, unknown>).pii : undefined;
    if (section !== null && typeof section === 'object') pii = section as Record<string, unknown>;
  }
  const analyzerConfig = interpolateEnv(pii.analyzer ?? {}, env, ['pii', 'analyzer']);
  const limitsInput = interpolateEnv(pii.limits ?? {}, env, ['pii', 'limits']);
  const parsed = extractLimitsSchema.safeParse(limitsInput, { error: configErrorMap });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw errors.configInvalid({ path: ['pii', 'limits', ...issue.path.map(String)].join('.'), problem: issue.message });
  }
  return { analyzer: createAnalyzer(parseAnalyzerConfig(analyzerConfig)), limits: parsed.data };
}

/** Parses `--entities A,B` against what the analyzer knows; unknown names are a usage error listing the known ones. */
export function parseEntities(value: string, analyzer: Analyzer): { entities: EntityType[] } | { error: string } {
  const known = [...new Set<string>([...analyzer.entities, ...ENTITY_TYPES])].sort();
  const asked = value
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  const unknown = asked.filter((a) => !known.includes(a));
  if (asked.length === 0 || unknown.length > 0) {
    const what = asked.length === 0 ? 'no entity types given' : `unknown entity type${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}`;
    return { error: `error: --entities: ${what} (known: ${known.join(', ')})` };
  }
  return { entities: asked };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Runs the scan; returns the exit code (0 nothing found, 4 found, 1 a file could not be read, 2 usage). */
export async function scan(paths: string[], opts: ScanOptions, deps: { analyzer?: Analyzer; limits?: ExtractLimits } = {}): Promise<number> {
  const settings = deps.analyzer && deps.limits ? undefined : scanSettings(opts.config);
  const analyzer = deps.analyzer ?? settings!.analyzer;
  const limits = deps.limits ?? settings?.limits ?? DEFAULT_LIMITS;
  let entities: EntityType[] | undefined;
  if (opts.entities !== undefined) {
    const parsed = parseEntities(opts.entities, analyzer);
    if ('error' in parsed) {
      errText(parsed.error);
      return EXIT.usage;
    }
    entities = parsed.entities;
  }
  if (paths.filter((p) => p === '-').length > 1) {
    errText('error: standard input (-) can be scanned once per run');
    return EXIT.usage;
  }
  const minScore = opts.minScore ?? 0.5;
  let files = 0;
  let withFindings = 0;
  let unreadable = 0;
  let skipped = 0;
  let total = 0;

  for (const given of paths) {
    const targets = given === '-' ? [{ path: '-', explicit: true }] : walk(given, true);
    for await (const { path, explicit } of targets) {
      let text: string;
      let format: string;
      let truncated: boolean;
      try {
        const data = await readInput(path, limits);
        ({ text, format, truncated } = await extractText(data, { name: path }, limits));
      } catch (err) {
        // A folder holds images and archives too: those are passed over, not errors; a named file is an error.
        if (!explicit && isUnsupportedFormat(err)) {
          skipped++;
          continue;
        }
        unreadable++;
        const e = err instanceof SaaswatchError ? err : errors.fileUnreadable({ file: path, problem: 'could not be read', cause: err });
        errText(`unreadable: ${e.message}`);
        continue;
      }
      files++;
      const findings = analyzer.analyze(text, { minScore, ...(entities ? { entities } : {}) });
      total += findings.length;
      if (findings.length > 0) withFindings++;
      if (opts.json) {
        for (const line of findingLines(path, text, findings)) outJson(line);
        continue;
      }
      const note = truncated ? ', truncated at a limit' : '';
      if (findings.length === 0) {
        out(`${path} (${format}${note}): nothing found`);
        continue;
      }
      out(`${path} (${format}${note}): ${plural(findings.length, 'finding')}`);
      const summary = summarize(text, findings);
      const types = Object.keys(summary.counts).sort((a, b) => summary.counts[b]! - summary.counts[a]! || a.localeCompare(b));
      const width = Math.max(...types.map((t) => `${t} ×${summary.counts[t]}`.length));
      for (const t of types) out(`  ${`${t} ×${summary.counts[t]}`.padEnd(width)}  ${(summary.samples[t] ?? []).join(', ')}`);
    }
  }
  if (!opts.json) {
    const parts = [`${plural(files, 'file')} scanned`, `${plural(withFindings, 'file')} with findings (${plural(total, 'finding')} at score ≥ ${minScore})`];
    if (unreadable) parts.push(`${plural(unreadable, 'file')} unreadable`);
    if (skipped) parts.push(`${plural(skipped, 'file')} of an unsupported format skipped`);
    out(parts.join(', '));
  }
  // A finding wins over an unreadable file: a CI gate on 4 must not be evaded by committing a corrupt PDF
  // beside the secrets; the unreadable files are still named on stderr.
  if (total > 0) return EXIT_FOUND;
  return unreadable > 0 ? EXIT.error : EXIT.ok;
}
