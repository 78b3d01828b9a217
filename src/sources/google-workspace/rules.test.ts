import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Finding } from '../../core/index.js';
import { BUILTIN_RULES_DIR, SigmaEngine, exampleEvents, loadRuleDirs, runRuleTests } from '../../detection/sigma/index.js';
import { registry } from '../../registry.js';

/** The Google items of the threat catalogue (issue 19, section 2), one rule file each. */
const CATALOGUE = [
  'google-reported-compromise',
  'alert-center-unattributed',
  'alert-dismissed-by-subject',
  'two-step-enforcement-off',
  'user-two-step-disabled',
  'password-policy-weakened',
  'gmail-scanning-disabled',
  'advanced-protection-unenrolled',
  'sso-settings-changed',
  'external-mail-forwarding',
  'gmail-routing-rule',
  'custom-admin-role-created',
  'admin-privilege-grant',
  'trusted-domain-allowlist-changed',
  'oauth-token-grant',
  'domain-wide-delegation-granted',
  'data-export',
  'ownership-transferred-outside',
  'calendar-made-public',
];

describe('the Google Workspace catalogue', () => {
  it('has every item as a rule whose examples pass through the Google normalizer, with a match among them', async () => {
    const results = await runRuleTests(join(BUILTIN_RULES_DIR, 'google-workspace'), registry.sources);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    // A removed rule takes its examples with it: its key must still be among those that ran.
    const ran = new Set(results.map((r) => r.rule.split(', ')[0]!.split('/').slice(-1)[0]));
    for (const item of CATALOGUE) expect(ran, item).toContain(item);
  });

  it('carries MITRE ATT&CK tags and a level on every catalogue rule', () => {
    const defs = loadRuleDirs([join(BUILTIN_RULES_DIR, 'google-workspace')]);
    for (const item of CATALOGUE) {
      const reporting = defs.filter((d) => d.key.endsWith(`google-workspace/${item}`));
      expect(reporting, item).toHaveLength(1);
      const raw = reporting[0]! as unknown as { tags?: string[]; level?: string };
      expect(raw.tags?.some((t) => /^attack\.t\d{4}/.test(t)), item).toBe(true);
      expect(raw.level, item).toMatch(/^(low|medium|high|critical)$/);
    }
  });

  it("passes Google's findings through once per account and burst: a warning, its Alert Center alert and a day of repeats make one alert", () => {
    const engine = new SigmaEngine(loadRuleDirs([BUILTIN_RULES_DIR]));
    const warning = (uq: string, name: string, who: string) => ({
      'google-workspace': { id: { uniqueQualifier: uq, applicationName: 'login', customerId: 'C03az79cb' }, actor: { callerType: 'KEY', key: 'SYSTEM' }, events: [{ type: 'account_warning', name, parameters: [{ name: 'affected_email_address', value: who }] }] },
    });
    const alert = (alertId: string, type: string, who: string, payload = 'AccountWarning') => {
      const data: Record<string, unknown> =
        payload === 'MailPhishing'
          ? { maliciousEntity: { fromHeader: 'billing@examp1e-payments.com' }, messages: [{ messageId: '<r1@mail.examp1e-payments.com>', recipient: who }] }
          : payload === 'DlpRuleViolation'
            ? { ruleViolationInfo: { ruleInfo: { displayName: 'Block credit card numbers' }, triggeringUserEmail: who } }
            : { email: who };
      return { 'google-workspace': { customerId: '03az79cb', alertId, type, source: 'Google identity', data: { '@type': `type.googleapis.com/google.apps.alertcenter.type.${payload}`, ...data }, metadata: { severity: 'HIGH' } } };
    };
    const events = exampleEvents(
      [
        warning('-1', 'suspicious_login', 'carol.d@example.com'),
        { ...alert('a-1', 'Suspicious login', 'carol.d@example.com'), at: '7m' },
        { ...warning('-2', 'suspicious_programmatic_login', 'carol.d@example.com'), at: '2h' },
        { ...alert('a-2', 'Leaked password', 'carol.d@example.com'), at: '20h' },
        { ...alert('a-3', 'Government attack warning', 'dana.k@example.com', 'StateSponsoredAttack'), at: '21h' },
        // Bob reports a phish and trips a DLP rule: neither says his account is compromised.
        { ...alert('a-4', 'User reported phishing', 'bob@example.com', 'MailPhishing'), at: '22h' },
        { ...alert('a-5', 'Data Loss Prevention', 'bob@example.com', 'DlpRuleViolation'), at: '22h' },
        // Three quiet days later: a new incident for the same account.
        { ...warning('-3', 'suspicious_login', 'carol.d@example.com'), at: '4d' },
      ],
      registry.sources,
    );
    const findings: Finding[] = [];
    for (const e of events) findings.push(...engine.observe(e));
    findings.push(...engine.flush({ final: true }));
    expect(findings.filter((f) => f.rule === 'rules/google-workspace/google-reported-compromise' && f.entity.value === 'bob@example.com')).toEqual([]);
    const mine = findings.filter((f) => f.rule === 'rules/google-workspace/google-reported-compromise');
    const incidents = new Set(mine.map((f) => `${f.entity.value}@${f.windowStart}`));
    expect([...incidents].map((k) => k.split('@').slice(0, 2).join('@')).sort()).toEqual(['carol.d@example.com', 'carol.d@example.com', 'dana.k@example.com']);
    expect(mine.every((f) => f.severity === 'high')).toBe(true);
  });
});
