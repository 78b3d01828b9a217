import { inspect } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errors, SaaswatchError } from './errors.js';
import { encodedForms, Redactor, REDACTED, redactText } from './redact.js';
import { Secret } from './secret.js';

const TOKEN = 'sl.team-token-5f0c9a1e7b';

function b64Inside(prefix: string, value: string, suffix: string): string {
  return Buffer.from(prefix + value + suffix).toString('base64');
}

describe('Redactor.text', () => {
  const r = new Redactor([new Secret(TOKEN)]);

  it('removes the raw value and leaves the rest of the text', () => {
    expect(r.text(`refused token ${TOKEN} for team`)).toBe(`refused token ${REDACTED} for team`);
  });

  it.each([
    ['base64', Buffer.from(TOKEN).toString('base64')],
    ['base64url', Buffer.from(TOKEN).toString('base64url')],
    ['URL-encoded', encodeURIComponent(`x ${TOKEN}/`)],
    ['form-encoded', new URLSearchParams({ token: TOKEN }).toString()],
    ['JSON-escaped', JSON.stringify({ h: `Bearer ${TOKEN}"` })],
    ['JSON twice', JSON.stringify(JSON.stringify({ authorization: TOKEN }))],
    ['hex', Buffer.from(TOKEN).toString('hex').toUpperCase()],
  ])('removes the %s form', (_what, echoed) => {
    const out = r.text(`echo: ${echoed}`);
    expect(out).toContain(REDACTED);
    for (const f of encodedForms(TOKEN)) expect(out.toLowerCase()).not.toContain(f.toLowerCase());
  });

  it.each([0, 1, 2, 3, 4, 5])('finds the value base64-encoded inside a larger body at offset %i', (lead) => {
    const body = b64Inside('Authorization: Bearer '.slice(0, 10 + lead), TOKEN, '\r\nAccept: */*');
    const out = r.text(body);
    expect(out).toContain(REDACTED);
    // What is left around the mark is at most the edge characters its neighbours shaped.
    const decodedLeft = out.split(REDACTED).map((p) => Buffer.from(p, 'base64').toString('latin1')).join('');
    expect(decodedLeft).not.toContain(TOKEN.slice(2, -2));
  });

  it('removes the credential of a Basic header, the user:password it encodes and the password alone', () => {
    const basic = `Basic ${Buffer.from('svc-reader:pa55-w0rd-91').toString('base64')}`;
    const rb = new Redactor([basic]);
    expect(rb.text('user svc-reader:pa55-w0rd-91')).toBe(`user ${REDACTED}`);
    expect(rb.text('pass=pa55-w0rd-91')).toBe(`pass=${REDACTED}`);
    expect(rb.text(`got ${basic.slice(6)}`)).toBe(`got ${REDACTED}`);
  });

  it('removes each segment of a JWT on its own', () => {
    const jwt = ['eyJhbGciOiJSUzI1NiJ9', 'eyJpc3MiOiJzdmNAZXhhbXBsZS5jb20ifQ', 'c2lnbmF0dXJlLWJ5dGVzLWhlcmU'].join('.');
    const rj = new Redactor([jwt]);
    expect(rj.text('sig c2lnbmF0dXJlLWJ5dGVzLWhlcmU only')).toBe(`sig ${REDACTED} only`);
    expect(rj.text(`assertion=${jwt}&x=1`)).toBe(`assertion=${REDACTED}&x=1`);
  });

  it('leaves text alone when nothing is registered, and skips values too short to mean anything', () => {
    const none = new Redactor([undefined, '', 'ab']);
    expect(none.empty).toBe(true);
    expect(none.text('ab cd')).toBe('ab cd');
  });

  it('learns values registered later (tokens obtained while running)', () => {
    const later = new Redactor();
    expect(later.text('Bearer eyJ0eXAi.abc123.defghijkl')).toBe('Bearer eyJ0eXAi.abc123.defghijkl');
    later.add('eyJ0eXAi.abc123.defghijkl');
    expect(later.text('Bearer eyJ0eXAi.abc123.defghijkl')).toBe(`Bearer ${REDACTED}`);
  });

  it('drops the start of a value cut in two at the end of a body read up to a limit', () => {
    const body = `{"echo":"Bearer ${TOKEN}"}`;
    const cut = body.slice(0, body.indexOf(TOKEN) + 9);
    expect(r.text(cut)).toContain(TOKEN.slice(0, 9));
    expect(r.text(cut, { cut: true })).toBe(`{"echo":"Bearer ${REDACTED}`);
    expect(r.text('no secret here', { cut: true })).toBe('no secret here');
  });

  it('redactText is the one-off form', () => {
    expect(redactText(`a ${TOKEN} b`, [TOKEN])).toBe(`a ${REDACTED} b`);
  });
});

describe('Redactor.error', () => {
  const r = new Redactor([new Secret(TOKEN)]);

  class SdkError extends Error {
    // What SDKs carry: the request with its headers, and the raw response.
    config = { headers: { Authorization: `Bearer ${TOKEN}` }, data: `token=${TOKEN}` };
    response = { data: { echo: TOKEN } };
    code = 'E_SDK';
  }

  function leaky(): SaaswatchError {
    const sdk = new SdkError(`upstream said: Bearer ${TOKEN}`, { cause: new Error(`inner ${Buffer.from(TOKEN).toString('base64')}`) });
    return errors.httpRejected({ target: 'Dropbox team_log', status: 401, detail: `echo ${TOKEN}`, cause: sdk, details: { echoed: { headers: [`Bearer ${TOKEN}`] } } });
  }

  it('keeps code, retryability and the readable part, and removes the value from message, stack, details and causes', () => {
    const out = r.error(leaky());
    expect(out).toBeInstanceOf(SaaswatchError);
    expect(out.code).toBe('HTTP_REJECTED');
    expect(out.retryable).toBe(false);
    expect(out.message).toBe(`Dropbox team_log rejected the request with 401: echo ${REDACTED}`);
    expect(out.details).toEqual({ status: 401, echoed: { headers: [`Bearer ${REDACTED}`] } });
    const cause = out.cause as Error & { code?: string };
    expect(cause.message).toBe(`upstream said: Bearer ${REDACTED}`);
    expect(cause.code).toBe('E_SDK');
    expect((cause as { config?: unknown }).config).toBeUndefined();
    expect((cause.cause as Error).message).toBe(`inner ${REDACTED}`);
  });

  it('keeps Retry-After', () => {
    const out = r.error(errors.httpRetryable({ target: 'x', status: 429, retryAfterMs: 7_000, detail: TOKEN }));
    expect(out.retryable).toBe(true);
    expect(out.retryAfterMs).toBe(7_000);
  });

  it('prints no form of the value through pino (with causes), util.inspect or JSON', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const out = r.error(leaky());
    logger.warn({ err: out }, 'failed');
    const seen = [lines.join('\n'), inspect(out, { depth: 10 }), JSON.stringify(out), String(out.stack)].join('\n');
    expect(lines.join('')).toContain('upstream said');
    for (const f of encodedForms(TOKEN)) expect(seen.toLowerCase()).not.toContain(f.toLowerCase());
    // The same line from the unredacted error does print it: the check above can fail.
    logger.warn({ err: leaky() }, 'failed');
    expect(lines.at(-1)).toContain(TOKEN);
  });

  it('does not change the error it was given', () => {
    const e = leaky();
    r.error(e);
    expect(e.message).toContain(TOKEN);
  });
});
