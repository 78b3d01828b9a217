import { Version2Client, Version3Client } from 'jira.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startJiraFake, type JiraFake } from './server.js';

const EMAIL = 'soc@example.com';
const TOKEN = 'fake-jira-token';
const NOW = Date.parse('2026-11-03T10:00:00Z');

let fake: JiraFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(apiToken = TOKEN) {
  let t = NOW;
  fake = await startJiraFake({ email: EMAIL, apiToken: TOKEN, now: () => (t += 1_000) });
  const client = new Version3Client({ host: fake.url, authentication: { basic: { email: EMAIL, apiToken } } });
  return { fake, client };
}

const doc = (s: string) => ({ type: 'doc' as const, version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: s }] }] });

/** The failure jira.js throws, as status and Jira's body. */
async function failure(p: Promise<unknown>): Promise<{ status: number; data: unknown; headers: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status: number; cause?: { response?: { data: unknown; headers: Record<string, unknown> } } };
    return { status: e.status, data: e.cause?.response?.data, headers: e.cause?.response?.headers ?? {} };
  }
  throw new Error('expected a failure');
}

describe('Jira fake through jira.js', () => {
  it('creates issues and finds them with the enhanced search: ids only unless fields are asked for, paged by token', async () => {
    const { fake, client } = await setup();
    for (const n of [1, 2, 3]) {
      const r = await client.issues.createIssue({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: `issue ${n}`, labels: ['saaswatch', n === 2 ? 'other' : 'mine'], description: doc(`body ${n}`) } });
      expect(r).toEqual({ id: String(9_999 + n), key: `SEC-${n}`, self: `${fake.url}/rest/api/3/issue/${9_999 + n}` });
    }
    const ids = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC AND labels = "mine" ORDER BY created DESC' });
    expect(ids.issues).toEqual([{ id: '10002' }, { id: '10000' }]);

    const page1 = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC ORDER BY created', fields: ['summary', 'status'], maxResults: 2 });
    expect(page1.issues?.map((i) => [i.key, i.fields.summary, i.fields.status?.statusCategory?.key])).toEqual([
      ['SEC-1', 'issue 1', 'new'],
      ['SEC-2', 'issue 2', 'new'],
    ]);
    expect(page1.nextPageToken).toEqual(expect.any(String));
    const page2 = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC ORDER BY created', fields: ['summary'], maxResults: 2, nextPageToken: page1.nextPageToken! });
    expect(page2.issues?.map((i) => i.key)).toEqual(['SEC-3']);
    expect(page2.nextPageToken).toBeUndefined();

    fake.setStatus('SEC-3', 'done');
    const open = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC AND statusCategory != Done', fields: ['summary'] });
    expect(open.issues?.map((i) => i.key)).toEqual(['SEC-1', 'SEC-2']);
  });

  it('answers the removed /rest/api/3/search with 410 like Jira Cloud', async () => {
    const { client } = await setup();
    const f = await failure(client.issueSearch.searchForIssuesUsingJql({ jql: 'project = SEC' }));
    expect(f.status).toBe(410);
    expect(JSON.stringify(f.data)).toContain('Please migrate to the /rest/api/3/search/jql API');
  });

  it('refuses unbounded JQL, a wrong token, bad fields and scripted failures with Jira\'s envelope', async () => {
    const { fake, client } = await setup();
    expect((await failure(client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'ORDER BY created' }))).data).toEqual({
      errorMessages: ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'],
      errors: {},
    });
    const bad = await failure(client.issues.createIssue({ fields: { project: { key: 'NOPE' }, issuetype: { name: 'Story' }, summary: 'a\nb', priority: { name: 'Urgent' }, description: 'x' as never, customfield_1: 'y' } }));
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({
      errorMessages: [],
      errors: { project: 'valid project is required', issuetype: 'Specify a valid issue type', priority: "Priority name 'Urgent' is not valid", customfield_1: expect.stringContaining('cannot be set') },
    });
    const wrong = new Version3Client({ host: fake.url, authentication: { basic: { email: EMAIL, apiToken: 'nope' } } });
    const unauth = await failure(wrong.issues.getIssue({ issueIdOrKey: 'SEC-1' }));
    expect(unauth.status).toBe(401);
    expect(unauth.data).toEqual({ errorMessages: ['Client must be authenticated to access this resource.'], errors: {} });

    fake.failNext(1, 429, { retryAfterSec: 7 });
    const limited = await failure(client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC' }));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect((await client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC' })).issues).toEqual([]);
  });

  it('keeps comments, transitions (by status category) and issue properties', async () => {
    const { fake, client } = await setup();
    const { key } = await client.issues.createIssue({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 's' }, properties: [{ key: 'saaswatch', value: { deliveryId: 'd1' } }] });
    await client.issueComments.addComment({ issueIdOrKey: key, comment: doc('first'), properties: [{ key: 'saaswatch', value: { deliveryId: 'd2' } }] });
    await client.issueComments.addComment({ issueIdOrKey: key, comment: doc('second') });
    const comments = await client.issueComments.getComments({ issueIdOrKey: key, orderBy: '-created', expand: 'properties' });
    expect(comments.total).toBe(2);
    expect(comments.comments?.map((c) => (c.body as { content: Array<{ content: Array<{ text: string }> }> }).content[0]!.content[0]!.text)).toEqual(['second', 'first']);
    expect((comments.comments?.[1] as { properties?: unknown }).properties).toEqual([{ key: 'saaswatch', value: { deliveryId: 'd2' } }]);

    const t = await client.issues.getTransitions({ issueIdOrKey: key });
    expect(t.transitions?.map((x) => x.name)).toEqual(['In Progress', 'Done']);
    await client.issues.doTransition({ issueIdOrKey: key, transition: { id: '31' } });
    expect((await client.issues.getTransitions({ issueIdOrKey: key })).transitions?.map((x) => x.name)).toEqual(['To Do', 'In Progress', 'Reopen']);
    expect(fake.transitions).toEqual([{ key, transitionId: '31', name: 'Done', from: 'new', to: 'done' }]);
    const issue = await client.issues.getIssue({ issueIdOrKey: key, fields: ['status'], properties: ['saaswatch'] });
    expect(issue.fields.status?.statusCategory?.name).toBe('Done');
    expect((issue as { properties?: unknown }).properties).toEqual({ saaswatch: { deliveryId: 'd1' } });

    await client.issueProperties.setIssueProperty({ issueIdOrKey: key, propertyKey: 'extra', propertyValue: { a: 1 } });
    expect(await client.issueProperties.getIssueProperty({ issueIdOrKey: key, propertyKey: 'extra' })).toEqual({ key: 'extra', value: { a: 1 } });
    expect((await failure(client.issueComments.addComment({ issueIdOrKey: key, comment: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] } as never }))).status).toBe(400);
  });

  it('as Data Center: REST v2 only, string bodies, startAt paging, no properties in answers', async () => {
    fake = await startJiraFake({ pat: 'dc-pat', deployment: 'data-center', now: () => NOW });
    const client = new Version2Client({ host: fake.url, authentication: { oauth2: { accessToken: 'dc-pat' } } });
    const v3 = new Version3Client({ host: fake.url, authentication: { oauth2: { accessToken: 'dc-pat' } } });
    expect((await failure(v3.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = SEC' }))).status).toBe(404);
    const adf = await failure(client.issues.createIssue({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 's', description: doc('x') as never } }));
    expect(adf.data).toEqual({ errorMessages: [], errors: { description: 'Operation value must be a string' } });
    for (const n of [1, 2, 3]) await client.issues.createIssue({ fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: `s${n}`, description: 'h3. wiki', labels: ['x'] }, properties: [{ key: 'saaswatch', value: 1 }] });
    const page = await client.issueSearch.searchForIssuesUsingJql({ jql: 'project = SEC AND labels = x', fields: ['summary'], maxResults: 2, startAt: 1 });
    expect(page).toMatchObject({ startAt: 1, maxResults: 2, total: 3 });
    expect(page.issues?.map((i) => i.key)).toEqual(['SEC-2', 'SEC-3']);
    expect(fake.issues[0]!.properties).toEqual({});
  });
});
