/**
 * Reported mail becomes one Archer incident, through the real CLI: three people report the same
 * phishing message to the Graph reporting mailbox; Archer down for a run, or a process killed
 * between Archer's create and its answer, still ends in exactly one incident listing all three.
 */
import BetterSqlite3 from 'better-sqlite3';
import { dirname, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startArcherFake, type ArcherFake } from '../src/fakes/archer/server.js';
import { reportedMessage, seededRandom, type GraphMessage } from '../src/fakes/microsoft-graph/records.js';
import { startFakeGraph, type FakeGraph } from '../src/fakes/microsoft-graph/server.js';
import { waitUntil } from '../src/core/testing.js';
import { runCli, startCli, tempDir, writeConfig } from './helpers.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~reported-mail-e2e-secret-7731';
const MAILBOX = 'phish-reports@contoso.com';
const ARCHER_PASSWORD = 'archer-e2e-p4ssw0rd';
const NOW = Date.parse('2026-11-03T12:00:00.000Z');
const at = (ms: number) => ({ SAASWATCH_NOW: new Date(ms).toISOString() });

const HOSTILE_SUBJECT = 'Your mailbox is full <img src=x onerror=alert(document.cookie)>';
const MESSAGE_ID = '<CAF9x8Hq.0042@invoices-contoso.example>';
const REPORTERS = ['adele.vance@contoso.com', 'megan.bowen@contoso.com', 'lee.gu@contoso.com'];

/** One report per person of the same original (same Message-ID, same received time), each attaching it. */
function reports(reporters = REPORTERS, seed = 41): GraphMessage[] {
  const r = seededRandom(seed);
  const originalReceived = NOW - 3 * 3_600_000;
  return reporters.map((reporter, i) => {
    const m = reportedMessage(r, {
      mailbox: MAILBOX,
      folderId: 'AQMkAGI2TAAuAAADinbox0001AQ',
      reporter: { address: reporter, name: reporter.split('@')[0]! },
      sender: { address: 'billing@invoices-contoso.example', name: 'Microsoft 365' },
      lure: HOSTILE_SUBJECT,
      kind: 'attached',
      received: originalReceived + (i + 1) * 20 * 60_000,
      originalReceived,
      senderIp: '192.0.2.44',
    }) as GraphMessage & { attachments: Array<{ item: { internetMessageId: string } }> };
    m.attachments[0]!.item.internetMessageId = MESSAGE_ID;
    return m;
  });
}

/** Graph's reporting mailbox into reported-mail into Archer, on a fresh data folder. */
function configFor(graph: FakeGraph, archer: ArcherFake): string {
  const dir = tempDir('sw-reported-mail-');
  return writeConfig(dir, {
    data_dir: join(dir, 'data'),
    sources: [{ name: 'graph', type: 'microsoft-graph', tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, base_url: graph.url, login_url: graph.loginUrl, streams: ['reported_mail'], mailbox: MAILBOX }],
    detection: [{ type: 'reported-mail' }],
    sinks: [
      {
        name: 'incidents',
        type: 'archer',
        base_url: archer.url,
        instance: 'Production',
        username: 'svc-saaswatch',
        password: ARCHER_PASSWORD,
        level_id: 123,
        content_api_alias: 'Security_Incidents',
        fields: { title: 1001, description: 1002, severity: { id: 1003, values: { low: 5000, medium: 5001, high: 5002 } }, dedup_key: { id: 1004, alias: 'Saaswatch_Key' } },
        mappings: [
          { id: 1010, type: 'text', from: 'email.reporters' },
          { id: 1011, type: 'text', from: 'email.from.address' },
          { id: 1013, type: 'text', from: 'email.subject' },
          { id: 1014, type: 'date', from: 'email.delivery_timestamp' },
          { id: 1015, type: 'text', from: 'email.message_id' },
          { id: 1018, type: 'numeric', from: 'email.reporters' },
        ],
        allow_networks: ['127.0.0.1'],
        backoff: { initial: '1s', max: '10s' },
      },
    ],
  });
}

let graph: FakeGraph | undefined;
let archer: ArcherFake | undefined;
afterEach(async () => {
  await graph?.close();
  await archer?.close();
  graph = archer = undefined;
});

