import { describe, expect, it } from 'vitest';
import { eventId, type SecurityEvent } from '../../core/index.js';
import { SigmaEngine } from './engine.js';
import { parseRuleText, SigmaRuleError } from './loader.js';
import { base64OffsetVariants, parseIp } from './match.js';

/** A json-logs-like event whose raw record carries the fields under test. */
function ev(raw: Record<string, unknown>, extra: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    '@timestamp': '2024-05-06T10:00:00.000Z',
    event: { id: eventId('test', raw), kind: 'event', category: ['web'], action: String(raw.action ?? 'request'), outcome: 'success', provider: 'test', dataset: 'test.app', ingested: '2024-05-06T10:00:00.000Z' },
    raw,
    ...extra,
  };
}

/** Compiles a rule whose detection is given as YAML lines (indented under `detection:`). */
function rule(detection: string, logsource = 'product: test'): SigmaEngine {
  const text = `title: t\nid: r1\nlevel: high\nlogsource: { ${logsource} }\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
  return new SigmaEngine(parseRuleText(text, 'inline.yml', 'rules/inline'));
}

const hits = (engine: SigmaEngine, e: SecurityEvent) => engine.matchingRules(e).length > 0;

describe('sigma value matching', () => {
  it('compares case-insensitively by default, and exactly with cased', () => {
    const r = rule('sel:\n  cmd: Whoami\ncondition: sel');
    expect(hits(r, ev({ cmd: 'WHOAMI' }))).toBe(true);
    expect(hits(r, ev({ cmd: 'whoami /all' }))).toBe(false);
    const c = rule('sel:\n  cmd|cased: Whoami\ncondition: sel');
    expect(hits(c, ev({ cmd: 'Whoami' }))).toBe(true);
    expect(hits(c, ev({ cmd: 'whoami' }))).toBe(false);
  });

  it('treats list values as OR, and all as AND', () => {
    const r = rule('sel:\n  app: [slack, zoom]\ncondition: sel');
    expect(hits(r, ev({ app: 'Zoom' }))).toBe(true);
    expect(hits(r, ev({ app: 'teams' }))).toBe(false);
    const a = rule("sel:\n  cmd|contains|all: ['net', 'user', '/add']\ncondition: sel");
    expect(hits(a, ev({ cmd: 'net user bob /add' }))).toBe(true);
    expect(hits(a, ev({ cmd: 'net user bob' }))).toBe(false);
  });

  it('supports * and ? wildcards and their escapes', () => {
    // A backslash before a wildcard escapes it, so a path separator followed by `*` is written `\\*`.
    const r = rule("sel:\n  path: 'C:\\Users\\\\*\\AppData\\\\??cal\\\\*.exe'\ncondition: sel");
    expect(hits(r, ev({ path: 'C:\\Users\\bob\\AppData\\Local\\evil.exe' }))).toBe(true);
    expect(hits(r, ev({ path: 'C:\\Users\\bob\\AppData\\Roaming\\evil.exe' }))).toBe(false);
    const lit = rule("sel:\n  q: 'what\\?'\ncondition: sel");
    expect(hits(lit, ev({ q: 'what?' }))).toBe(true);
    expect(hits(lit, ev({ q: 'whatx' }))).toBe(false);
    const star = rule("sel:\n  q: 'a\\*b'\ncondition: sel");
    expect(hits(star, ev({ q: 'a*b' }))).toBe(true);
    expect(hits(star, ev({ q: 'axxb' }))).toBe(false);
    const any = rule("sel:\n  q: '*'\ncondition: sel");
    expect(hits(any, ev({ q: '' }))).toBe(true);
    expect(hits(any, ev({}))).toBe(false);
  });

  it('contains, startswith, endswith', () => {
    expect(hits(rule('sel:\n  ua|contains: python\ncondition: sel'), ev({ ua: 'Python-urllib/3.11' }))).toBe(true);
    expect(hits(rule('sel:\n  ua|startswith: curl/\ncondition: sel'), ev({ ua: 'CURL/8.4' }))).toBe(true);
    expect(hits(rule('sel:\n  ua|startswith: curl/\ncondition: sel'), ev({ ua: 'x curl/8.4' }))).toBe(false);
    expect(hits(rule("sel:\n  to|endswith: '@gmail.com'\ncondition: sel"), ev({ to: 'Bob@GMAIL.com' }))).toBe(true);
    expect(hits(rule("sel:\n  to|endswith: '@gmail.com'\ncondition: sel"), ev({ to: 'bob@gmail.com.evil' }))).toBe(false);
  });

  it('re with i, m and s sub-modifiers, and PCRE inline flags', () => {
    expect(hits(rule("sel:\n  q|re: '^Admin-\\d+$'\ncondition: sel"), ev({ q: 'admin-12' }))).toBe(false);
    expect(hits(rule("sel:\n  q|re|i: '^Admin-\\d+$'\ncondition: sel"), ev({ q: 'admin-12' }))).toBe(true);
    expect(hits(rule("sel:\n  q|re: '(?i)^Admin'\ncondition: sel"), ev({ q: 'ADMIN' }))).toBe(true);
    expect(hits(rule("sel:\n  q|re|m: '^b$'\ncondition: sel"), ev({ q: 'a\nb\nc' }))).toBe(true);
    expect(hits(rule("sel:\n  q|re: '^b$'\ncondition: sel"), ev({ q: 'a\nb\nc' }))).toBe(false);
    expect(hits(rule("sel:\n  q|re|s: 'a.b'\ncondition: sel"), ev({ q: 'a\nb' }))).toBe(true);
    expect(hits(rule("sel:\n  q|re: 'a.b'\ncondition: sel"), ev({ q: 'a\nb' }))).toBe(false);
  });

  it('cidr for IPv4, IPv6 and IPv4-mapped IPv6', () => {
    const r = rule("sel:\n  ip|cidr: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7/32']\ncondition: sel");
    expect(hits(r, ev({ ip: '10.200.3.4' }))).toBe(true);
    expect(hits(r, ev({ ip: '11.0.0.1' }))).toBe(false);
    expect(hits(r, ev({ ip: '2001:DB8:0:1::5' }))).toBe(true);
    expect(hits(r, ev({ ip: '2001:db9::1' }))).toBe(false);
    expect(hits(r, ev({ ip: '::ffff:10.1.2.3' }))).toBe(true);
    expect(hits(r, ev({ ip: '192.0.2.7' }))).toBe(true);
    expect(hits(r, ev({ ip: '192.0.2.8' }))).toBe(false);
    expect(hits(r, ev({ ip: 'not-an-ip' }))).toBe(false);
    expect(parseIp('1::2:3:4:5:6:7')?.n).toBe(0x0001_0000_0002_0003_0004_0005_0006_0007n);
    expect(() => rule("sel:\n  ip|cidr: '10.0.0.0/33'\ncondition: sel")).toThrow(/invalid CIDR/);
  });

  it('base64 and base64offset', () => {
    const enc = Buffer.from('http://evil.example').toString('base64');
    expect(hits(rule("sel:\n  body|base64: 'http://evil.example'\ncondition: sel"), ev({ body: enc }))).toBe(true);
    const off = rule("sel:\n  body|base64offset|contains: 'secret-token'\ncondition: sel");
    // The value at each byte offset inside a longer base64 blob.
    for (const prefix of ['', 'a', 'ab', 'abc', 'xyzw']) {
      expect(hits(off, ev({ body: Buffer.from(`${prefix}secret-token and more`).toString('base64') }))).toBe(true);
    }
    expect(hits(off, ev({ body: Buffer.from('nothing here at all').toString('base64') }))).toBe(false);
    expect(base64OffsetVariants(Buffer.from('/bin/sh'))).toEqual(['L2Jpbi9za', '9iaW4vc2', 'vYmluL3No']);
  });

  it('windash expands flag dashes', () => {
    const r = rule("sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel");
    for (const cmd of ['powershell -enc AAA', 'powershell /enc AAA', 'powershell \u2013enc AAA', 'powershell \u2014enc AAA']) expect(hits(r, ev({ cmd }))).toBe(true);
    expect(hits(r, ev({ cmd: 'powershell enc AAA' }))).toBe(false);
  });

  it('exists, null, and numeric comparisons', () => {
    const ex = rule('sel:\n  token|exists: true\ncondition: sel');
    expect(hits(ex, ev({ token: 'x' }))).toBe(true);
    expect(hits(ex, ev({}))).toBe(false);
    const nex = rule('sel:\n  token|exists: false\ncondition: sel');
    expect(hits(nex, ev({}))).toBe(true);
    const nul = rule('sel:\n  referrer: null\ncondition: sel');
    expect(hits(nul, ev({ referrer: null }))).toBe(true);
    expect(hits(nul, ev({}))).toBe(true);
    expect(hits(nul, ev({ referrer: 'x' }))).toBe(false);
    expect(hits(rule('sel:\n  size|gt: 1000\ncondition: sel'), ev({ size: 1001 }))).toBe(true);
    expect(hits(rule('sel:\n  size|gt: 1000\ncondition: sel'), ev({ size: 1000 }))).toBe(false);
    expect(hits(rule('sel:\n  size|gte: 1000\ncondition: sel'), ev({ size: '1000' }))).toBe(true);
    expect(hits(rule('sel:\n  size|lt: 10\ncondition: sel'), ev({ size: 9.5 }))).toBe(true);
    expect(hits(rule('sel:\n  size|lte: 10\ncondition: sel'), ev({ size: 11 }))).toBe(false);
    expect(hits(rule('sel:\n  size|lt: 10\ncondition: sel'), ev({ size: 'n/a' }))).toBe(false);
  });

  it('numbers and booleans match their string forms', () => {
    expect(hits(rule('sel:\n  code: 403\ncondition: sel'), ev({ code: '403' }))).toBe(true);
    expect(hits(rule('sel:\n  code: 403\ncondition: sel'), ev({ code: 403 }))).toBe(true);
    expect(hits(rule('sel:\n  flagged: true\ncondition: sel'), ev({ flagged: true }))).toBe(true);
    expect(hits(rule('sel:\n  flagged: true\ncondition: sel'), ev({ flagged: false }))).toBe(false);
  });

  it('keyword lists search every string of the raw and normalized event', () => {
    const r = rule("keywords:\n  - 'mimikatz'\n  - 'sekurlsa'\ncondition: keywords");
    expect(hits(r, ev({ msg: 'ran MimiKatz.exe' }))).toBe(true);
    expect(hits(r, ev({ msg: 'fine' }, { user: { email: 'sekurlsa@example.com' } }))).toBe(true);
    expect(hits(r, ev({ msg: 'fine' }))).toBe(false);
    const all = rule("keywords:\n  '|all': ['alpha', 'beta']\ncondition: keywords");
    expect(hits(all, ev({ a: 'alpha', b: { c: ['beta'] } }))).toBe(true);
    expect(hits(all, ev({ a: 'alpha' }))).toBe(false);
  });

  it('matches list-valued fields when any element matches', () => {
    const r = rule("sel:\n  related.ip|cidr: '203.0.113.0/24'\ncondition: sel");
    expect(hits(r, ev({}, { related: { ip: ['192.0.2.1', '203.0.113.9'] } }))).toBe(true);
    expect(hits(r, ev({}, { related: { ip: ['192.0.2.1'] } }))).toBe(false);
  });
});

describe('sigma conditions', () => {
  const det = `a:\n  x: 1\nb:\n  y: 1\nsel_c:\n  z: 1\nsel_d:\n  w: 1\n_helper:\n  h: 1\n`;
  const check = (cond: string, cases: Array<[Record<string, unknown>, boolean]>) => {
    const r = rule(`${det}condition: ${cond}`);
    for (const [raw, want] of cases) expect([cond, raw, hits(r, ev(raw))]).toEqual([cond, raw, want]);
  };

  it('and, or, not with precedence (not > and > or)', () => {
    check('a and b', [[{ x: 1, y: 1 }, true], [{ x: 1 }, false]]);
    check('a or b', [[{ y: 1 }, true], [{}, false]]);
    check('a and not b', [[{ x: 1 }, true], [{ x: 1, y: 1 }, false]]);
    check('a or b and sel_c', [[{ x: 1 }, true], [{ y: 1 }, false], [{ y: 1, z: 1 }, true]]);
    check('not a or b', [[{}, true], [{ x: 1 }, false], [{ x: 1, y: 1 }, true]]);
  });

  it('parentheses', () => {
    check('(a or b) and sel_c', [[{ x: 1 }, false], [{ x: 1, z: 1 }, true], [{ y: 1, z: 1 }, true]]);
    check('not (a or b)', [[{}, true], [{ y: 1 }, false]]);
    check('((a))', [[{ x: 1 }, true]]);
  });

  it('1 of / all of with patterns and them', () => {
    check('1 of sel_*', [[{ z: 1 }, true], [{ w: 1 }, true], [{ x: 1 }, false]]);
    check('all of sel_*', [[{ z: 1 }, false], [{ z: 1, w: 1 }, true]]);
    check('a and 1 of sel*', [[{ x: 1, w: 1 }, true], [{ w: 1 }, false]]);
    check('1 of them', [[{ x: 1 }, true], [{ h: 1 }, false]]);
    // `them` leaves out identifiers starting with an underscore.
    check('all of them', [[{ x: 1, y: 1, z: 1, w: 1 }, true], [{ x: 1, y: 1, z: 1 }, false]]);
    check('not 1 of sel_*', [[{ x: 1 }, true], [{ z: 1 }, false]]);
  });

  it('list-of-maps selections are OR of AND-maps', () => {
    const r = rule('sel:\n  - { x: 1, y: 1 }\n  - { z: 1 }\ncondition: sel');
    expect(hits(r, ev({ x: 1, y: 1 }))).toBe(true);
    expect(hits(r, ev({ x: 1 }))).toBe(false);
    expect(hits(r, ev({ z: 1 }))).toBe(true);
  });

  it('rejects bad conditions and modifiers with the file and field', () => {
    const bad = (detection: string) => () => rule(detection);
    expect(bad('a:\n  x: 1\ncondition: a and')).toThrow(/inline\.yml#1: detection\.condition: .*ends too early/);
    expect(bad('a:\n  x: 1\ncondition: a and b')).toThrow(/"b", which is not a search identifier/);
    expect(bad('a:\n  x: 1\ncondition: (a')).toThrow(/closing parenthesis/);
    expect(bad('a:\n  x: 1\ncondition: 1 of z*')).toThrow(/matches no search identifier/);
    expect(bad('a:\n  x: 1\ncondition: a | count() > 5')).toThrow(/correlation rule/);
    expect(bad('a:\n  x|contians: 1\ncondition: a')).toThrow(/detection\.a\.x\|contians: unknown modifier "contians"/);
    expect(bad("a:\n  x|re: '('\ncondition: a")).toThrow(/invalid regular expression/);
    expect(bad('a:\n  x|exists: yes\ncondition: a')).toThrow(SigmaRuleError);
  });

  it('honours the logsource', () => {
    const r = rule('sel:\n  x: 1\ncondition: sel', 'product: other');
    expect(hits(r, ev({ x: 1 }))).toBe(false);
    const cat = rule('sel:\n  x: 1\ncondition: sel', 'category: authentication');
    expect(hits(cat, ev({ x: 1 }))).toBe(false);
    expect(hits(cat, ev({ x: 1 }, { event: { ...ev({}).event, category: ['authentication'] } }))).toBe(true);
  });
});

describe('sigma loader', () => {
  it('validates required fields and names file, document and field', () => {
    expect(() => parseRuleText('title: x\nlogsource: {}\ndetection: { sel: { a: 1 } }\n', 'r.yml', 'k')).toThrow(/r\.yml#1: detection: detection needs a condition/);
    expect(() => parseRuleText('logsource: {}\ndetection: { sel: { a: 1 }, condition: sel }\n', 'r.yml', 'k')).toThrow(/r\.yml#1: title/);
    expect(() => parseRuleText('title: x\nlevel: urgent\nlogsource: {}\ndetection: { sel: { a: 1 }, condition: sel }\n', 'r.yml', 'k')).toThrow(/r\.yml#1: level/);
    expect(() => parseRuleText('title: x\ncorrelation: { type: event_count, rules: [a], timespan: soon, condition: { gte: 2 } }\n', 'c.yml', 'k')).toThrow(
      /c\.yml#1: correlation\.timespan/,
    );
    expect(() => parseRuleText('title: x\ncorrelation: { type: value_count, rules: [a], timespan: 5m, condition: { gte: 2 } }\n', 'c.yml', 'k')).toThrow(/condition\.field/);
    expect(() => parseRuleText('title: [\n', 'y.yml', 'k')).toThrow(/y\.yml#1: invalid YAML/);
  });

  it('reads multi-document files, keying each rule by name', () => {
    const defs = parseRuleText(
      'title: a\nname: first_rule\nlogsource: {}\ndetection: { s: { x: 1 }, condition: s }\n---\ntitle: b\nid: 123\ncorrelation: { type: event_count, rules: [first_rule], group-by: [user], timespan: 5m, condition: { gte: 3 } }\n',
      'm.yml',
      'rules/m',
    );
    expect(defs.map((d) => [d.kind, d.key])).toEqual([
      ['detection', 'rules/m/first-rule'],
      ['correlation', 'rules/m'],
    ]);
  });
});
