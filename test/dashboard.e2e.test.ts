/**
 * The dashboard end to end in headless Chromium, against a real loopback server over the demo's SQLite
 * store: log in, the overview's charts draw, an alert shows its evidence and map, the keyboard triages,
 * a user is blocked and unblocked, and the audit log says who did it. Screenshots go to
 * test-results/screenshots/.
 * The server is the real one: the data routes, the accounts and sessions of server.auth, the page.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import type { ApiApp, ApiContext } from '../src/api/context.js';
import { createAuth } from '../src/api/auth/index.js';
import { authSchema } from '../src/api/auth/config.js';
import { hashPassword } from '../src/api/auth/password.js';
import { createHttpApp } from '../src/api/http.js';
import { ROUTES } from '../src/api/routes/index.js';
import { ensureWebBuilt, webUiRoutes } from '../src/api/web.js';
import { runDemo } from '../src/demo/demo.js';
import { silentLogger } from '../src/log.js';
import { launchBrowser } from './browser.js';
import { ROOT, tempDir } from './helpers.js';

const SHOTS = join(ROOT, 'test-results', 'screenshots');
// The demo's history ends here (the same run as test/demo.e2e.test.ts); the API's "now" is pinned just after.
const END = new Date('2026-12-06T09:06:37Z');
const NOW = END.getTime() + 60_000;
const ANALYST = { email: 'ana@example.com', password: 'correct horse battery staple', role: 'admin' as const };
const VIEWER = { email: 'vic@example.com', password: 'another long passphrase', role: 'viewer' as const };

describe('the dashboard in Chromium', () => {
  let demo: App;
  let http: ApiApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  /** Everything the page logged as an error (a CSP violation is one) and every request that left the server's origin. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // One after the other: a Vite build beside the demo starves its backfill, whose end is judged by a quiet spell.
    await ensureWebBuilt({ logger: silentLogger });
    const result = await runDemo({ users: 60, days: 3, seed: 11, end: END, dataDir: tempDir('sw-web-'), logger: silentLogger });
    demo = result.app;
    const clock = () => NOW;
    const ctx: ApiContext = { store: demo.store, config: demo.config, clock, logger: silentLogger, responder: demo.responder };
    // Cheap scrypt parameters for the test's accounts: the hash keeps its parameters, so logins verify as in production.
    for (const a of [ANALYST, VIEWER]) await demo.store.addAccount({ email: a.email, role: a.role, passwordHash: await hashPassword(a.password, { logN: 10, r: 8, p: 1 }) });
    const auth = createAuth(ctx, authSchema.parse({}), { tls: false });
    http = await createHttpApp({ ctx, authenticate: auth.authenticate, routes: [...ROUTES, ...auth.routes, webUiRoutes] });
    await http.listen({ host: '127.0.0.1', port: 0 });
    const addr = http.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light', timezoneId: 'UTC', locale: 'en-GB' });
    page = await context.newPage();
    // A 401 is how the page learns it has no session (and a wrong password answers one): the browser logs those, expectedly.
    page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => !r.url().startsWith(base) && !r.url().startsWith('data:') && problems.push(`off-origin request: ${r.url()}`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await demo?.close();
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const shot = (name: string, p: Page = page) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** Paths drawn in the SVG of the chart inside the card titled `title`. */
  const chartPaths = (title: string, p: Page = page) => p.locator('section.card', { has: p.getByRole('heading', { name: title, exact: true }) }).locator('.chart svg path');

  it('sends a visitor without a session to the login page, and signs in', async () => {
    await page.goto(`${base}/alerts`);
    await page.waitForURL(/\/login\?next=%2Falerts/);
    await page.getByLabel('Email').fill(ANALYST.email);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/wrong email or password/);
    await page.getByLabel('Password').fill(ANALYST.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where it was going.
    await page.waitForURL(`${base}/alerts`);
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
  });

  it('draws the overview: events by source, alerts by severity and status, risky users, sources', async () => {
    await nav('Overview').click();
    await page.getByRole('heading', { name: 'Events by source' }).waitFor();
    for (const title of ['Events by source', 'Alerts by severity', 'Alerts by status']) {
      await expect.poll(() => chartPaths(title).count(), { message: title }).toBeGreaterThan(3);
    }
    // The stacked area has one series per source in its legend.
    for (const provider of ['google-workspace', 'dropbox', 'microsoft-graph', 'office-365', 'slack']) await expect.poll(() => page.locator('.chart svg text', { hasText: provider }).count()).toBeGreaterThan(0);
    const open = await demo.store.listAlerts({ status: 'open', limit: 1000 });
    expect(await page.locator('.stat', { hasText: 'open alerts' }).locator('strong').textContent()).toBe(String(open.length));
    await expect.poll(() => page.getByRole('region', { name: 'Top risky users' }).getByRole('link').count()).toBeGreaterThan(2);
    // The demo's five sources: Google, Dropbox, Graph, the Office 365 Management Activity API and Slack.
    expect(await page.getByRole('region', { name: 'Sources health' }).locator('tbody tr').count()).toBe(5);
    await page.waitForTimeout(400); // the charts' entry animation
    await shot('overview');
  });

  it('opens an alert with its explanation, observed-vs-expected chart, evidence and travel map', async () => {
    const travel = (await demo.store.listAlerts({ limit: 1000 })).find((a) => a.rule === 'impossible-travel')!;
    expect(travel).toBeDefined();
    await nav('Alerts').click();
    await page.getByRole('link', { name: travel.title }).click();
    await page.waitForURL(`${base}/alerts/${travel.id}`);
    await page.getByRole('heading', { name: /Impossible travel/, level: 1 }).waitFor();
    expect(await page.locator('.explanation').textContent()).toBe(travel.description);
    await expect.poll(() => chartPaths('Observed vs expected').count()).toBeGreaterThan(3);
    // Both evidence logins, each with its place; the map draws countries, the two cities and the line between them.
    const evidence = page.getByRole('region', { name: 'Evidence events' }).locator('tbody tr');
    await expect.poll(() => evidence.count()).toBe(travel.evidence.length);
    const events = await demo.store.getEvents(travel.evidence);
    for (const e of events) expect(await page.getByRole('region', { name: 'Evidence events' }).textContent()).toContain(e.source!.ip!);
    await expect.poll(() => chartPaths('Travel').count()).toBeGreaterThan(100);
    for (const e of events) await expect.poll(() => page.locator('section.card', { hasText: 'Travel' }).locator('.chart svg text', { hasText: e.source!.geo!.city_name! }).count()).toBeGreaterThan(0);
    await page.waitForTimeout(400);
    await shot('alert-detail');
  });

  it('blocks the alert\'s user from the alert, shows it on their page, unblocks, and the audit log names who', async () => {
    const travel = (await demo.store.listAlerts({ limit: 1000 })).find((a) => a.rule === 'impossible-travel')!;
    const user = travel.entity.value;
    await page.getByRole('button', { name: `Block ${user}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('impossible travel, checking with them');
    await dialog.getByRole('button', { name: 'Block' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`${user} blocked`);
    expect(await demo.store.listBlockedUsers({ user })).toEqual([expect.objectContaining({ user, reason: 'impossible travel, checking with them', blockedBy: `web:${ANALYST.email}` })]);

    await page.getByRole('link', { name: user }).first().click();
    await page.waitForURL(`${base}/users/${encodeURIComponent(user)}`);
    await page.locator('h1', { hasText: 'blocked' }).waitFor();
    expect(await page.locator('section.card', { hasText: 'Block' }).first().textContent()).toContain('impossible travel, checking with them');
    await expect.poll(() => chartPaths('Activity vs baseline').count()).toBeGreaterThan(3);
    await expect.poll(() => chartPaths('Logins').count()).toBeGreaterThan(100);
    await expect.poll(() => page.getByRole('region', { name: 'Latest events' }).locator('tbody tr').count()).toBeGreaterThan(0);
    await page.waitForTimeout(400);
    await shot('user');

    await page.getByRole('button', { name: 'Unblock' }).click();
    await page.getByRole('dialog').getByLabel('Reason').fill('they were travelling');
    await page.getByRole('dialog').getByRole('button', { name: 'Unblock' }).click();
    await page.getByText('Not blocked.').waitFor();
    expect(await demo.store.listBlockedUsers({ user })).toEqual([]);

    await nav('Audit log').click();
    const log = page.getByRole('region', { name: 'Audit log' });
    await log.waitFor();
    // Their own entries about this user (the real auth also audits the login).
    const rows = log.locator('tbody tr', { hasText: `web:${ANALYST.email}` }).filter({ hasText: `user=${user}` });
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(new RegExp(`unblock.*user=${user}.*they were travelling`));
    expect(await rows.nth(1).textContent()).toMatch(new RegExp(`block.*user=${user}`));
  });

  it('offers response actions on the public payroll file\'s alert, runs one with a reason, and shows its record with before → after', async () => {
    const alerts = await demo.store.listAlerts({ limit: 1000 });
    const pub = alerts.find((a) => a.rule === 'rules/google-workspace/public-link')!;
    expect(pub).toBeDefined();
    const fileId = (await demo.store.getEvents(pub.evidence)).find((e) => e.file?.id)!.file!.id!;
    const user = pub.entity.type === 'user' ? pub.entity.value : String(pub.details?.['user.email']);
    const before = await demo.store.listActions({ alertId: pub.id });
    await page.goto(`${base}/alerts/${pub.id}`);
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: 'Response', exact: true }) });
    // The demo enables this one action (response.execute), so it says it executes; the file's other actions only plan.
    const fileActions = card.getByRole('group', { name: new RegExp(`Response actions for File .*${fileId}`) });
    await fileActions.getByRole('button', { name: 'Remove public link via google — executes' }).waitFor();
    expect(await fileActions.getByRole('button', { name: /dry run$/ }).count()).toBeGreaterThan(0);
    const responses = page.locator('section.card', { has: page.getByRole('heading', { name: 'Responses', exact: true }) }).locator('li');
    await expect.poll(() => responses.count()).toBe(before.length);

    // The demo's fakes stopped with its run, so the one action that still has a service to act on is saaswatch's own block.
    await card.getByRole('group', { name: `Response actions for User ${user}` }).getByRole('button', { name: 'Block user via saaswatch — executes', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Reason/).fill('payroll published, holding the account');
    await dialog.getByRole('button', { name: 'Run' }).click();
    const result = card.locator('.response-results');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Block user.*via saaswatch.*done/);
    expect(await result.locator('.state').textContent()).toContain('→');
    expect(await demo.store.listBlockedUsers({ user })).toEqual([expect.objectContaining({ reason: 'payroll published, holding the account', blockedBy: `web:${ANALYST.email}` })]);
    // Recorded against the alert: its responses list grows by one.
    await expect.poll(() => responses.count()).toBe(before.length + 1);
    expect(await demo.store.listActions({ alertId: pub.id, action: 'block-user' })).toEqual([expect.objectContaining({ status: 'done', actor: `web:${ANALYST.email}`, mode: 'execute' })]);
    await shot('alert-response');
    await demo.responder.unblock({ user, reason: 'test over', actor: 'test' });

    // The file's own page: the same card, and every action taken on the file (the demo's policy removed its link).
    const file = (await demo.store.listFiles({ limit: 100_000 })).find((f) => f.fileId === fileId)!;
    expect(file).toBeDefined();
    await page.goto(`${base}/files/${encodeURIComponent(file.key)}`);
    await page.locator('section.card', { has: page.getByRole('heading', { name: 'Response', exact: true }) }).getByRole('button', { name: 'Remove public link via google — executes' }).waitFor();
    const onFile = await demo.store.listActions({ targetId: fileId });
    expect(onFile.length).toBeGreaterThan(0);
    const fileResponses = page.locator('section.card', { has: page.getByRole('heading', { name: 'Responses', exact: true }) }).locator('li');
    await expect.poll(() => fileResponses.count()).toBe(onFile.length);
    expect(await fileResponses.first().textContent()).toMatch(/Remove public link/);
  });

  it('triages from the keyboard: j moves, x selects, a acknowledges the selection', async () => {
    await page.goto(`${base}/alerts?status=open`);
    const rows = page.getByRole('region', { name: 'Alerts' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    const before = (await demo.store.listAlerts({ status: 'open', limit: 1000 })).length;
    await rows.first().focus();
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    expect(await rows.nth(2).evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement)).toBe(true);
    expect(await page.getByRole('button', { name: /Acknowledge 2 selected/ }).isEnabled()).toBe(true);
    await page.keyboard.press('a');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('2 alerts acknowledged');
    expect((await demo.store.listAlerts({ status: 'open', limit: 1000 })).length).toBe(before - 2);
    await expect.poll(() => rows.count()).toBe(before - 2);
    // Enter opens the focused alert.
    await rows.first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/alerts\/[^/?]+$/);
  });

  it('switches to dark, remembers it over a reload, and fits a narrow window with the menu folded', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await expect.poll(() => chartPaths('Events by source').count()).toBeGreaterThan(3);
    await page.waitForTimeout(400);
    await shot('overview-dark');

    const narrow = await context.newPage();
    await narrow.setViewportSize({ width: 390, height: 844 });
    await narrow.goto(`${base}/alerts`);
    const nav = narrow.getByRole('navigation', { name: 'Main' });
    await narrow.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    expect(await nav.isVisible()).toBe(false);
    // Nothing wider than the window: tables scroll inside their own box.
    expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await narrow.getByRole('button', { name: 'Menu' }).click();
    expect(await nav.isVisible()).toBe(true);
    await shot('narrow', narrow);
    // An alert's page in the same width: charts, map and tables within the window.
    const travel = (await demo.store.listAlerts({ limit: 1000 })).find((a) => a.rule === 'impossible-travel')!;
    await narrow.goto(`${base}/alerts/${travel.id}`);
    await expect.poll(() => chartPaths('Travel', narrow).count()).toBeGreaterThan(100);
    expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await narrow.waitForTimeout(400);
    await shot('narrow-alert', narrow);
    await narrow.close();
  });

  it('shows every other page without an error, and an admin creates a token shown once', async () => {
    await page.setViewportSize({ width: 1360, height: 900 });
    for (const [name, heading, content] of [
      ['Users', 'Users', 'region'],
      ['Files', 'Files', 'tab'],
      ['Sources', 'Sources', 'heading'],
      ['Rules', 'Rules', 'region'],
      ['Blocked', 'Blocked users', 'textbox'],
      ['Audit log', 'Audit log', 'region'],
      ['Accounts', 'Accounts and tokens', 'region'],
    ] as const) {
      await nav(name).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.locator('main').getByRole(content).first().waitFor();
      expect(await page.locator('main .error').count(), name).toBe(0);
      await shot(`page-${name.toLowerCase().replace(/\W+/g, '-')}`);
    }
    // An alert with many evidence events from one place: the table pages nothing away, the map shows the place.
    const brute = (await demo.store.listAlerts({ limit: 1000 })).find((a) => a.rule === 'rules/auth/brute-force-ip')!;
    await page.goto(`${base}/alerts/${brute.id}`);
    await expect.poll(() => page.getByRole('region', { name: 'Evidence events' }).locator('tbody tr').count()).toBe(brute.evidence.length);
    await expect.poll(() => chartPaths('Where').count()).toBeGreaterThan(100);
    // One place, one line in the list; and no user to block: an address's alert names no one person.
    expect(await page.locator('ol.travel li').count()).toBe(1);
    expect(await page.locator('ol.travel li').textContent()).toContain(`×${brute.evidence.length}`);
    expect(await page.getByRole('button', { name: /^Block / }).count()).toBe(0);
    await page.waitForTimeout(400);
    await shot('alert-brute-force');

    // A file from the list opens its page.
    await nav('Files').click();
    await page.getByRole('tab', { name: 'All files' }).click();
    const first = page.getByRole('region', { name: 'Files' }).locator('tbody tr a').first();
    // Read and click in one step: the list may re-render between the two (the tab's rows replacing the last view's).
    const name = await first.evaluate((a: { click(): void; textContent: string | null }) => {
      a.click();
      return a.textContent;
    });
    await page.getByRole('heading', { name: name!, level: 1 }).waitFor();
    await expect.poll(() => page.getByRole('region', { name: 'File events' }).locator('tbody tr').count()).toBeGreaterThan(0);

    await nav('Accounts').click();
    await page.getByLabel('Name').fill('siem-export');
    await page.getByRole('button', { name: 'Create token' }).click();
    expect(await page.locator('.secret').textContent()).toMatch(/^\S{20,}$/);
    await expect.poll(() => page.getByRole('region', { name: 'API tokens' }).textContent()).toContain('siem-export');
  });

  it('shows a viewer the data without the buttons that change it', async () => {
    const viewer = await browser.newContext({ viewport: { width: 1360, height: 900 }, timezoneId: 'UTC' });
    const p = await viewer.newPage();
    await p.goto(`${base}/login`);
    await p.getByLabel('Email').fill(VIEWER.email);
    await p.getByLabel('Password').fill(VIEWER.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const travel = (await demo.store.listAlerts({ limit: 1000 })).find((a) => a.rule === 'impossible-travel')!;
    await p.goto(`${base}/alerts/${travel.id}`);
    await p.getByRole('region', { name: 'Evidence events' }).waitFor();
    expect(await p.getByRole('group', { name: 'Actions' }).count()).toBe(0);
    // The Response card says what could be done, with no button to do it.
    const response = p.locator('section.card', { has: p.getByRole('heading', { name: 'Response', exact: true }) });
    await response.getByText(/via saaswatch/).first().waitFor();
    expect(await response.getByRole('button').count()).toBe(0);
    expect(await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).count()).toBe(0);
    await p.goto(`${base}/admin`);
    expect(await p.getByRole('alert').textContent()).toMatch(/for the admin role; you are viewer/);
    // Signing out ends the session: the next page asks to sign in again.
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.waitForURL(/\/login/);
    await p.goto(`${base}/alerts`);
    await p.waitForURL(/\/login\?next=%2Falerts/);
    await viewer.close();
  });

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    expect(problems).toEqual([]);
  });
});
