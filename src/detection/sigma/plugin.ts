/** The `sigma` detector plugin: config schema plus factory, for the global registry. */
import { isAbsolute, resolve } from 'node:path';
import type { DetectorPlugin, PluginDeps } from '../../core/index.js';
import { missingPlaceholderMessage, missingPlaceholders } from './compile.js';
import { sigmaConfigSchema, type SigmaConfig } from './config.js';
import { SigmaEngine } from './engine.js';
import { loadRuleDirs, type RuleDef } from './loader.js';

export const sigmaPlugin: DetectorPlugin<SigmaConfig> = {
  type: 'sigma',
  description: 'Sigma rules (SigmaHQ format) and Sigma v2 correlations over normalized events; ships a rule pack for Google Workspace, Dropbox and logins.',
  configSchema: sigmaConfigSchema,
  create(config, deps) {
    const base = deps?.baseDir ?? process.cwd();
    const dirs = config.rules_dirs.map((d) => (isAbsolute(d) ? d : resolve(base, d)));
    const defs = loadRuleDirs(dirs);
    const unconfigured = placeholderGaps(defs, config.placeholders, deps?.logger);
    const engine = new SigmaEngine(
      defs,
      {
        minLevel: config.min_level,
        disabled: [...config.disabled, ...unconfigured],
        maxEvidence: config.max_evidence,
        maxGroups: config.max_groups,
        placeholders: config.placeholders,
        missingPlaceholders: 'skip',
      },
      { state: deps?.state, logger: deps?.logger },
    );
    const s = engine.stats();
    deps?.logger?.info(
      { detector: 'sigma', dirs, rules: s.rules, correlations: s.correlations, base_rules: s.baseRules, disabled_for_placeholders: unconfigured.length },
      'sigma rules loaded',
    );
    return engine;
  },
};

/**
 * Rules whose `expand` placeholders the config does not define, each logged with its file, field
 * and fix. They are disabled rather than failing the load: a team pointing rules_dirs at the whole
 * SigmaHQ repository wants its other rules running, and a correlation over such a rule is
 * disabled with it (the engine drops correlations over disabled rules). `saaswatch rules test`
 * still fails on them, since it loads rules without a config.
 */
function placeholderGaps(defs: readonly RuleDef[], placeholders: SigmaConfig['placeholders'], logger: PluginDeps['logger'] | undefined): string[] {
  const keys: string[] = [];
  const byPlaceholder = new Map<string, number>();
  for (const d of defs) {
    if (d.kind !== 'detection') continue;
    const missing = missingPlaceholders(d, placeholders);
    if (!missing.length) continue;
    keys.push(d.key);
    for (const name of new Set(missing.map((m) => m.placeholder))) byPlaceholder.set(name, (byPlaceholder.get(name) ?? 0) + 1);
    const first = missing[0]!;
    logger?.warn(
      { detector: 'sigma', rule: d.key, file: `${d.file}#${d.doc}`, field: first.field, placeholders: [...new Set(missing.map((m) => m.placeholder))] },
      `sigma rule disabled: ${d.file}#${d.doc}: ${first.field}: ${missingPlaceholderMessage(first)}`,
    );
  }
  const refs = new Set(defs.filter((d) => keys.includes(d.key)).flatMap((d) => [d.key, d.id, d.name].filter((x): x is string => x !== undefined)));
  for (const c of defs) {
    const over = c.kind === 'correlation' ? c.rules.find((r) => refs.has(r)) : undefined;
    if (over) logger?.warn({ rule: c.key, file: `${c.file}#${c.doc}` }, `sigma correlation disabled: ${c.file}#${c.doc}: its rule ${over} is disabled for an unconfigured placeholder`);
  }
  if (keys.length) {
    const counts = [...byPlaceholder].map(([name, n]) => `%${name}% (${n} rule${n === 1 ? '' : 's'})`).join(', ');
    logger?.warn({ rules: keys.length, placeholders: Object.fromEntries(byPlaceholder) }, `${keys.length} sigma rule${keys.length === 1 ? '' : 's'} disabled for unconfigured placeholders: ${counts}`);
  }
  return keys;
}
