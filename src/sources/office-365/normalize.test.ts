import { describe, expect, it } from 'vitest';
import { cmdlet, fileOp, mailboxOp, recordId, signIn, teamsOp } from '../../fakes/office-365/records.js';
import { addresses, clientIp, creationMs, normalizeExample, normalizeRecord } from './normalize.js';

const AT = Date.parse('2026-11-03T09:12:44Z');
const INGESTED = '2026-11-03T10:00:00.000Z';

function ok(raw: unknown, contentType?: string) {
  const r = normalizeRecord(raw, INGESTED, contentType);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('office-365 normalizer: SharePoint and OneDrive', () => {
  it.each([
    ['FileDownloaded', 'download'],
    ['FileSyncDownloadedFull', 'download'],
    ['FileAccessed', 'view'],
    ['FileUploaded', 'upload'],
    ['FileModified', 'modify'],
    ['FileDeleted', 'delete'],
    ['FileRecycled', 'delete'],
    ['FileRenamed', 'rename'],
    ['FileMoved', 'move'],
  ])('%s is a file event (activity %s) with the actor, address, agent and the item', (operation, activity) => {
    const e = ok(fileOp({ operation, at: AT, seed: 1 }), 'Audit.SharePoint');
    expect(e.event).toMatchObject({ action: operation, category: ['file'], outcome: 'success', provider: 'office-365', dataset: 'office-365.sharepoint' });
    expect(e['@timestamp']).toBe('2026-11-03T09:12:44.000Z');
    expect(e.user).toEqual({ email: 'megan@contoso.com', id: 'i:0h.f|membership|10037ffe8a7b7c2d@live.com' });
    expect(e.source).toEqual({ ip: '203.0.113.45' });
    expect(e.user_agent?.original).toMatch(/^Mozilla\/5\.0/);
    expect(e.file).toEqual({ id: '59a8433d-9bb8-cfef-6edc-000000000001', path: 'https://contoso-my.sharepoint.com/personal/megan_contoso_com/Documents/Finance/Q1 forecast.xlsx', name: 'Q1 forecast.xlsx' });
    expect(e.labels).toMatchObject({ activity, workload: 'OneDrive', 'o365.ItemType': 'File' });
    expect(e.share).toBeUndefined();
  });

  it('FileRenamed names the item by DestinationFileName and keeps SourceFileName as the previous name', () => {
    const e = ok({ ...fileOp({ operation: 'FileRenamed', at: AT, seed: 3, file: 'Q3 forecast.xlsx' }), DestinationFileName: 'Q3 forecast.xlsx.akira', DestinationFileExtension: 'akira', DestinationRelativeUrl: 'Documents/Finance' }, 'Audit.SharePoint');
    expect(e.file).toMatchObject({ id: '59a8433d-9bb8-cfef-6edc-000000000003', name: 'Q3 forecast.xlsx.akira' });
    expect(e.labels).toMatchObject({ activity: 'rename', previous_name: 'Q3 forecast.xlsx', 'o365.DestinationFileName': 'Q3 forecast.xlsx.akira' });
    // Path and name agree: the item as it is now, the URL it had kept beside the name it had.
    expect(e.file!.path).toMatch(/\/Documents\/Finance\/Q3 forecast\.xlsx\.akira$/);
    expect(e.labels!.previous_path).toMatch(/\/Q3 forecast\.xlsx$/);
    // Without DestinationFileName (Microsoft's schema promises it only for copies and moves) the record is read as it stands.
    const bare = ok(fileOp({ operation: 'FileRenamed', at: AT, seed: 5, file: 'Budget.xlsx' }), 'Audit.SharePoint');
    expect([bare.file?.name, bare.labels?.activity, bare.labels?.previous_name, bare.labels?.previous_path]).toEqual(['Budget.xlsx', 'rename', undefined, undefined]);
    // A move keeps its source name: DestinationFileName there is where it went, not a new name.
    const moved = ok({ ...fileOp({ operation: 'FileMoved', at: AT, seed: 4, file: 'plan.docx' }), DestinationFileName: 'plan (1).docx', DestinationRelativeUrl: 'Documents/Archive' }, 'Audit.SharePoint');
    expect(moved.file?.name).toBe('plan.docx');
    expect(moved.labels?.previous_name).toBeUndefined();
  });

  it('SharingSet and SharingInvitationCreated with a guest are external shares naming the guest', () => {
    for (const operation of ['SharingSet', 'SharingInvitationCreated']) {
      const e = ok(fileOp({ operation, at: AT, seed: 2, target: 'Drop.Box@Fabrikam.example', targetType: 'Guest' }), 'Audit.SharePoint');
      expect(e.share).toEqual({ visibility: 'external' });
      expect(e.target).toEqual({ user: { email: 'drop.box@fabrikam.example' } });
      expect(e.labels).toMatchObject({ activity: 'share', 'o365.TargetUserOrGroupType': 'Guest' });
      expect(e.related?.user).toEqual(['megan@contoso.com', 'drop.box@fabrikam.example']);
    }
  });

  // A SharePoint sharing record as the schema's SharePoint Sharing section describes it
  // (https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#sharepoint-sharing-schema):
  // no SourceFileName, the item only in ObjectId, URL-encoded.
  it('names the file of a sharing record without SourceFileName from the end of its ObjectId', () => {
    const raw = fileOp({ operation: 'AnonymousLinkCreated', at: AT, seed: 20 });
    delete raw.SourceFileName;
    raw.ObjectId = 'https://contoso.sharepoint.com/sites/finance/Shared%20Documents/Q3%20payroll.xlsx';
    const e = ok(raw, 'Audit.SharePoint');
    expect(e.file).toMatchObject({ name: 'Q3 payroll.xlsx', path: 'https://contoso.sharepoint.com/sites/finance/Shared%20Documents/Q3%20payroll.xlsx' });
    // A site is no file name, nor is an ObjectId that is no URL.
    expect(ok({ ...raw, ItemType: 'Web', ObjectId: 'https://contoso.sharepoint.com/sites/finance' }, 'Audit.SharePoint').file?.name).toBeUndefined();
    expect(ok({ ...raw, ObjectId: 'https://contoso.sharepoint.com' }, 'Audit.SharePoint').file?.name).toBeUndefined();
    expect(ok({ ...raw, ObjectId: 'Q3%' }, 'Audit.SharePoint').file?.name).toBeUndefined();
  });

  it('a share with a member is internal; AddedToSecureLink with a #EXT# account is external', () => {
    expect(ok(fileOp({ operation: 'SharingSet', at: AT, seed: 3, target: 'lee@contoso.com', targetType: 'Member' }), 'Audit.SharePoint').share).toEqual({ visibility: 'internal' });
    const ext = ok(fileOp({ operation: 'AddedToSecureLink', at: AT, seed: 4, target: 'drop_fabrikam.example#EXT#@contoso.onmicrosoft.com', targetType: 'SecurityGroup' }), 'Audit.SharePoint');
    expect(ext.share).toEqual({ visibility: 'external' });
  });

  it('anonymous links are public, company links internal', () => {
    expect(ok(fileOp({ operation: 'AnonymousLinkCreated', at: AT, seed: 5 }), 'Audit.SharePoint').share).toEqual({ visibility: 'public' });
    expect(ok(fileOp({ operation: 'AnonymousLinkUsed', at: AT, seed: 6 }), 'Audit.SharePoint').labels?.activity).toBe('link_used');
    expect(ok(fileOp({ operation: 'CompanyLinkCreated', at: AT, seed: 7 }), 'Audit.SharePoint').share).toEqual({ visibility: 'internal' });
  });
});

describe('office-365 normalizer: Exchange', () => {
  it('New-InboxRule forwarding outside names the mailbox, the destination and that it is external', () => {
    const e = ok(cmdlet('New-InboxRule', { Mailbox: 'megan@contoso.com', Name: '.', ForwardTo: 'smtp:Invoices.Desk@fabrikam.example;lee@contoso.com', DeleteMessage: 'True' }, AT, 10), 'Audit.Exchange');
    expect(e.event).toMatchObject({ action: 'New-InboxRule', category: ['email', 'configuration'], outcome: 'success', dataset: 'office-365.exchange' });
    expect(e.target).toEqual({ user: { email: 'megan@contoso.com' } });
    expect(e.email?.to?.address).toEqual(['Invoices.Desk@fabrikam.example', 'lee@contoso.com']);
    expect(e.labels).toMatchObject({ forwarding_external: 'true', forwarding_address: 'Invoices.Desk@fabrikam.example,lee@contoso.com', 'o365.DeleteMessage': 'True', 'o365.rule_name': '.' });
    // Exchange's ClientIP carries a port; the address alone is kept.
    expect(e.source?.ip).toBe('2001:db8:85a3::8a2e:370:7334');
  });

  it.each([['ForwardAsAttachmentTo'], ['RedirectTo']])('Set-InboxRule with %s inside the domain is not external', (param) => {
    const e = ok(cmdlet('Set-InboxRule', { Identity: 'megan@contoso.com\\Invoices', [param]: 'lee@contoso.com' }, AT, 11), 'Audit.Exchange');
    expect(e.labels).toMatchObject({ forwarding_external: 'false', [`o365.${param}`]: 'lee@contoso.com' });
    expect(e.target?.user?.email).toBe('megan@contoso.com');
  });

  // Outlook on the web records a recipient picked from the address book with its display name,
  // `"Name" [SMTP:address]` (Exchange admin audit schema, Parameters:
  // https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#exchange-admin-schema).
  it('New-InboxRule naming the destination with its display name forwards to the address alone', () => {
    const e = ok(cmdlet('New-InboxRule', { Mailbox: 'megan@contoso.com', Name: 'x', ForwardTo: '"Accounts, Payable" [SMTP:ap.desk@fabrikam.example];"Lee" [SMTP:lee@contoso.com]', StopProcessingRules: 'True' }, AT, 16), 'Audit.Exchange');
    expect(e.email?.to?.address).toEqual(['ap.desk@fabrikam.example', 'lee@contoso.com']);
    expect(e.labels).toMatchObject({ forwarding_external: 'true', forwarding_address: 'ap.desk@fabrikam.example,lee@contoso.com' });
    expect(addresses('Ana Silva <ana@fabrikam.example>')).toEqual(['ana@fabrikam.example']);
    // Every destination of a list, whichever separator it uses and whatever commas its names hold.
    expect(addresses('Ana <ana@contoso.com>, Bo <bo@fabrikam.example>')).toEqual(['ana@contoso.com', 'bo@fabrikam.example']);
    expect(addresses('"a@contoso.com","b@fabrikam.example"')).toEqual(['a@contoso.com', 'b@fabrikam.example']);
  });

  // A rule made in Outlook for Windows is logged as the mailbox operation UpdateInboxRules, its rule in
  // OperationProperties (RuleName, RuleOperation, ServerRule with Actions[].Recipients), not as a cmdlet
  // (https://learn.microsoft.com/purview/audit-mailboxes#mailbox-actions-for-user-mailboxes-and-shared-mailboxes).
  it('UpdateInboxRules from Outlook forwarding outside is read like New-InboxRule', () => {
    const serverRule = JSON.stringify({
      Name: 'Invoices', Sequence: 10, State: 'Enabled',
      Condition: { Type: 'Content', Properties: [{ PropTag: 3604511, Value: 'ana.from@contoso.com' }] },
      Actions: [{ ActionType: 'Forward', Flavor: 0, Recipients: [{ Values: [{ PropTag: 805371935, Value: 'drop.box@mailhost.example' }, { PropTag: 805306371, Value: 0 }] }] }],
    });
    const raw = { ...mailboxOp('UpdateInboxRules', AT, 17, 'megan@contoso.com', 'megan@contoso.com'), OperationProperties: [
      { Name: 'RuleName', Value: 'Invoices' }, { Name: 'RuleId', Value: '6052698209213349889' }, { Name: 'RuleOperation', Value: 'AddMailboxRule' },
      { Name: 'RuleCondition', Value: 'From contains ana.from@contoso.com' }, { Name: 'RuleActions', Value: 'ForwardToRecipientsAction' }, { Name: 'ServerRule', Value: serverRule },
    ] };
    const e = ok(raw, 'Audit.Exchange');
    expect(e.event).toMatchObject({ action: 'UpdateInboxRules', category: ['email', 'configuration'] });
    expect(e.target?.user?.email).toBe('megan@contoso.com');
    expect(e.email?.to?.address).toEqual(['drop.box@mailhost.example']);
    expect(e.labels).toMatchObject({ forwarding_external: 'true', forwarding_address: 'drop.box@mailhost.example', 'o365.rule_name': 'Invoices', 'o365.RuleOperation': 'AddMailboxRule' });
    // A rule that only moves mail forwards nowhere, whatever addresses its condition names.
    const move = ok({ ...raw, Id: recordId(18), OperationProperties: [{ Name: 'RuleName', Value: 'News' }, { Name: 'RuleCondition', Value: 'From contains news@vendor.example' }, { Name: 'RuleActions', Value: 'MoveToFolderAction' }] }, 'Audit.Exchange');
    expect(move.email?.to).toBeUndefined();
    expect(move.labels?.forwarding_external).toBeUndefined();
    // Removing the forwarding rule is the clean-up, not a forward.
    const removed = ok({ ...raw, Id: recordId(19), OperationProperties: raw.OperationProperties.map((p) => (p.Name === 'RuleOperation' ? { ...p, Value: 'RemoveMailboxRule' } : p)) }, 'Audit.Exchange');
    expect([removed.labels?.['o365.RuleOperation'], removed.labels?.forwarding_external, removed.email?.to]).toEqual(['RemoveMailboxRule', undefined, undefined]);
  });

  it('Set-Mailbox ForwardingSmtpAddress by an admin: the mailbox is the target, the admin the user', () => {
    const e = ok(cmdlet('Set-Mailbox', { Identity: 'megan@contoso.com', ForwardingSmtpAddress: 'smtp:archive@gmail.example', DeliverToMailboxAndForward: 'True' }, AT, 12, 'admin@contoso.com'), 'Audit.Exchange');
    expect(e.user?.email).toBe('admin@contoso.com');
    expect(e.target?.user?.email).toBe('megan@contoso.com');
    expect(e.labels).toMatchObject({ forwarding_external: 'true', forwarding_address: 'archive@gmail.example', 'o365.DeliverToMailboxAndForward': 'True' });
  });

  it('Add-MailboxPermission is an iam event naming the mailbox and the grantee', () => {
    const e = ok(cmdlet('Add-MailboxPermission', { Identity: 'ceo@contoso.com', User: 'megan@contoso.com', AccessRights: 'FullAccess', InheritanceType: 'All' }, AT, 13, 'admin@contoso.com'), 'Audit.Exchange');
    expect(e.event.category).toEqual(['iam']);
    expect(e.target?.user?.email).toBe('ceo@contoso.com');
    expect(e.labels).toMatchObject({ 'o365.grantee': 'megan@contoso.com', 'o365.AccessRights': 'FullAccess' });
  });

  it('MailItemsAccessed and Send name the mailbox owner as target', () => {
    const read = ok(mailboxOp('MailItemsAccessed', AT, 14, 'ceo@contoso.com', 'megan@contoso.com'), 'Audit.Exchange');
    expect(read.event).toMatchObject({ action: 'MailItemsAccessed', category: ['email'], outcome: 'success' });
    expect(read.target?.user?.email).toBe('ceo@contoso.com');
    expect(read.labels).toMatchObject({ 'o365.MailAccessType': 'Bind', 'o365.LogonType': '1', 'o365.folder_count': '1' });
    const sent = ok(mailboxOp('Send', AT, 15), 'Audit.Exchange');
    expect(sent.target?.user?.email).toBe('megan@contoso.com');
    expect(sent.email?.message_id).toBe('<15.AM6PR05MB5432@AM6PR05MB5432.eurprd05.prod.outlook.com>');
  });
});

describe('office-365 normalizer: Entra and general', () => {
  it('UserLoggedIn is a successful authentication with address and agent', () => {
    const e = ok(signIn(true, AT, 20), 'Audit.AzureActiveDirectory');
    expect(e.event).toMatchObject({ action: 'UserLoggedIn', category: ['authentication'], outcome: 'success', dataset: 'office-365.azure_active_directory' });
    expect(e.source?.ip).toBe('203.0.113.45');
    expect(e.user_agent?.original).toMatch(/Chrome\/130/);
    expect(e.labels?.['o365.LogonError']).toBeUndefined();
  });

  it('UserLoginFailed is a failure carrying LogonError', () => {
    const e = ok(signIn(false, AT, 21, 'megan@contoso.com', '198.51.100.9'), 'Audit.AzureActiveDirectory');
    expect(e.event.outcome).toBe('failure');
    expect(e.labels).toMatchObject({ 'o365.LogonError': 'InvalidUserNameOrPassword', 'o365.ErrorNumber': '50126' });
    expect(e.source?.ip).toBe('198.51.100.9');
  });

  it('an Entra directory operation is iam, its target the UPN in Target', () => {
    const raw = { ...signIn(true, AT, 22), Operation: 'Add member to role.', ResultStatus: 'Success', Target: [{ ID: 'User_1b2c', Type: 2 }, { ID: 'lee@contoso.com', Type: 5 }] };
    const e = ok(raw, 'Audit.AzureActiveDirectory');
    expect(e.event.category).toEqual(['iam']);
    expect(e.target?.user?.email).toBe('lee@contoso.com');
  });

  it('Audit.General passes through with the category of its workload', () => {
    const e = ok(teamsOp('MemberAdded', AT, 30), 'Audit.General');
    expect(e.event).toMatchObject({ action: 'MemberAdded', category: ['session'], dataset: 'office-365.general' });
    expect(e.labels?.workload).toBe('MicrosoftTeams');
  });

  // Microsoft Teams schema, Members (DisplayName, Role, UPN):
  // https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#microsoft-teams-schema
  it('a Teams member added names the member as the target, a guest as external', () => {
    const e = ok({ ...teamsOp('MemberAdded', AT, 31), Members: [{ DisplayName: 'Dave (Partner)', Role: 3, UPN: 'Dave_Partner.example#EXT#@contoso.onmicrosoft.com' }, { DisplayName: 'Lee', Role: 1, UPN: 'lee@contoso.com' }] }, 'Audit.General');
    expect(e.target).toEqual({ user: { email: 'dave_partner.example#ext#@contoso.onmicrosoft.com' } });
    expect(e.labels).toMatchObject({ 'o365.members': 'dave_partner.example#ext#@contoso.onmicrosoft.com,lee@contoso.com', 'o365.member_external': 'true', 'o365.TeamName': 'Finance' });
    expect(e.related?.user).toEqual(['megan@contoso.com', 'dave_partner.example#ext#@contoso.onmicrosoft.com', 'lee@contoso.com']);
    const chat = ok({ ...teamsOp('MessageSent', AT, 32), Members: undefined }, 'Audit.General');
    expect(chat.target).toBeUndefined();
  });

  it('an operation saaswatch does not know is still an event, its action the Operation', () => {
    const e = ok({ ...fileOp({ operation: 'FileSensitivityLabelChanged', at: AT, seed: 31 }) }, 'Audit.SharePoint');
    expect(e.event.action).toBe('FileSensitivityLabelChanged');
    expect(e.labels?.activity).toBeUndefined();
    const odd = ok({ CreationTime: '2026-11-03T09:12:44', Id: recordId(32), Operation: 'SomethingNew', Workload: 'Unheard', RecordType: 999 });
    expect(odd.event).toMatchObject({ action: 'SomethingNew', category: ['configuration'], dataset: 'office-365.general' });
  });

  it('the event id is the record Id alone, so a record read twice is one event', () => {
    const a = ok(fileOp({ operation: 'FileDownloaded', at: AT, seed: 40 }));
    const b = ok({ ...fileOp({ operation: 'FileDownloaded', at: AT, seed: 40 }), ClientIP: '198.51.100.1' });
    const c = ok(fileOp({ operation: 'FileDownloaded', at: AT, seed: 41 }));
    expect(a.event.id).toBe(b.event.id);
    expect(a.event.id).not.toBe(c.event.id);
  });
});

describe('office-365 normalizer: refusals and parts', () => {
  it.each([
    ['not an object', ['x'], 'INPUT_MALFORMED'],
    ['no CreationTime', { Id: recordId(1), Operation: 'FileDownloaded' }, 'TIMESTAMP_INVALID'],
    ['a bad CreationTime', { CreationTime: 'yesterday', Id: recordId(1), Operation: 'FileDownloaded' }, 'TIMESTAMP_INVALID'],
    ['no Id', { CreationTime: '2026-11-03T09:12:44', Operation: 'FileDownloaded' }, 'FIELD_MISSING'],
    ['no Operation', { CreationTime: '2026-11-03T09:12:44', Id: recordId(1) }, 'FIELD_MISSING'],
  ])('refuses a record with %s', (_what, raw, code) => {
    const r = normalizeRecord(raw, INGESTED);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('tells addresses from names: only an address becomes user.email and target.user.email', () => {
    const e = ok({ ...fileOp({ operation: 'SharingSet', at: AT, seed: 60, target: 'Finance Members', targetType: 'SharePointGroup' }), UserId: 'app@sharepoint' });
    expect(e.user).toEqual({ name: 'app@sharepoint', id: 'i:0h.f|membership|10037ffe8a7b7c2d@live.com' });
    expect(e.target).toBeUndefined();
    expect(e.share).toEqual({ visibility: 'internal' });
  });

  it('reads zoneless UTC times and addresses with ports', () => {
    expect(creationMs('2026-11-03T09:12:44')).toBe(AT);
    expect(creationMs('2026-11-03T09:12:44Z')).toBe(AT);
    expect(creationMs('03/11/2026 09:12')).toBeUndefined();
    expect(clientIp('203.0.113.7:49152')).toBe('203.0.113.7');
    expect(clientIp('[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(clientIp('2001:db8::7')).toBe('2001:db8::7');
    expect(addresses('SMTP:a@x.example; b@y.example,')).toEqual(['a@x.example', 'b@y.example']);
  });

  // ClientIP forms seen in Management Activity records: IPv4-mapped IPv6, bracketed or not, with a port;
  // a host name is not an address (schema: https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#common-schema).
  it('reads IPv4-mapped addresses as IPv4 and drops ClientIP values that are no address', () => {
    expect(clientIp('::ffff:10.11.12.13')).toBe('10.11.12.13');
    expect(clientIp('[::ffff:10.11.12.13]:12345')).toBe('10.11.12.13');
    expect(clientIp('[10.11.12.13]')).toBe('10.11.12.13');
    expect(clientIp('[2001:db8::abcd]')).toBe('2001:db8::abcd');
    expect(clientIp('localhost')).toBeUndefined();
    expect(clientIp('cool.client.local:12345')).toBeUndefined();
    const e = ok({ ...mailboxOp('MailItemsAccessed', AT, 19), ClientIP: undefined, ClientIPAddress: '::ffff:198.51.100.20' }, 'Audit.Exchange');
    expect(e.source?.ip).toBe('198.51.100.20');
    expect(e.related?.ip).toEqual(['198.51.100.20']);
  });

  it('the example normalizer stamps CreationTime in the API form', () => {
    const [e] = normalizeExample(fileOp({ operation: 'FileDownloaded', at: 0, seed: 50 }), '2026-11-03T09:12:44.000Z');
    expect(e!['@timestamp']).toBe('2026-11-03T09:12:44.000Z');
    expect(() => normalizeExample({ Operation: 'FileDownloaded' }, '2026-11-03T09:12:44.000Z')).toThrow(/Id/);
  });

  it('clientIp and addresses stay linear on adversarial input', () => {
    const long = `${'1.'.repeat(50_000)}:${'9'.repeat(50_000)}`;
    const t0 = performance.now();
    clientIp(long);
    clientIp(`[${':'.repeat(100_000)}`);
    addresses(';'.repeat(100_000));
    creationMs(`2026-11-03T09:12:44${'9'.repeat(100_000)}`);
    normalizeRecord({ CreationTime: '2026-11-03T09:12:44', Id: 'x', Operation: 'SharingSet', Workload: 'OneDrive', UserId: `a@${'b'.repeat(100_000)}`, TargetUserOrGroupName: `${'a@'.repeat(50_000)}` }, INGESTED);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
