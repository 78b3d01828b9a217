/** Rules: the configured detectors and the loaded Sigma rules with their hit counts, and a Sigma rule tried on sample records. */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Finding } from '../../core/alert.js';
import { errors } from '../../core/errors.js';
import { exampleEvents, loadRuleDirs, parseRuleText, severityOf, SigmaEngine, sigmaConfigSchema, type RuleDef, type SigmaConfig } from '../../detection/sigma/index.js';
import { registry } from '../../registry.js';
import type { ApiContext, RouteModule } from '../context.js';
import { eventJson, eventSchema, isoOf, SEVERITIES } from './shapes.js';

interface SigmaPack {
  defs: RuleDef[];
  settings: SigmaConfig;
}

/** The rules the config's first sigma detector loads (none without one), read once per process: rule files change with a restart. */
function sigmaPackLoader(ctx: ApiContext): () => SigmaPack {
  let pack: SigmaPack | undefined;
  return () => {
    if (pack) return pack;
    const entry = ctx.config.detection.find((d) => d.type === 'sigma');
    const settings = (entry?.config as SigmaConfig | undefined) ?? sigmaConfigSchema.parse({});
    const base = ctx.config.file ? dirname(ctx.config.file) : process.cwd();
    const defs = entry ? loadRuleDirs(settings.rules_dirs.map((d) => (isAbsolute(d) ? d : resolve(base, d)))) : [];
    pack = { defs, settings };
    return pack;
  };
}

const ruleSchema = z.object({
  id: z.string().describe('What alerts carry as `rule`: a detector\'s name, or a Sigma rule\'s key.'),
  title: z.string(),
  severity: z.enum(SEVERITIES).nullable(),
  kind: z.enum(['sigma', 'detector']),
  enabled: z.boolean(),
  hits: z.number().describe('Stored alerts it raised.'),
  last_hit: z.string().nullable(),
  sigma_id: z.string().nullable(),
});

const matchesOf = (def: RuleDef, ref: string) => def.key === ref || def.id === ref || def.name === ref;

export const rules: RouteModule = (app, ctx) => {
  const pack = sigmaPackLoader(ctx);

  app.get('/api/rules', {
    config: { role: 'viewer' },
    schema: { tags: ['rules'], summary: 'Configured detectors and loaded Sigma rules, with hit counts from stored alerts', response: { 200: z.object({ items: z.array(ruleSchema) }) } },
    handler: async () => {
      const hits = new Map<string, { n: number; last: number }>();
      for (const c of await ctx.store.countAlerts()) {
        const h = hits.get(c.rule) ?? { n: 0, last: 0 };
        h.n += c.count;
        h.last = Math.max(h.last, c.lastAt);
        hits.set(c.rule, h);
      }
      const hitOf = (id: string) => ({ hits: hits.get(id)?.n ?? 0, last_hit: hits.has(id) ? isoOf(hits.get(id)!.last) : null });
      const detectors = ctx.config.detection
        .filter((d) => d.type !== 'sigma')
        .map((d) => ({ id: d.name, title: registry.detectors.get(d.type)?.description ?? d.type, severity: null, kind: 'detector' as const, enabled: true, sigma_id: null, ...hitOf(d.name) }));
      const { defs, settings } = pack();
      const disabled = new Set(settings.disabled);
      const sigma = defs.map((d) => ({
        id: d.key,
        title: d.title,
        severity: severityOf(d.level),
        kind: 'sigma' as const,
        enabled: !disabled.has(d.key) && !(d.id !== undefined && disabled.has(d.id)) && !(d.name !== undefined && disabled.has(d.name)),
        sigma_id: d.id ?? null,
        ...hitOf(d.key),
      }));
      return { items: [...detectors, ...sigma] };
    },
  });

  app.post('/api/rules/test', {
    config: { role: 'analyst' },
    schema: {
      tags: ['rules'],
      summary: 'Run a Sigma rule (a loaded rule\'s key, id or name, or a rule\'s YAML) over sample records, normalized as rule examples (*.tests.yml) are',
      body: z.object({
        rule: z.string().min(1).max(200_000),
        events: z.array(z.record(z.string(), z.unknown())).min(1).max(1_000).describe('Records as in a rule\'s examples: `{ "event": {...} }` (a partial normalized event) or `{ "<source type>": <record> }`, with optional at, repeat, every.'),
        start: z.iso.datetime({ offset: true }).optional().describe('When the first record happens (default 2024-05-06T09:00:00Z).'),
      }),
      response: {
        200: z.object({
          rules: z.array(z.string()),
          events: z.number(),
          matches: z.array(z.object({ rule: z.string(), event: eventSchema })),
          findings: z.array(z.object({ rule: z.string(), title: z.string(), severity: z.enum(SEVERITIES), entity: z.object({ type: z.string(), value: z.string() }), window_start: z.string(), evidence: z.number() })),
        }),
      },
    },
    handler: async (req) => {
      const { defs: loaded, settings } = pack();
      const ref = req.body.rule.trim();
      let targets = loaded.filter((d) => matchesOf(d, ref));
      let all = loaded;
      if (targets.length === 0) {
        if (!ref.includes('\n') && !ref.includes(':')) {
          throw errors.inputMalformed({ where: 'body.rule', problem: `no loaded rule has the key, id or name "${ref}"`, fix: 'GET /api/rules lists them, or send the rule\'s YAML', details: { field: 'body.rule' } });
        }
        targets = parseRuleText(ref, 'request', 'api/request');
        // The posted rule may be a changed copy of a loaded one: it replaces it rather than clashing with it.
        const clash = (d: RuleDef) => targets.some((t) => (t.id !== undefined && t.id === d.id) || (t.name !== undefined && t.name === d.name));
        all = [...loaded.filter((d) => !clash(d)), ...targets];
      }
      const events = exampleEvents(req.body.events, registry.sources, req.body.start);
      const engine = new SigmaEngine(all, { minLevel: 'informational', disabled: [], placeholders: settings.placeholders });
      const keys = new Set(targets.map((d) => d.key));
      const matches: Array<{ rule: string; event: ReturnType<typeof eventJson> }> = [];
      const findings: Finding[] = [];
      for (const e of events) {
        for (const k of engine.matchingRules(e)) if (keys.has(k)) matches.push({ rule: k, event: eventJson(e) });
        findings.push(...engine.observe(e).filter((f) => keys.has(f.rule)));
      }
      findings.push(...engine.flush({ final: true }).filter((f) => keys.has(f.rule)));
      return {
        rules: [...keys],
        events: events.length,
        matches,
        findings: findings.map((f) => ({ rule: f.rule, title: f.title, severity: f.severity, entity: f.entity, window_start: isoOf(f.windowStart), evidence: f.evidence.length })),
      };
    },
  });
};
