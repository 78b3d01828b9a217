import { describe, expect, it } from 'vitest';
import { AUTO_FIELDS, AutoFieldFinder, canonicalKey } from './auto-fields.js';
import { jsonLogsConfigSchema, type JsonLogsConfigInput } from './config.js';
import { createNormalizer, type NormalizeResult } from './normalize.js';

const NOW = Date.parse('2026-03-03T00:00:00Z');
const INGESTED = '2026-03-03T00:00:00.000Z';

function normalize(raw: Record<string, unknown>, config: JsonLogsConfigInput = {}) {
  const r: NormalizeResult = createNormalizer('seed', jsonLogsConfigSchema.parse(config), { now: () => NOW, trace: true })(raw, INGESTED);
  if (!r.ok) throw new Error(r.reason);
  return { e: r.event, trace: r.trace! };
}

describe('canonicalKey', () => {
  it('ignores case and separators but keeps @', () => {
    expect(['source_ip', 'sourceIp', 'SOURCE_IP', 'source-ip', 'Source IP', 'source.ip'].map(canonicalKey)).toEqual(Array(6).fill('sourceip'));
    expect(canonicalKey('@timestamp')).not.toBe(canonicalKey('timestamp'));
  });
});

describe('recognised fields', () => {
  it('maps the seed format, with the outcome inferred from the action and the rule recorded', () => {
    const { e, trace } = normalize({ timestamp: '2026-03-02T09:01:12Z', source_ip: '198.51.100.7', user: 'bob', event: 'failed_login' });
    expect(e).toMatchObject({
      '@timestamp': '2026-03-02T09:01:12.000Z',
      event: { action: 'failed_login', outcome: 'failure', category: ['authentication'] },
      user: { name: 'bob' },
      source: { ip: '198.51.100.7' },
      labels: { outcome_inferred_from: 'action:failed' },
    });
    expect(trace).toEqual({ paths: { timestamp: 'timestamp', ip: 'source_ip', user: 'user', action: 'event' }, outcome: 'action:failed' });
    const ok = normalize({ timestamp: '2026-03-02T09:00:05Z', source_ip: '203.0.113.10', user: 'alice', event: 'login_success' }).e;
    expect(ok.event).toMatchObject({ outcome: 'success', category: ['authentication'] });
    expect(ok.labels).toEqual({ outcome_inferred_from: 'action:success' });
    const view = normalize({ timestamp: '2026-03-02T09:00:05Z', source_ip: '203.0.113.10', user: 'alice', event: 'file_view' }).e;
    expect(view.event).toMatchObject({ outcome: 'unknown', category: ['web'] });
    expect(view.labels).toBeUndefined();
  });

  it('matches key names in any letter case and separator style', () => {
    const { e, trace } = normalize({ TimeStamp: 1772442072, SourceIP: '198.51.100.7', UserName: 'Bob', EventType: 'LOGIN_FAILED' });
    expect(e['@timestamp']).toBe('2026-03-02T09:01:12.000Z');
    expect(e.source?.ip).toBe('198.51.100.7');
    expect(e.user).toEqual({ name: 'Bob' });
    expect(e.event).toMatchObject({ action: 'LOGIN_FAILED', outcome: 'failure', category: ['authentication'] });
    expect(trace.paths).toEqual({ timestamp: 'TimeStamp', ip: 'SourceIP', user: 'UserName', action: 'EventType' });
  });

  it.each([
    [{ eventTime: '2026-03-02T09:01:12Z' }, 'eventTime'],
    [{ '@timestamp': 1772442072123 }, '@timestamp'],
    [{ ts: 1772442072 }, 'ts'],
    [{ date: '2026-03-02 09:01:12' }, 'date'],
    [{ time: '1772442072' }, 'time'],
  ])('reads ISO and epoch s/ms timestamps: %j', (raw, path) => {
    const { e, trace } = normalize(raw);
    expect(e['@timestamp'].slice(0, 19)).toBe('2026-03-02T09:01:12');
    expect(trace.paths.timestamp).toBe(path);
  });

  it('reads the usual names of other products', () => {
    // Okta System Log
    const okta = normalize({
      published: '2026-03-02T09:01:12.000Z',
      eventType: 'user.session.start',
      actor: { alternateId: 'bob@example.com', displayName: 'Bob' },
      client: { ipAddress: '198.51.100.7' },
      outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
    });
    expect(okta.e).toMatchObject({ user: { email: 'bob@example.com' }, source: { ip: '198.51.100.7' }, event: { action: 'user.session.start', outcome: 'failure' } });
    expect(okta.trace.paths).toMatchObject({ user: 'actor.alternateId', ip: 'client.ipAddress', outcome: 'outcome.result' });
    // ECS
    const ecs = normalize({ '@timestamp': '2026-03-02T09:01:12Z', event: { action: 'user_login', outcome: 'failure', category: ['authentication'] }, user: { name: 'bob' }, source: { ip: '198.51.100.7' } });
    expect(ecs.e).toMatchObject({ user: { name: 'bob' }, source: { ip: '198.51.100.7' }, event: { action: 'user_login', outcome: 'failure', category: ['authentication'] } });
    expect(ecs.trace.paths).toMatchObject({ action: 'event.action', outcome: 'event.outcome', user: 'user.name', ip: 'source.ip' });
    // CloudTrail-like and Entra-like
    expect(normalize({ eventTime: '2026-03-02T09:01:12Z', eventName: 'ConsoleLogin', sourceIPAddress: '198.51.100.7', userIdentity: { userName: 'bob' } }).e).toMatchObject({
      user: { name: 'bob' },
      source: { ip: '198.51.100.7' },
      event: { action: 'ConsoleLogin', category: ['authentication'] },
    });
    expect(normalize({ createdDateTime: '2026-03-02T09:01:12Z', userPrincipalName: 'Bob@Example.com', ipAddress: '198.51.100.7', activity: 'sign-in' }).e).toMatchObject({
      user: { email: 'bob@example.com' },
      source: { ip: '198.51.100.7' },
      event: { action: 'sign-in', category: ['authentication'] },
    });
    // nginx JSON
    expect(normalize({ time_iso8601: '2026-03-02T09:01:12+00:00', remote_addr: '198.51.100.7', status: 401, http_user_agent: 'curl/8.4.0' }).e).toMatchObject({
      source: { ip: '198.51.100.7' },
      event: { outcome: 'failure' },
      user_agent: { original: 'curl/8.4.0' },
    });
  });

  it('prefers the earlier name when several are present, whatever the key order', () => {
    const a = normalize({ ip: '192.0.2.1', user: 'alice', email: 'a@example.com', source_ip: '198.51.100.7', '@timestamp': '2026-03-02T09:01:12Z', timestamp: '2026-03-02T10:00:00Z', event: 'x', action: 'y' });
    const b = normalize({ action: 'y', event: 'x', timestamp: '2026-03-02T10:00:00Z', '@timestamp': '2026-03-02T09:01:12Z', source_ip: '198.51.100.7', email: 'a@example.com', user: 'alice', ip: '192.0.2.1' });
    for (const { e, trace } of [a, b]) {
      expect(trace.paths).toEqual({ timestamp: '@timestamp', ip: 'source_ip', user: 'user', action: 'action' });
      expect(e.source?.ip).toBe('198.51.100.7');
    }
    // Flat keys before nested ones.
    expect(normalize({ ts: 1772442072, user: { name: 'nested' }, username: 'flat' }).e.user).toEqual({ name: 'flat' });
  });

  it('passes over objects and lists under recognised names instead of refusing the record', () => {
    const { e, trace } = normalize({ ts: 1772442072, event: { kind: 'event' }, action: ['a'], user: ['x'], src_ip: { v4: '1.2.3.4' }, client_ip: '198.51.100.7' });
    expect(e.event.action).toBe('unknown');
    expect(e.user).toBeUndefined();
    expect(e.source?.ip).toBe('198.51.100.7');
    expect(trace.paths).toEqual({ timestamp: 'ts', ip: 'client_ip' });
  });

  it('maps outcome values from common words and HTTP statuses', () => {
    const outcome = (v: unknown) => normalize({ ts: 1772442072, action: 'login', status: v }).e.event.outcome;
    for (const v of ['success', 'Succeeded', 'OK', 'allowed', 'pass', true, 200, '302']) expect(outcome(v), String(v)).toBe('success');
    for (const v of ['failure', 'FAILED', 'fail', 'denied', 'error', 'blocked', 'invalid', false, 401, '403']) expect(outcome(v), String(v)).toBe('failure');
    for (const v of ['pending', 'started']) expect(outcome(v), v).toBe('unknown');
    expect(normalize({ ts: 1772442072, success: false }).e.event.outcome).toBe('failure');
  });

  it('lets an outcome field win over the action words, and fills only gaps from them', () => {
    const field = normalize({ ts: 1772442072, event: 'failed_login', result: 'success' });
    expect(field.e.event.outcome).toBe('success');
    expect(field.e.labels).toBeUndefined();
    expect(field.trace.outcome).toBe('field');
    // A value that says neither: the action decides.
    const gap = normalize({ ts: 1772442072, event: 'failed_login', status: 'completed' });
    expect(gap.e.event.outcome).toBe('failure');
    expect(gap.e.labels).toEqual({ outcome_inferred_from: 'action:failed' });
    expect(normalize({ ts: 1772442072, event: 'failed_login' }, { infer_outcome: false }).e.event.outcome).toBe('unknown');
  });

  it('uses an explicit mapping as given, and recognises only the fields it leaves out', () => {
    const raw = { when: '2026-03-02T09:01:12Z', timestamp: '2026-01-01T00:00:00Z', who: 'carol', user: 'not-this-one', source_ip: '198.51.100.7', event: 'failed_login' };
    const { e, trace } = normalize(raw, { fields: { timestamp: 'when', user: 'who' } });
    expect(e['@timestamp']).toBe('2026-03-02T09:01:12.000Z');
    expect(e.user).toEqual({ name: 'carol' });
    expect(trace.paths).toEqual({ timestamp: 'when', user: 'who', ip: 'source_ip', action: 'event' });
    // Explicit paths are exact: no case folding, and a missing one is not replaced by a recognised name.
    const exact = normalize({ ts: 1772442072, User: 'x', user: 'y' }, { fields: { user: 'User' } });
    expect(exact.e.user).toEqual({ name: 'x' });
    expect(normalize({ ts: 1772442072, user: 'y' }, { fields: { user: 'login_name' } }).e.user).toBeUndefined();
  });

  it('keeps the first occurrence when two keys fold to the same name', () => {
    const finder = new AutoFieldFinder(['ip']);
    const hits = finder.newHits();
    finder.find({ source_ip: '192.0.2.1', sourceIp: '192.0.2.2' }, hits);
    expect(hits.path[0]).toBe('source_ip');
  });

  it('lists each recognised name once per target', () => {
    for (const [target, names] of Object.entries(AUTO_FIELDS)) {
      expect(new Set(names.map((n) => n.split('.').map(canonicalKey).join('.'))).size, target).toBe(names.length);
    }
  });
});
