/** Finds, reads, interpolates and validates the config once, into a deeply frozen object. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SaaswatchError } from '../core/index.js';
import type { Registry } from '../registry.js';
import { formatPath, interpolateEnv } from './interpolate.js';
import type { EnrichConfig } from '../enrich/index.js';
import { rootSchema, type ServerConfig, type StorageConfig } from './schema.js';

export interface PluginInstance {
  type: string;
  name: string;
  config: unknown;
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

function describeReceived(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}

function issuesToMessages(issues: z.core.$ZodIssue[], prefix: PropertyKey[], input: unknown): string[] {
  return issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    let received: unknown = input;
    for (const p of issue.path) received = received && typeof received === 'object' ? (received as Record<PropertyKey, unknown>)[p] : undefined;
    let message = issue.message;
    // Plugins word their own unknown-key errors (with the allowed keys); only zod's default is replaced.
    if (issue.code === 'unrecognized_keys' && issue.message.startsWith('Unrecognized key')) {
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; remove or fix the spelling`;
    } else if (issue.code === 'invalid_type') {
      message = `expected ${issue.expected}, got ${describeReceived(received)}`;
    }
    return `${formatPath(path)}: ${message}`;
  });
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

/** Validates a raw (already parsed) config document. Throws CONFIG_INVALID listing every problem. */
export function validateConfig(
  doc: unknown,
  registry: Registry,
  opts: { file?: string; env?: NodeJS.ProcessEnv; baseDir?: string } = {},
): Config {
  const interpolated = interpolateEnv(doc ?? {}, opts.env ?? process.env);
  const parsed = rootSchema.safeParse(interpolated);
  if (!parsed.success) throw invalid(opts.file, issuesToMessages(parsed.error.issues, [], interpolated));
  const root = parsed.data;
  const problems: string[] = [];

  const section = (
    key: 'sources' | 'detection' | 'sinks',
    plugins: ReadonlyMap<string, { configSchema: z.ZodType }>,
  ): PluginInstance[] => {
    const seen = new Set<string>();
    return root[key].flatMap((entry, i) => {
      const { type, name: explicitName, ...rest } = entry;
      const plugin = plugins.get(type);
      if (!plugin) {
        problems.push(`${key}[${i}].type: unknown ${key === 'detection' ? 'detector' : key.slice(0, -1)} type ${JSON.stringify(type)}; expected one of ${[...plugins.keys()].join(', ')}`);
        return [];
      }
      const name = explicitName ?? type;
      if (seen.has(name)) {
        problems.push(`${key}[${i}].name: ${JSON.stringify(name)} is used twice in ${key}; give each entry a unique name`);
      }
      seen.add(name);
      const result = plugin.configSchema.safeParse(rest);
      if (!result.success) {
        problems.push(...issuesToMessages(result.error.issues, [key, i], rest));
        return [];
      }
      return [{ type, name, config: result.data }];
    });
  };

  const sources = section('sources', registry.sources);
  const detection = section('detection', registry.detectors);
  const sinks = section('sinks', registry.sinks);
  if (problems.length) throw invalid(opts.file, problems);

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
  });
}

function invalid(file: string | undefined, problems: string[]): SaaswatchError {
  const where = file ?? 'config';
  return new SaaswatchError('CONFIG_INVALID', `${where} is invalid:\n  - ${problems.join('\n  - ')}`, {
    details: { problems },
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