it('three reports of one message, Archer down for a run: one incident after the restart, with all three reporters, its subject escaped', async () => {
  graph = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, mailbox: { address: MAILBOX, messages: reports() } });
  archer = await startArcherFake({ password: ARCHER_PASSWORD });
  const cfg = configFor(graph, archer);

  archer.setDown(true, 60);
  const first = await runCli(['-c', cfg, 'run', '--once'], { env: at(NOW) });
  expect(first.code, first.stderr).toBe(3);
  expect(first.stderr).toContain('delivery pending: 1 alert to incidents');
  expect(first.stderr).toContain('HTTP_RETRYABLE');
  expect(first.stderr).not.toContain(ARCHER_PASSWORD);
  expect(archer.records.size).toBe(0);
  expect(archer.requests.length).toBeGreaterThan(0);

  archer.setDown(false);
  const second = await runCli(['-c', cfg, 'run', '--once'], { env: at(NOW + 10 * 60_000) });
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).not.toContain(ARCHER_PASSWORD);

  // A third run finds nothing new to tell and changes nothing.
  const third = await runCli(['-c', cfg, 'run', '--once'], { env: at(NOW + 20 * 60_000) });
  expect(third.code, third.stderr).toBe(0);

  expect(archer.records.size).toBe(1);
  const [incident] = [...archer.records.values()];
  expect(archer.text(incident!, 1010)).toBe([...REPORTERS].sort().join(', '));
  expect(incident!.FieldContents['1018']).toMatchObject({ Type: 2, Value: 3 });
  expect(archer.text(incident!, 1015)).toBe(MESSAGE_ID.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')));
  expect(archer.text(incident!, 1011)).toBe('billing@invoices-contoso.example');
  expect(incident!.FieldContents['1014']).toMatchObject({ Type: 3, Value: new Date(NOW - 3 * 3_600_000).toISOString() });
  expect(incident!.FieldContents['1003']).toMatchObject({ Type: 4, Value: { ValuesListIds: [5001] } });
  // The attacker's subject is text in every field Archer renders, never markup.
  for (const id of [1001, 1002, 1013]) {
    const text = archer.text(incident!, id)!;
    expect(text).toContain('&lt;img src=x onerror=alert(document.cookie)&gt;');
    expect(text).not.toContain('<img');
  }
  expect(archer.text(incident!, 1004)).toMatch(/^reported-mail\|email_message:caf9x8hq\.0042@invoices-contoso\.example\|/);
  // Logged in for the delivery, looked up before creating, created once; and logged out at shutdown.
  const paths = archer.requests.filter((r) => r.status === 200).map((r) => `${r.effectiveMethod} ${r.path.split('?')[0]}`);
  expect(paths.filter((p) => p === 'POST /platformapi/core/content')).toHaveLength(1);
  expect(paths).toContain('GET /contentapi/Security_Incidents');
  expect(paths.at(-1)).toBe('POST /platformapi/core/security/logout');

  // A fourth person reports it later: the same alert, re-raised with four reporters, in the store
  // (judged once the source's watermark, its settle time behind the clock, has passed the report).
  graph.addMessages(reports(['nestor.wilke@contoso.com'], 42).map((m) => ({ ...m, receivedDateTime: new Date(NOW + 25 * 60_000).toISOString() })));
  const fourth = await runCli(['-c', cfg, 'run', '--once'], { env: at(NOW + 3 * 3_600_000) });
  expect(fourth.code, fourth.stderr).toBe(0);
  const db = new BetterSqlite3(join(dirname(cfg), 'data/saaswatch.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("select doc from alerts where rule = 'reported-mail'").all() as Array<{ doc: string }>;
    expect(rows).toHaveLength(1);
    const alert = JSON.parse(rows[0]!.doc) as { details: Record<string, unknown>; description: string };
    expect(alert.details['email.reporters']).toEqual([...REPORTERS, 'nestor.wilke@contoso.com'].sort());
    expect(alert.description).toMatch(/^4 people reported/);
  } finally {
    db.close();
  }
  // The grown alert is an `update` delivery: the same incident now lists four reporters, none made anew.
  expect(archer.records.size).toBe(1);
  const [updated] = [...archer.records.values()];
  expect(archer.text(updated!, 1010)).toBe([...REPORTERS, 'nestor.wilke@contoso.com'].sort().join(', '));
  expect(updated!.FieldContents['1018']).toMatchObject({ Type: 2, Value: 4 });
});

it('SIGKILL after Archer made the incident but before it answered: the rerun finds the incident by its key and makes no second one', async () => {
  graph = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, mailbox: { address: MAILBOX, messages: reports() } });
  archer = await startArcherFake({ password: ARCHER_PASSWORD });
  const cfg = configFor(graph, archer);
  // The create is carried out and its answer never comes: the process dies holding the delivery.
  archer.failNext(1, { hang: true, on: 'create' });
  const victim = startCli(['-c', cfg, 'run', '--once'], { env: at(NOW) });
  await waitUntil(() => archer!.records.size === 1, 'the incident to be created', 60_000);
  victim.child.kill('SIGKILL');
  expect((await victim.done).signal).toBe('SIGKILL');

  const rerun = await runCli(['-c', cfg, 'run', '--once'], { env: at(NOW + 3_600_000) });
  expect(rerun.code, rerun.stderr).toBe(0);
  expect(archer.records.size).toBe(1);
  const creates = archer.requests.filter((r) => r.effectiveMethod === 'POST' && r.path === '/platformapi/core/content');
  expect(creates).toHaveLength(1);
  const [incident] = [...archer.records.values()];
  // The rerun looked it up, found its own delivery's line and left it alone.
  expect(incident!.updates).toBe(0);
  expect(archer.text(incident!, 1010)).toBe([...REPORTERS].sort().join(', '));
  expect(archer.requests.filter((r) => r.path.startsWith('/contentapi/Security_Incidents?')).length).toBe(2);
});
