import { describe, expect, it } from 'vitest';
import { eventId } from '../../core/index.js';
import { jsonLogsConfigSchema, type JsonLogsConfigInput } from './config.js';
import { createNormalizer, normalizeIp, type NormalizeResult } from './normalize.js';

const NOW = Date.parse('2024-03-05T00:00:00Z');
const INGESTED = '2024-03-05T00:00:00.000Z';

function normalizer(config: JsonLogsConfigInput = {}) {
  return createNormalizer('app-auth', jsonLogsConfigSchema.parse(config), { now: () => NOW });
}

function ok(r: NormalizeResult) {
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

function fail(r: NormalizeResult) {
  if (r.ok) throw new Error(`normalized: ${JSON.stringify(r.event)}`);
  return r;
}

describe('default mapping', () => {
  it('maps a typical app auth record', () => {
    const raw = {
      timestamp: '2024-03-04T09:15:02.123Z',
      user: 'Alice@Example.com ',
      ip: '203.0.113.10',
      action: 'user.login',
      outcome: 'Failed',
      user_agent: 'curl/8.4.0',
      extra: { nested: true },
    };
    expect(ok(normalizer()(raw, INGESTED))).toEqual({
      '@timestamp': '2024-03-04T09:15:02.123Z',
      event: {
        id: eventId('json-logs:app-auth', raw),
        kind: 'event',
        category: ['authentication'],
        action: 'user.login',
        outcome: 'failure',
        provider: 'json-logs',
        dataset: 'app-auth',
        ingested: INGESTED,
      },
      user: { email: 'alice@example.com' },
      source: { ip: '203.0.113.10' },
      user_agent: { original: 'curl/8.4.0' },
      related: { ip: ['203.0.113.10'], user: ['alice@example.com'] },
      raw,
    });
  });

  it('takes the first present candidate of each default list', () => {
    const e = ok(normalizer()({ '@timestamp': '2024-03-04T09:15:02Z', time: 'ignored', username: 'bob', client_ip: '192.0.2.1', event_type: 'export', status: 200 }, INGESTED));
    expect(e['@timestamp']).toBe('2024-03-04T09:15:02.000Z');
    expect(e.user).toEqual({ name: 'bob' });
    expect(e.source).toEqual({ ip: '192.0.2.1' });
    expect(e.event.action).toBe('export');
    expect(e.event.outcome).toBe('success');
    expect(e.event.category).toEqual(['web']);
  });

  it('treats empty, null and "-" as absent and falls through to the next candidate', () => {
    const e = ok(normalizer()({ timestamp: '', time: '2024-03-04T09:15:02Z', user: '-', username: null, email: 'c@example.com', ip: '-' }, INGESTED));
    expect(e['@timestamp']).toBe('2024-03-04T09:15:02.000Z');
    expect(e.user).toEqual({ email: 'c@example.com' });
    expect(e.source).toBeUndefined();
    expect(e.event.action).toBe('unknown');
    expect(e.event.outcome).toBe('unknown');
  });

  it('keeps numeric user ids as user.id', () => {
    const e = ok(normalizer()({ ts: 1709543702, user: 4711 }, INGESTED));
    expect(e.user).toEqual({ id: '4711' });
    expect(e.related).toEqual({ user: ['4711'] });
  });
});

describe('configured mapping', () => {
  it('reads dotted paths, nested or literal, and the optional file and target fields', () => {
    const n = normalizer({
      fields: {
        timestamp: 'meta.when',
        user: 'actor.email',
        ip: 'net.client.address',
        action: 'op',
        outcome: 'meta.result',
        file_id: 'doc.id',
        file_name: 'doc.title',
        target_user: 'shared_with',
      },
      category: 'file',
    });
    const raw = {
      meta: { when: '2024-03-04T09:15:02Z', result: 'allowed' },
      actor: { email: 'Alice@example.com' },
      'net.client.address': '192.0.2.8',
      op: 'share',
      doc: { id: 9001, title: 'Q3 plan.docx' },
      shared_with: 'Partner@Other.example',
    };
    const e = ok(n(raw, INGESTED));
    expect(e.user).toEqual({ email: 'alice@example.com' });
    expect(e.source).toEqual({ ip: '192.0.2.8' });
    expect(e.event).toMatchObject({ action: 'share', outcome: 'success', category: ['file'] });
    expect(e.file).toEqual({ id: '9001', name: 'Q3 plan.docx' });
    expect(e.target).toEqual({ user: { email: 'partner@other.example' } });
    expect(e.related?.user).toEqual(['alice@example.com', 'partner@other.example']);
  });

  it('keeps a target user without an email as a label', () => {
    const e = ok(normalizer({ fields: { target_user: 'target' } })({ ts: 1709543702, target: 'svc-backup' }, INGESTED));
    expect(e.target).toBeUndefined();
    expect(e.labels).toEqual({ 'target.user.name': 'svc-backup' });
  });

  it('uses configured outcome values, case-insensitively, replacing only the side given', () => {
    const n = normalizer({ outcome_values: { success: ['GRANTED', 1], failure: ['nope'] } });
    const outcome = (v: unknown) => ok(n({ ts: 1709543702, result: v }, INGESTED)).event.outcome;
    expect(outcome('granted')).toBe('success');
    expect(outcome(1)).toBe('success');
    expect(outcome('NOPE')).toBe('failure');
    expect(outcome('success')).toBe('unknown');
    const d = normalizer();
    expect(['ok', 'TRUE', true, 200, '302'].map((v) => ok(d({ ts: 1709543702, result: v }, INGESTED)).event.outcome)).toEqual(Array(5).fill('success'));
    expect(['denied', 'false', false, 401, '403', 'FAIL'].map((v) => ok(d({ ts: 1709543702, result: v }, INGESTED)).event.outcome)).toEqual(Array(6).fill('failure'));
    expect(ok(d({ ts: 1709543702, result: 'pending' }, INGESTED)).event.outcome).toBe('unknown');
  });

  it('infers authentication from the action and uses the configured category otherwise', () => {
    const n = normalizer({ category: ['iam'] });
    const category = (action: string) => ok(n({ ts: 1709543702, action }, INGESTED)).event.category;
    for (const a of ['login', 'user.login', 'LOGIN_FAILED', 'SignIn', 'sign-out', 'logoff', 'oauth_token.grant', 'Authenticate', 'mfa.challenge', 'user.logon']) {
      expect(category(a), a).toEqual(['authentication']);
    }
    for (const a of ['author.update', 'file.download', 'process.start', 'catalog.view']) expect(category(a), a).toEqual(['iam']);
    // Each event owns its array, so an enricher appending to one cannot touch the next.
    const a = category('file.download');
    a.push('x');
    expect(category('file.download')).toEqual(['iam']);
  });

  it('applies the time zone and timestamp format', () => {
    const n = normalizer({ timezone: 'Europe/Paris', timestamp_format: 'epoch_ms' });
    expect(ok(n({ time: '2024-03-04 10:15:02' }, INGESTED))['@timestamp']).toBe('2024-03-04T09:15:02.000Z');
    expect(ok(n({ time: 1709543702123 }, INGESTED))['@timestamp']).toBe('2024-03-04T09:15:02.123Z');
  });
});

describe('refusals', () => {
  const n = normalizer();
  const strict = normalizer({ fields: { timestamp: 'ts', user: 'user', ip: ['ip', 'src_ip'], action: 'action', outcome: 'outcome', user_agent: 'user_agent' } });

  it('names the candidates when there is no timestamp', () => {
    const r = fail(n({ user: 'x' }, INGESTED));
    expect(r.code).toBe('FIELD_MISSING');
    expect(r.reason).toBe(
      'no timestamp: none of the fields @timestamp, timestamp, time, ts, date, datetime, eventTime, time_iso8601, time_local, published, createdDateTime, created_at, occurred_at, logged_at (in any letter case) is present; set fields.timestamp in the source config to the field holding the event time',
    );
    expect(fail(strict({ time: 'x' }, INGESTED)).reason).toBe(
      'no timestamp: none of the fields ts is present; set fields.timestamp in the source config to the field holding the event time',
    );
  });

  it('names a recognised timestamp field that holds an object', () => {
    const r = fail(n({ time: { seconds: 1709543702 }, user: 'x' }, INGESTED));
    expect(r.code).toBe('FIELD_MISSING');
    expect(r.reason).toMatch(/^no timestamp: field "time" holds an object or list, not a time, .* set fields\.timestamp in the source config to the path of the event time, e\.g\. "time\.<key>"$/);
  });

  it('quotes an unparseable timestamp and its field', () => {
    const r = fail(n({ time: 'yesterday' }, INGESTED));
    expect(r.code).toBe('TIMESTAMP_INVALID');
    expect(r.reason).toContain('field "time" (recognised by name as @timestamp) value "yesterday" is not a recognised timestamp');
    expect(fail(strict({ ts: 'yesterday' }, INGESTED)).reason).toContain('field "ts" (mapped to @timestamp) value "yesterday" is not a recognised timestamp');
  });

  it.each([
    [{ ts: 1709543702, src_ip: { v4: '1.2.3.4' } }, 'field "src_ip" (mapped to source.ip) must be a string IP address, got object; fix the record or change fields.ip in the source config'],
    [{ ts: 1709543702, ip: 16909060 }, 'field "ip" (mapped to source.ip) must be a string IP address, got number'],
    [{ ts: 1709543702, user: ['a', 'b'] }, 'field "user" (mapped to user) must be a string (user name or email), got array; fix the record or change fields.user'],
    [{ ts: 1709543702, action: { name: 'x' } }, 'field "action" (mapped to event.action) must be a string, got object'],
    [{ ts: 1709543702, outcome: ['ok'] }, 'field "outcome" (mapped to event.outcome) must be a string, number or boolean, got array'],
    [{ ts: 1709543702, user_agent: 5 }, 'field "user_agent" (mapped to user_agent.original) must be a string, got number'],
    [{ ts: true }, 'field "ts" (mapped to @timestamp) must be a string or number timestamp, got boolean'],
  ])('refuses wrong types of mapped fields: %j', (raw, reason) => {
    const r = fail(strict(raw, INGESTED));
    expect(r.code).toBe('FIELD_TYPE');
    expect(r.reason).toContain(reason);
  });

  it.each([
    [{ ts: 1709543702, ip: 16909060 }, 'field "ip" (recognised by name as source.ip) must be a string IP address, got number; fix the record, or set fields.ip in the source config to the field that holds it'],
    [{ ts: 1709543702, user_agent: 5 }, 'field "user_agent" (recognised by name as user_agent.original) must be a string, got number'],
    [{ ts: true }, 'field "ts" (recognised by name as @timestamp) must be a string or number timestamp, got boolean'],
  ])('refuses scalars of the wrong type in recognised fields: %j', (raw, reason) => {
    const r = fail(n(raw, INGESTED));
    expect(r.code).toBe('FIELD_TYPE');
    expect(r.reason).toContain(reason);
  });

  it('refuses an invalid IP address', () => {
    expect(fail(strict({ ts: 1709543702, ip: '999.1.1.1' }, INGESTED))).toEqual({
      ok: false,
      code: 'FIELD_TYPE',
      reason: 'field "ip" (mapped to source.ip) is not a valid IP address: "999.1.1.1"; fix the record or change fields.ip in the source config',
    });
    expect(fail(n({ ts: 1709543702, ip: '999.1.1.1' }, INGESTED))).toEqual({
      ok: false,
      code: 'FIELD_TYPE',
      reason: 'field "ip" (recognised by name as source.ip) is not a valid IP address: "999.1.1.1"; fix the record, or set fields.ip in the source config to the field that holds the client address',
    });
  });
});

describe('normalizeIp', () => {
  it.each([
    ['203.0.113.10', '203.0.113.10'],
    [' 2001:db8::1 ', '2001:db8::1'],
    ['203.0.113.10:51234', '203.0.113.10'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['10.0.0.5, 203.0.113.10', '10.0.0.5'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each(['999.1.1.1', 'localhost', '1.2.3', '1.2.3.4:port', '[1.2.3.4]:80', '2001:db8::1:99999x', ''])('refuses %j', (input) => {
    expect(normalizeIp(input)).toBeUndefined();
  });
});
