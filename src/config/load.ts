/** Finds, reads, interpolates and validates the config once, into a deeply frozen object. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configErrorMap, didYouMean, SaaswatchError, SINK_ROUTE_KEYS, zSinkRoute, type SinkRoute } from '../core/index.js';
import type { Registry } from '../registry.js';
import { formatPath, interpolateEnv, missingVariableMessage, type MissingVariable } from './interpolate.js';
import type { EnrichConfig } from '../enrich/index.js';
import type { PiiSettings } from '../pii/settings.js';
import { deprecationsOf } from '../pipeline/polling-config.js';
import { pluginEntry, rootSchema, type AlertingConfig, type RelayConfig, type ResponseConfig, type ServerConfig, type StorageConfig } from './schema.js';

export interface PluginInstance {
  type: string;
  name: string;
  config: unknown;
  /** Sinks only: which alerts go to it (the routing keys every sink entry takes). */
  route?: SinkRoute;
}

export interface Config {
  /** The file the config came from; undefined when running on built-in defaults. */
  file: string | undefined;
  dataDir: string;
  logLevel: string;
  storage: StorageConfig;
  enrich: EnrichConfig;
  sources: readonly PluginInstance[];
  detection: readonly PluginInstance[];
  sinks: readonly PluginInstance[];
  server: ServerConfig;
  /** Noise control: grouping and mutes. */
  alerting: AlertingConfig;
  /** Response actions: what may change the services, protected accounts, policies. */
  response: ResponseConfig;
  /** The CTIM relay for Cisco XDR (served beside the API when enabled). */
  relay: RelayConfig;
  /** Content scanning of files for PII and secrets (root `pii:`, src/pii/settings.ts); absent in hand-built configs: off. */
  pii?: PiiSettings;
  /** Things that work but should change (old key names), one line each, named like problems: `config check` prints them. */
  warnings: readonly string[];
}

/** `--config`, else ./saaswatch.yml, else ~/.config/saaswatch/config.yml, else none (defaults). */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit) {
    const p = resolve(cwd, explicit);
    if (!existsSync(p)) {
      throw new SaaswatchError('CONFIG_NOT_FOUND', `config file ${p} does not exist; check the --config path`);
    }
    return p;
  }
  for (const candidate of [resolve(cwd, 'saaswatch.yml'), resolve(homedir(), '.config/saaswatch/config.yml')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    // Secrets and other class instances keep their own invariants; freeze plain data only.
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null || Array.isArray(value)) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}

const SECTIONS = ['sources', 'detection', 'sinks'] as const;
type Section = (typeof SECTIONS)[number];
const KIND: Record<Section, string> = { sources: 'source', detection: 'detector', sinks: 'sink' };

