/**
 * End to end: the scenario's spreadsheet of card numbers in the fake Drive, made public, read by the
 * Google source with `pii.enabled`, scanned, and raised as a high alert delivered to a webhook and
 * to Slack — and not one raw card number anywhere: not in the database (WAL included), the logs,
 * the alert, or what the sinks received.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, runSources, type App } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { clockFrom, type Alert } from '../src/core/index.js';
import { createServiceAccountKey, startFakeGoogle, type FakeGoogle } from '../src/fakes/google/index.js';
import { generateScenario } from '../src/fakes/scenario/index.js';
import { luhnValid } from '../src/fakes/scenario/pii.js';
import { FAKE_SLACK_CHANNEL, FAKE_SLACK_TOKEN, startSlackFake, type FakeSlack } from '../src/fakes/slack/server.js';
import { loggerOptions } from '../src/log.js';
import { extractText } from '../src/pii/extract/index.js';
import { registry } from '../src/registry.js';
import { startReceiver, tempDir, type ReceivedRequest } from './helpers.js';

const END = new Date('2026-03-02T18:00:00.000Z');

/** Every way a card number may be written: digits only, and grouped as on the card by spaces or dashes. */
function forms(digits: string): string[] {
  const groups = digits.length === 15 ? [4, 6, 5] : [4, 4, 4, 4, 3].slice(0, Math.ceil(digits.length / 4));
  const parts: string[] = [];
  let at = 0;
  for (const g of groups) {
    if (at >= digits.length) break;
    parts.push(digits.slice(at, at + g));
    at += g;
  }
  return [digits, parts.join(' '), parts.join('-')];
}

/** Card numbers in extracted text: 13 to 19 digits, single spaces or dashes between groups, Luhn valid. */
function cardsIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\d(?:[ -]?\d){12,18}/g)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (luhnValid(digits)) out.add(digits);
  }
  return [...out];
}

/** Every file under `dir` (the database, its -wal and -shm, the sinks' files), as bytes read as text. */
function filesUnder(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out.push({ path, text: readFileSync(path).toString('latin1') });
  }
  return out;
}

