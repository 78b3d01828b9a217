import { describe, expect, it } from 'vitest';
import { ATTACKER_IP, LEGACY_FILES, LEGACY_FIREWALL, LEGACY_ODD, LEGACY_SIGN_IN, MIMIKATZ_SHA256, MSSENSE_SHA256, QUOTED_HOST, TENANT, V2_DEVICE, V2_IDENTITY, VICTIM_UPN } from './fixtures/alerts.js';
import { GRAPH_SOURCE, SCHEMA_VERSION, confidence, legacySighting, sensor, severity, v2Sighting } from './mapping.js';

const FALLBACK = '2026-03-02T09:00:00.000Z';

describe('confidence', () => {
  it.each([
    [null, 'None'],
    [undefined, 'None'],
    [0, 'Low'],
    [1, 'Low'],
    [33, 'Low'],
    [33.5, 'Medium'],
    [34, 'Medium'],
    [66, 'Medium'],
    [67, 'High'],
    [100, 'High'],
    [101, 'Unknown'],
    [-1, 'Unknown'],
    [Number.NaN, 'Unknown'],
    ['50', 'Unknown'],
    [{}, 'Unknown'],
  ])('%s → %s', (v, want) => expect(confidence(v)).toBe(want));
});

describe('severity', () => {
  it.each([
    ['informational', 'Info'],
    ['low', 'Low'],
    ['medium', 'Medium'],
    ['high', 'High'],
    ['unknown', 'Unknown'],
    ['unknownFutureValue', 'Unknown'],
    ['High', 'Unknown'],
    ['toString', 'Unknown'],
    ['__proto__', 'Unknown'],
    [null, 'Unknown'],
    [3, 'Unknown'],
  ])('%s → %s', (v, want) => expect(severity(v)).toBe(want));
});

describe('sensor', () => {
  it.each([
    [{ provider: 'Palo Alto Networks', subProvider: 'NGFW' }, 'network.firewall'],
    [{ provider: 'Palo Alto Networks', subProvider: 'NG Firewall' }, 'network.firewall'],
    [{ provider: 'Palo Alto Networks', subProvider: 'Traps' }, 'endpoint'],
    [{ provider: 'Windows Defender ATP', subProvider: 'NGFW' }, 'endpoint'],
    [{ provider: 'IPC' }, 'endpoint'],
    [null, 'endpoint'],
  ])('%j → %s', (v, want) => expect(sensor(v)).toBe(want));
});