/** One thing wrong with the config: where (a path into the document) and what to do about it. */
interface Problem {
  path: PropertyKey[];
  message: string;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * How a problem names a plugin entry: by its name and type (`sources.google (google-workspace)`),
 * as the user wrote it, falling back to its position only when it has neither.
 */
export function entryLabel(section: string, index: number, entry: unknown): string {
  const type = isMapping(entry) && typeof entry.type === 'string' ? entry.type : undefined;
  const name = isMapping(entry) && typeof entry.name === 'string' && entry.name !== '' ? entry.name : type;
  if (name === undefined) return `${section}[${index}]`;
  return name === type || type === undefined ? `${section}.${name}` : `${section}.${name} (${type})`;
}

/** Renders problems in document order: root keys, then sources, detection and sinks entry by entry. */
function render(problems: readonly Problem[], doc: unknown): string[] {
  const rank = (p: Problem) => {
    const s = SECTIONS.indexOf(p.path[0] as Section);
    return [s + 1, typeof p.path[1] === 'number' ? p.path[1] : -1] as const;
  };
  const ordered = problems
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((x, y) => x.r[0] - y.r[0] || x.r[1] - y.r[1] || x.i - y.i)
    .map((x) => x.p);
  const seen = new Set<string>();
  return ordered.flatMap(({ path, message }) => {
    let line: string;
    const [head, index, ...rest] = path;
    if (SECTIONS.includes(head as Section) && typeof index === 'number') {
      const entry = isMapping(doc) && Array.isArray(doc[head as Section]) ? (doc[head as Section] as unknown[])[index] : undefined;
      line = `${entryLabel(head as Section, index, entry)}: ${rest.length ? `${formatPath(rest)}: ` : ''}${message}`;
    } else {
      line = `${formatPath(path)}: ${message}`;
    }
    if (seen.has(line)) return [];
    seen.add(line);
    return [line];
  });
}

const issueProblems = (issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): Problem[] =>
  issues.map((issue) => ({ path: [...prefix, ...issue.path], message: issue.message }));

/**
 * A sink's own schema knows only its own keys: its unknown-key problem (at the entry's top level)
 * also names the routing keys every sink takes, and suggests them for a typo.
 */
function withRouteKeys(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'unrecognized_keys' || issue.path.length > 0) return issue;
  const m = /^(unknown keys? .*?)(?: \(did you mean .*\))?; allowed: (.*)$/s.exec(issue.message);
  if (!m) return issue;
  const allowed = [...m[2]!.split(', '), ...SINK_ROUTE_KEYS];
  const hints = issue.keys.flatMap((k) => {
    const hint = didYouMean(k, allowed);
    return hint ? [`did you mean ${JSON.stringify(hint)}${issue.keys.length > 1 ? ` for ${JSON.stringify(k)}` : ''}?`] : [];
  });
  return { ...issue, message: `${m[1]}${hints.length ? ` (${hints.join(' ')})` : ''}; allowed: ${allowed.join(', ')}` };
}

/**
 * Validates a raw (already parsed) config document. Throws CONFIG_INVALID listing every problem in
 * the document at once: root keys, every source, detector and sink, and unset variables together.
 */
