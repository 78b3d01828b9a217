import { afterEach, describe, expect, it } from 'vitest';
import { startArcherFake, type ArcherFake } from './server.js';

let fake: ArcherFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const T = Date.parse('2026-11-03T10:00:00.000Z');

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${fake!.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function login(): Promise<Record<string, string>> {
  const r = await call('POST', '/platformapi/core/security/login', { InstanceName: 'Production', Username: 'svc-saaswatch', UserDomain: '', Password: 'pw' });
  return { Authorization: `Archer session-id="${r.body.RequestedObject.SessionToken as string}"` };
}

const content = (fields: Record<string, unknown>) => ({ Content: { LevelId: 123, FieldContents: fields } });

describe('archer fake', () => {
  it('speaks the login envelope, refuses wrong credentials with IsSuccessful false, and 401s without a session', async () => {
    fake = await startArcherFake({ password: 'pw' });
    const bad = await call('POST', '/platformapi/core/security/login', { InstanceName: 'Production', Username: 'svc-saaswatch', UserDomain: '', Password: 'nope' });
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ Links: [], RequestedObject: null, IsSuccessful: false, ValidationMessages: [{ Reason: 'Validation', ResourcedMessage: 'Invalid credentials.' }] });
    const auth = await login();
    expect(auth.Authorization).toMatch(/^Archer session-id="[0-9A-F]{32}"$/);
    expect((await call('POST', '/platformapi/core/content', content({}))).status).toBe(401);
  });

  it('creates, reads (GET or POST with X-Http-Method-Override), updates and finds content through the Content API', async () => {
    fake = await startArcherFake({ password: 'pw' });
    const auth = await login();
    const made = await call('POST', '/platformapi/core/content', content({ 1001: { Type: 1, Value: 'Phish', FieldId: 1001 }, 1004: { Type: 1, Value: "k'1", FieldId: 1004 } }), auth);
    expect(made.body).toMatchObject({ IsSuccessful: true, RequestedObject: { Id: expect.any(Number) } });
    const id = made.body.RequestedObject.Id as number;
    const read = await call('POST', `/platformapi/core/content/${id}`, undefined, { ...auth, 'X-Http-Method-Override': 'GET' });
    expect(read.body.RequestedObject).toMatchObject({ Id: id, LevelId: 123, FieldContents: { 1001: { Type: 1, Value: 'Phish', FieldId: 1001 } } });
    await call('PUT', '/platformapi/core/content', { Content: { Id: id, LevelId: 123, FieldContents: { 1018: { Type: 2, Value: 3, FieldId: 1018 } } } }, auth);
    expect(fake.records.get(id)).toMatchObject({ updates: 1, FieldContents: { 1001: { Value: 'Phish' }, 1018: { Value: 3 } } });
    const found = await call('GET', `/contentapi/Security_Incidents?$filter=${encodeURIComponent("Saaswatch_Key eq 'k''1'")}`, undefined, auth);
    expect(found.body.value).toEqual([{ Security_Incidents_Id: id, Saaswatch_Key: "k'1" }]);
    const none = await call('GET', `/contentapi/Security_Incidents?$filter=${encodeURIComponent("Saaswatch_Key eq 'k2'")}`, undefined, auth);
    expect(none.body.value).toEqual([]);
  });

  it('answers validation failures in the envelope with Archer’s messages', async () => {
    fake = await startArcherFake({ password: 'pw' });
    const auth = await login();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ 1002: { Type: 1, Value: 'x', FieldId: 1002 } }, 'The field Incident_Summary is required.'],
      [{ 1001: { Type: 1, Value: 'x', FieldId: 1001 }, 9999: { Type: 1, Value: 'x', FieldId: 9999 } }, 'Field 9999 does not exist in level 123.'],
      [{ 1001: { Type: 1, Value: 'x', FieldId: 1001 }, 1003: { Type: 4, Value: { ValuesListIds: [1] }, FieldId: 1003 } }, 'Values list value 1 is not valid for field Severity.'],
      [{ 1001: { Type: 2, Value: 'x', FieldId: 1001 } }, 'is of type 1, not 2'],
      [{ 1001: { Type: 1, Value: 'x', FieldId: 1001 }, 1019: { Type: 9, Value: [{ Id: 1 }], FieldId: 1019 } }, 'expects [{ContentId:...}]'],
    ];
    for (const [fields, message] of cases) {
      const r = await call('POST', '/platformapi/core/content', content(fields), auth);
      expect(r.status).toBe(200);
      expect(r.body.IsSuccessful).toBe(false);
      expect(r.body.ValidationMessages[0].ResourcedMessage).toContain(message);
    }
    expect(fake.records.size).toBe(0);
  });

  it('expires sessions on its clock, fails on demand with Retry-After, and can be down', async () => {
    let now = T;
    fake = await startArcherFake({ password: 'pw', sessionTtlMs: 1_000, now: () => now });
    const auth = await login();
    now += 1_000;
    expect((await call('GET', '/contentapi/Security_Incidents', undefined, auth)).status).toBe(401);
    const fresh = await login();
    fake.failNext(1, { status: 429, retryAfterSec: 7, on: 'content' });
    const throttled = await call('GET', '/contentapi/Security_Incidents', undefined, fresh);
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '7']);
    fake.setDown(true, 30);
    const down = await call('POST', '/platformapi/core/security/login', {});
    expect([down.status, down.headers.get('retry-after')]).toEqual([503, '30']);
    fake.setDown(false);
    expect((await call('GET', '/contentapi/Security_Incidents', undefined, fresh)).status).toBe(200);
  });
});