describe('legacy alert → sighting', () => {
  it('maps every field of a firewall alert (Cisco\'s rules)', () => {
    const s = legacySighting({ type: 'ip', value: ATTACKER_IP }, LEGACY_FIREWALL, FALLBACK);
    const t = LEGACY_FIREWALL.eventDateTime!;
    expect(s).toEqual({
      type: 'sighting',
      schema_version: SCHEMA_VERSION,
      id: expect.stringMatching(/^transient:sighting-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source: GRAPH_SOURCE,
      source_uri: 'https://firewall.contoso.com/threat/05BD5D80',
      count: 1,
      internal: true,
      title: LEGACY_FIREWALL.title,
      description: LEGACY_FIREWALL.description,
      timestamp: t,
      observed_time: { start_time: t, end_time: t },
      confidence: 'High',
      severity: 'High',
      sensor: 'network.firewall',
      external_ids: ['05BD5D80-3385-49D5-BEE4-4E439F9C0071'],
      external_references: [
        { source_name: 'Palo Alto Networks', url: 'https://firewall.contoso.com/threat/05BD5D80' },
        { source_name: 'Palo Alto Networks', url: 'https://firewall.contoso.com/url/05BD5D80' },
      ],
      observables: [{ type: 'ip', value: ATTACKER_IP }],
      targets: [
        {
          type: 'endpoint',
          observables: [
            { type: 'ip', value: '10.8.198.11' },
            { type: 'ip', value: ATTACKER_IP },
            { type: 'hostname', value: 'lap-douglasf' },
            { type: 'domain', value: 'lap-douglasf.contoso.com' },
          ],
          observed_time: { start_time: t, end_time: t },
          os: 'Windows10',
        },
      ],
      // Only the connection with both a source address and a destination domain.
      relations: [{ origin: 'Palo Alto Networks', relation: 'Connected_To', source: { type: 'ip', value: '10.8.198.11' }, related: { type: 'domain', value: 'willaimsclarke.example' } }],
    });
    expect(legacySighting({ type: 'ip', value: ATTACKER_IP }, LEGACY_FIREWALL, FALLBACK).id).not.toBe(s.id);
  });

  it('file relations only for files with a hash; empty host values dropped; null confidence is None; informational is Info', () => {
    const s = legacySighting({ type: 'sha256', value: MIMIKATZ_SHA256 }, LEGACY_FILES, FALLBACK);
    expect(s).toMatchObject({ confidence: 'None', severity: 'Info', sensor: 'endpoint', external_references: [{ source_name: 'Windows Defender ATP' }] });
    expect(s.targets).toEqual([{ type: 'endpoint', observables: [{ type: 'ip', value: '10.8.198.7' }, { type: 'hostname', value: 'dt-aldom' }, { type: 'domain', value: 'dt-aldom.contoso.com' }], observed_time: expect.any(Object) }]);
    expect(s.relations).toEqual([
      { origin: 'Windows Defender ATP', relation: 'File_Name_Of', source: { type: 'file_name', value: 'mimikatz.exe' }, related: { type: 'sha256', value: MIMIKATZ_SHA256 } },
      { origin: 'Windows Defender ATP', relation: 'File_Path_Of', source: { type: 'file_path', value: 'C:\\Users\\aldom\\Downloads\\mimikatz.exe' }, related: { type: 'sha256', value: MIMIKATZ_SHA256 } },
    ]);
  });

  it('no hosts, no links: no targets, no references; confidence 34 is Medium', () => {
    const s = legacySighting({ type: 'email', value: VICTIM_UPN }, LEGACY_SIGN_IN, FALLBACK);
    expect(s).toMatchObject({ confidence: 'Medium', severity: 'Medium', targets: [], external_references: [], observables: [{ type: 'email', value: VICTIM_UPN }] });
    expect(s.source_uri).toBeUndefined();
    expect(s.relations).toEqual([{ origin: 'IPC', relation: 'Connected_To', source: { type: 'ip', value: ATTACKER_IP }, related: { type: 'domain', value: 'login.microsoftonline.com' } }]);
  });

  it('out-of-range confidence and unknown severity map to Unknown; Traps is an endpoint', () => {
    const s = legacySighting({ type: 'hostname', value: QUOTED_HOST }, LEGACY_ODD, FALLBACK);
    expect(s).toMatchObject({ confidence: 'Unknown', severity: 'Unknown', sensor: 'endpoint' });
    expect(s.targets![0]!.observables).toEqual([{ type: 'ip', value: '10.8.198.99' }, { type: 'hostname', value: QUOTED_HOST }]);
  });

  it('never crashes on a record missing everything', () => {
    for (const junk of [{}, { hostStates: 'x', networkConnections: [null, 1], fileStates: [{ fileHash: 'no' }], sourceMaterials: [3, ''], vendorInformation: 'x' }]) {
      const s = legacySighting({ type: 'ip', value: '1.2.3.4' }, junk as never, FALLBACK);
      expect(s).toMatchObject({ timestamp: FALLBACK, observed_time: { start_time: FALLBACK, end_time: FALLBACK }, external_ids: [], external_references: [], targets: [], relations: [], confidence: 'None', severity: 'Unknown', sensor: 'endpoint', source: GRAPH_SOURCE });
    }
  });

  it('Connected_To needs both ends: a connection without a source address or without a domain gives none', () => {
    const a = { ...LEGACY_FIREWALL, networkConnections: [{ sourceAddress: null, destinationDomain: 'x.example' }, { sourceAddress: '10.0.0.1', destinationDomain: '' }, { sourceAddress: '10.0.0.2', destinationDomain: 'y.example' }] };
    expect(legacySighting({ type: 'ip', value: '10.0.0.2' }, a as never, FALLBACK).relations).toEqual([
      { origin: 'Palo Alto Networks', relation: 'Connected_To', source: { type: 'ip', value: '10.0.0.2' }, related: { type: 'domain', value: 'y.example' } },
    ]);
  });

  it('time falls back to createdDateTime when there is no eventDateTime', () => {
    const s = legacySighting({ type: 'ip', value: ATTACKER_IP }, { ...LEGACY_FIREWALL, eventDateTime: null }, FALLBACK);
    expect(s.timestamp).toBe(LEGACY_FIREWALL.createdDateTime);
  });
});

describe('alerts_v2 → sighting', () => {
  it('maps Graph\'s documented example: device target, file relations from file and process evidence', () => {
    const s = v2Sighting({ type: 'sha256', value: MSSENSE_SHA256 }, V2_DEVICE, FALLBACK);
    expect(s).toMatchObject({
      type: 'sighting',
      schema_version: SCHEMA_VERSION,
      source: GRAPH_SOURCE,
      source_uri: V2_DEVICE.alertWebUrl,
      count: 1,
      internal: true,
      title: 'Suspicious execution of hidden file',
      timestamp: V2_DEVICE.createdDateTime,
      observed_time: { start_time: V2_DEVICE.firstActivityDateTime, end_time: V2_DEVICE.lastActivityDateTime },
      confidence: 'None',
      severity: 'Low',
      sensor: 'endpoint',
      external_ids: [V2_DEVICE.id],
      external_references: [
        { source_name: 'Microsoft Defender for Endpoint', url: V2_DEVICE.alertWebUrl },
        { source_name: 'Microsoft Defender for Endpoint', url: `https://security.microsoft.com/incidents/28282?tid=${TENANT}` },
      ],
      observables: [{ type: 'sha256', value: MSSENSE_SHA256 }],
    });
    expect(s.targets).toEqual([
      {
        type: 'endpoint',
        observables: [
          { type: 'ip', value: '10.1.2.3' },
          { type: 'ip', value: ATTACKER_IP },
          { type: 'hostname', value: 'lap-megan' },
          { type: 'domain', value: 'lap-megan.contoso.com' },
        ],
        observed_time: { start_time: V2_DEVICE.firstActivityDateTime, end_time: V2_DEVICE.lastActivityDateTime },
        os: 'Windows10',
      },
    ]);
    const rel = (relation: string, type: string, value: string) => ({ origin: 'Microsoft Defender for Endpoint', relation, source: { type, value }, related: { type: 'sha256', value: MSSENSE_SHA256 } });
    // The file and the process image are the same file (one relation each); the parent image has no hash.
    expect(s.relations).toEqual([rel('File_Name_Of', 'file_name', 'MsSense.exe'), rel('File_Path_Of', 'file_path', 'C:\\Program Files\\temp\\MsSense.exe')]);
  });

  it('identity alert: no device, no relations; a missing last activity ends at the first; one link', () => {
    const s = v2Sighting({ type: 'user', value: VICTIM_UPN }, V2_IDENTITY, FALLBACK);
    expect(s).toMatchObject({ severity: 'High', targets: [], relations: [], observed_time: { start_time: V2_IDENTITY.firstActivityDateTime, end_time: V2_IDENTITY.firstActivityDateTime } });
    expect(s.external_references).toEqual([{ source_name: 'Azure Active Directory Identity Protection', url: V2_IDENTITY.alertWebUrl }]);
  });

  it('a device with only interfaces gives its first interface; empty values dropped', () => {
    const s = v2Sighting({ type: 'ip', value: '10.9.9.9' }, { id: 'x', evidence: [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', ipInterfaces: ['', '10.9.9.9'], hostName: '  ', deviceDnsName: null }] } as never, FALLBACK);
    expect(s.targets).toEqual([{ type: 'endpoint', observables: [{ type: 'ip', value: '10.9.9.9' }], observed_time: { start_time: FALLBACK, end_time: FALLBACK } }]);
    expect(s).toMatchObject({ severity: 'Unknown', external_references: [], source: GRAPH_SOURCE });
  });
});
