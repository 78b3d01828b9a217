import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../core/index.js';
import { generateSignIns } from '../../fakes/microsoft-graph/records.js';
import { normalizeSignIn } from '../../sources/microsoft-graph/normalize.js';
import { BUILTIN_RULES_DIR } from './config.js';
import { SigmaEngine } from './engine.js';
import { loadRuleDirs } from './loader.js';
import { runRuleTests } from './rule-tests.js';
import { registry } from '../../registry.js';

const dir = mkdtempSync(join(tmpdir(), 'sigma-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rule examples with microsoft-graph records', () => {
  it('runs each stream\'s record through the Graph normalizer, with the runner\'s time', async () => {
    const one = join(dir, 'one');
    mkdirSync(one);
    writeFileSync(
      join(one, 'graph.yml'),
      [
        'title: Graph sign-in blocked by conditional access',
        'logsource: { product: microsoft_graph, service: sign_ins }',
        'detection: { sel: { status.errorCode: 53003, event.outcome: failure }, condition: sel }',
        'level: medium',
      ].join('\n'),
    );
    writeFileSync(
      join(one, 'graph.tests.yml'),
      [
        'cases:',
        '  - name: blocked',
        '    expect: match',
        '    events:',
        "      - microsoft-graph: { sign_ins: { id: a, userPrincipalName: a@contoso.com, status: { errorCode: 53003 }, createdDateTime: '2000-01-01T00:00:00Z' } }",
        '  - name: allowed, and an alert and a report are other streams',
        '    expect: no_match',
        '    events:',
        '      - microsoft-graph: { sign_ins: { id: b, userPrincipalName: a@contoso.com, status: { errorCode: 0 } } }',
        '      - microsoft-graph: { security_alerts: { id: c, title: t, status: new } }',
        '      - microsoft-graph: { reported_mail: { id: d, from: { emailAddress: { address: a@contoso.com } } } }',
        '  - name: a record the normalizer rejects',
        '    expect: no_match',
        '    events:',
        '      - microsoft-graph: { sign_ins: { id: g, userPrincipalName: a@contoso.com } }',
      ].join('\n'),
    );
    const results = await runRuleTests(one, registry.sources);
    expect(results.map((r) => [r.case, r.passed])).toEqual([
      ['blocked', true],
      ['allowed, and an alert and a report are other streams', true],
      ['a record the normalizer rejects', false],
    ]);
    expect(results[2]!.message).toMatch(/Microsoft Graph normalizer rejected the record: sign-in has no numeric status.errorCode/);
  });

  it('wants exactly one stream per record', async () => {
    const sub = join(dir, 'two');
    mkdirSync(sub);
    writeFileSync(join(sub, 'r.yml'), 'title: r\nlogsource: { product: microsoft_graph }\ndetection: { sel: { event.action: login }, condition: sel }\n');
    writeFileSync(join(sub, 'r.tests.yml'), 'cases:\n  - { name: two, expect: match, events: [ { microsoft-graph: { sign_ins: { id: e }, reported_mail: { id: f } } } ] }\n');
    const r = (await runRuleTests(sub, registry.sources)).find((x) => x.case === 'two');
    expect(r).toMatchObject({ case: 'two', passed: false, message: expect.stringMatching(/events\.0: give exactly one of sign_ins, directory_audits, risk_detections, risky_users, security_alerts, reported_mail/) });
  });

  it('fails examples whose rule file was removed, so deleting a rule cannot leave its proof passing', async () => {
    const sub = join(dir, 'orphan');
    mkdirSync(join(sub, 'auth'), { recursive: true });
    const rule = 'title: r\nlogsource: { category: authentication }\ndetection: { sel: { event.action: login }, condition: sel }\n';
    const cases = 'cases:\n  - { name: hit, expect: match, events: [ { event: { event: { category: [authentication], action: login } } } ] }\n  - { name: miss, expect: no_match, events: [ { event: { event: { category: [authentication], action: logout } } } ] }\n';
    writeFileSync(join(sub, 'auth', 'kept.yml'), rule);
    writeFileSync(join(sub, 'auth', 'kept.tests.yml'), cases);
    writeFileSync(join(sub, 'auth', 'removed.tests.yml'), cases);
    const results = await runRuleTests(sub, registry.sources);
    expect(results.filter((r) => r.rule.endsWith('kept')).map((r) => r.passed)).toEqual([true, true]);
    expect(results.filter((r) => !r.passed)).toEqual([
      { rule: join(sub, 'auth', 'removed'), case: '(examples)', passed: false, message: expect.stringMatching(/removed\.tests\.yml has no rule file beside it: restore the rule, or delete its examples$/) },
    ]);
  });

  it('names the record types it knows when an example uses another', async () => {
    const sub = join(dir, 'three');
    mkdirSync(sub);
    writeFileSync(join(sub, 'r.yml'), 'title: r\nlogsource: { product: google_workspace }\ndetection: { sel: { eventName: login_failure }, condition: sel }\n');
    writeFileSync(join(sub, 'r.tests.yml'), 'cases:\n  - { name: old key, expect: match, events: [ { google: { id: { applicationName: login } } } ] }\n');
    const r = (await runRuleTests(sub, registry.sources)).find((x) => x.case === 'old key');
    expect(r?.message).toMatch(/events\.0: give exactly one of google-workspace, dropbox, microsoft-graph, slack, office-365, event \(got google\)/);
  });

  it('Graph sign-in failures feed the built-in authentication rules', () => {
    const engine = new SigmaEngine(loadRuleDirs([BUILTIN_RULES_DIR]));
    const start = Date.parse('2024-05-06T09:00:00Z');
    const signIns = generateSignIns({ count: 12, start, spanMs: 12_000, seed: 3, failureRate: 1 }).map((s) => ({
      ...s,
      userPrincipalName: 'megan.bowen@contoso.com',
      status: { errorCode: 50126, failureReason: 'Error validating credentials due to invalid username or password.' },
    }));
    const findings: Finding[] = [];
    for (const s of signIns) {
      const r = normalizeSignIn(s, '2024-05-06T10:00:00.000Z');
      if (!r.ok) throw new Error(r.reason);
      findings.push(...engine.observe(r.event));
    }
    findings.push(...engine.flush({ final: true }));
    expect(findings.map((f) => [f.rule, f.entity.value])).toContainEqual(['rules/auth/brute-force-user', 'megan.bowen@contoso.com']);
  });
});