export function validateConfig(
  doc: unknown,
  registry: Registry,
  opts: { file?: string; env?: NodeJS.ProcessEnv; baseDir?: string } = {},
): Config {
  const missing: MissingVariable[] = [];
  const interpolated = interpolateEnv(doc ?? {}, opts.env ?? process.env, [], missing);
  const problems: Problem[] = missing.map((m) => ({ path: m.path, message: missingVariableMessage(m.variable) }));
  const warnings: Problem[] = [];

  const parsed = rootSchema.safeParse(interpolated, { error: configErrorMap });
  if (!parsed.success) {
    // Entries of the plugin sections are checked below, with their plugin's schema, even when the root has problems.
    problems.push(...issueProblems(parsed.error.issues.filter((i) => !(SECTIONS.includes(i.path[0] as Section) && i.path.length > 1)), []));
  }
  const raw = isMapping(interpolated) ? interpolated : {};
  const entriesOf = (key: Section): unknown[] => (parsed.success ? parsed.data[key] : Array.isArray(raw[key]) ? raw[key] : []);

  const section = (key: Section, plugins: ReadonlyMap<string, { configSchema: z.ZodType }>): PluginInstance[] => {
    const seen = new Set<string>();
    return entriesOf(key).flatMap((entry, i) => {
      const head = pluginEntry.safeParse(entry, { error: configErrorMap });
      if (!head.success) {
        problems.push(...issueProblems(head.error.issues, [key, i]));
        if (!isMapping(entry) || typeof entry.type !== 'string') return [];
      }
      const { type, name: explicitName, ...own } = entry as { type: string; name?: string };
      // The routing keys are common to every sink: checked here once, and never seen by the sink's own schema.
      let rest: Record<string, unknown> = own;
      let route: SinkRoute | undefined;
      if (key === 'sinks') {
        const picked: Record<string, unknown> = {};
        rest = {};
        for (const [k, v] of Object.entries(own)) ((SINK_ROUTE_KEYS as readonly string[]).includes(k) ? picked : rest)[k] = v;
        const parsedRoute = zSinkRoute.safeParse(picked, { error: configErrorMap });
        if (parsedRoute.success) route = parsedRoute.data;
        else problems.push(...issueProblems(parsedRoute.error.issues, [key, i]));
      }
      const plugin = plugins.get(type);
      if (!plugin) {
        const hint = didYouMean(type, plugins.keys());
        problems.push({
          path: [key, i, 'type'],
          message: `unknown ${KIND[key]} type ${JSON.stringify(type)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}; expected one of ${[...plugins.keys()].join(', ')}`,
        });
        return [];
      }
      const name = explicitName ?? type;
      if (seen.has(name)) problems.push({ path: [key, i, 'name'], message: `${JSON.stringify(name)} is used twice in ${key}; give each entry a unique name` });
      seen.add(name);
      const result = plugin.configSchema.safeParse(rest, { error: configErrorMap });
      if (!result.success) {
        problems.push(...issueProblems(key === 'sinks' ? result.error.issues.map(withRouteKeys) : result.error.issues, [key, i]));
        return [];
      }
      for (const d of deprecationsOf(result.data)) {
        warnings.push({ path: [key, i], message: `${JSON.stringify(d.old)} is deprecated; rename it to ${JSON.stringify(d.new)} (the old name still works for now)` });
      }
      if (key === 'sinks' && !route) return [];
      return head.success ? [{ type, name, config: result.data, ...(route ? { route } : {}) }] : [];
    });
  };

  const sources = section('sources', registry.sources);
  const detection = section('detection', registry.detectors);
  const sinks = section('sinks', registry.sinks);
  // A value still holding an unset ${VAR} fails its own check too; the missing variable is the one problem to fix.
  const unset = new Set(missing.map((m) => formatPath(m.path)));
  const reported = problems.filter((p, i) => i < missing.length || !unset.has(formatPath(p.path)));
  if (!parsed.success && reported.length === 0) reported.push(...issueProblems(parsed.error.issues, []));
  const warningLines = render(warnings, interpolated);
  if (reported.length || !parsed.success) throw invalid(opts.file, render(reported, interpolated), warningLines);
  const root = parsed.data;

  const baseDir = opts.baseDir ?? (opts.file ? dirname(opts.file) : process.cwd());
  const dataDir = isAbsolute(root.data_dir) ? root.data_dir : resolve(baseDir, root.data_dir);
  const storage: StorageConfig =
    root.storage.type === 'sqlite' && root.storage.path !== ':memory:' && !isAbsolute(root.storage.path)
      ? { ...root.storage, path: resolve(dataDir, root.storage.path) }
      : root.storage;

  return deepFreeze({
    file: opts.file,
    dataDir,
    logLevel: root.log_level,
    storage,
    enrich: root.enrich,
    sources,
    detection,
    sinks,
    server: root.server,
    alerting: root.alerting,
    response: root.response,
    relay: root.relay,
    pii: root.pii,
    warnings: warningLines,
  });
}

/** The problems, then the warnings of the same pass, so one run shows everything to change. */
function invalid(file: string | undefined, problems: string[], warnings: string[]): SaaswatchError {
  const where = file ?? 'config';
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const warned = warnings.map((w) => `\n  warning: ${w}`).join('');
  return new SaaswatchError('CONFIG_INVALID', `${where} is invalid (${count}):\n  - ${problems.join('\n  - ')}${warned}`, {
    details: { problems, warnings },
  });
}

/** Loads the config from the usual places; with no file at all, built-in defaults apply. */
export function loadConfig(
  registry: Registry,
  opts: { path?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Config {
  const file = findConfigFile(opts.path, opts.cwd);
  if (!file) return validateConfig({}, registry, { env: opts.env, baseDir: opts.cwd ?? process.cwd() });
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new SaaswatchError('CONFIG_INVALID', `${file} is not valid YAML:\n  - ${doc.errors.map((e) => e.message).join('\n  - ')}`);
  }
  return validateConfig(doc.toJS(), registry, { file, env: opts.env });
}
