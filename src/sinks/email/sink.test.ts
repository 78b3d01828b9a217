import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type SecurityEvent } from '../../core/index.js';
import { makeTestTls } from '../../fakes/smtp/cert.js';
import { startSmtpFake, type SmtpFake, type SmtpFakeOptions } from '../../fakes/smtp/server.js';
import { deliveryContext, memoryRefs, sampleAlert } from '../testing.js';
import { emailConfigSchema } from './config.js';
import { sampleActivity } from '../../charts/fixtures.js';
import { decodePng } from '../../charts/png.js';
import { EmailSink, emailSinkPlugin, type RenderAlertChart } from './sink.js';
import { failureOf } from '../../core/testing.js';

const PASSWORD = 'smtp-pw-9f3c2e71ab';
const fakes: SmtpFake[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(opts: SmtpFakeOptions = {}): Promise<SmtpFake> {
  const f = await startSmtpFake({ username: 'saaswatch', password: PASSWORD, ...opts });
  fakes.push(f);
  return f;
}

function configFor(f: SmtpFake, over: Record<string, unknown> = {}, smtp: Record<string, unknown> = {}) {
  return emailConfigSchema.parse({
    smtp: { host: f.host, port: f.port, username: 'saaswatch', password: PASSWORD, ca: f.ca, ...smtp },
    from: 'saaswatch@example.com',
    to: ['soc@example.com', 'oncall@example.com'],
    cc: ['ciso@example.com'],
    dashboard_url: 'https://saaswatch.example.com/',
    allow_private_networks: true,
    timeout: '5s',
    ...over,
  });
}

function logged(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

const ctx = deliveryContext;

const failure = failureOf;

function event(i: number, over: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    '@timestamp': new Date(Date.parse('2024-05-01T10:00:00Z') + i * 60_000).toISOString(),
    event: { id: `ev${i}`, kind: 'event', category: ['authentication'], action: 'login', outcome: 'failure', provider: 'google-workspace', dataset: 'gw.login', ingested: '2024-05-01T10:06:00.000Z' },
    user: { email: 'alice@example.com' },
    source: { ip: '203.0.113.7', geo: { city_name: 'Lagos', country_iso_code: 'NG' }, as: { number: 64500, organization: { name: 'Example Transit' } } },
    raw: {},
    ...over,
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

describe('email sink against a real SMTP server', () => {
  it('submits over STARTTLS with AUTH to every recipient, Message-ID from the delivery id', async () => {
    const f = await fake();
    const sink = emailSinkPlugin.create('mail', configFor(f), { logger: pino({ level: 'silent' }), dataDir: '/nonexistent' });
    await sink.deliver(sampleAlert(), ctx('5b0c2f3e-8d1a-4c55-9e2b-0a9f1c7d3e21'));
    expect(f.messages).toHaveLength(1);
    const m = f.messages[0]!;
    expect(m.secure).toBe(true);
    expect(m.user).toBe('saaswatch');
    expect(f.auths).toEqual([{ method: 'PLAIN', username: 'saaswatch', ok: true }]);
    expect(m.envelope).toEqual({ from: 'saaswatch@example.com', to: ['soc@example.com', 'oncall@example.com', 'ciso@example.com'] });
    expect(m.parsed.messageId).toBe('<5b0c2f3e-8d1a-4c55-9e2b-0a9f1c7d3e21@saaswatch>');
    expect(m.parsed.subject).toBe('[saaswatch] [HIGH] Brute force from 203.0.113.7');
    expect(text(m.parsed.headers.get('x-saaswatch-delivery'))).toBe('5b0c2f3e-8d1a-4c55-9e2b-0a9f1c7d3e21');
    expect(text(m.parsed.headers.get('x-saaswatch-dedup-key'))).toBe('brute-force|ip:203.0.113.7|2024-05-01T10:00:00.000Z');
    expect(sink.target).toBe(`127.0.0.1:${f.port}`);
  });

  it('sends the same Message-ID on every attempt of one delivery, so the receiver can drop the repeat', async () => {
    const f = await fake();
    const cfg = configFor(f);
    await new EmailSink('mail', cfg).deliver(sampleAlert(), ctx('dlv-7'));
    await new EmailSink('mail', cfg).deliver(sampleAlert(), { ...ctx('dlv-7'), attempt: 2 });
    expect(f.messages.map((m) => m.parsed.messageId)).toEqual(['<dlv-7@saaswatch>', '<dlv-7@saaswatch>']);
  });

  it('submits over implicit TLS (port 465 style)', async () => {
    const f = await fake({ implicitTls: true });
    await new EmailSink('mail', configFor(f, {}, { tls: true })).deliver(sampleAlert(), ctx('dlv-tls'));
    expect(f.messages[0]!.secure).toBe(true);
  });

  it('connects to the address the guard checked and verifies TLS against the configured name', async () => {
    const f = await fake();
    await new EmailSink('mail', configFor(f, {}, { host: 'localhost' })).deliver(sampleAlert(), ctx('dlv-name'));
    expect(f.messages).toHaveLength(1);
    // A certificate for 127.0.0.1 alone does not do for the name localhost, although the socket goes to 127.0.0.1.
    const ipOnly = await fake({ tls: makeTestTls(['127.0.0.1']) });
    const err = await failure(new EmailSink('mail', configFor(ipOnly, {}, { host: 'localhost' })).deliver(sampleAlert(), ctx('dlv-name2')));
    expect(err.code).toBe('NETWORK');
    expect(err.message).toMatch(/altnames|localhost/);
    expect(ipOnly.auths).toHaveLength(0);
  });

  it('tells the facts in text and HTML: who, where, window, observed vs expected, evidence, group, dashboard link', async () => {
    const f = await fake();
    const alert = sampleAlert({ details: { 'source.geo.country_iso_code': 'NG' }, tags: ['attack.t1110'] });
    const other = sampleAlert({ id: 'alrt_0002', rule: 'impossible-travel', title: 'Impossible travel for alice@example.com', severity: 'medium' });
    await new EmailSink('mail', configFor(f)).deliver(alert, ctx('dlv-facts', { evidence: [event(0), event(1)], group: { id: alert.id, alerts: [alert, other] } }));
    const m = f.messages[0]!;
    expect(m.parsed.subject).toBe('[saaswatch] [HIGH] Brute force from 203.0.113.7 (+1 related)');
    const body = m.parsed.text ?? '';
    expect(body).toContain('42 failed logins in 5 minutes (expected at most 10)');
    expect(body).toMatch(/^Who \/ what: +ip 203\.0\.113\.7$/m);
    expect(body).toMatch(/^Where: +203\.0\.113\.7, Lagos, NG, Example Transit, AS64500$/m);
    expect(body).toMatch(/^Window: +2024-05-01T10:00:00Z to 2024-05-01T10:05:00Z \(UTC\)$/m);
    expect(body).toMatch(/^Observed: +failures 42$/m);
    expect(body).toMatch(/^Expected: +failures 10$/m);
    expect(body).toMatch(/^source\.geo\.country_iso_code: +NG$/m);
    expect(body).toMatch(/^Tags: +attack\.t1110$/m);
    expect(body).toContain('Evidence (2 events):');
    expect(body).toContain('  - 2024-05-01T10:01:00.000Z · login · failure · user alice@example.com · from 203.0.113.7 (Lagos, NG)');
    expect(body).toContain('Related alerts in this group (1):');
    expect(body).toContain('  - [MEDIUM] Impossible travel for alice@example.com (impossible-travel, 2024-05-01T10:00:00Z)');
    expect(body).toContain('Open in saaswatch: https://saaswatch.example.com/alerts/alrt_0001');
    expect(m.parsed.html).toContain('<a href="https://saaswatch.example.com/alerts/alrt_0001">Open in saaswatch</a>');
    expect(m.parsed.html).toContain('<li>[MEDIUM] Impossible travel for alice@example.com (impossible-travel, 2024-05-01T10:00:00Z)</li>');
  });

  it('escapes hostile alert text in HTML and cannot be made to add headers or recipients', async () => {
    const f = await fake();
    const hostile = sampleAlert({
      title: 'Mail from <script>alert(1)</script>\r\nBcc: attacker@evil.example',
      description: '"><img src=x onerror=alert(2)> & more',
      entity: { type: 'user', value: "o'brien@example.com<b>" },
      details: { 'email.subject': '<a href="https://evil.example">win</a>' },
    });
    await new EmailSink('mail', configFor(f)).deliver(hostile, ctx('dlv-hostile', { evidence: [event(0, { email: { subject: '<iframe src=//evil>' } })] }));
    const m = f.messages[0]!;
    expect(m.envelope.to).toEqual(['soc@example.com', 'oncall@example.com', 'ciso@example.com']);
    expect(m.parsed.headers.has('bcc')).toBe(false);
    expect(m.parsed.subject).toBe('[saaswatch] [HIGH] Mail from <script>alert(1)</script> Bcc: attacker@evil.example');
    const html = m.parsed.html || '';
    for (const bad of ['<script', '<img', '<iframe', '<a href="https://evil', "o'brien", '<b>']) expect(html).not.toContain(bad);
    expect(html).toContain('Mail from &lt;script&gt;alert(1)&lt;/script&gt; Bcc: attacker@evil.example');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; more');
    expect(html).toContain('user o&#39;brien@example.com&lt;b&gt;');
    expect(html).toContain('&lt;iframe src=//evil&gt;');
    // The plain-text part carries the text as it is: it is never rendered.
    expect(m.parsed.text).toContain('"><img src=x onerror=alert(2)> & more');
  });

  it('threads an update under the group first mail (In-Reply-To, References) and keeps a group anchor without refs', async () => {
    const f = await fake();
    const refs = memoryRefs();
    const first = sampleAlert({ id: 'alrt_a' });
    const second = sampleAlert({ id: 'alrt_b', title: 'Impossible travel', groupId: 'alrt_a' });
    const group = { id: 'alrt_a', alerts: [first] };
    await new EmailSink('mail', configFor(f)).deliver(first, ctx('dlv-first', { kind: 'alert', group, refs }));
    // A restarted process: a new sink instance, the refs kept by the store.
    await new EmailSink('mail', configFor(f)).deliver(second, ctx('dlv-second', { kind: 'update', group: { id: 'alrt_a', alerts: [first, second] }, refs }));
    const [a, b] = f.messages;
    expect(a!.parsed.references).toBe('<group.alrt_a@saaswatch>');
    expect(a!.parsed.inReplyTo).toBeUndefined();
    expect(b!.parsed.messageId).toBe('<dlv-second@saaswatch>');
    expect(b!.parsed.inReplyTo).toBe('<dlv-first@saaswatch>');
    expect(b!.parsed.references).toEqual(['<group.alrt_a@saaswatch>', '<dlv-first@saaswatch>']);
    expect(b!.parsed.subject).toBe('Re: [saaswatch] [HIGH] Brute force from 203.0.113.7');
    expect(refs.map.get('thread:alrt_a')).toBe('<dlv-first@saaswatch>');

    // No refs (lost, or a sink without a store): the update still threads by the group anchor.
    await new EmailSink('mail', configFor(f)).deliver(second, ctx('dlv-third', { kind: 'update', group: { id: 'alrt_a', alerts: [first, second] } }));
    expect(f.messages[2]!.parsed.inReplyTo).toBe('<group.alrt_a@saaswatch>');
    expect(f.messages[2]!.parsed.references).toBe('<group.alrt_a@saaswatch>');
  });

  it('shows the chart inline by cid, and sends without it when rendering fails', async () => {
    const f = await fake();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a80000000049454e44ae426082', 'hex');
    const render: RenderAlertChart = async (alert) => (alert.rule === 'brute-force' ? png : undefined);
    const sink = new EmailSink('mail', configFor(f), { renderAlertChart: render });
    expect(sink.needs).toEqual({ evidence: 10, updates: true, activity: true });
    await sink.deliver(sampleAlert(), ctx('dlv-chart'));
    const att = f.messages[0]!.parsed.attachments;
    expect(att).toHaveLength(1);
    expect(att[0]!.contentType).toBe('image/png');
    expect(att[0]!.cid).toBe('chart@saaswatch');
    expect(att[0]!.content.equals(png)).toBe(true);
    expect(f.messages[0]!.parsed.html).toContain('<img src="cid:chart@saaswatch"');

    const { logger, lines } = logged();
    const broken = new EmailSink('mail', configFor(f), { logger, renderAlertChart: async () => Promise.reject(new Error('no fonts')) });
    await broken.deliver(sampleAlert(), ctx('dlv-nochart'));
    expect(f.messages[1]!.parsed.attachments).toHaveLength(0);
    expect(lines.some((l) => l.includes('chart could not be rendered'))).toBe(true);
  });
});

describe('email sink with the shared chart renderer', () => {
  it('the plugin draws the alert chart inline by default (a real PNG of the activity), and none with charts: false', async () => {
    const f = await fake();
    const deps = { logger: pino({ level: 'silent' }), dataDir: '/nonexistent' };
    const sink = emailSinkPlugin.create('mail', configFor(f), deps);
    expect(sink.needs).toEqual({ evidence: 10, updates: true, activity: true });
    await sink.deliver(sampleAlert(), ctx('dlv-real-chart', { activity: sampleActivity() }));
    const [att] = f.messages[0]!.parsed.attachments;
    const png = decodePng(att!.content);
    expect([png.width, png.height]).toEqual([800, 360]);
    const off = emailSinkPlugin.create('mail', configFor(f, { charts: false }), deps);
    expect(off.needs).toEqual({ evidence: 10, updates: true });
    await off.deliver(sampleAlert(), ctx('dlv-no-chart', { activity: sampleActivity() }));
    expect(f.messages[1]!.parsed.attachments).toHaveLength(0);
  });
});

describe('email sink failures', () => {
  it('421 is retryable', async () => {
    const f = await fake();
    f.failNext(1, { code: 421 });
    const err = await failure(new EmailSink('mail', configFor(f)).deliver(sampleAlert(), ctx('dlv-421')));
    expect(err.code).toBe('HTTP_RETRYABLE');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('421 4.3.2 Service not available');
    expect(f.messages).toHaveLength(0);
  });

  it('550 is permanent and quotes the reason', async () => {
    const f = await fake();
    f.failNext(1, { code: 550 });
    const err = await failure(new EmailSink('mail', configFor(f, { to: ['nobody@example.com'], cc: [] })).deliver(sampleAlert(), ctx('dlv-550')));
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('550 5.1.1 Mailbox unavailable: no such user here');
    expect(err.message).toContain('RCPT TO');
  });

  it('one recipient refused while the others take it: delivered (a retry would mail them twice), the refusal logged', async () => {
    const f = await fake();
    f.failNext(1, { code: 550 });
    const { logger, lines } = logged();
    await new EmailSink('mail', configFor(f), { logger }).deliver(sampleAlert(), ctx('dlv-partial'));
    expect(f.messages[0]!.envelope.to).toEqual(['oncall@example.com', 'ciso@example.com']);
    const warn = lines.map((l) => JSON.parse(l) as { level: number; rejected?: string[] }).find((l) => l.level === 40);
    expect(warn?.rejected).toEqual(['soc@example.com']);
  });

  it('535 is permanent, names the fix, and never shows the password even when the server quotes it back', async () => {
    const f = await fake();
    f.failNext(1, { code: 535, echo: true });
    const { logger, lines } = logged();
    const err = await failure(new EmailSink('mail', configFor(f), { logger }).deliver(sampleAlert(), ctx('dlv-535')));
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('refused the login with 535 5.7.8');
    expect(err.message).toContain('check sinks.mail.smtp.username and sinks.mail.smtp.password');
    expect(err.message).toContain('[redacted]');
    const everything = [err.message, err.stack, JSON.stringify(err), JSON.stringify(err.details), String((err.cause as Error)?.message), String((err.cause as Error)?.stack), ...lines].join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(PASSWORD).toString('base64').slice(0, 12));
  });

  it('a wrong password is permanent', async () => {
    const f = await fake();
    const err = await failure(new EmailSink('mail', configFor(f, {}, { password: 'not-the-password' })).deliver(sampleAlert(), ctx('dlv-badpw')));
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.retryable).toBe(false);
    expect(f.auths).toEqual([{ method: 'PLAIN', username: 'saaswatch', ok: false }]);
  });

  it('a certificate from another CA fails as NETWORK naming smtp.ca, before any AUTH', async () => {
    const f = await fake();
    const err = await failure(new EmailSink('mail', configFor(f, {}, { ca: makeTestTls().ca })).deliver(sampleAlert(), ctx('dlv-ca')));
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain('sinks.mail.smtp.ca');
    expect(f.auths).toHaveLength(0);
  });

  it('a server that stalls ends at the timeout as retryable TIMEOUT, and a stop aborts at once', async () => {
    const f = await fake();
    f.failNext(1, { code: 0, at: 'data', hang: true });
    const started = performance.now();
    const err = await failure(new EmailSink('mail', configFor(f, { timeout: '500ms' })).deliver(sampleAlert(), ctx('dlv-stall')));
    expect(err.code).toBe('TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000);

    f.failNext(1, { code: 0, at: 'data', hang: true });
    const stop = new AbortController();
    const delivering = failure(new EmailSink('mail', configFor(f)).deliver(sampleAlert(), { ...ctx('dlv-stop'), signal: stop.signal }));
    setTimeout(() => stop.abort(), 200);
    const stopped = performance.now();
    const aborted = await delivering;
    expect(aborted.retryable).toBe(true);
    expect(performance.now() - stopped).toBeLessThan(1_000);
    expect(f.messages).toHaveLength(0);
  });

  it('a server that is gone is retryable NETWORK', async () => {
    const f = await fake();
    const cfg = configFor(f);
    await f.close();
    fakes.splice(fakes.indexOf(f), 1);
    const err = await failure(new EmailSink('mail', cfg).deliver(sampleAlert(), ctx('dlv-gone')));
    expect(err.code).toBe('NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('refuses loopback without allow_private_networks: the IP at config check, a name after DNS, nothing sent', async () => {
    const f = await fake();
    const base = { smtp: { host: '127.0.0.1', port: f.port, username: 'saaswatch', password: PASSWORD, ca: f.ca }, from: 'saaswatch@example.com', to: ['soc@example.com'] };
    const byIp = emailConfigSchema.safeParse(base);
    expect(byIp.success).toBe(false);
    expect(JSON.stringify(byIp.error?.issues)).toContain('allow_networks');
    const byName = emailConfigSchema.parse({ ...base, smtp: { ...base.smtp, host: 'localhost' } });
    const err = await failure(new EmailSink('mail', byName).deliver(sampleAlert(), ctx('dlv-ssrf')));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('sinks.mail.allow_networks');
    expect(f.messages).toHaveLength(0);
    expect(f.auths).toHaveLength(0);
  });
});

describe('email sink config', () => {
  const base = { smtp: { host: 'smtp.example.com', username: 'u', password: 'p4ssword' }, from: 'a@example.com', to: ['b@example.com'] };
  it('defaults to STARTTLS on 587, implicit TLS on 465', () => {
    expect(emailConfigSchema.parse(base).smtp).toMatchObject({ port: 587, starttls: true, tls: false, reject_unauthorized: true });
    expect(emailConfigSchema.parse({ ...base, smtp: { ...base.smtp, tls: true } }).smtp).toMatchObject({ port: 465, starttls: false, tls: true });
  });

  it.each([
    ['a password in the clear', { smtp: { ...base.smtp, starttls: false } }, 'smtp.starttls', 'in the clear'],
    ['both TLS modes', { smtp: { ...base.smtp, tls: true, starttls: true } }, 'smtp.starttls', 'not both'],
    ['a user without password', { smtp: { host: 'smtp.example.com', username: 'u' } }, 'smtp.password', 'go together'],
    ['a display name in to', { to: ['SOC <soc@example.com>'] }, 'to.0', 'one email address'],
    ['a line break in from', { from: 'a@example.com\r\nBcc: x@evil.example' }, 'from', 'one email address'],
    ['a line break in the subject prefix', { subject_prefix: 'x\nBcc: y' }, 'subject_prefix', 'one line'],
    ['a host with a path', { smtp: { ...base.smtp, host: 'smtp.example.com/x' } }, 'smtp.host', 'host name'],
    ['the metadata address', { smtp: { ...base.smtp, host: '169.254.169.254' } }, 'smtp.host', 'cloud metadata'],
  ])('refuses %s', (_what, over, path, words) => {
    const r = emailConfigSchema.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toContain(words);
  });

  it('reads a CA file relative to the config folder and names the field when it is missing', () => {
    const cfg = emailConfigSchema.parse({ ...base, smtp: { ...base.smtp, ca: 'certs/missing-ca.pem' } });
    expect(() => new EmailSink('mail', cfg, { baseDir: '/nonexistent' })).toThrow('sinks.mail.smtp.ca: cannot read the CA file /nonexistent/certs/missing-ca.pem (ENOENT)');
  });
});

