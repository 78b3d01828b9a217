import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { legacyAlert, parseLegacyFilter } from '../../../fakes/microsoft-graph/server.js';
import { OBSERVABLE_TYPES, type Observable } from '../types.js';
import { V2_DEVICE, V2_IDENTITY, ATTACKER_IP, C2_URL, MSSENSE_SHA256, VICTIM_UPN, TENANT, T0 } from './fixtures/alerts.js';
import { evidenceKind, evidenceMatches, joinPath, legacyFilter, odataString, queryValue, v2AlertMatches, v2TimeFilter } from './filters.js';

/** Strings an attacker would try: quotes that close the literal, clauses after it, query-string separators, escapes. */
const ADVERSARIAL = [
  "'",
  "''",
  "o'brien",
  "x') or networkConnections/any(y:y/sourceAddress eq '10.0.0.1",
  "' or 1 eq 1 or '",
  "a' and severity eq 'high",
  '&$top=1000',
  '#fragment',
  '%27 or %27%27 eq %27',
  '+plus+ and spaces',
  'back\\slash',
  'line\nbreak',
  '',
  'é漢字🙂',
];

/** A legacy record whose file state holds exactly `name`. */
const withFile = (name: string) => legacyAlert({ id: 'x', tenantId: TENANT, title: 't', description: 'd', category: 'c', severity: 'low', eventMs: T0, vendor: { provider: 'p', vendor: 'v' }, files: [{ name }] }) as unknown as Record<string, unknown>;

describe('OData escaping', () => {
  it('doubles every quote and wraps the value', () => {
    expect(odataString("o'brien")).toBe("'o''brien'");
    expect(odataString("''")).toBe("''''''");
    expect(odataString('plain')).toBe("'plain'");
  });

  it('a value is data: the filter Graph parses compares with exactly that value, whatever it contains', () => {
    const check = (v: string) => {
      const pred = parseLegacyFilter(legacyFilter({ type: 'file_name', value: v }));
      expect(pred(withFile(v))).toBe(true);
      expect(pred(withFile(`${v}x`))).toBe(false);
      expect(pred(withFile('10.0.0.1'))).toBe(false);
    };
    for (const v of ADVERSARIAL) check(v);
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (v) => check(v)), { numRuns: 300 });
    fc.assert(fc.property(fc.array(fc.constantFrom("'", ')', '(', ' or ', ' and ', 'eq', ':', '/', 'x'), { maxLength: 12 }).map((a) => a.join('')), (v) => check(v)), { numRuns: 300 });
  });

  it('a quote cannot close the literal and add a clause', () => {
    const injected = "x') or networkConnections/any(y:y/sourceAddress eq '10.0.0.1";
    const f = legacyFilter({ type: 'hostname', value: injected });
    // One lambda with one comparison: the whole text is the NetBIOS name compared with.
    expect(f).toBe(`hostStates/any(x:x/fqdn eq 'x'') or networkConnections/any(y:y/sourceAddress eq ''10.0.0.1')`);
    const victim = legacyAlert({ id: 'v', tenantId: TENANT, title: 't', description: 'd', category: 'c', severity: 'low', eventMs: T0, vendor: { provider: 'p', vendor: 'v' }, connections: [{ sourceAddress: '10.0.0.1' }] });
    expect(parseLegacyFilter(f)(victim as unknown as Record<string, unknown>)).toBe(false);
  });

  it('the percent-encoded filter decodes to exactly the filter: separators in a value stay in the value', () => {
    const check = (v: string) => {
      const f = legacyFilter({ type: 'url', value: v });
      const q = new URLSearchParams(`$filter=${queryValue(f)}&$top=5`);
      expect(q.get('$filter')).toBe(f);
      expect(q.get('$top')).toBe('5');
      expect([...q.keys()]).toEqual(['$filter', '$top']);
      expect(new URL(`https://graph.microsoft.com/v1.0/security/alerts?$filter=${queryValue(f)}`).hash).toBe('');
    };
    for (const v of [...ADVERSARIAL, C2_URL]) check(v);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (v) => check(v)), { numRuns: 300 });
  });
});

