import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventId, type SecurityEvent } from '../../core/index.js';
import { generateTeamEvents } from '../../fakes/dropbox/team-event.js';
import { normalizeTeamEvent } from './normalize.js';

const INGESTED = '2024-05-07T00:00:00.000Z';
const fixture: unknown[] = JSON.parse(readFileSync(new URL('./fixtures/team-events.json', import.meta.url), 'utf8'));

function norm(raw: unknown): SecurityEvent {
  const r = normalizeTeamEvent(raw, INGESTED);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('normalizeTeamEvent on the fixture', () => {
  const events = fixture.map(norm);
  const byAction = new Map(events.map((e) => [e.event.action, e]));

  it('keeps the raw record, hashes it into the id and tags the provider', () => {
    for (const [i, e] of events.entries()) {
      expect(e.raw).toBe(fixture[i]);
      expect(e.event.id).toBe(eventId('dropbox', fixture[i]));
      expect(e.event).toMatchObject({ kind: 'event', provider: 'dropbox', ingested: INGESTED });
    }
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
  });

  it('maps a download: user from actor, IP and geo from origin, file from the asset', () => {
    const e = byAction.get('file_download')!;
    expect(e['@timestamp']).toBe('2024-05-06T09:12:44.000Z');
    expect(e.event).toMatchObject({ category: ['file'], outcome: 'success', dataset: 'dropbox.file_operations' });
    expect(e.user).toEqual({ email: 'alice.martin@example.com', id: 'dbmid:AAC0001Hh5Tr8WqLx1Pz6Nk3Yb0Vm7Sd0001', name: 'Alice Martin' });
    expect(e.source).toEqual({ ip: '198.51.100.23', geo: { city_name: 'Paris', country_iso_code: 'FR' } });
    expect(e.file).toEqual({ id: 'id:a4ayc_80_OEAAAAAAAAAXw', path: '/Finance/q3-forecast.xlsx', name: 'q3-forecast.xlsx' });
    expect(e.labels).toMatchObject({ dropbox_category: 'file_operations', access_method: 'end_user', external: 'false' });
    expect(byAction.get('file_preview')!.file?.name).toBe('design-v2.pdf');
  });

  it('marks sharing with a non-team member as external and names the recipient', () => {
    const e = byAction.get('shared_content_add_member')!;
    expect(e.target).toEqual({ user: { email: 'partner@contoso.example' } });
    expect(e.share).toEqual({ visibility: 'external' });
    expect(e.labels).toMatchObject({ external: 'true', access_level: 'editor' });
    expect(e.related?.user).toEqual(['bob.nguyen@example.com', 'partner@contoso.example']);
  });

  it('maps shared link creation and a visibility change to public', () => {
    expect(byAction.get('shared_link_create')!.share).toEqual({ visibility: 'link' });
    const v = byAction.get('shared_link_change_visibility')!;
    expect(v.share).toEqual({ visibility: 'public' });
    expect(v.labels?.previous_visibility).toBe('team_only');
    expect(v.file?.name).toBe('salaries-2024.csv');
  });

  it('maps deletes, taking the admin as actor and the path from namespace_relative when contextual is absent', () => {
    expect(byAction.get('file_delete')!.user?.email).toBe('carol.okafor@example.com');
    const p = byAction.get('file_permanently_delete')!;
    expect(p.user?.email).toBe('ivan.admin@example.com');
    expect(p.file).toEqual({ id: 'id:a4ayc_80_OEAAAAAAAAAbd', path: '/assets/launch-plan.pptx', name: 'launch-plan.pptx' });
    expect(p.source?.ip).toBe('192.0.2.10');
  });

  it('maps logins to authentication with an outcome; a failed login without actor uses the context', () => {
    const ok = byAction.get('login_success')!;
    expect(ok.event).toMatchObject({ category: ['authentication'], outcome: 'success' });
    expect(ok.labels?.login_method).toBe('two_factor_authentication');
    const fail = byAction.get('login_fail')!;
    expect(fail.event).toMatchObject({ category: ['authentication'], outcome: 'failure' });
    expect(fail.user?.email).toBe('alice.martin@example.com');
    expect(fail.source).toEqual({ ip: '203.0.113.77', geo: { city_name: 'Lagos', country_iso_code: 'NG' } });
    expect(fail.labels?.failure_reason).toBe('Invalid email or password');
  });

  it('keeps other events generic: action from event_type, category from Dropbox', () => {
    const e = byAction.get('member_change_status')!;
    expect(e.event).toMatchObject({ action: 'member_change_status', category: ['iam'], outcome: 'success', dataset: 'dropbox.members' });
    expect(e.user?.email).toBe('ivan.admin@example.com');
    expect(e.file).toBeUndefined();
    expect(e.share).toBeUndefined();
  });
});

describe('normalizeTeamEvent on security settings', () => {
  const ivan = { '.tag': 'team_member', account_id: 'dbid:AAB0009', display_name: 'Ivan Admin', email: 'ivan.admin@example.com', team_member_id: 'dbmid:AAC0009' };
  const dan = { '.tag': 'team_member', account_id: 'dbid:AAB0004', display_name: 'Dan Schmidt', email: 'dan.schmidt@example.com', team_member_id: 'dbmid:AAC0004' };
  const record = (category: string, type: string, details: Record<string, unknown>, actor: unknown, context: unknown) => ({
    timestamp: '2024-05-06T12:00:00Z',
    event_category: { '.tag': category },
    actor,
    origin: { geo_location: { ip_address: '192.0.2.10', country: 'US' }, access_method: { '.tag': 'admin_console' } },
    involve_non_team_member: false,
    context,
    participants: [],
    assets: [],
    event_type: { '.tag': type, description: type },
    details: { '.tag': `${type}_details`, ...details },
  });

  it('names the member an admin acted on as the target, with the new and previous value', () => {
    const e = norm(record('members', 'member_change_admin_role', { new_value: { '.tag': 'team_admin' }, previous_value: { '.tag': 'member_only' } }, { '.tag': 'admin', admin: ivan }, dan));
    expect(e.user?.email).toBe('ivan.admin@example.com');
    expect(e.target).toEqual({ user: { email: 'dan.schmidt@example.com' } });
    expect(e.labels).toMatchObject({ new_value: 'team_admin', previous_value: 'member_only', dropbox_category: 'members' });
    expect(e.related?.user).toEqual(['ivan.admin@example.com', 'dan.schmidt@example.com']);
  });

  // SharedFolderTransferOwnershipDetails (previous_owner_email, new_owner_email), team_log reference:
  // https://www.dropbox.com/developers/documentation/http/teams#team_log-get_events
  it('names the new owner of a transferred folder as the target, even with no participants listed', () => {
    const member = (email: string) => ({ '.tag': 'team_member', account_id: `dbid:${email.length}`, display_name: email.split('@')[0], email, team_member_id: `dbmid:${email.length}` });
    const e = norm({
      timestamp: '2024-05-06T18:54:15Z', event_category: { '.tag': 'sharing' },
      event_type: { '.tag': 'shared_folder_transfer_ownership', description: 'Transferred ownership of shared folder to another member' },
      details: { '.tag': 'shared_folder_transfer_ownership_details', previous_owner_email: 'alice@acme.example', new_owner_email: 'dave@partner.example' },
      actor: { '.tag': 'user', user: member('alice@acme.example') }, context: member('alice@acme.example'), involve_non_team_member: true,
      origin: { geo_location: { ip_address: '198.51.100.14', city: 'Austin', region: 'Texas', country: 'US' }, access_method: { '.tag': 'end_user', end_user: { '.tag': 'web', session_id: 'dbwsid:2370' } } },
      assets: [{ '.tag': 'folder', display_name: 'Contracts', path: { contextual: '/Alice/Contracts', namespace_relative: { ns_id: '1234', is_shared_namespace: true } } }],
    });
    expect(e).toMatchObject({ user: { email: 'alice@acme.example' }, target: { user: { email: 'dave@partner.example' } }, file: { name: 'Contracts' }, labels: { previous_owner: 'alice@acme.example', external: 'true' } });
    expect(e.related?.user).toEqual(['alice@acme.example', 'dave@partner.example']);
  });

  it('keeps a member acting on their own settings as the user, not also the target', () => {
    const e = norm(record('tfa', 'tfa_change_status', { new_value: { '.tag': 'disabled' }, previous_value: { '.tag': 'authenticator' }, used_rescue_code: false }, { '.tag': 'user', user: dan }, dan));
    expect(e.user?.email).toBe('dan.schmidt@example.com');
    expect(e.target).toBeUndefined();
    expect(e.event).toMatchObject({ category: ['authentication'], dataset: 'dropbox.tfa' });
    expect(e.labels).toMatchObject({ new_value: 'disabled', previous_value: 'authenticator' });
  });

  it('labels the app of an app event and the alert of an admin alert', () => {
    const app = norm(record('apps', 'app_link_team', { app_info: { '.tag': 'team_linked_app', app_id: 'dbaid:AAD1x8kQm2', display_name: 'CloudVault Backup' } }, { '.tag': 'admin', admin: ivan }, { '.tag': 'team' }));
    expect(app.labels).toMatchObject({ app_name: 'CloudVault Backup', app_id: 'dbaid:AAD1x8kQm2', app_kind: 'team_linked_app' });
    expect(app.target).toBeUndefined();
    const alert = norm(
      record('admin_alerting', 'admin_alerting_triggered_alert', { alert_name: 'Unusual sign-in activity', alert_severity: { '.tag': 'high' }, alert_category: { '.tag': 'account_takeover' }, alert_instance_id: 'pid_admin_alert:AAQAAAd1' }, { '.tag': 'dropbox' }, { '.tag': 'team' }),
    );
    expect(alert.event.category).toEqual(['threat']);
    expect(alert.labels).toMatchObject({ alert_name: 'Unusual sign-in activity', alert_severity: 'high', alert_category: 'account_takeover', alert_id: 'pid_admin_alert:AAQAAAd1' });
  });

  it('reads plain-string values as they are (SSO URLs)', () => {
    const e = norm(record('sso', 'sso_change_login_url', { previous_value: 'https://idp.example.com/saml/login', new_value: 'https://login.example-idp.net/saml' }, { '.tag': 'admin', admin: ivan }, { '.tag': 'team' }));
    expect(e.labels).toMatchObject({ new_value: 'https://login.example-idp.net/saml', previous_value: 'https://idp.example.com/saml/login' });
  });
});

describe('normalizeTeamEvent on relocations (FileRenameDetails: assets before and after, paired by RelocateAssetReferencesLogInfo)', () => {
  const carol = { '.tag': 'team_member', account_id: 'dbid:AAB0003', display_name: 'Carol Okafor', email: 'carol.okafor@example.com', team_member_id: 'dbmid:AAC0003' };
  const item = (path: string, id = 'id:a4ayc_80_OEAAAAAAAAAc1') => ({ '.tag': 'file', path: { contextual: path, namespace_relative: { ns_id: '1864320112', relative_path: path, is_shared_namespace: false } }, display_name: path.slice(path.lastIndexOf('/') + 1), file_id: id });
  const relocate = (type: string, assets: unknown[], pairs: unknown) => ({
    timestamp: '2024-05-06T15:20:03Z',
    event_category: { '.tag': 'file_operations' },
    actor: { '.tag': 'user', user: carol },
    origin: { geo_location: { ip_address: '198.51.100.23', country: 'FR' }, access_method: { '.tag': 'end_user', end_user: { '.tag': 'desktop', session_id: 'dbwsid:2377' } } },
    involve_non_team_member: false,
    context: carol,
    participants: [],
    assets,
    event_type: { '.tag': type, description: 'Renamed files and/or folders' },
    details: { '.tag': `${type}_details`, relocate_action_details: pairs },
  });

  it('makes a rename about the item as it now is, keeping the name and path it had', () => {
    const e = norm(relocate('file_rename', [item('/Finance/q3-forecast.xlsx'), item('/Finance/q3-forecast.xlsx.locked')], [{ src_asset_index: 0, dest_asset_index: 1 }]));
    expect(e.event).toMatchObject({ action: 'file_rename', category: ['file'], dataset: 'dropbox.file_operations' });
    expect(e.user?.email).toBe('carol.okafor@example.com');
    expect(e.file).toEqual({ id: 'id:a4ayc_80_OEAAAAAAAAAc1', path: '/Finance/q3-forecast.xlsx.locked', name: 'q3-forecast.xlsx.locked' });
    expect(e.labels).toMatchObject({ previous_name: 'q3-forecast.xlsx', previous_path: '/Finance/q3-forecast.xlsx', asset_type: 'file' });
  });

  it('follows the indices whatever the order, keeps only a changed part, and reads a lone pair object', () => {
    const moved = norm(relocate('file_move', [item('/Archive/plan.docx'), item('/Drafts/plan.docx')], [{ src_asset_index: 1, dest_asset_index: 0 }]));
    expect(moved.file?.path).toBe('/Archive/plan.docx');
    expect(moved.labels).toMatchObject({ previous_path: '/Drafts/plan.docx' });
    expect(moved.labels?.previous_name).toBeUndefined();
    const lone = norm(relocate('file_rename', [item('/a/old.txt'), item('/a/new.txt')], { src_asset_index: 0, dest_asset_index: 1 }));
    expect(lone.file?.name).toBe('new.txt');
    expect(lone.labels?.previous_name).toBe('old.txt');
  });

  it('falls back to the first item when the indices do not point into the assets', () => {
    for (const pairs of [[{ src_asset_index: 0, dest_asset_index: 7 }], [{ src_asset_index: -1, dest_asset_index: 0.5 }], [], 'x', undefined]) {
      const e = norm(relocate('file_rename', [item('/a/old.txt'), item('/a/new.txt')], pairs));
      expect(e.file?.name).toBe('old.txt');
      expect(e.labels?.previous_name).toBeUndefined();
    }
  });
});

describe('normalizeTeamEvent on bad input', () => {
  it('says why a record cannot be used', () => {
    expect(normalizeTeamEvent('x', INGESTED)).toMatchObject({ ok: false, code: 'INPUT_MALFORMED' });
    expect(normalizeTeamEvent({ event_type: { '.tag': 'file_download' } }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeTeamEvent({ timestamp: 'yesterday', event_type: { '.tag': 'x' } }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeTeamEvent({ timestamp: '2024-05-06T09:12:44Z' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
  });

  it('normalizes every generated event', () => {
    for (const raw of generateTeamEvents({ count: 300, start: Date.parse('2024-05-06T00:00:00Z'), seed: 3 })) {
      const r = normalizeTeamEvent(raw, INGESTED);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.event.user?.email).toMatch(/@example\.com$/);
    }
  });
});
