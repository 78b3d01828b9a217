/** The `sigma` detector plugin: config schema plus factory, for the global registry. */
import { isAbsolute, resolve } from 'node:path';
import type { DetectorPlugin } from '../../core/index.js';
import { sigmaConfigSchema, type SigmaConfig } from './config.js';
import { SigmaEngine } from './engine.js';
import { loadRuleDirs } from './loader.js';

export const sigmaPlugin: DetectorPlugin<SigmaConfig> = {
  type: 'sigma',
  description: 'Sigma rules (SigmaHQ format) and Sigma v2 correlations over normalized events; ships a rule pack for Google Workspace, Dropbox and logins.',
  configSchema: sigmaConfigSchema,
  create(config, deps) {
    const base = deps?.baseDir ?? process.cwd();
    const dirs = config.rules_dirs.map((d) => (isAbsolute(d) ? d : resolve(base, d)));
    const engine = new SigmaEngine(
      loadRuleDirs(dirs),
      { minLevel: config.min_level, disabled: config.disabled, maxEvidence: config.max_evidence, maxGroups: config.max_groups },
      { state: deps?.state, logger: deps?.logger },
    );
    const s = engine.stats();
    deps?.logger?.info({ detector: 'sigma', dirs, rules: s.rules, correlations: s.correlations, base_rules: s.baseRules }, 'sigma rules loaded');
    return engine;
  },
};
