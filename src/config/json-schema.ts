/**
 * The whole config as JSON Schema (the input a user writes, for editors and `saaswatch config
 * schema`) and as Markdown (`docs/config.md`), both built from the zod schemas and their
 * descriptions, so the reference cannot drift from what the loader accepts.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SINK_ROUTE_KEYS, zSinkRoute } from '../core/route.js';
import { DEPRECATION_MARK } from '../pipeline/polling-config.js';
import type { Registry } from '../registry.js';
import { rootSchema } from './schema.js';

/** The checkout or installed package, whose path the reference hides (defaults such as the built-in rules folder hold it). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run docs:config` writes the reference. */
export const CONFIG_DOC = fileURLToPath(new URL('../../docs/config.md', import.meta.url));

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema>; required?: string[] };

const toJson = (schema: z.ZodType): JsonSchema => {
  // Durations and secrets are transforms; the input side is what a config file holds.
  const js = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    // The old key names a poller still reads travel under an internal key that no user writes.
    override: (ctx) => {
      const props = (ctx.jsonSchema as JsonSchema).properties;
      if (props && DEPRECATION_MARK in props) delete props[DEPRECATION_MARK];
    },
  }) as JsonSchema;
  delete js.$schema;
  return js;
};

/** One plugin's entry in its section: `type` fixed to the plugin, an optional `name`, then its own keys. */
function entrySchema(type: string, description: string, configSchema: z.ZodType, common: Record<string, JsonSchema> = {}): JsonSchema {
  const parsed = toJson(configSchema);
  const own = parsed.type === 'object' && parsed.properties ? { ...parsed, properties: { ...parsed.properties, ...common } } : parsed;
  const head = {
    type: { type: 'string', const: type, description: 'Which integration this entry configures.' },
    name: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', description: 'Kebab-case name of this entry, unique within its section. Default: the type.' },
  };
  if (own.type === 'object' && own.properties) {
    return { ...own, title: type, description, properties: { ...head, ...own.properties }, required: ['type', ...(own.required ?? [])] };
  }
  return { title: type, description, allOf: [{ type: 'object', properties: { ...head, ...common }, required: ['type'] }, own] };
}

/** The routing keys every sink entry takes (min_severity, include, exclude), as JSON Schema properties. */
const sinkRouteProperties = (): Record<string, JsonSchema> => toJson(zSinkRoute).properties ?? {};

export function configJsonSchema(registry: Registry): JsonSchema {
  const root = toJson(rootSchema);
  const section = (key: 'sources' | 'detection' | 'sinks', plugins: Registry['sources'] | Registry['detectors'] | Registry['sinks']) => {
    const prop = root.properties![key]!;
    const common = key === 'sinks' ? sinkRouteProperties() : {};
    prop.items = { oneOf: [...plugins.values()].map((p) => entrySchema(p.type, p.description, p.configSchema, common)) };
  };
  section('sources', registry.sources);
  section('detection', registry.detectors);
  section('sinks', registry.sinks);
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'saaswatch config (saaswatch.yml)', ...root };
}

