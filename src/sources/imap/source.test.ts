import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SaaswatchError, type SourceBatch, type Store } from '../../core/index.js';
import { dovecotAvailable, startDovecot, type Dovecot } from '../../fakes/imap/dovecot.js';
import { makeTestTls } from '../../fakes/smtp/cert.js';
import { reportMessage, suspiciousMessage } from '../../fakes/imap/reports.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { closeMemoryStores, memoryStore } from '../../storage/testing.js';
import { imapConfigSchema } from './config.js';
import { ImapSource } from './source.js';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const PASSWORD = 'imap-test-pw-81d2c7';
const MAILBOX = 'Reports';
const PDF = Buffer.from('%PDF-1.4 not really an invoice');

// In CI a missing dovecot fails this suite (scripts/test.mjs installs it); elsewhere it is skipped.
const run = dovecotAvailable() || process.env.CI === 'true' ? describe : describe.skip;

function logged(): { logger: pino.Logger; lines: Array<{ level: number; msg: string; err?: { message?: string } }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) }) };
}

run('imap source against a real dovecot', () => {
  let dovecot: Dovecot;
  let wire: Buffer;
  const reporters = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

  beforeAll(async () => {
    dovecot = await startDovecot({ users: { reports: PASSWORD } });
    wire = await suspiciousMessage({
      from: 'CEO <ceo@evil.example>',
      replyTo: 'payments@evil.example',
      to: reporters,
      subject: 'Urgent wire transfer',
      messageId: '<wire-1@evil.example>',
      date: new Date(NOW - 7_200_000),
      receivedAt: new Date(NOW - 7_100_000),
      html: '<p>Approve it at <a href="https://evil.example/login?next=%2Fpay&amp;id=7">this link</a> today.</p>',
      text: 'Approve it at https://evil.example/login?next=%2Fpay&id=7 today.',
      attachments: [{ filename: 'invoice.pdf', content: PDF, contentType: 'application/pdf' }],
    });
  });
  afterAll(async () => {
    await dovecot?.close();
    await closeMemoryStores();
  });

  const config = (over: Record<string, unknown> = {}) =>
    imapConfigSchema.parse({ host: dovecot.host, port: dovecot.port, tls: false, username: 'reports', password: PASSWORD, mailbox: MAILBOX, ca: dovecot.ca, page_size: 2, retry: { max_attempts: 2, initial_backoff: '10ms', max_backoff: '20ms' }, ...over });

  /** Three people report the wire-transfer mail; one report arrives broken (no From). */
  async function fillMailbox(): Promise<void> {
    for (const [i, reporter] of reporters.entries()) {
      const at = new Date(NOW - 3_600_000 + i * 60_000);
      await dovecot.append('reports', MAILBOX, await reportMessage({ reporter, reporterName: reporter.split('@')[0], to: 'reports@example.com', messageId: `<report-${i}@example.com>`, date: at, original: wire }), { date: at });
      if (i === 1) {
        const broken = `To: reports@example.com\r\nSubject: look at this\r\nMessage-ID: <broken@example.com>\r\nDate: ${at.toUTCString()}\r\n\r\nno sender\r\n`;
        await dovecot.append('reports', MAILBOX, broken, { date: at });
      }
    }
  }

  const ingest = (store: Store, logger = pino({ level: 'silent' })) =>
    new Pipeline({ store, detectors: [], sinkNames: [], logger }).ingest(new ImapSource('reported', config(), { logger, once: true, now: () => NOW }));

  it('stores each report once as the Graph mailbox would, resumes from its cursor, survives a UIDVALIDITY change and a server restart', async () => {
    await fillMailbox();
    const store = await memoryStore();

    const first = await ingest(store);
    expect(first).toMatchObject({ events: 3, inserted: 3, deadLetters: 1 });
    const events = await store.queryEvents({ source: 'reported' } as never);
    expect(events.map((e) => e.user?.email).sort()).toEqual(reporters);
    const e = events.find((x) => x.user?.email === 'bob@example.com')!;
    expect(e.event).toMatchObject({ action: 'email_reported', category: ['email'], kind: 'event', provider: 'imap', dataset: 'imap.reported_mail' });
    expect(e['@timestamp']).toBe('2026-11-03T09:01:00.000Z');
    expect(e.user).toEqual({ email: 'bob@example.com', name: 'bob' });
    expect(e.email).toEqual({
      from: { address: ['ceo@evil.example'] },
      to: { address: reporters },
      reply_to: { address: ['payments@evil.example'] },
      subject: 'Urgent wire transfer',
      message_id: '<wire-1@evil.example>',
      origination_timestamp: '2026-11-03T08:00:00.000Z',
      delivery_timestamp: '2026-11-03T08:01:40.000Z',
      attachments: [{ file: { name: 'invoice.pdf', mime_type: 'application/pdf', size: PDF.length } }],
    });
    expect(e.related?.hash).toEqual([createHash('sha256').update(PDF).digest('hex')]);
    expect(e.related?.user).toEqual(['bob@example.com', 'ceo@evil.example']);
    expect(e.labels).toMatchObject({ original_source: 'attachment', report_message_id: '<report-1@example.com>', urls: 'https://evil.example/login?next=%2Fpay&id=7', original_has_attachments: 'true' });
    // The attacker's body stays in the mailbox.
    expect(JSON.stringify(e.raw)).not.toContain('Approve it');

    const dead = await store.listDeadLetters({ source: 'reported' });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'FIELD_MISSING', reason: `${MAILBOX} UID 3: report has no From address (who reported it)` });
    expect(dead[0]!.payload).toContain('Message-ID: <broken@example.com>');
    const cursor = JSON.parse((await store.getCursor('reported'))!) as { uidValidity: string; lastUid: number };
    expect(cursor).toEqual({ v: 1, uidValidity: String(await dovecot.uidValidity('reports', MAILBOX)), lastUid: 4 });

    // A restart reads only what arrived since the committed cursor.
    const late = new Date(NOW - 600_000);
    await dovecot.append('reports', MAILBOX, await reportMessage({ reporter: 'dave@example.com', to: 'reports@example.com', messageId: '<report-3@example.com>', date: late, original: wire }), { date: late });
    const again = await ingest(store);
    expect(again).toMatchObject({ events: 1, inserted: 1, deadLetters: 0 });
    expect(await store.listDeadLetters({ source: 'reported' })).toHaveLength(1);

    // The mail server is down for a poll: it fails as retryable and the next poll goes on from the cursor.
    await dovecot.stop();
    const down = await ingest(store).catch((err: unknown) => err);
    expect(down).toBeInstanceOf(SaaswatchError);
    expect((down as SaaswatchError).retryable).toBe(true);
    await dovecot.start();
    expect(await ingest(store)).toMatchObject({ events: 0, inserted: 0 });

    // The mailbox is rebuilt: new UIDVALIDITY, the same reports under new UIDs.
    const before = new Set((await store.queryEvents({ source: 'reported' } as never)).map((x) => x.event.id));
    const oldValidity = await dovecot.uidValidity('reports', MAILBOX);
    await dovecot.recreate('reports', MAILBOX);
    expect(await dovecot.uidValidity('reports', MAILBOX)).not.toBe(oldValidity);
    await fillMailbox();
    const { logger, lines } = logged();
    const rebuilt = await ingest(store, logger);
    expect(rebuilt).toMatchObject({ events: 3, inserted: 0, duplicates: 3 });
    expect(lines.filter((l) => l.msg.includes('UIDVALIDITY changed'))).toHaveLength(1);
    expect(lines.find((l) => l.msg.includes('UIDVALIDITY changed'))?.level).toBe(40);
    const after = await store.queryEvents({ source: 'reported' } as never);
    expect(after).toHaveLength(4);
    expect(new Set(after.map((x) => x.event.id))).toEqual(before);
    // Once past the change, the next poll is quiet again.
    const quiet = logged();
    expect(await ingest(store, quiet.logger)).toMatchObject({ events: 0, inserted: 0 });
    expect(quiet.lines.filter((l) => l.level >= 40)).toEqual([]);
  }, 60_000);

  it('reads over implicit TLS too, and refuses a server whose certificate is from another CA', async () => {
    const store = await memoryStore();
    const tls = new ImapSource('tls', config({ port: dovecot.tlsPort, tls: true, mailbox: 'INBOX' }), { once: true, now: () => NOW });
    const stats = await new Pipeline({ store, detectors: [], sinkNames: [], logger: pino({ level: 'silent' }) }).ingest(tls);
    expect(stats.batches).toBeGreaterThanOrEqual(1);
    expect(JSON.parse((await store.getCursor('tls'))!)).toMatchObject({ v: 1, lastUid: 0 });

    const other = new ImapSource('tls', config({ port: dovecot.tlsPort, tls: true, ca: makeTestTls().ca }), { once: true, now: () => NOW });
    const err = await (async () => {
      for await (const _ of other.batches({ cursor: undefined, signal: AbortSignal.timeout(20_000) })) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect((err as SaaswatchError).code).toBe('NETWORK');
    expect((err as SaaswatchError).message).toContain('sources.tls.ca');
  });

  it('a mailbox that does not exist is a config error naming the field', async () => {
    const src = new ImapSource('reported', config({ mailbox: 'No-Such-Folder' }), { now: () => NOW });
    const err = await (async () => {
      for await (const _ of src.batches({ cursor: undefined, signal: AbortSignal.timeout(20_000) })) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect((err as SaaswatchError).code).toBe('CONFIG_INVALID');
    expect((err as SaaswatchError).message).toContain('sources.reported.mailbox');
  });

  // After the refused login: dovecot delays further logins from an address that just failed one.
  it('a refused login ends the source, not retryable, naming the fix and never the password', async () => {
    const wrong = 'imap-wrong-pw-5521aa';
    const { logger, lines } = logged();
    const src = new ImapSource('reported', config({ password: wrong }), { logger, now: () => NOW });
    let err: unknown;
    try {
      for await (const _ of src.batches({ cursor: undefined, signal: AbortSignal.timeout(20_000) })) void (_ as SourceBatch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SaaswatchError);
    expect((err as SaaswatchError).retryable).toBe(false);
    expect((err as SaaswatchError).message).toContain('refused the login');
    expect((err as SaaswatchError).message).toContain('sources.reported.password');
    const text = [JSON.stringify(err), (err as Error).stack, ...lines.map((l) => JSON.stringify(l))].join('\n');
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(Buffer.from(wrong).toString('base64').slice(0, 12));
  });
});

describe('imap source config', () => {
  const base = { host: 'imap.example.com', username: 'reports@example.com', password: 'x-secret' };
  it('defaults to implicit TLS on 993, STARTTLS on 143, INBOX', () => {
    expect(imapConfigSchema.parse(base)).toMatchObject({ port: 993, tls: true, mailbox: 'INBOX', reject_unauthorized: true, page_size: 50 });
    expect(imapConfigSchema.parse({ ...base, tls: false })).toMatchObject({ port: 143, tls: false });
  });
  it('names an unknown key and a bad host', () => {
    const r = imapConfigSchema.safeParse({ ...base, host: 'imap.example.com/inbox', folder: 'x' });
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error!.issues);
    expect(text).toContain('folder');
    expect(text).toContain('expected a host name');
  });
});
