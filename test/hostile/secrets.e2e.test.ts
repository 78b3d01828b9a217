/**
 * Secrets echoed by upstreams (issue 13 item 3), through the real CLI on both dialects: every
 * polling source behind a proxy that answers one request with the request quoted back (headers,
 * body, query; raw, base64, base64url, URL-encoded), and a webhook receiver that does the same.
 * No credential, configured or obtained while running, may reach stderr or any text column.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { secretForms } from '../../src/core/index.js';
import type { SourceContractHarness, SourceContractRun } from '../../src/sources/contract-harness.js';
import { ECHO_MARK, startEchoUpstream, type EchoUpstream } from '../contracts/echo-upstream.js';
import { runCli, SAMPLE, SAMPLE_SOURCE, startReceiver } from '../helpers.js';
import { describeEachDialect, type HostileDb } from './harness.js';

const NOW = '2026-11-03T10:00:00Z';
const SOURCES = ['dropbox', 'microsoft-graph', 'google-workspace', 'http-json'] as const;
const HOOK_TOKEN = 'hook-bearer-token-6e2a90';
const HOOK_SECRET = 'hook-signing-secret-1f7c33';
const HOOK_KEY = 'hook-api-key-0b9d51';

interface Upstream {
  type: string;
  run: SourceContractRun;
  echo: EchoUpstream;
}

async function upstreams(): Promise<Upstream[]> {
  const out: Upstream[] = [];
  for (const type of SOURCES) {
    const { harness } = (await import(`../../src/sources/${type}/fixtures/contract.ts`)) as { harness: SourceContractHarness };
    const run = await harness.start();
    out.push({ type, run, echo: await startEchoUpstream(run.config) });
  }
  return out;
}

/** Every row of every table, as text: what a leak into the database would show in. */
async function everyTextColumn(db: HostileDb): Promise<string> {
  const tables =
    db.dialect === 'sqlite'
      ? await db.rows<{ name: string }>("select name from sqlite_master where type = 'table'")
      : await db.rows<{ name: string }>('select table_name as name from information_schema.tables where table_schema = current_schema()');
  const parts: string[] = [];
  for (const { name } of tables) parts.push(name, JSON.stringify(await db.rows(`select * from "${name}"`)));
  return parts.join('\n');
}

/** Retried statuses: every source reads on after its retry, so one run holds them all, and the alerts reach the echoing webhook. */
const RETRIED = [
  { at: 1, status: 429, what: 'the first API call after the token answered 429' },
  { at: 0, status: 500, what: 'the first request (the token request where there is one) answered 500' },
] as const;

/** Refusals end a source's run (and with it `run --once`): one source per run, so each one meets its echo. */
const REFUSED = SOURCES.flatMap((type) => [
  { type, at: 0, status: 401, what: `${type}: the first request (the token request where there is one) answered 401` },
  { type, at: 1, status: 400, what: `${type}: the first API call after the token answered 400` },
]);

function assertNoSecret(seen: string, secrets: string[]): void {
  const text = seen.toLowerCase();
  for (const s of secrets) {
    for (const form of secretForms(s)) {
      expect(text.includes(form.toLowerCase()), `a credential (${s.slice(0, 6)}…) shows${form === s ? '' : ' encoded'} on stderr or in the database`).toBe(false);
    }
  }
}

const fastRetry = { max_attempts: 3, initial_backoff: '10ms', max_backoff: '20ms' };

describeEachDialect('secrets echoed by upstreams', (fresh) => {
  it.each(RETRIED)('$what, and the webhook receiver echoes with 401: no credential on stderr or in any text column', async ({ at, status }) => {
    const db = await fresh();
    const ups = await upstreams();
    // The webhook receiver quotes the request back with a 401: the delivery fails with the echo as its reason.
    const hook = await startReceiver((req, _i, res) => {
      const echo = JSON.stringify({ mark: ECHO_MARK, headers: req.headers, url: req.url, body: req.rawBody.slice(0, 200) });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized', echo, b64: Buffer.from(echo).toString('base64'), url: encodeURIComponent(echo) }));
    });
    try {
      for (const u of ups) u.echo.echoAt(at, status);
      const cfg = db.config({
        data_dir: join(db.dir, 'data'),
        storage: { ...db.storage, retention: '3650d' },
        sources: [{ ...SAMPLE_SOURCE, path: SAMPLE }, ...ups.map((u) => ({ ...u.echo.config, type: u.type, name: `${u.type}-echo`, retry: fastRetry }))],
        detection: [{ type: 'brute-force' }],
        sinks: [
          {
            type: 'webhook',
            name: 'soc',
            url: `${hook.url}?key=${HOOK_KEY}`,
            allow_networks: ['127.0.0.1'],
            token: HOOK_TOKEN,
            secret: HOOK_SECRET,
            headers: { 'X-Api-Key': HOOK_KEY },
            max_attempts: 1,
          },
        ],
      });
      const r = await runCli(['-c', cfg, 'run', '--once'], { env: { SAASWATCH_NOW: NOW, SAASWATCH_LOG_LEVEL: 'debug' } });
      // Each upstream really did answer with the echo, and the run went on to store, alert and deliver.
      for (const u of ups) expect(u.echo.echoed(), `${u.type} served its echo`).toBe(1);
      expect(await db.count('events')).toBeGreaterThan(0);
      expect(hook.requests.length).toBeGreaterThan(0);
      expect(await db.rows("select * from deliveries where last_error like '%401%'")).not.toHaveLength(0);
      assertNoSecret(`${r.stderr}\n${r.stdout}\n${await everyTextColumn(db)}`, [HOOK_TOKEN, HOOK_SECRET, HOOK_KEY, ...ups.flatMap((u) => [...u.run.secrets, ...u.echo.learned])]);
    } finally {
      await hook.close();
      for (const u of ups) {
        await u.echo.close();
        await u.run.close();
      }
    }
  }, 120_000);

  it.each(REFUSED)('$what: no credential on stderr or in any text column', async ({ type, at, status }) => {
    const db = await fresh();
    const { harness } = (await import(`../../src/sources/${type}/fixtures/contract.ts`)) as { harness: SourceContractHarness };
    const run = await harness.start();
    const echo = await startEchoUpstream(run.config);
    try {
      echo.echoAt(at, status);
      const cfg = db.config({
        data_dir: join(db.dir, 'data'),
        sources: [{ ...echo.config, type, name: `${type}-echo`, retry: fastRetry }],
      });
      const r = await runCli(['-c', cfg, 'run', '--once'], { env: { SAASWATCH_NOW: NOW, SAASWATCH_LOG_LEVEL: 'debug' } });
      expect(echo.echoed()).toBe(1);
      // The refusal reached stderr: the output this test reads is the one the echo would leak into.
      expect(r.stderr).toContain(String(status));
      // It ended the run, unless the source set the refused stream aside and read its others (Google's
      // Reports beside Alert Center): then what they read is stored.
      if (r.code === 0) expect(await db.count('events'), 'a run that went on past a refusal stored its other streams').toBeGreaterThan(0);
      assertNoSecret(`${r.stderr}\n${r.stdout}\n${await everyTextColumn(db)}`, [...run.secrets, ...echo.learned]);
    } finally {
      await echo.close();
      await run.close();
    }
  }, 60_000);
});
