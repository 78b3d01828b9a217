import { describe, expect, it } from 'vitest';
import { eventId } from '../../core/index.js';
import { auditCategory, normalizeAccessLog, normalizeAuditEntry, normalizeEventCallback, normalizeExample } from './normalize.js';
import type { SlackAccessLog, SlackAuditEntry } from './wire.js';

const INGESTED = '2026-11-03T10:00:00.000Z';

describe('normalizeAccessLog', () => {
  const row: SlackAccessLog = { user_id: 'U0ANN', username: 'ann', date_first: 1793692800, date_last: 1793700000, count: 4, ip: '198.51.100.7', user_agent: 'Slack/4.41 (Macintosh)', isp: 'Example ISP', country: 'US', region: 'CA' };

  it('is a successful login at date_last, with the advance in labels and event.count left unset', () => {
    const r = normalizeAccessLog(row, INGESTED, { email: 'ann@example.com', previous: { count: 3, date_last: 1793696400 } });
    expect(r.ok && r.event).toEqual({
      '@timestamp': '2026-11-03T10:00:00.000Z',
      event: { id: eventId('slack', row), kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider: 'slack', dataset: 'slack.access_logs', ingested: INGESTED },
      user: { id: 'U0ANN', name: 'ann', email: 'ann@example.com' },
      source: { ip: '198.51.100.7' },
      user_agent: { original: 'Slack/4.41 (Macintosh)' },
      labels: {
        'slack.count': '4',
        'slack.date_first': '2026-11-03T08:00:00.000Z',
        'slack.isp': 'Example ISP',
        'slack.country': 'US',
        'slack.region': 'CA',
        'slack.previous_count': '3',
        'slack.previous_date_last': '2026-11-03T09:00:00.000Z',
      },
      related: { ip: ['198.51.100.7'], user: ['ann@example.com'] },
      raw: row,
    });
  });

  it('gives each state of an aggregate its own id, and the same state the same id', () => {
    const a = normalizeAccessLog(row, INGESTED);
    const b = normalizeAccessLog({ ...row, count: 5, date_last: row.date_last + 60 }, INGESTED);
    const again = normalizeAccessLog({ ...row }, '2026-11-04T00:00:00.000Z');
    expect(a.ok && b.ok && again.ok).toBe(true);
    if (!a.ok || !b.ok || !again.ok) return;
    expect(a.event.event.id).not.toBe(b.event.event.id);
    expect(again.event.event.id).toBe(a.event.event.id);
    expect(a.event.labels?.['slack.first_seen']).toBe('true');
  });

  it('refuses a row without date_last or user_id', () => {
    expect(normalizeAccessLog({ ...row, date_last: 'soon' }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeAccessLog({ ...row, user_id: '' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
    expect(normalizeAccessLog([row], INGESTED)).toMatchObject({ ok: false, code: 'INPUT_MALFORMED' });
  });
});

describe('normalizeAuditEntry', () => {
  const base: SlackAuditEntry = {
    id: '0123a45b-6c7d-8e90-a123-b45c678d9e01',
    date_create: 1793700000,
    action: 'file_downloaded',
    actor: { type: 'user', user: { id: 'W0ANN', name: 'ann', email: 'ann@example.com', team: 'T0SAASWTCH' } },
    entity: { type: 'file', file: { id: 'F0REPORT', name: 'q3-salaries.xlsx', filetype: 'xlsx', title: 'Q3 salaries' } },
    context: { location: { type: 'workspace', id: 'T0SAASWTCH', name: 'saaswatch', domain: 'saaswatch' }, ua: 'Mozilla/5.0 (X11)', ip_address: '203.0.113.50', session_id: 2471928371 },
  };

  it('maps a file download: actor, source, agent, file, and location labels', () => {
    const r = normalizeAuditEntry(base, INGESTED);
    expect(r.ok && r.event).toMatchObject({
      '@timestamp': '2026-11-03T10:00:00.000Z',
      event: { id: eventId('slack', base), category: ['file'], action: 'file_downloaded', outcome: 'success', dataset: 'slack.audit_logs' },
      user: { id: 'W0ANN', name: 'ann', email: 'ann@example.com' },
      source: { ip: '203.0.113.50' },
      user_agent: { original: 'Mozilla/5.0 (X11)' },
      file: { id: 'F0REPORT', name: 'q3-salaries.xlsx', mime_type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
      labels: { 'slack.actor_type': 'user', 'slack.entity_type': 'file', 'slack.location_type': 'workspace', 'slack.location_id': 'T0SAASWTCH', 'slack.session_id': '2471928371', 'slack.filetype': 'xlsx' },
      raw: base,
    });
  });

  it('maps role grants to iam with the target user, failed logins to failure, shares to their visibility', () => {
    const role = normalizeAuditEntry({ ...base, action: 'role_change_to_admin', entity: { type: 'user', user: { id: 'W0BOB', name: 'bob', email: 'bob@example.com' } } }, INGESTED);
    expect(role.ok && role.event).toMatchObject({ event: { category: ['iam'], outcome: 'success' }, target: { user: { email: 'bob@example.com' } }, labels: { 'slack.target_user_id': 'W0BOB' }, related: { user: ['ann@example.com', 'bob@example.com'] } });
    const failed = normalizeAuditEntry({ ...base, action: 'user_login_failed', entity: { type: 'user', user: { id: 'W0ANN' } } }, INGESTED);
    expect(failed.ok && failed.event.event).toMatchObject({ category: ['authentication'], outcome: 'failure' });
    const link = normalizeAuditEntry({ ...base, action: 'file_public_link_created' }, INGESTED);
    expect(link.ok && link.event.share).toEqual({ visibility: 'public' });
    const shared = normalizeAuditEntry({ ...base, action: 'file_shared' }, INGESTED);
    expect(shared.ok && shared.event.share).toEqual({ visibility: 'internal' });
    const partner = { type: 'channel', channel: { id: 'C0PARTNER', name: 'ext-acme', privacy: 'private', is_shared: true, is_org_shared: false } };
    const connected = normalizeAuditEntry({ ...base, action: 'external_shared_channel_connected', entity: partner }, INGESTED);
    expect(connected.ok && connected.event.share).toEqual({ visibility: 'external' });
    // Ending or refusing a Slack Connect share is no share, whatever the channel still says.
    for (const action of ['external_shared_channel_disconnected', 'external_shared_channel_invite_declined', 'file_public_link_revoked']) {
      const r = normalizeAuditEntry({ ...base, action, entity: partner }, INGESTED);
      expect(r.ok && r.event.share).toBeUndefined();
    }
    const app = normalizeAuditEntry({ ...base, action: 'app_installed', entity: { type: 'app', app: { id: 'A0EVIL', name: 'Free PDF', scopes: ['files:read', 'users:read.email'] } } }, INGESTED);
    expect(app.ok && app.event).toMatchObject({ event: { category: ['configuration'] }, labels: { 'slack.app_id': 'A0EVIL', 'slack.app_scopes': 'files:read,users:read.email' } });
  });

  it("keeps an anomaly's reasons, a list in details, as one label, and leaves lists of objects out", () => {
    const anomaly = normalizeAuditEntry({ ...base, action: 'anomaly', entity: { type: 'user', user: { id: 'W0ANN', email: 'ann@example.com' } }, details: { reason: ['tor', 'asn'], previous_ip_address: '198.51.100.7', channels: [{ id: 'C0GENERAL' }] } }, INGESTED);
    expect(anomaly.ok && anomaly.event.labels).toMatchObject({ 'slack.details.reason': 'tor,asn', 'slack.details.previous_ip_address': '198.51.100.7' });
    expect(anomaly.ok && anomaly.event.labels?.['slack.details.channels']).toBeUndefined();
    const empty = normalizeAuditEntry({ ...base, action: 'anomaly', details: { reason: [] } }, INGESTED);
    expect(empty.ok && empty.event.labels?.['slack.details.reason']).toBeUndefined();
  });

  it('categorises actions by their Slack names', () => {
    expect(['user_login', 'user_logout', 'file_shared', 'role_change_to_owner', 'role_assigned', 'service_owner_transferred', 'user_created', 'public_channel_created', 'pref.sso_setting_changed'].map((a) => auditCategory(a)[0])).toEqual([
      'authentication', 'authentication', 'file', 'iam', 'iam', 'iam', 'iam', 'configuration', 'configuration',
    ]);
    for (const action of ['file_download_blocked', 'file_upload_blocked_by_type', 'file_share_blocked_by_type']) {
      const blocked = normalizeAuditEntry({ ...base, action }, INGESTED);
      expect(blocked.ok && blocked.event.event, action).toMatchObject({ category: ['file'], outcome: 'failure' });
    }
  });

  it("names the app an entry was made through from context.app, where Slack puts it", () => {
    // Slack's own example (docs.slack.dev/admins/audit-logs-api): a bot-driven channel creation, session_id null.
    const viaApp = normalizeAuditEntry(
      {
        id: '0123a45b-6c7d-8900-e12f-3456789ab0c1',
        date_create: 1650415188,
        action: 'public_channel_created',
        actor: { type: 'user', user: { id: 'W123ABC456', name: 'Channel Spinner', email: 'botuser-T123AB456-AT123AB456@slack-bots.com', team: 'T123AB456' } },
        entity: { type: 'channel', channel: { id: 'C123ABC456', privacy: 'public', name: 'REDACTED', is_shared: false, is_org_shared: false } },
        context: {
          location: { type: 'workspace', id: 'T123ABC456', name: 'birdland', domain: 'birdland' },
          ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/64.0.3282.186 Safari/537.36',
          ip_address: '203.0.113.78',
          session_id: null,
          app: { id: 'AT123AB456', name: 'Channel Spinner App', scopes: [], scopes_bot: ['channels:manage', 'groups:write', 'im:write', 'mpim:write'], creator: 'W123ABC456', team: 'T123ABC456' },
        },
      },
      INGESTED,
    );
    expect(viaApp.ok && viaApp.event.labels).toMatchObject({ 'slack.actor_app_id': 'AT123AB456', 'slack.actor_app_name': 'Channel Spinner App', 'slack.channel_privacy': 'public' });
    expect(viaApp.ok && viaApp.event.labels?.['slack.session_id']).toBeUndefined();
    const plain = normalizeAuditEntry(base, INGESTED);
    expect(plain.ok && plain.event.labels?.['slack.actor_app_id']).toBeUndefined();
  });

  it('refuses an entry without date_create or action', () => {
    expect(normalizeAuditEntry({ ...base, date_create: undefined }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeAuditEntry({ ...base, action: '' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
  });
});

describe('normalizeEventCallback', () => {
  it('drops the verification token from raw and keys the id on the delivery', () => {
    const body = { token: 'legacy', team_id: 'T0', type: 'event_callback', event_id: 'Ev9', event_time: 1793700000, event: { type: 'team_access_granted', team_ids: ['T1', 'T2'] } };
    const r = normalizeEventCallback(body, INGESTED);
    const { token: _t, ...raw } = body;
    expect(r.ok && r.event).toMatchObject({ event: { id: eventId('slack', raw), action: 'team_access_granted', category: ['configuration'], dataset: 'slack.events' }, labels: { 'slack.team_ids': 'T1,T2' }, raw });
    expect(normalizeEventCallback({ ...body, event: {} }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
  });
});

describe('normalizeExample (rule examples)', () => {
  it('tells audit entries, callbacks and access-log rows apart and stamps them at the given time', () => {
    const t = '2026-11-03T10:00:00.000Z';
    expect(normalizeExample({ action: 'app_installed', actor: { type: 'user', user: { id: 'W1', email: 'a@example.com' } }, entity: { type: 'app', app: { id: 'A1' } }, context: {} }, t)[0]).toMatchObject({ '@timestamp': t, event: { dataset: 'slack.audit_logs' } });
    expect(normalizeExample({ user_id: 'U1', username: 'a', ip: '198.51.100.1', user_agent: 'x', country: 'KP', email: 'a@example.com' }, t)[0]).toMatchObject({ '@timestamp': t, user: { email: 'a@example.com' }, labels: { 'slack.country': 'KP' } });
    expect(normalizeExample({ type: 'event_callback', event_id: 'Ev1', event: { type: 'user_change', user: { id: 'U1' } } }, t)[0]).toMatchObject({ event: { dataset: 'slack.events' } });
    expect(() => normalizeExample({ hello: 'world' }, t)).toThrow(/a Slack example is/);
  });
});
