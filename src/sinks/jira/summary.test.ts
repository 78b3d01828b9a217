import { afterEach, describe, expect, it } from 'vitest';
import { startJiraFake, type JiraFake, type JiraStatusCategory } from '../../fakes/jira/server.js';
import { jiraConfigSchema } from './config.js';
import { summarizeJira } from './summary.js';

const EMAIL = 'soc@example.com';
const TOKEN = 'summary-t0ken-secret-value';
const NOW = Date.parse('2026-11-03T10:00:00Z');

let fake: JiraFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(apiToken = TOKEN) {
  fake = await startJiraFake({ email: EMAIL, apiToken: TOKEN, projects: ['SEC', 'OPS'], now: () => NOW });
  return { fake, config: jiraConfigSchema.parse({ base_url: fake.url, email: EMAIL, api_token: apiToken, project: 'SEC', allow_networks: ['127.0.0.1'] }) };
}

describe('summarizeJira', () => {
  it('counts the saaswatch tickets of the project by status category, across pages', async () => {
    const { fake, config } = await setup();
    const plan: Array<[JiraStatusCategory, number]> = [
      ['new', 120],
      ['indeterminate', 7],
      ['done', 31],
    ];
    for (const [status, n] of plan) for (let i = 0; i < n; i++) fake.seed({ summary: 's', labels: ['saaswatch', `saaswatch-${i}`] }, { status });
    // Not ours: no saaswatch label, or another project.
    fake.seed({ summary: 'x', labels: ['other'] }, { status: 'new' });
    fake.seed({ summary: 'y', labels: ['saaswatch'] }, { status: 'new', project: 'OPS' });

    const s = await summarizeJira(config, { now: () => NOW });
    expect(s).toEqual({ ok: true, project: 'SEC', jql: 'project = "SEC" AND labels = "saaswatch"', counts: { todo: 120, in_progress: 7, done: 31 }, total: 158, truncated: false, at: '2026-11-03T10:00:00.000Z' });
    expect(fake.requests.filter((r) => r.path === '/rest/api/3/search/jql')).toHaveLength(2);
  });

  it('says it could not read Jira, with no numbers, when Jira fails', async () => {
    const { fake, config } = await setup();
    fake.seed({ summary: 's', labels: ['saaswatch'] });
    fake.failNext(1, 503);
    const s = await summarizeJira(config, { now: () => NOW });
    expect(s.ok).toBe(false);
    expect(s).not.toHaveProperty('counts');
    if (s.ok) return;
    expect(s.message).toMatch(/^could not read Jira: jira 127\.0\.0\.1:\d+ \(count tickets\) responded 503/);
    expect(s.error.retryable).toBe(true);
  });

  it('a refused token is reported as such and never shown', async () => {
    const { config } = await setup('wrong-token-value-here');
    const s = await summarizeJira(config, { now: () => NOW });
    expect(s.ok).toBe(false);
    if (s.ok) return;
    expect(s.message).toContain('401');
    expect(JSON.stringify(s)).not.toContain('wrong-token-value-here');
    expect(s.error.retryable).toBe(false);
  });

  it('counts on Data Center too (REST v2 search, paged by startAt)', async () => {
    fake = await startJiraFake({ pat: 'dc-pat-secret-value', deployment: 'data-center', now: () => NOW });
    for (let i = 0; i < 130; i++) fake.seed({ summary: 's', labels: ['saaswatch'] }, { status: i < 100 ? 'new' : 'done' });
    const config = jiraConfigSchema.parse({ base_url: fake.url, pat: 'dc-pat-secret-value', project: 'SEC', allow_networks: ['127.0.0.1'] });
    const s = await summarizeJira(config, { now: () => NOW });
    expect(s).toMatchObject({ ok: true, counts: { todo: 100, in_progress: 0, done: 30 }, total: 130, truncated: false });
    expect(fake.requests.map((r) => `${r.path}?startAt=${r.query['startAt']}`)).toEqual(['/rest/api/2/search?startAt=0', '/rest/api/2/search?startAt=100']);
  });

  it('quotes the label in JQL, so a label with a quote in it is searched as itself', async () => {
    const { fake } = await setup();
    fake.seed({ summary: 's', labels: ['sec"ops\\x'] });
    fake.seed({ summary: 's', labels: ['sec'] });
    const config = jiraConfigSchema.parse({ base_url: fake.url, email: EMAIL, api_token: TOKEN, project: 'SEC', labels: ['sec"ops\\x'], allow_networks: ['127.0.0.1'] });
    const s = await summarizeJira(config, { now: () => NOW });
    expect(s).toMatchObject({ ok: true, jql: 'project = "SEC" AND labels = "sec\\"ops\\\\x"', total: 1 });
  });
});
