/** The CLI as a user runs it: config check, ingest of the shipped sample, re-ingest, exit codes. */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../src/core/errors.js';
import { registry } from '../src/registry.js';
import { verifySignature } from '../src/sinks/webhook/sink.js';
import { ATTACKER_IP, BIN, ROOT, runCli, SAMPLE, SAMPLE_SOURCE, startReceiver, tempDir, writeConfig } from './helpers.js';

describe('saaswatch CLI', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    dir = tempDir();
    config = writeConfig(dir, {
      data_dir: join(dir, 'data'),
      storage: { type: 'sqlite', retention: '3650d' },
      sources: [{ ...SAMPLE_SOURCE, path: SAMPLE }],
      detection: [{ type: 'brute-force' }, { type: 'isolation-forest' }],
      sinks: [
        { type: 'jsonl-file', name: 'alerts-file' },
        { type: 'webhook', name: 'soc', url: receiver.url, allow_networks: ['127.0.0.1'], token: '${E2E_TOKEN}', secret: '${E2E_SECRET}', backoff: { initial: '10ms', max: '50ms' } },
      ],
    });
  });
  afterAll(async () => receiver.close());

  const env = { E2E_TOKEN: 'tok-e2e', E2E_SECRET: 'whsec-e2e' };

  it('prints version and help with exit code 0', async () => {
    const v = await runCli(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await runCli(['ingest', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: saaswatch ingest');
  });

  it('exits 2 on usage and config errors, naming the bad key', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const bad = writeConfig(tempDir(), { sinks: [{ type: 'webhook', url: 'https://x.example/h', backoff: { initial: 'soon' } }] });
    const r = await runCli(['config', 'check', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sinks.webhook: backoff.initial: expected a duration such as 30s, 5m, 1h or 7d, got "soon"');
  });

  it('config check reports ten mistakes across root, sources, detectors and sinks in one run, each named with a fix', async () => {
    const bad = writeConfig(tempDir(), {
      log_levl: 'debug',
      server: { port: 70000 },
      storage: { type: 'sqlite', retention: 'forever' },
      sources: [
        { ...SAMPLE_SOURCE, path: SAMPLE, batch_size: 'big' },
        { name: 'vpn-logs', type: 'json-logs', path: SAMPLE, formt: 'jsonl' },
      ],
      detection: [
        { type: 'brute-force', treshold: 5 },
        { name: 'travel', type: 'impossible-travel', severity: 'urgent' },
        { type: 'sigma', max_evidence: 0 },
      ],
      sinks: [
        { name: 'soc', type: 'webhook', url: 'hooks.example.com/x' },
        { name: 'pager', type: 'pagerdutty' },
      ],
    });
    const r = await runCli(['config', 'check', '--config', bad]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
    const expected = [
      /^storage\.retention: expected a duration such as 30s, 5m, 1h or 7d, got "forever"$/,
      /^server\.port: must be at most 65535, got 70000$/,
      /^\(root\): unknown key "log_levl" \(did you mean "log_level"\?\); allowed: data_dir, log_level, /,
      /^sources\.auth-logs \(json-logs\): batch_size: expected a (whole )?number, got "big"$/,
      /^sources\.vpn-logs \(json-logs\): unknown key "formt".*\(did you mean "format"\?\); allowed: .*format/,
      /^detection\.brute-force: unknown key "treshold" \(did you mean "threshold"\?\); allowed: .*threshold/,
      /^detection\.travel \(impossible-travel\): severity: expected one of low, medium, high, critical, got "urgent"$/,
      /^detection\.sigma: max_evidence: must be at least 1, got 0$/,
      /^sinks\.soc \(webhook\): url: expected an http\(s\) URL such as https:\/\/.*, got "hooks\.example\.com\/x"$/,
      /^sinks\.pager \(pagerdutty\): type: unknown sink type "pagerdutty" \(did you mean "pagerduty"\?\)|^sinks\.pager \(pagerdutty\): type: unknown sink type "pagerdutty"; expected one of .*webhook/,
    ];
    expect(r.stderr).toContain('(10 problems)');
    expect(lines).toHaveLength(expected.length);
    for (const [i, pattern] of expected.entries()) expect(lines[i]).toMatch(pattern);
  });

  it('config check warns about old key names, naming entry, old and new key, in the same pass as the problems', async () => {
    const box = { name: 'box', type: 'dropbox', access_token: 't', app_secret: 's', initial_lookback: '7d', api_url: 'http://127.0.0.1:9/' };
    const warnings = [
      'sources.box (dropbox): "initial_lookback" is deprecated; rename it to "backfill" (the old name still works for now)',
      'sources.box (dropbox): "api_url" is deprecated; rename it to "base_url" (the old name still works for now)',
    ];
    const ok = await runCli(['config', 'check', '--config', writeConfig(tempDir(), { sources: [box] })]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/: OK \(2 warnings\)\n/);
    for (const w of warnings) expect(ok.stdout).toContain(`  warning: ${w}\n`);

    const bad = await runCli(['config', 'check', '--config', writeConfig(tempDir(), { sources: [box], detection: [{ type: 'brute-force', treshold: 5 }] })]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('(1 problem)');
    expect(bad.stderr).toMatch(/ {2}- detection\.brute-force: unknown key "treshold"/);
    for (const w of warnings) expect(bad.stderr).toContain(`  warning: ${w}`);
  });

  it('config schema prints the JSON Schema of the whole config', async () => {
    const r = await runCli(['config', 'schema']);
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.properties.sinks.items.oneOf.map((e: { title: string }) => e.title)).toEqual([...registry.sinks.keys()]);
    expect(schema.properties.detection.items.oneOf.find((e: { title: string }) => e.title === 'brute-force').properties.threshold).toMatchObject({ type: 'integer', minimum: 1, default: 20 });
  });

  it('config check summarises a valid config', async () => {
    const r = await runCli(['config', 'check', '--config', config], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sources:   auth-logs (json-logs)');
    expect(r.stdout).toContain('sinks:     alerts-file (jsonl-file), soc (webhook)');
  });

  it('ingests the sample, flags only the attacker with both detectors, and delivers signed webhooks', async () => {
    const lines = readFileSync(SAMPLE, 'utf8').trim().split('\n').length;
    const r = await runCli(['run', '--config', config], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${lines.toLocaleString('en-US')} events (${lines.toLocaleString('en-US')} new`);

    const alerts = readFileSync(join(dir, 'data/alerts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const rules = new Set(alerts.map((a) => a.alert?.rule ?? a.rule));
    expect(rules).toEqual(new Set(['brute-force', 'isolation-forest']));
    for (const a of alerts) {
      const entity = (a.alert ?? a).entity;
      // brute force may also name targeted users, but only ever from the attacker's burst
      if (entity.type === 'ip') expect(entity.value).toBe(ATTACKER_IP);
    }
    expect(alerts.some((a) => (a.alert ?? a).entity.value === ATTACKER_IP && (a.alert ?? a).rule === 'isolation-forest')).toBe(true);

    expect(receiver.requests.length).toBe(alerts.length);
    for (const req of receiver.requests) {
      expect(req.headers.authorization).toBe('Bearer tok-e2e');
      expect(verifySignature('whsec-e2e', String(req.headers['x-saaswatch-signature']), req.rawBody)).toBe(true);
    }
  });

  it('re-ingesting the same data stores nothing new and delivers nothing again', async () => {
    // Its own store and receiver: this test must not lean on another having ingested first.
    const own = await startReceiver();
    try {
      const d = tempDir();
      const cfg = writeConfig(d, {
        data_dir: join(d, 'data'),
        storage: { type: 'sqlite', retention: '3650d' },
        sources: [{ ...SAMPLE_SOURCE, path: SAMPLE }],
        detection: [{ type: 'brute-force' }, { type: 'isolation-forest' }],
        sinks: [{ type: 'webhook', name: 'soc', url: own.url, allow_networks: ['127.0.0.1'], token: '${E2E_TOKEN}', backoff: { initial: '10ms', max: '50ms' } }],
      });
      const first = await runCli(['ingest', SAMPLE, '--config', cfg], { env });
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/alerts: [1-9]\d* new/);
      const delivered = own.requests.length;
      expect(delivered).toBeGreaterThan(0);
      const r = await runCli(['ingest', SAMPLE, '--config', cfg], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/ \(0 new, [\d,]+ already stored\)/);
      expect(r.stdout).toContain('alerts: 0 new');
      expect(own.requests.length).toBe(delivered);
    } finally {
      await own.close();
    }
  });

  it('reads stdin and exits 3 when records were dead-lettered, listing why', async () => {
    const input = [
      '{"time":"2026-11-03T10:00:00Z","user":"zoe.adams@example.com","src_ip":"198.51.100.9","action":"login","result":"success"}',
      '{"time":"2026-11-03T10:00:01Z","user":"zoe.adams@example.com","src_ip":"198.51.100.9","action":"login","result":',
      '{"user":"zoe.adams@example.com","src_ip":"198.51.100.9","action":"login","result":"success"}',
    ].join('\n');
    const r = await runCli(['ingest', '-', '--config', config], { env, input });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('1 events (1 new');
    expect(r.stdout).toContain('2 dead letters');
    const dl = await runCli(['dead-letters', '--config', config], { env });
    expect(dl.stdout).toMatch(/stdin:2 INPUT_MALFORMED/);
    expect(dl.stdout).toMatch(/stdin:3 .*timestamp/i);
  });

  it('exits 2 naming the file when the input does not exist', async () => {
    const missing = join(dir, 'nope.jsonl');
    const r = await runCli(['ingest', missing, '--config', config], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read ${missing}: no such file`);
  });

  it("ends on any catalogue error with the code's exit code, its message and its fix, and no secret", async () => {
    // Nothing listens on port 1: the store cannot be opened, which is STORAGE_UNAVAILABLE, not a config error.
    const pgDown = writeConfig(tempDir(), { storage: { type: 'postgres', url: 'postgres://saaswatch:pw-e2e-secret@127.0.0.1:1/saaswatch' } });
    const r = await runCli(['alerts', '--config', pgDown]);
    const { exitCode, fix } = ERROR_CATALOGUE.STORAGE_UNAVAILABLE;
    expect(r.code, r.stderr).toBe(exitCode);
    expect(r.stderr).toMatch(/^error: storage unavailable during \w+: connect ECONNREFUSED 127\.0\.0\.1:1\n/);
    expect(r.stderr).toContain(`\nfix: ${fix}\n`);
    expect(r.stderr).not.toContain('pw-e2e-secret');
    expect(r.stdout).toBe('');
  });

  it('names a bad SAASWATCH_NOW with exit 2 and how to get the system clock back', async () => {
    const r = await runCli(['alerts', '--config', config], { env: { ...env, SAASWATCH_NOW: 'yesterday' } });
    expect(r.code).toBe(ERROR_CATALOGUE.CONFIG_INVALID.exitCode);
    expect(r.stderr).toContain('error: SAASWATCH_NOW: expected an ISO time such as 2026-03-02T09:00:00Z, got "yesterday" (unset it to use the system clock)\nfix: ');
  });

  it('draws a progress bar on a terminal and never into a pipe', async () => {
    // `script` gives the child a real pseudo-terminal, as an interactive shell would.
    const tty = await new Promise<string>((resolve, reject) => {
      const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ingest ${JSON.stringify(SAMPLE)} --config ${JSON.stringify(config)}`;
      execFile('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, ...env, SAASWATCH_LOG_LEVEL: 'warn' } }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      );
    });
    expect(tty).toMatch(/\r\S*sample-auth\.jsonl \[#+\.*\] \d+% [\d.]+ MiB \d+ events/);
    const piped = await runCli(['ingest', SAMPLE, '--config', config], { env });
    expect(piped.stdout).not.toContain('\r');
    expect(piped.stdout).not.toContain('%');
  });

  it('rules test runs the built-in pack and fails on a rule whose example no longer matches', async () => {
    const ok = await runCli(['rules', 'test']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^\d+ passed, 0 failed \(\d+ rules\)$/m);

    const broken = tempDir('sw-rules-');
    mkdirSync(join(broken, 'auth'));
    for (const f of ['failed-login.yml', 'failed-login.tests.yml']) cpSync(join(ROOT, 'rules/auth', f), join(broken, 'auth', f));
    const rule = join(broken, 'auth/failed-login.yml');
    // Break the rule the way a careless edit would: it now wants a success.
    writeFileSync(rule, readFileSync(rule, 'utf8').replace('event.outcome: failure', 'event.outcome: success'));
    const bad = await runCli(['rules', 'test', broken]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL /m);
  });

  it('refuses a bad number for every numeric option with exit 2, naming the option and the range', async () => {
    const cases: [string[], RegExp][] = [
      [['alerts', '-n', 'abc'], /option '-n, --limit <n>' argument 'abc' is invalid\. expected a whole number from 1 to 100,000/],
      [['alerts', '-n', '-5'], /option '-n, --limit <n>' argument '-5' is invalid\. expected a whole number from 1 to 100,000/],
      [['alerts', '--limit', '2.5'], /--limit <n>' argument '2\.5' is invalid/],
      [['dead-letters', '-n', '0'], /option '-n, --limit <n>' argument '0' is invalid\. expected a whole number from 1 to 100,000/],
      [['demo', '--users', 'many'], /option '--users <n>' argument 'many' is invalid\. expected a whole number from 1 to 100,000/],
      [['demo', '--days', '0'], /option '--days <n>' argument '0' is invalid\. expected a whole number from 1 to 365/],
      [['demo', '--seed', '-1'], /option '--seed <n>' argument '-1' is invalid\. expected a whole number from 0 to 4,294,967,295/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--config', config], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('takes --config before or after the subcommand', async () => {
    const after = await runCli(['config', 'check', '--config', config], { env });
    const before = await runCli(['-c', config, 'config', 'check'], { env });
    const between = await runCli(['config', '--config', config, 'check'], { env });
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('auth-logs (json-logs)');
    expect(before).toEqual(after);
    expect(between).toEqual(after);
    const alerts = await runCli(['--config', config, 'alerts', '-n', '1', '--json'], { env });
    expect(alerts.code, alerts.stderr).toBe(0);
  });

  it("rules test runs the config's sigma rules_dirs and leaves out its disabled rules", async () => {
    const pack = tempDir('sw-pack-');
    mkdirSync(join(pack, 'auth'));
    mkdirSync(join(pack, 'dropbox'));
    for (const f of ['failed-login.yml', 'failed-login.tests.yml']) cpSync(join(ROOT, 'rules/auth', f), join(pack, 'auth', f));
    for (const f of ['public-link.yml', 'public-link.tests.yml']) cpSync(join(ROOT, 'rules/dropbox', f), join(pack, 'dropbox', f));
    const rule = join(pack, 'auth/failed-login.yml');
    writeFileSync(rule, readFileSync(rule, 'utf8').replace('event.outcome: failure', 'event.outcome: success'));
    const withSigma = (disabled: string[]) => writeConfig(tempDir(), { detection: [{ type: 'sigma', rules_dirs: [pack], disabled }] });

    const all = await runCli(['rules', 'test', '-c', withSigma([])]);
    expect(all.code, all.stdout).toBe(1);
    expect(all.stdout).toMatch(/^FAIL \S+\/auth\/failed-login /m);
    expect(all.stdout).toMatch(/ failed \(2 rules\)$/m);

    const off = await runCli(['-c', withSigma(['saaswatch_failed_login']), 'rules', 'test']);
    expect(off.code, off.stdout).toBe(0);
    expect(off.stdout).not.toContain('FAIL');
    expect(off.stdout).toMatch(/^\d+ passed, 0 failed \(1 rules\)$/m);
  });
});
