/**
 * SIGKILL of a real `saaswatch run` while Slack or Jira has carried out a delivery whose answer never
 * came back (the worst moment: sent, not committed), then a rerun: every alert reaches both, none
 * twice: one Slack message per delivery, one Jira issue per alert group, read from the fakes' records.
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../src/core/testing.js';
import { startJiraFake, type JiraFake } from '../../src/fakes/jira/server.js';
import { FAKE_SLACK_CHANNEL, startSlackFake, type FakeSlack } from '../../src/fakes/slack/server.js';
import { PROPERTY_KEY, type SaaswatchProperty } from '../../src/sinks/jira/format.js';
import { runCli, SAMPLE_SOURCE, startCli, tempDir, weeklySample, writeConfig } from '../helpers.js';

const SLACK_TOKEN = 'xoxb-crash-test-token';
const JIRA_TOKEN = 'jira-crash-test-token';
const NOW = '2026-11-03T12:00:00Z';

const work = tempDir('sw-sinks-crash-');
let input: string;

beforeAll(() => {
  // The sample's attack, once a week for three weeks: alerts on several entities, some grouped.
  input = weeklySample(3, work).file;
});

let slack: FakeSlack | undefined;
let jira: JiraFake | undefined;
afterEach(async () => {
  await slack?.close();
  await jira?.close();
  slack = jira = undefined;
});

function config(dir: string, s: FakeSlack, j: JiraFake): string {
  return writeConfig(dir, {
    data_dir: join(dir, 'data'),
    storage: { type: 'sqlite', retention: '3650d' },
    sources: [{ ...SAMPLE_SOURCE, path: input, batch_size: 500, lateness: '5m' }],
    detection: [{ type: 'brute-force' }, { type: 'sigma' }],
    sinks: [
      { name: 'soc-slack', type: 'slack', token: SLACK_TOKEN, channel: FAKE_SLACK_CHANNEL.id, base_url: s.url, allow_private_networks: true, backoff: { initial: '100ms', max: '1s' } },
      { name: 'soc-jira', type: 'jira', base_url: j.url, email: 'soc@example.com', api_token: JIRA_TOKEN, project: 'SEC', allow_private_networks: true, backoff: { initial: '100ms', max: '1s' } },
    ],
  });
}

/** Per sink, the alert ids its deliveries carry, and whether every one was delivered. */
function stored(dir: string): { alerts: string[]; undelivered: number } {
  const db = new BetterSqlite3(join(dir, 'data/saaswatch.db'), { readonly: true, fileMustExist: true });
  try {
    const alerts = (db.prepare('select id from alerts order by id').all() as Array<{ id: string }>).map((r) => r.id);
    const undelivered = (db.prepare("select count(*) as n from deliveries where status <> 'delivered'").get() as { n: number }).n;
    return { alerts, undelivered };
  } finally {
    db.close();
  }
}

/** What Slack shows: each message's delivery id (every message carries one in its metadata) and alert id. */
function slackDeliveries(s: FakeSlack): Array<{ deliveryId: string; alertId: string }> {
  return s.messages
    .filter((m) => m.metadata?.event_type === 'saaswatch_alert')
    .map((m) => m.metadata!.event_payload as { delivery_id: string; alert_id: string })
    .map((p) => ({ deliveryId: p.delivery_id, alertId: p.alert_id }));
}

/** What Jira holds: per created issue its dedup label, and every alert id told in it (issue or comment). */
function jiraRecords(j: JiraFake): { labels: string[]; alertIds: string[] } {
  const labels = j.created().map((i) => (i.fields.labels as string[]).find((l) => l.startsWith('saaswatch-'))!);
  const alertIds: string[] = [];
  for (const i of j.created()) {
    alertIds.push((i.properties[PROPERTY_KEY] as SaaswatchProperty).alertId);
    for (const c of i.comments) {
      const p = c.properties[PROPERTY_KEY] as SaaswatchProperty | undefined;
      if (p) alertIds.push(p.alertId);
    }
  }
  return { labels, alertIds };
}

describe('SIGKILL mid-delivery, then a rerun', () => {
  it.each([
    ['the first Slack message was posted, its answer lost', 'slack'],
    ['the first Jira issue was created, its answer lost', 'jira'],
  ] as const)('%s: every alert arrives once at Slack and once per group at Jira', async (_, victimSink) => {
    slack = await startSlackFake({ tokens: [SLACK_TOKEN], rateLimits: false });
    jira = await startJiraFake({ email: 'soc@example.com', apiToken: JIRA_TOKEN });
    const dir = tempDir('sw-sinks-crash-case-');
    const cfg = config(dir, slack, jira);
    const env = { SAASWATCH_NOW: NOW };

    let carriedOut: () => boolean;
    if (victimSink === 'slack') {
      // The first post is carried out and never answered.
      slack.failNext({ method: 'chat.postMessage', hang: 'after' });
      carriedOut = () => slack!.messages.length >= 1;
    } else {
      jira.failNext(1, 0, { hang: true, pathPrefix: '/rest/api/3/issue', method: 'POST' });
      carriedOut = () => jira!.created().length >= 1;
    }
    const victim = startCli(['-c', cfg, 'run', '--once', '--no-progress'], { env });
    await waitUntil(carriedOut, `the ${victimSink} fake to carry out the held request`, 90_000);
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');

    // Past the killed process's 10 s leases (they run on the wall clock): the rerun takes them over.
    const rerun = await runCli(['-c', cfg, 'run', '--once', '--no-progress'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);

    const { alerts, undelivered } = stored(dir);
    expect(alerts.length).toBeGreaterThan(1);
    expect(undelivered).toBe(0);

    const s = slackDeliveries(slack);
    expect(new Set(s.map((d) => d.deliveryId)).size, 'a Slack message posted twice').toBe(s.length);
    expect([...new Set(s.map((d) => d.alertId))].sort()).toEqual(alerts);

    const j = jiraRecords(jira);
    expect(new Set(j.labels).size, 'a second Jira issue for one group').toBe(j.labels.length);
    expect([...new Set(j.alertIds)].sort()).toEqual(alerts);
  });
});
