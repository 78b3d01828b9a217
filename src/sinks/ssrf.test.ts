import { describe, expect, it } from 'vitest';
import { SaaswatchError } from '../core/index.js';
import { sampleAlert, startReceiver } from './testing.js';
import http from 'node:http';
import { guardedAgents, guardedFetch, NetGuard, unmapped } from './ssrf.js';
import { webhookConfigSchema } from './webhook/config.js';
import { WebhookSink } from './webhook/sink.js';

const guard = new NetGuard([], 'sinks.soc');

describe('NetGuard.check', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['::ffff:10.0.0.1', 'private'],
  ])('refuses %s (%s), naming the host, the address and the field to set', (address, kind) => {
    const err = guard.check('hooks.example.com', address);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect(err!.code).toBe('CONFIG_INVALID');
    expect(err!.retryable).toBe(false);
    expect(err!.message).toContain(`hooks.example.com resolves to ${unmapped(address)}, a ${kind} address`);
    expect(err!.message).toContain('sinks.soc.allow_networks');
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('lets the public address %s through', (address) => {
    expect(guard.check('hooks.example.com', address)).toBeUndefined();
  });

  it('lets through what allow_networks names, and only that', () => {
    const g = new NetGuard(['10.20.0.0/16', '127.0.0.1', 'fd12::/64'], 'sinks.soc');
    expect(g.check('h', '10.20.3.4')).toBeUndefined();
    expect(g.check('h', '::ffff:10.20.3.4')).toBeUndefined();
    expect(g.check('h', '127.0.0.1')).toBeUndefined();
    expect(g.check('h', 'fd12::9')).toBeUndefined();
    expect(g.check('h', '10.21.0.1')).toBeInstanceOf(SaaswatchError);
    expect(g.check('h', '127.0.0.2')).toBeInstanceOf(SaaswatchError);
    expect(g.check('h', '169.254.169.254')).toBeInstanceOf(SaaswatchError);
  });

  it('allow_private_networks lets every private range through but cloud metadata', () => {
    const g = new NetGuard([], 'sinks.soc', { allowPrivate: true });
    for (const a of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.9', '172.20.0.1', '100.64.0.1', 'fd12::9', '::ffff:127.0.0.1']) expect(g.check('h', a)).toBeUndefined();
    expect(g.check('h', '169.254.169.254')).toBeInstanceOf(SaaswatchError);
    expect(g.check('h', 'fd00:ec2::254')).toBeInstanceOf(SaaswatchError);
    expect(g.checkHost('metadata.google.internal')).toBeInstanceOf(SaaswatchError);
    expect(new NetGuard(['169.254.169.254'], 'sinks.soc', { allowPrivate: true }).check('h', '169.254.169.254')).toBeUndefined();
  });

  it('refuses the metadata names before any DNS', () => {
    expect(guard.checkHost('metadata.google.internal')?.message).toContain('metadata.google.internal resolves to the cloud metadata service');
    expect(guard.checkHost('METADATA.GOOGLE.INTERNAL.')).toBeInstanceOf(SaaswatchError);
    expect(guard.checkHost('[::ffff:7f00:1]')).toBeInstanceOf(SaaswatchError);
    expect(guard.checkHost('hooks.example.com')).toBeUndefined();
  });
});

describe('NetGuard.lookup checks every address DNS returns', () => {
  const lookup = (g: NetGuard, host: string, all: boolean) =>
    new Promise<unknown>((resolve, reject) => g.lookup(host, { all }, (err: Error | null, a: unknown) => (err ? reject(err) : resolve(a))));

  it('refuses a name that resolves to loopback (localhost), with and without all', async () => {
    for (const all of [true, false]) {
      await expect(lookup(guard, 'localhost', all)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('localhost resolves to') });
    }
  });

  it('hands back only addresses it checked when they are allowed', async () => {
    const g = new NetGuard(['127.0.0.0/8', '::1'], 'sinks.soc');
    const got = (await lookup(g, 'localhost', true)) as Array<{ address: string }>;
    expect(got.length).toBeGreaterThan(0);
    for (const a of got) expect(g.check('localhost', a.address)).toBeUndefined();
  });
});

