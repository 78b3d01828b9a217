import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpFake, type SmtpFake } from './server.js';

const fakes: SmtpFake[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(): Promise<SmtpFake> {
  const f = await startSmtpFake({ username: 'u', password: 'pw-123456' });
  fakes.push(f);
  return f;
}

const send = (f: SmtpFake, extra: Record<string, unknown> = {}) =>
  nodemailer
    .createTransport({ host: f.host, port: f.port, requireTLS: true, tls: { ca: f.ca }, auth: { user: 'u', pass: 'pw-123456' }, logger: false, ...extra })
    .sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'hello', text: 'body', messageId: '<m1@test>' });

const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { responseCode?: number; code?: string });

describe('SMTP fake', () => {
  it('takes a message over STARTTLS after AUTH and records envelope, parse and session', async () => {
    const f = await fake();
    await send(f);
    expect(f.messages).toHaveLength(1);
    expect(f.messages[0]).toMatchObject({ envelope: { from: 'a@example.com', to: ['b@example.com'] }, user: 'u', secure: true });
    expect(f.messages[0]!.parsed.messageId).toBe('<m1@test>');
    expect(f.messages[0]!.raw.toString()).toContain('Subject: hello');
  });

  it('refuses AUTH in the clear and a wrong password', async () => {
    const f = await fake();
    const clear = await failureOf(send(f, { requireTLS: false, ignoreTLS: true }));
    expect(clear?.responseCode).toBe(538);
    const wrong = await failureOf(send(f, { auth: { user: 'u', pass: 'nope' } }));
    expect(wrong?.responseCode).toBe(535);
    expect(f.auths).toEqual([{ method: 'PLAIN', username: 'u', ok: false }]);
    expect(f.messages).toHaveLength(0);
  });

  it('refuses on request at the stage asked, once per failNext', async () => {
    const f = await fake();
    f.failNext(1, { code: 421, at: 'connect' });
    f.failNext(1, { code: 554, at: 'data' });
    expect((await failureOf(send(f)))?.responseCode).toBe(421);
    expect((await failureOf(send(f)))?.responseCode).toBe(554);
    await send(f);
    expect(f.refusals).toEqual([{ code: 421, at: 'connect' }, { code: 554, at: 'data' }]);
    expect(f.messages).toHaveLength(1);
  });
});