/** A type as the reference shows it: `string`, `integer 1–100`, `low | medium | high`, `list of string`. */
function typeOf(s: JsonSchema): string {
  if (s.format === 'duration') return 'duration';
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${String(v)}\``).join(' | ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(typeOf).filter((t, i, a) => a.indexOf(t) === i).join(' or ');
  if (Array.isArray(s.oneOf)) return (s.oneOf as JsonSchema[]).map(typeOf).join(' or ');
  // z.int() bounds every integer to the safe range; that is no limit a user needs to read.
  const bound = (v: unknown) => (v === Number.MAX_SAFE_INTEGER || v === Number.MIN_SAFE_INTEGER ? undefined : v);
  const range = (a: unknown, b: unknown) => {
    const [lo, hi] = [bound(a), bound(b)];
    if (lo === undefined && hi === undefined) return '';
    return hi === undefined ? ` ≥ ${String(lo)}` : lo === undefined ? ` ≤ ${String(hi)}` : ` ${String(lo)}–${String(hi)}`;
  };
  if (Array.isArray(s.type)) return s.type.join(' or ');
  switch (s.type) {
    case 'integer':
      return `integer${range(s.minimum, s.maximum)}`;
    case 'number':
      return `number${range(s.minimum ?? s.exclusiveMinimum, s.maximum ?? s.exclusiveMaximum)}`;
    case 'array':
      return `list of ${s.items ? typeOf(s.items as JsonSchema) : 'any'}`;
    case 'object':
      return s.properties ? 'mapping (below)' : 'mapping';
    case undefined:
      return 'any';
    default:
      return String(s.type);
  }
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmtDefault = (v: unknown) => (v === undefined ? '' : `\`${JSON.stringify(v)}\``);

/** Rows for an object's keys, recursing into nested mappings with dotted keys (`backoff.initial`). */
function rows(s: JsonSchema, prefix = ''): string[] {
  const out: string[] = [];
  const required = new Set(s.required ?? []);
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const k = `${prefix}${key}`;
    const desc = [(prop.description as string | undefined) ?? '', required.has(key) ? '**Required.**' : ''].filter(Boolean).join(' ');
    out.push(`| \`${k}\` | ${cell(typeOf(prop))} | ${cell(fmtDefault(prop.default))} | ${cell(desc)} |`);
    if (prop.type === 'object' && prop.properties) out.push(...rows(prop, `${k}.`));
    // A key written either plainly or as a mapping (storage.retention): the mapping's keys too.
    const mapping = ((prop.anyOf ?? []) as JsonSchema[]).find((f) => f.type === 'object' && f.properties);
    if (mapping) out.push(...rows(mapping, `${k}.`));
    const items = prop.items as JsonSchema | undefined;
    if (prop.type === 'array' && items?.type === 'object' && items.properties) out.push(...rows(items, `${k}[].`));
  }
  return out;
}

const table = (s: JsonSchema) => ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows(s)];

/** The config reference as Markdown; `root` replaces the package's own path in defaults (the built-in rules folder). */
export function configMarkdown(registry: Registry, opts: { packageRoot?: string } = {}): string {
  const schema = configJsonSchema(registry);
  const lines: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from the config schemas; do not edit by hand. -->',
    '',
    'saaswatch reads `--config FILE`, else `./saaswatch.yml`, else `~/.config/saaswatch/config.yml`, else runs on the defaults below.',
    'Durations are written `500ms`, `30s`, `5m`, `1h`, `7d`, `1w` or as a number of seconds. Any string value may use `${ENV_VAR}`',
    'or `${ENV_VAR:-default}`; secrets should. `saaswatch config check` validates a file and lists every problem at once;',
    '`saaswatch config schema` prints this reference as JSON Schema for editors.',
    '',
    '## Top level',
    '',
  ];
  const top: JsonSchema = { ...schema, properties: Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => !['storage', 'sources', 'detection', 'sinks'].includes(k))) };
  lines.push(...table(top), '');
  const storage = schema.properties!.storage!;
  lines.push('## storage', '', String(storage.description ?? ''), '');
  for (const variant of (storage.oneOf ?? storage.anyOf ?? []) as JsonSchema[]) {
    lines.push(`### storage type \`${String(variant.properties?.type?.const)}\``, '', String(variant.properties?.type?.description ?? ''), '', ...table(variant), '');
  }
  const sections = [
    ['sources', 'Sources'],
    ['detection', 'Detectors'],
    ['sinks', 'Sinks'],
  ] as const;
  for (const [key, title] of sections) {
    const prop = schema.properties![key]!;
    lines.push(`## ${title} (\`${key}:\`)`, '', String(prop.description ?? ''), '', `Default: ${fmtDefault(prop.default)}`, '');
    const common = new Set<string>(key === 'sinks' ? SINK_ROUTE_KEYS : []);
    if (key === 'sinks') {
      lines.push(
        '### Keys every sink takes',
        '',
        'Routing: which alerts reach this sink. An alert goes to a sink when its severity is at least `min_severity`, it matches',
        'every dimension `include` gives (any pattern of that list), and no pattern of any dimension `exclude` gives.',
        '',
        ...table({ properties: sinkRouteProperties() }),
        '',
      );
    }
    for (const entry of ((prop.items as JsonSchema).oneOf ?? []) as JsonSchema[]) {
      lines.push(`### \`${String(entry.title)}\``, '', String(entry.description ?? ''), '');
      const own = entry.properties ? { ...entry, properties: Object.fromEntries(Object.entries(entry.properties).filter(([k]) => !common.has(k))) } : entry;
      if (entry.properties) lines.push(...table(own), '');
      else lines.push('```json', JSON.stringify(entry, null, 2), '```', '');
    }
  }
  let text = `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
  if (opts.packageRoot) text = text.split(opts.packageRoot).join('<saaswatch>/');
  return text;
}
