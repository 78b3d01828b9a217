import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PluginDeps } from '../../core/index.js';
import { testEvent } from '../testing.js';
import { sigmaConfigSchema } from './config.js';
import type { SigmaEngine } from './engine.js';
import { sigmaPlugin } from './plugin.js';

const dir = mkdtempSync(join(tmpdir(), 'sigma-placeholders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'admin-login.yml'),
  `title: Login by an account outside the admin list
name: admin_login
logsource: { product: test }
detection:
  selection: { event.action: login }
  filter: { user.email|expand: '%Admin_Users%' }
  condition: selection and not filter
level: high
`,
);
writeFileSync(
  join(dir, 'admin-login-burst.yml'),
  `title: Many such logins
correlation: { type: event_count, rules: [admin_login], group-by: [user.email], timespan: 5m, condition: { gte: 3 } }
level: high
`,
);
writeFileSync(
  join(dir, 'any-login.yml'),
  `title: Any login
logsource: { product: test }
detection: { selection: { event.action: login }, condition: selection }
level: low
`,
);

function capture(): { logger: PluginDeps['logger']; warnings: Array<{ obj: Record<string, unknown>; msg: string }>; infos: Array<Record<string, unknown>> } {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const infos: Array<Record<string, unknown>> = [];
  const logger = {
    warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }),
    info: (obj: Record<string, unknown>) => infos.push(obj),
    debug: () => {},
    error: () => {},
    child: () => logger,
  };
  return { logger: logger as never, warnings, infos };
}

const login = (user: string) => testEvent({ time: '2024-05-06T09:00:00.000Z', user, ip: '192.0.2.1' });

describe('sigma plugin and expand placeholders', () => {
  it('disables a rule whose placeholder is not configured, says where and how to fix it, and keeps the other rules', () => {
    const { logger, warnings, infos } = capture();
    const engine = sigmaPlugin.create(sigmaConfigSchema.parse({ rules_dirs: [dir] }), { dataDir: dir, logger }) as SigmaEngine;
    const file = join(dir, 'admin-login.yml');
    expect(warnings.map((w) => w.msg)).toEqual([
      `sigma rule disabled: ${file}#1: detection.filter.user.email|expand: placeholder %Admin_Users% is not configured: list its values under the sigma detector (placeholders: { Admin_Users: ['value', ...] }), or disable the rule`,
      `sigma correlation disabled: ${join(dir, 'admin-login-burst.yml')}#1: its rule admin_login is disabled for an unconfigured placeholder`,
      '1 sigma rule disabled for unconfigured placeholders: %Admin_Users% (1 rule)',
    ]);
    expect(warnings[0]!.obj).toMatchObject({ file: `${file}#1`, field: 'detection.filter.user.email|expand', placeholders: ['Admin_Users'] });
    expect(infos.at(-1)).toMatchObject({ rules: 1, correlations: 0, disabled_for_placeholders: 1 });
    expect(engine.observe(login('mallory@example.com')).map((f) => f.title)).toEqual(['Any login (mallory@example.com)']);
  });

  it('runs the rule once the placeholder is configured', () => {
    const { logger, warnings } = capture();
    const config = sigmaConfigSchema.parse({ rules_dirs: [dir], placeholders: { Admin_Users: ['*@admins.example.com', 'root@example.com'] } });
    const engine = sigmaPlugin.create(config, { dataDir: dir, logger }) as SigmaEngine;
    expect(warnings).toEqual([]);
    // admin_login feeds the correlation, so it reports through it rather than on its own.
    expect(engine.matchingRules(login('mallory@example.com'))).toEqual([`${basename(dir)}/admin-login`, `${basename(dir)}/any-login`]);
    expect(engine.matchingRules(login('ann@admins.example.com'))).toEqual([`${basename(dir)}/any-login`]);
    expect(engine.matchingRules(login('root@example.com'))).toEqual([`${basename(dir)}/any-login`]);
    expect(engine.stats()).toMatchObject({ rules: 1, correlations: 1, baseRules: 1 });
  });

  it('validates placeholder names and values in the config', () => {
    expect(sigmaConfigSchema.parse({ placeholders: { Ports: [22, '3389'] } }).placeholders).toEqual({ Ports: ['22', '3389'] });
    expect(sigmaConfigSchema.safeParse({ placeholders: { 'bad name': ['x'] } }).error?.issues[0]?.message).toMatch(/letters, digits and _/);
    expect(sigmaConfigSchema.safeParse({ placeholders: { Empty: [] } }).error?.issues[0]?.message).toMatch(/at least one value/);
  });
});
