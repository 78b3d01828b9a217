import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCurl, readDemoRun, relayCurl, summarizeSightings, writeDemoRun } from './relay.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sw-demo-relay-'));

describe('the demo run record', () => {
  it('reads back what was written, and nothing for a data dir without one', () => {
    const d = dir();
    expect(readDemoRun(d)).toBeUndefined();
    const run = { seed: 11, users: 60, days: 3, end: '2026-12-06T09:06:37.000Z' };
    writeDemoRun(d, run);
    expect(readDemoRun(d)).toEqual(run);
  });

  it('refuses a record that is not one, saying to run the demo again', () => {
    const d = dir();
    writeFileSync(join(d, 'demo.json'), '{"seed": "eleven"}');
    expect(() => readDemoRun(d)).toThrow(/not a demo run record.*saaswatch demo/s);
    writeFileSync(join(d, 'demo.json'), 'not json');
    expect(() => readDemoRun(d)).toThrow(/not a demo run record/);
  });
});

describe('the printed curl', () => {
  it('posts the address as the only observable, with the token as given', () => {
    expect(relayCurl('http://127.0.0.1:9', 'T', '203.0.113.11')).toBe(
      `curl -s -X POST -H "Authorization: Bearer T" -H 'Content-Type: application/json' -d '[{"type":"ip","value":"203.0.113.11"}]' http://127.0.0.1:9/relay/observe/observables`,
    );
    expect(relayCurl('http://h', 'T', '203.0.113.11', '/xdr')).toMatch(/ http:\/\/h\/xdr\/observe\/observables$/);
  });

  it("of saaswatch demo reads serve --demo's token file and asks its default address", () => {
    expect(demoCurl('/data/demo', '203.0.113.11')).toContain('"Authorization: Bearer $(cat /data/demo/demo-relay-token)"');
    expect(demoCurl('/data/demo', '203.0.113.11')).toMatch(/ http:\/\/127\.0\.0\.1:8080\/relay\/observe\/observables$/);
  });
});

describe('the sightings summary', () => {
  it('counts sightings per source, repeated titles once with their count, then errors', () => {
    const body = {
      data: {
        sightings: {
          count: 4,
          docs: [
            { source: 'saaswatch', title: 'Brute force from 203.0.113.11' },
            { source: 'Microsoft Graph Security', title: 'Password spray' },
            { source: 'Microsoft Graph Security', title: 'Password spray' },
            { source: 'saaswatch', title: 'login_failure seen by saaswatch' },
          ],
        },
      },
      errors: [{ type: 'fatal', code: 'too many requests', message: 'Graph is busy' }],
    };
    expect(summarizeSightings(body)).toEqual([
      '  saaswatch: 2 sightings',
      '    Brute force from 203.0.113.11',
      '    login_failure seen by saaswatch',
      '  Microsoft Graph Security: 2 sightings',
      '    2 × Password spray',
      '  error: too many requests: Graph is busy',
    ]);
  });

  it('says when there is nothing', () => {
    expect(summarizeSightings({ data: { sightings: { count: 0, docs: [] } } })).toEqual(['  no sightings']);
    expect(summarizeSightings({ errors: [{ code: 'authorization error', message: 'Authorization failed' }] })).toEqual(['  no sightings', '  error: authorization error: Authorization failed']);
  });
});
