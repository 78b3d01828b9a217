/** The demo end to end: fakes served through the official SDKs, backfilled, pushed to, and detected on. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { runDemo } from '../src/demo/demo.js';
import { alertsFor, unexplained } from '../src/demo/evaluate.js';
import { readDemoRun } from '../src/demo/relay.js';
import { generateScenario } from '../src/fakes/scenario/index.js';
import { silentLogger } from '../src/log.js';
import { runCli, tempDir } from './helpers.js';

// Each run backfills four services and, with pii on, fetches and scans every Drive and Dropbox file
// its events touch: on a loaded two-core machine that is more than the default minute.
describe('saaswatch demo', { timeout: 180_000 }, () => {
  let app: App | undefined;
  afterAll(async () => app?.close());

  it('stores every generated event exactly once, takes a webhook push, and flags the attacks and nobody else', async () => {
    // A Sunday morning: the end time and seed the wall clock once made this run miss the Drive mass download.
    const opts = { users: 60, days: 3, seed: 11, end: new Date('2026-12-06T09:06:37Z') };
    const dataDir = tempDir('sw-demo-');
    const result = await runDemo({ ...opts, dataDir, logger: silentLogger, idleMs: 1_000 });
    app = result.app;
    // The same generator with the same seed, so the expected counts are computed independently of the run.
    const scenario = generateScenario(opts);
    const googleEvents = scenario.google.activities.reduce((n, a) => n + (a.events?.length ?? 0), 0);
    const pushed = 5;
    const { signIns, reportedMessages, riskDetections, alerts: graphAlerts } = scenario.microsoft;
    // Identity Protection's alerts (alerts_v2) and risk detections come in as events too.
    const graphEvents = signIns.length + reportedMessages.length + graphAlerts.length + riskDetections.length;
    // OneDrive, SharePoint and Exchange, through the Management Activity API's subscriptions and blobs.
    const office365Events = scenario.office365.records.length;
    // Slack: every audit entry, and each access-log aggregate of a person once (the integrations' rows are skipped).
    const integrations = new Set(scenario.slack.users.filter((u) => u.is_bot || u.is_app_user).map((u) => u.id));
    const slackEvents = scenario.slack.auditLogs.length + scenario.slack.accessLogs.filter((l) => !integrations.has(l.user_id)).length;
    const expected = googleEvents + scenario.dropbox.events.length + pushed + graphEvents + office365Events + slackEvents;

    expect(result.stats.deadLetters).toBe(0);
    // With pii on, the scans' file_classified events are stored beside the vendors' own.
    const classified = { google: await app.store.countEvents({ provider: 'google-workspace', action: 'file_classified' }), dropbox: await app.store.countEvents({ provider: 'dropbox', action: 'file_classified' }) };
    expect(classified.google).toBeGreaterThan(0);
    expect(await app.store.countEvents({ provider: 'google-workspace' })).toBe(googleEvents + classified.google);
    expect(await app.store.countEvents({ provider: 'dropbox' })).toBe(scenario.dropbox.events.length + pushed + classified.dropbox);
    // Graph is re-read over a settle window every poll: each sign-in and report is still stored once.
    expect(signIns.length).toBeGreaterThan(100);
    expect(reportedMessages.length).toBeGreaterThanOrEqual(4);
    expect(await app.store.countEvents({ provider: 'microsoft-graph' })).toBe(graphEvents);
    const graphStored = await app.store.queryEvents({ provider: 'microsoft-graph', limit: graphEvents + 100 });
    expect(new Set(graphStored.map((e) => e.event.id)).size).toBe(graphEvents);
    expect(new Set(graphStored.filter((e) => e.event.action === 'login').map((e) => (e.raw as { id: string }).id))).toEqual(new Set(signIns.map((s) => s.id)));
    expect(graphAlerts.length).toBeGreaterThan(0);
    expect(new Set(graphStored.filter((e) => e.event.action === 'security_alert').map((e) => (e.raw as { id: string }).id))).toEqual(new Set(graphAlerts.map((a) => a.id)));
    expect(graphStored.filter((e) => e.event.action === 'email_reported').map((e) => e['@timestamp']).sort()).toEqual(
      reportedMessages.map((m) => new Date(m.receivedDateTime!).toISOString()).sort(),
    );
    expect(riskDetections.length).toBeGreaterThanOrEqual(3);
    expect(new Set(graphStored.filter((e) => e.event.action === 'risk_detection').map((e) => (e.raw as { id: string }).id))).toEqual(new Set(riskDetections.map((d) => d.id)));
    expect(office365Events).toBeGreaterThan(1_000);
    expect(await app.store.countEvents({ provider: 'office-365' })).toBe(office365Events);
    expect(await app.store.countEvents({ provider: 'slack' })).toBe(slackEvents);
    const slackStored = await app.store.queryEvents({ provider: 'slack', limit: slackEvents + 100 });
    expect(slackStored.filter((e) => e.event.dataset === 'slack.access_logs').every((e) => e.user?.email?.endsWith(`@${scenario.org.domain}`))).toBe(true);
    expect(await app.store.countEvents()).toBe(expected + classified.google + classified.dropbox);

    // The Drive inventory lists every file with its sharing, including the attack's public payroll file.
    for (const f of scenario.google.files.slice(0, 50)) {
      expect(await app.store.getFile(`google-drive:${f.id}`), f.id).toMatchObject({ fileId: f.id, deleted: false });
    }
    const publicFile = scenario.google.files.find((f) => f.permissions?.some((p) => p.type === 'anyone'));
    expect(publicFile).toBeDefined();
    // Listed public, or private when the unpublish policy below had already removed its link when the inventory listed it.
    expect((await app.store.getFile(`google-drive:${publicFile!.id}`))?.visibility).toMatch(/anyone|public|private/);

    // The policy with dry-run off removed the public links for real (the payroll file's, and the
    // card-settlement Sheet's of the sensitive-file attack); the audit log has the before and after.
    const cardSheet = scenario.truth.find((t) => t.kind === 'sensitive-file-exposure')!.targets[0]!;
    const unpublished = result.responses.filter((r) => r.policy === 'unpublish-public-files');
    expect(unpublished.map((r) => r.target).sort()).toEqual([publicFile!.id, cardSheet].sort());
    for (const r of unpublished) {
      expect(r).toEqual(expect.objectContaining({ action: 'remove-public-link', source: 'google', status: 'done', before: expect.objectContaining({ public_link: true }), after: expect.objectContaining({ public_link: false }) }));
    }
    const removals = await app.store.listAudit({ action: 'remove-public-link' });
    expect(removals).toHaveLength(2);
    for (const removal of removals) expect(removal).toMatchObject({ actor: 'rule:rules/google-workspace/public-link', details: { outcome: 'done', before: { public_link: true }, after: { public_link: false } } });
    // What a newcomer runs after the demo: the audit log through the config the demo leaves.
    const cli = await runCli(['-c', join(dataDir, 'demo.yml'), 'audit', '--action', 'remove-public-link']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/remove-public-link {2}done on .* via google by policy unpublish-public-files .*before: .*public_link=true.*after: .*public_link=false/);
    // Every other policy only planned (or had nobody to act on where the person has no account).
    expect(result.responses.filter((r) => r.policy !== 'unpublish-public-files').map((r) => r.status).filter((s) => s !== 'dry-run' && s !== 'skipped')).toEqual([]);
    expect(result.responses.some((r) => r.policy === 'contain-mass-download' && r.action === 'suspend-user' && r.status === 'dry-run')).toBe(true);

    const brute = result.truth.find((t) => t.kind === 'brute-force')!;
    const alerts = await app.store.listAlerts();
    // Asked over HTTP after the backfill, the relay saw the brute force's address in saaswatch and in Graph's alerts.
    expect(result.relay).toMatchObject({ ip: brute.ip, status: 200 });
    const relayBody = result.relay.body as { data: { sightings: { count: number; docs: Array<{ source: string; title: string }> } }; errors?: unknown };
    expect(relayBody.errors).toBeUndefined();
    expect(new Set(relayBody.data.sightings.docs.map((d) => d.source))).toEqual(new Set(['saaswatch', 'Microsoft Graph Security']));
    expect(relayBody.data.sightings.docs.some((d) => d.source === 'saaswatch' && d.title.includes(brute.ip!))).toBe(true);
    // What `serve --demo` regenerates the scenario from.
    expect(readDemoRun(dataDir)).toEqual({ seed: opts.seed, users: opts.users, days: opts.days, end: opts.end.toISOString() });
    expect(alerts.some((a) => a.rule === 'rules/auth/brute-force-ip' && a.entity.value === brute.ip)).toBe(true);
    // The campaign is caught as a campaign, on its sender, not only report by report.
    const phish = result.truth.find((t) => t.kind === 'phishing-campaign')!;
    expect(alertsFor(phish, alerts).some((a) => a.entity.type === 'email.from.address' && a.entity.value === phish.actor && a.severity === 'high')).toBe(true);
    // Everything routed was delivered; the file sink takes every alert; one incident per reported message, in Archer only.
    const deliveries = await app.store.listDeliveries({ limit: 100_000 });
    expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
    expect(new Set(deliveries.filter((d) => d.sink === 'alerts-file').map((d) => d.alertId)).size).toBe(alerts.length);
    const reported = alerts.filter((a) => a.rule === 'reported-mail');
    // One per reported message (a "not junk" report raises nothing): by Message-ID, else by what every report of it carries alike.
    const messages = new Set(
      graphStored
        .filter((e) => e.event.action === 'email_reported' && e.labels?.report_type !== 'not_junk')
        .map((e) => e.email?.message_id?.replace(/^<|>$/g, '').toLowerCase() ?? `${e.email?.from?.address?.[0]}|${e.email?.subject}|${e.email?.delivery_timestamp ?? e.email?.origination_timestamp ?? e['@timestamp']}`),
    );
    expect(reported.length).toBe(messages.size);
    expect(result.delivered.archer.incidents).toHaveLength(reported.length);
    expect(deliveries.filter((d) => d.sink === 'incidents' && d.kind === 'alert').map((d) => d.alertId).sort()).toEqual(reported.map((a) => a.id).sort());
    // Slack got a message or a thread reply for every alert; its charts were saved for a newcomer to open.
    expect(result.delivered.slack.messages).toBeGreaterThan(0);
    expect(result.delivered.slack.messages + result.delivered.slack.threadReplies).toBeGreaterThanOrEqual(alerts.length);
    expect(result.delivered.slack.charts.length).toBeGreaterThan(0);
    expect(result.delivered.jira.issues.length).toBeGreaterThan(0);
    // Every attack a rule can see is flagged (new-country needs a learning period this short run may not give).
    for (const t of result.truth.filter((x) => x.kind !== 'new-country-login')) {
      expect(alertsFor(t, alerts).length, t.kind).toBeGreaterThan(0);
    }
    // The Slack takeover is caught in Slack's own records, on the victim.
    const takeover = result.truth.find((t) => t.kind === 'slack-account-takeover')!;
    expect(alertsFor(takeover, alerts).filter((a) => a.rule.startsWith('rules/slack/') && a.entity.value === takeover.actor).map((a) => a.rule).sort()).toEqual([
      'rules/slack/admin-role-grant',
      'rules/slack/app-installed',
      'rules/slack/mass-download',
    ]);
    // Every alert is explained by an injected attack: the normal organisation raises nothing.
    expect(unexplained(result.truth, alerts).map((a) => `${a.rule} ${a.entity.value}`)).toEqual([]);
  });

  // Different weekdays, hours and seeds: the scenario's working days, the pollers' one-day windows
  // and the Reports API's newest-first pages cut each attack differently every time.
  it.each([
    { seed: 3, end: '2026-03-02T08:30:00Z' },
    { seed: 29, end: '2026-07-15T23:45:00Z' },
    { seed: 7, end: '2026-10-30T12:00:00Z' },
    { seed: 101, end: '2025-01-01T00:00:00Z' },
    { seed: 11, end: '2026-12-05T15:00:00Z' },
    { seed: 42, end: '2026-02-14T18:20:00Z' },
  ])('finds every attack and nothing else for seed $seed ending $end', async ({ seed, end }) => {
    const result = await runDemo({ users: 60, days: 3, seed, end: new Date(end), dataDir: tempDir('sw-demo-'), logger: silentLogger, idleMs: 1_000 });
    try {
      const alerts = await result.app.store.listAlerts();
      const missed = result.truth.filter((t) => t.kind !== 'new-country-login' && alertsFor(t, alerts).length === 0).map((t) => t.kind);
      expect(missed).toEqual([]);
      expect(unexplained(result.truth, alerts).map((a) => `${a.rule} ${a.entity.value}`)).toEqual([]);
      // The run sits at the end of its own history, whatever today's date: stored stamps say so too.
      const deliveries = await result.app.store.listDeliveries();
      for (const d of deliveries) expect(Math.abs(Date.parse(d.updatedAt) - Date.parse(end))).toBeLessThan(10 * 60_000);
    } finally {
      await result.app.close();
    }
  });
});
