import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errors } from './core/index.js';
import { loggerOptions, scrubSecrets } from './log.js';

function capture(): { logger: pino.Logger; lines: () => Record<string, any>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino(loggerOptions('info'), stream);
  return { logger, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>), text: () => chunks.join('') };
}

describe('logger', () => {
  it('writes DEL, C1 and bidi overrides from logged data as JSON escapes, one line per entry', () => {
    const { logger, lines, text } = capture();
    const entity = 'user:eve\u202egnp.exe\u0085\x7f\x1b[2J';
    logger.info({ entity }, 'Alert raised.');
    logger.info('next');
    const all = lines();
    expect(all.map((l) => l.msg)).toEqual(['Alert raised.', 'next']);
    expect(all[0]!.entity).toBe(entity);
    expect(text()).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
    expect(text()).toContain('eve\\u202egnp.exe\\u0085\\u007f\\u001b[2J');
  });

  it('logs the error object: code, retryable, details, stack and the cause survive', () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    logger.warn({ err: errors.network({ target: 'webhook hooks.example.org', problem: 'ECONNREFUSED', cause }) }, 'Delivery failed.');
    const [line] = lines();
    expect(line!.err).toMatchObject({
      type: 'SaaswatchError',
      code: 'NETWORK',
      retryable: true,
      message: 'could not reach webhook hooks.example.org: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(line!.err.stack).toContain('caused by: Error: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('keeps credentials in a URL quoted by an error or its cause out of the log', () => {
    const { logger, lines } = capture();
    const cause = new Error('request to https://api.example.org/v1/logs?page=2&access_token=tok-in-query&apiKey=key-in-query failed');
    const err = errors.storageUnavailable({ problem: 'cannot connect to postgres://saaswatch:pw-in-url@db:5432/saaswatch', cause });
    logger.error({ err, headers: { authorization: 'Bearer tok-in-header' }, sink: { token: 'tok-in-field' } }, 'Failed.');
    const text = JSON.stringify(lines());
    for (const secret of ['tok-in-query', 'key-in-query', 'pw-in-url', 'tok-in-header', 'tok-in-field']) expect(text).not.toContain(secret);
    const [line] = lines();
    expect(line!.err.message).toBe(
      'storage unavailable: cannot connect to postgres://saaswatch:[redacted]@db:5432/saaswatch: request to https://api.example.org/v1/logs?page=2&access_token=[redacted]&apiKey=[redacted] failed',
    );
    expect(line!.err.stack).not.toContain('pw-in-url');
  });

  it('scrubs only credentials: a URL without one is left as it is', () => {
    expect(scrubSecrets('https://api.example.org/v1/logs?page=2&since=2026-11-03T10:00:00Z')).toBe('https://api.example.org/v1/logs?page=2&since=2026-11-03T10:00:00Z');
    expect(scrubSecrets('https://user@example.org/x')).toBe('https://user@example.org/x');
    expect(scrubSecrets('see https://h.example/cb?code=abc&state=s1')).toBe('see https://h.example/cb?code=[redacted]&state=s1');
  });
});