describe('legacy filters per observable type', () => {
  const cases: Array<[Observable, string]> = [
    [{ type: 'ip', value: '1.2.3.4' }, "networkConnections/any(x:x/sourceAddress eq '1.2.3.4' or x/destinationAddress eq '1.2.3.4')"],
    [{ type: 'ipv6', value: '2001:db8::1' }, "networkConnections/any(x:x/sourceAddress eq '2001:db8::1' or x/destinationAddress eq '2001:db8::1')"],
    [{ type: 'domain', value: 'evil.example' }, "networkConnections/any(x:x/destinationDomain eq 'evil.example')"],
    [{ type: 'url', value: 'http://evil.example/a?b=c' }, "networkConnections/any(x:x/destinationUrl eq 'http://evil.example/a?b=c')"],
    [{ type: 'hostname', value: 'lap-1' }, "hostStates/any(x:x/netBiosName eq 'lap-1')"],
    [{ type: 'hostname', value: 'lap-1.contoso.com' }, "hostStates/any(x:x/fqdn eq 'lap-1.contoso.com')"],
    [{ type: 'file_name', value: 'a.exe' }, "fileStates/any(x:x/name eq 'a.exe')"],
    [{ type: 'file_path', value: 'C:\\a.exe' }, "fileStates/any(x:x/path eq 'C:\\a.exe')"],
    [{ type: 'sha256', value: MSSENSE_SHA256 }, `fileStates/any(x:x/fileHash/hashValue eq '${MSSENSE_SHA256}')`],
    [{ type: 'email', value: VICTIM_UPN }, `userStates/any(x:x/userPrincipalName eq '${VICTIM_UPN}')`],
    [{ type: 'user', value: VICTIM_UPN }, `userStates/any(x:x/userPrincipalName eq '${VICTIM_UPN}')`],
    [{ type: 'user', value: 'aldom' }, "userStates/any(x:x/accountName eq 'aldom')"],
  ];
  it.each(cases)('%j → %s', (o, f) => {
    expect(legacyFilter(o)).toBe(f);
    // Every shape we send is one the fake (and Graph) parses.
    expect(() => parseLegacyFilter(f)).not.toThrow();
  });

  it('covers every observable type', () => {
    expect(new Set(cases.map(([o]) => o.type))).toEqual(new Set(OBSERVABLE_TYPES));
  });
});