describe('sensitive files end to end', () => {
  let google: FakeGoogle | undefined;
  let slack: FakeSlack | undefined;
  let hook: Awaited<ReturnType<typeof startReceiver>> | undefined;
  let app: App | undefined;
  afterAll(async () => {
    await app?.close();
    await google?.close();
    await slack?.close();
    await hook?.close();
  });

  it('a public spreadsheet of card numbers is a high alert with masked values only, and no raw number is stored, logged or sent', { timeout: 120_000 }, async () => {
    const scenario = generateScenario({ seed: 11, users: 30, files: 120, days: 1, end: END, attacks: ['sensitive-file-exposure'] });
    const truth = scenario.truth.find((t) => t.kind === 'sensitive-file-exposure')!;
    const [sheetId, xlsxId] = truth.targets;
    const sheet = scenario.google.files.find((f) => f.id === sheetId)!;
    const upload = scenario.google.files.find((f) => f.id === xlsxId)!;
    // The raw numbers, read back from the files as the extractor reads them.
    const sheetCards = cardsIn(String(sheet.content));
    const uploadCards = cardsIn((await extractText(new Uint8Array(upload.content as Buffer), { name: upload.name, mimeType: upload.mimeType })).text);
    expect(sheetCards).toHaveLength(120);
    expect(uploadCards).toHaveLength(80);

    const key = createServiceAccountKey({ clientEmail: 'saaswatch-e2e@demo-project.iam.gserviceaccount.com' });
    google = await startFakeGoogle({ serviceAccounts: [key], activities: scenario.google.activities, files: scenario.google.files });
    slack = await startSlackFake({ tokens: [FAKE_SLACK_TOKEN], rateLimits: false });
    hook = await startReceiver();
    const dir = tempDir('sw-pii-e2e-');
    const config = validateConfig(
      {
        data_dir: dir,
        storage: { type: 'sqlite', path: 'pii.db' },
        sources: [
          {
            type: 'google-workspace',
            name: 'google',
            credentials: JSON.stringify(key.json),
            subject: `admin@${scenario.org.domain}`,
            base_url: google.url,
            token_url: google.tokenUrl,
            backfill: '2d',
            window: '1d',
            drive: { inventory: true },
          },
        ],
        pii: { enabled: true },
        detection: [{ type: 'sensitive-files' }],
        sinks: [
          { type: 'webhook', name: 'hook', url: hook.url, allow_private_networks: true },
          { type: 'slack', name: 'soc-slack', token: FAKE_SLACK_TOKEN, channel: `#${FAKE_SLACK_CHANNEL.name}`, base_url: slack.url, allow_private_networks: true },
        ],
      },
      registry,
      { baseDir: dir },
    );
    // Everything the run logs, at debug, captured as written.
    let logs = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
    const logger = pino({ ...loggerOptions('debug') }, sink);
    app = await createApp(config, { logger, once: true, now: clockFrom(END.getTime()) });
    const sources = config.sources.map((s) => app!.createSource(s));
    await runSources(app, sources, { listen: false, drainMs: 20_000 });

    // The alert: high, on the file, naming what it holds, with masked samples and counts.
    const alerts: Alert[] = await app.store.listAlerts();
    const onSheet = alerts.filter((a) => a.rule === 'sensitive-files/public-link' && a.entity.value === `google-drive:${sheetId}`);
    expect(onSheet, alerts.map((a) => `${a.rule} ${a.entity.value}`).join('\n')).toHaveLength(1);
    const alert = onSheet[0]!;
    expect(alert.severity).toBe('high');
    expect(alert.title).toContain('CREDIT_CARD ×120');
    // A once run judges the Reports share events only up to the source's watermark; the scan, which
    // found the sheet link-readable, raises the alert either way, dated and named by the share event
    // already read (Reports' people_with_link) or, had none been read, by the inventory (anyone_with_link).
    expect(alert.details?.['share.visibility']).toMatch(/^(people_with_link|anyone_with_link)$/);
    expect(alert.description).toContain('anyone with the link');
    const samples = alert.details?.['file.pii.samples'] as string[];
    expect(samples.length).toBeGreaterThan(0);
    // Exported as xlsx (every sheet), the names in its cells are found too (masked whole).
    for (const s of samples.filter((x) => !x.startsWith('PERSON '))) expect(s).toMatch(/^CREDIT_CARD [*\s-]+\d{4}$/);
    for (const s of samples.filter((x) => x.startsWith('PERSON '))) expect(s).toMatch(/^PERSON \*+$/);
    // The upload shared with a Gmail address: a personal mailbox (the share event), outside the
    // organisation (the inventory's visibility at scan time), one alert per exposure kind.
    const onUpload = alerts.filter((a) => a.rule.startsWith('sensitive-files/') && a.entity.value === `google-drive:${xlsxId}`);
    expect(onUpload.map((a) => a.rule)).toContain('sensitive-files/personal-email-share');
    for (const a of onUpload) expect(a.title).toContain('CREDIT_CARD ×80');
    // Nothing else in the organisation holds PII, so nothing else is raised.
    expect([...new Set(alerts.filter((a) => a.rule.startsWith('sensitive-files/')).map((a) => a.entity.value))].sort()).toEqual([`google-drive:${sheetId}`, `google-drive:${xlsxId}`].sort());

    // Delivered to both sinks.
    const hookBodies = hook.requests.map((r: ReceivedRequest) => r.rawBody);
    expect(hookBodies.some((b) => b.includes(alert.id))).toBe(true);
    const slackText = JSON.stringify(slack.messages);
    expect(slackText).toContain('CREDIT_CARD ×120');

    // The inventory holds the classification, masked.
    const stored = await app.store.getFile(`google-drive:${sheetId}`);
    expect(stored?.classification?.entities.counts.CREDIT_CARD).toBe(120);

    await app.close();
    app = undefined;
    // Not one raw card number, in any form, anywhere it could have gone.
    const places = [...filesUnder(dir), { path: 'logs', text: logs }, { path: 'webhook', text: hookBodies.join('\n') }, { path: 'slack', text: slackText }, { path: 'alerts', text: JSON.stringify(alerts) }];
    expect(places.find((p) => p.path.endsWith('pii.db'))).toBeDefined();
    expect(logs.length).toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const digits of [...sheetCards, ...uploadCards]) {
      for (const form of forms(digits)) for (const p of places) if (p.text.includes(form)) leaks.push(`${form} in ${p.path}`);
    }
    expect(leaks).toEqual([]);
    // The search itself finds what it looks for: every number is in the file as written.
    expect(sheetCards.filter((d) => !forms(d).some((f) => String(sheet.content).includes(f)))).toEqual([]);
  });
});
