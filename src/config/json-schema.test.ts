import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../registry.js';
import { CONFIG_DOC, configJsonSchema, configMarkdown, PACKAGE_ROOT } from './json-schema.js';

type Js = { properties?: Record<string, Js>; items?: Js; oneOf?: Js[]; allOf?: Js[]; description?: string; title?: string; [k: string]: unknown };

/** Dotted keys of an object schema that carry no description, nested mappings included. */
function undescribed(s: Js, prefix = ''): string[] {
  return Object.entries(s.properties ?? {}).flatMap(([k, p]) => [
    ...(p.description ? [] : [`${prefix}${k}`]),
    ...(p.properties ? undescribed(p, `${prefix}${k}.`) : []),
    ...(p.items?.properties ? undescribed(p.items, `${prefix}${k}[].`) : []),
  ]);
}

describe('config reference', () => {
  const schema = configJsonSchema(registry) as Js;
  const entries = (key: string) => schema.properties![key]!.items!.oneOf!;

  it('docs/config.md is what `npm run docs:config` writes today', () => {
    const committed = readFileSync(CONFIG_DOC, 'utf8');
    expect(committed, 'docs/config.md is stale: run `npm run docs:config` and commit it').toBe(configMarkdown(registry, { packageRoot: PACKAGE_ROOT }));
  });

  it('has an entry for every registered source, detector and sink, keyed by its type', () => {
    expect(entries('sources').map((e) => e.properties!.type!.const)).toEqual([...registry.sources.keys()]);
    expect(entries('detection').map((e) => e.properties!.type!.const)).toEqual([...registry.detectors.keys()]);
    expect(entries('sinks').map((e) => e.properties!.type!.const)).toEqual([...registry.sinks.keys()]);
    const webhook = entries('sinks').find((e) => e.title === 'webhook')!;
    expect(webhook.required).toEqual(['type', 'url']);
    expect(webhook.additionalProperties).toBe(false);
    // Durations are shown as written in config, not as the milliseconds they become.
    expect(webhook.properties!.timeout).toMatchObject({ format: 'duration', default: '10s' });
  });

  it('describes every root, source, detector and sink key', () => {
    const { sources: _s, ...rest } = schema.properties!;
    // enrich is owned by the enrichers; its keys are described in their own module.
    const root = { properties: Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'enrich')) };
    expect(undescribed(root)).toEqual([]);
    for (const e of [...entries('sources'), ...entries('detection'), ...entries('sinks')]) expect(undescribed(e), e.title).toEqual([]);
    // The old poller key names are accepted, not documented: the reference shows only the new ones.
    const dropbox = entries('sources').find((e) => e.title === 'dropbox')!;
    expect(Object.keys(dropbox.properties!)).toEqual(expect.arrayContaining(['backfill', 'settle', 'page_size', 'base_url']));
    expect(Object.keys(dropbox.properties!).filter((k) => k.startsWith('#') || ['initial_lookback', 'overlap', 'page_limit', 'api_url'].includes(k))).toEqual([]);
  });

  it('hides the checkout path in the reference but not in the schema a user prints', () => {
    const md = configMarkdown(registry, { packageRoot: PACKAGE_ROOT });
    expect(md).not.toContain(PACKAGE_ROOT);
    expect(md).toContain('`["<saaswatch>/rules/"]`');
    expect(JSON.stringify(schema)).toContain(JSON.stringify(`${PACKAGE_ROOT}rules/`));
  });
});