describe('alerts_v2: a time filter Graph takes, the evidence matched here', () => {
  it('filters on lastUpdateDateTime, which alerts_v2 documents as filterable', () => {
    expect(v2TimeFilter(Date.parse('2026-03-01T00:00:00Z'))).toBe('lastUpdateDateTime ge 2026-03-01T00:00:00.000Z');
  });

  const yes: Array<[Observable, typeof V2_DEVICE]> = [
    [{ type: 'ip', value: ATTACKER_IP }, V2_IDENTITY],
    [{ type: 'ip', value: ATTACKER_IP }, V2_DEVICE],
    [{ type: 'ip', value: '10.1.2.3' }, V2_DEVICE],
    [{ type: 'ipv6', value: 'FE80::1' }, V2_DEVICE],
    [{ type: 'domain', value: 'willaimsclarke.example' }, V2_IDENTITY],
    [{ type: 'domain', value: 'lap-megan.contoso.com' }, V2_DEVICE],
    [{ type: 'hostname', value: 'LAP-MEGAN' }, V2_DEVICE],
    [{ type: 'url', value: C2_URL }, V2_IDENTITY],
    [{ type: 'file_name', value: 'mssense.exe' }, V2_DEVICE],
    [{ type: 'file_path', value: 'C:\\Program Files\\temp\\MsSense.exe' }, V2_DEVICE],
    [{ type: 'file_path', value: 'C:\\Program Files\\temp' }, V2_DEVICE],
    [{ type: 'sha256', value: MSSENSE_SHA256.toUpperCase() }, V2_DEVICE],
    [{ type: 'email', value: 'adele@contoso.com' }, V2_IDENTITY],
    [{ type: 'email', value: VICTIM_UPN }, V2_IDENTITY],
    [{ type: 'user', value: VICTIM_UPN }, V2_IDENTITY],
    [{ type: 'user', value: '2c0a6b2e-0c3c-4d6a-8a8e-1f6b8c7e9d10' }, V2_IDENTITY],
    [{ type: 'user', value: 'contoso\\megan.bowen' }, V2_DEVICE],
    [{ type: 'user', value: 'NT AUTHORITY\\SYSTEM' }, V2_DEVICE],
  ];
  it.each(yes)('%j is in the evidence', (o, a) => expect(v2AlertMatches(a, o)).toBe(true));

  const no: Array<[Observable, typeof V2_DEVICE]> = [
    [{ type: 'ip', value: '10.1.2.30' }, V2_DEVICE],
    [{ type: 'url', value: C2_URL.toUpperCase() }, V2_IDENTITY],
    [{ type: 'domain', value: 'example' }, V2_IDENTITY],
    [{ type: 'hostname', value: 'lap' }, V2_DEVICE],
    [{ type: 'sha256', value: MSSENSE_SHA256 }, V2_IDENTITY],
    [{ type: 'file_name', value: 'services.exe' }, V2_DEVICE],
    [{ type: 'user', value: 'someone@contoso.com' }, V2_IDENTITY],
  ];
  it.each(no)('%j is not', (o, a) => expect(v2AlertMatches(a, o)).toBe(false));

  it('survives malformed evidence', () => {
    const junk = { evidence: [null, 7, 'x', { '@odata.type': '#microsoft.graph.security.fileEvidence', fileDetails: 'no' }, { '@odata.type': '#microsoft.graph.security.deviceEvidence', ipInterfaces: 'nope' }] };
    for (const type of OBSERVABLE_TYPES) expect(v2AlertMatches(junk as never, { type, value: 'x' })).toBe(false);
    expect(evidenceMatches({}, { type: 'ip', value: '' })).toBe(false);
  });

  it('joins folder and name with the folder\'s separator', () => {
    expect(joinPath('C:\\Program Files\\temp', 'a.exe')).toBe('C:\\Program Files\\temp\\a.exe');
    expect(joinPath('C:\\', 'a.exe')).toBe('C:\\a.exe');
    expect(joinPath('/usr/bin', 'sh')).toBe('/usr/bin/sh');
    expect(joinPath(undefined, 'sh')).toBe('sh');
    expect(joinPath('/tmp', undefined)).toBe('/tmp');
  });
});

describe('evidence of the wrong shape', () => {
  it('a non-string @odata.type is no kind and matches nothing, whatever the observable', () => {
    const junk = [42, null, ['#microsoft.graph.security.ipEvidence'], {}, true];
    fc.assert(
      fc.property(fc.constantFrom(...junk), fc.constantFrom(...OBSERVABLE_TYPES), (t, type) => {
        const e = { '@odata.type': t, ipAddress: ATTACKER_IP, url: C2_URL, hostName: 'x', fileDetails: { fileName: 'x' }, userAccount: { userPrincipalName: VICTIM_UPN } };
        expect(evidenceKind(e)).toBe('');
        expect(evidenceMatches(e, { type, value: type === 'ip' ? ATTACKER_IP : 'x' })).toBe(false);
      }),
    );
    expect(v2AlertMatches({ evidence: [null, 3, 'x', [1], { '@odata.type': 5, ipAddress: ATTACKER_IP }] } as never, { type: 'ip', value: ATTACKER_IP })).toBe(false);
  });
});
