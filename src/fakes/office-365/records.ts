/**
 * Audit records in the Management Activity API's schema (field names and values as Microsoft's
 * schema reference writes them), for the fake's blobs, the source's tests and the contract harness.
 */

export const ORG_ID = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const SITE = 'https://contoso-my.sharepoint.com/personal/megan_contoso_com';

/** The zoneless UTC form records carry (`2026-11-03T09:12:44`). */
export const recordTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** A record Id (a GUID), deterministic per seed so tests can name them. */
export function recordId(seed: number): string {
  const h = (seed * 2654435761) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(4, 7)}-${String(seed).padStart(12, '0')}`;
}

export interface FileOpSpec {
  operation: string;
  at: number;
  seed: number;
  user?: string;
  file?: string;
  workload?: 'OneDrive' | 'SharePoint';
  ip?: string;
  target?: string;
  targetType?: string;
}

/** A SharePoint/OneDrive file or sharing record (RecordType 6 SharePointFileOperation, 14 SharePointSharingOperation). */
export function fileOp(s: FileOpSpec): Record<string, unknown> {
  const user = s.user ?? 'megan@contoso.com';
  const file = s.file ?? `Q${s.seed} forecast.xlsx`;
  const sharing = /Shar|Link|Secure/.test(s.operation);
  return {
    CreationTime: recordTime(s.at),
    Id: recordId(s.seed),
    Operation: s.operation,
    OrganizationId: ORG_ID,
    RecordType: sharing ? 14 : 6,
    UserKey: 'i:0h.f|membership|10037ffe8a7b7c2d@live.com',
    UserType: 0,
    Version: 1,
    Workload: s.workload ?? 'OneDrive',
    ClientIP: s.ip ?? '203.0.113.45',
    ObjectId: `${SITE}/Documents/Finance/${file}`,
    UserId: user,
    CorrelationId: '622b339f-4000-a000-b1c5-0e2d6c2f7e11',
    EventSource: 'SharePoint',
    ItemType: 'File',
    ListId: '7e1a8c0d-7d6f-4a55-9a1b-0f5c1d1c9c21',
    ListItemUniqueId: `59a8433d-9bb8-cfef-6edc-${String(s.seed).padStart(12, '0')}`,
    Site: 'd5180cfc-3479-44d6-b410-8c985ac894e3',
    UserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
    WebId: 'af9b5d9d-b5a4-4b6b-8f29-2c2f2b2b8a10',
    SourceFileExtension: file.slice(file.lastIndexOf('.') + 1),
    SiteUrl: `${SITE}/`,
    SourceFileName: file,
    SourceRelativeUrl: 'Documents/Finance',
    ...(s.target ? { TargetUserOrGroupName: s.target, TargetUserOrGroupType: s.targetType ?? 'Guest' } : {}),
  };
}

/** An Exchange admin audit record of a cmdlet (RecordType 1 ExchangeAdmin). */
export function cmdlet(operation: string, params: Record<string, string>, at: number, seed: number, user = 'megan@contoso.com'): Record<string, unknown> {
  return {
    CreationTime: recordTime(at),
    Id: recordId(seed),
    Operation: operation,
    OrganizationId: ORG_ID,
    RecordType: 1,
    ResultStatus: 'True',
    UserKey: '10037FFE8A7B7C2D',
    UserType: 2,
    Version: 1,
    Workload: 'Exchange',
    ClientIP: '[2001:db8:85a3::8a2e:370:7334]:50432',
    ObjectId: `EURPR05A003.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/${user.split('@')[0]}`,
    UserId: user,
    AppId: '00000002-0000-0ff1-ce00-000000000000',
    ClientAppId: '',
    ExternalAccess: false,
    OrganizationName: 'contoso.onmicrosoft.com',
    OriginatingServer: 'AM6PR05MB5432 (15.20.8158.017)',
    Parameters: Object.entries(params).map(([Name, Value]) => ({ Name, Value })),
    SessionId: '8f0d9e3c-2b51-4a6c-9d10-7b1c3e2f4a55',
  };
}

/** An Exchange mailbox audit record (RecordType 2 ExchangeItem / 50 ExchangeItemAggregated). */
export function mailboxOp(operation: string, at: number, seed: number, owner = 'megan@contoso.com', user = owner): Record<string, unknown> {
  return {
    CreationTime: recordTime(at),
    Id: recordId(seed),
    Operation: operation,
    OrganizationId: ORG_ID,
    RecordType: operation === 'MailItemsAccessed' ? 50 : 2,
    ResultStatus: 'Succeeded',
    UserKey: '10037FFE8A7B7C2D',
    UserType: 0,
    Version: 1,
    Workload: 'Exchange',
    ClientIP: '198.51.100.20',
    UserId: user,
    ClientIPAddress: '198.51.100.20',
    ClientInfoString: 'Client=OWA;Action=ViaProxy',
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: owner === user ? 0 : 1,
    LogonUserSid: 'S-1-5-21-3007612345-1234567890-987654321-1001',
    MailboxGuid: '6a1c5a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    MailboxOwnerSid: 'S-1-5-21-3007612345-1234567890-987654321-1001',
    MailboxOwnerUPN: owner,
    ...(operation === 'MailItemsAccessed'
      ? { OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }], Folders: [{ Id: 'LgAAAAAcHM', Path: '\\Inbox', FolderItems: [{ InternetMessageId: '<AM6PR05MB@contoso.com>' }] }], OperationCount: 1 }
      : { Item: { Id: 'RgAAAAAcHMbD', InternetMessageId: `<${seed}.AM6PR05MB5432@AM6PR05MB5432.eurprd05.prod.outlook.com>`, ParentFolder: { Id: 'LgAAAAAcHM', Path: '\\Sent Items' }, SizeInBytes: 24312 } }),
  };
}

/** An Entra sign-in as the API records it (RecordType 15 AzureActiveDirectoryStsLogon). */
export function signIn(ok: boolean, at: number, seed: number, user = 'megan@contoso.com', ip = '203.0.113.45'): Record<string, unknown> {
  return {
    CreationTime: recordTime(at),
    Id: recordId(seed),
    Operation: ok ? 'UserLoggedIn' : 'UserLoginFailed',
    OrganizationId: ORG_ID,
    RecordType: 15,
    ResultStatus: ok ? 'Success' : 'Failed',
    UserKey: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    UserType: 0,
    Version: 1,
    Workload: 'AzureActiveDirectory',
    ClientIP: ip,
    ObjectId: '00000003-0000-0ff1-ce00-000000000000',
    UserId: user,
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: 'ResultStatusDetail', Value: ok ? 'Redirect' : 'Success' },
      { Name: 'UserAgent', Value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' },
      { Name: 'RequestType', Value: 'OAuth2:Authorize' },
    ],
    ModifiedProperties: [],
    Actor: [{ ID: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d', Type: 0 }, { ID: user, Type: 5 }],
    ActorContextId: ORG_ID,
    ActorIpAddress: ip,
    InterSystemsId: '7c1a3d5e-0000-4000-8000-000000000001',
    IntraSystemId: '9a8b7c6d-0000-4000-8000-000000000002',
    SupportTicketId: '',
    Target: [{ ID: '00000003-0000-0ff1-ce00-000000000000', Type: 0 }],
    TargetContextId: ORG_ID,
    ApplicationId: '89bee1f7-5e6e-4d8a-9f3d-ecd601259da7',
    ...(ok ? {} : { LogonError: 'InvalidUserNameOrPassword', ErrorNumber: '50126' }),
  };
}

/** A Microsoft Teams record (Audit.General). */
export function teamsOp(operation: string, at: number, seed: number, user = 'megan@contoso.com'): Record<string, unknown> {
  return {
    CreationTime: recordTime(at),
    Id: recordId(seed),
    Operation: operation,
    OrganizationId: ORG_ID,
    RecordType: 25,
    UserKey: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    UserType: 0,
    Version: 1,
    Workload: 'MicrosoftTeams',
    UserId: user,
    ClientIP: '198.51.100.77',
    TeamName: 'Finance',
    TeamGuid: '19:abcdef0123456789@thread.tacv2',
    Members: [{ DisplayName: 'Guest', Role: 3, UPN: 'partner_fabrikam.com#EXT#@contoso.onmicrosoft.com' }],
  };
}