describe('the webhook sink goes through the guard', () => {
  it('a loopback IP in the url is refused at config check, naming allow_networks', () => {
    const r = webhookConfigSchema.safeParse({ url: 'http://127.0.0.1:8080/hook' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['url']);
    expect(r.error!.issues[0]!.message).toMatch(/127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address.*add "127\.0\.0\.1\/32" to allow_networks/);
    expect(webhookConfigSchema.safeParse({ url: 'http://169.254.169.254/latest/meta-data/' }).success).toBe(false);
    expect(webhookConfigSchema.safeParse({ url: 'http://metadata.google.internal/computeMetadata/v1/' }).success).toBe(false);
    expect(webhookConfigSchema.safeParse({ url: 'http://[::ffff:127.0.0.1]:8080/' }).success).toBe(false);
    expect(webhookConfigSchema.safeParse({ url: 'http://127.0.0.1:8080/hook', allow_networks: ['127.0.0.1'] }).success).toBe(true);
    expect(webhookConfigSchema.safeParse({ url: 'http://127.0.0.1:8080/hook', allow_networks: ['not-a-cidr'] }).success).toBe(false);
  });

  it('a name that resolves to loopback is refused after DNS: nothing reaches the receiver, and the delivery fails for good', async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      const sink = new WebhookSink('soc', webhookConfigSchema.parse({ url: `http://localhost:${port}/hook` }));
      const err = (await sink.deliver(sampleAlert(), { deliveryId: 'd1', attempt: 1, signal: new AbortController().signal }).catch((e: unknown) => e)) as SaaswatchError;
      expect(err).toBeInstanceOf(SaaswatchError);
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/^sinks\.soc\.url: localhost resolves to (127\.0\.0\.1|::1), a loopback address;.*sinks\.soc\.allow_networks/);
      expect(receiver.requests).toHaveLength(0);
      // Allowed, the same sink reaches it.
      const allowed = new WebhookSink('soc', webhookConfigSchema.parse({ url: `http://localhost:${port}/hook`, allow_networks: ['127.0.0.1', '::1'] }));
      await allowed.deliver(sampleAlert(), { deliveryId: 'd2', attempt: 1, signal: new AbortController().signal });
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('guardedFetch refuses a literal address before connecting', async () => {
    const f = guardedFetch(new NetGuard([], 'sinks.soc'));
    await expect(f('http://10.0.0.1/hook', { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('guardedFetch sends form and multipart bodies the way fetch would, content type included', async () => {
    const receiver = await startReceiver();
    try {
      const f = guardedFetch(new NetGuard(['127.0.0.1'], 'sinks.soc'));
      await f(receiver.url, { method: 'POST', body: new URLSearchParams({ channel: 'C1', text: 'a&b' }) });
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array([137, 80, 78, 71])]), 'chart.png');
      await f(receiver.url, { method: 'POST', body: form });
      expect(receiver.requests[0]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(receiver.requests[0]!.rawBody).toBe('channel=C1&text=a%26b');
      expect(receiver.requests[1]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(receiver.requests[1]!.rawBody).toContain('filename="chart.png"');
    } finally {
      await receiver.close();
    }
  });

  it('guardedAgents check every connection an SDK makes through them', async () => {
    const receiver = await startReceiver();
    try {
      const get = (agent: http.Agent) =>
        new Promise<number>((resolve, reject) => http.get(receiver.url.replace('127.0.0.1', 'localhost'), { agent }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
      await expect(get(guardedAgents(new NetGuard([], 'sinks.soc')).http)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect(receiver.requests).toHaveLength(0);
      await expect(get(guardedAgents(new NetGuard([], 'sinks.soc', { allowPrivate: true })).http)).resolves.toBe(200);
    } finally {
      await receiver.close();
    }
  });
});
