import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../core/index.js';
import { testEvent } from '../testing.js';
import { compileFieldMatch, escapeRegExp, isEmptyValue, MissingPlaceholderError, parseIp, placeholderNames, scalarString, SigmaCompileError, testField, type FieldMatcherSpec } from './match.js';

// Field matching as the Sigma specification (and pySigma, its reference) defines each modifier,
// checked one compiled field at a time: the value a field holds in, whether the field matches out.

const EV: SecurityEvent = testEvent({ time: Date.parse('2026-11-03T10:00:00Z'), user: 'a@example.com' });

/** A field's matcher from its modifiers (as written after the field name) and its rule value(s). */
function field(modifiers: string, values: unknown, opts: Partial<FieldMatcherSpec> = {}) {
  const m = compileFieldMatch({ modifiers: modifiers === '' ? [] : modifiers.split('|'), values: Array.isArray(values) ? values : [values], ...opts });
  /** Whether a field holding `v` matches, with `neq` applied as the detection does. */
  return (v: unknown, e: SecurityEvent = EV) => testField(m, v, e) !== (m.negate === true);
}

const matches = (modifiers: string, values: unknown, inputs: unknown[], opts: Partial<FieldMatcherSpec> = {}) => {
  const f = field(modifiers, values, opts);
  return inputs.map((v) => f(v));
};

describe('scalar values and empty values', () => {
  it('stringifies scalars only', () => {
    expect([scalarString('x'), scalarString(403), scalarString(true), scalarString(12n)]).toEqual(['x', '403', 'true', '12']);
    expect([scalarString(undefined), scalarString(null), scalarString({ a: 1 }), scalarString(['x'])]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('counts undefined, null, empty string and empty list as empty', () => {
    expect([undefined, null, '', []].map(isEmptyValue)).toEqual([true, true, true, true]);
    expect([0, false, ' ', ['x'], {}].map(isEmptyValue)).toEqual([false, false, false, false, false]);
  });
});

describe('plain values', () => {
  it('equal case-insensitively, and not as a substring', () => {
    expect(matches('', 'Whoami', ['whoami', 'WHOAMI', 'Whoami', 'whoam', 'whoamii', 'xwhoami', undefined, null, { v: 'whoami' }])).toEqual([true, true, true, false, false, false, false, false, false]);
  });

  it('equals a value whose lower case is longer than itself (İ lower-cases to two characters)', () => {
    expect(matches('', 'İstanbul', ['İstanbul', 'i̇stanbul', 'İSTANBUL', 'istanbul', 'İstanbu'])).toEqual([true, true, true, false, false]);
    expect(matches('', 'i̇stanbul', ['İstanbul'])).toEqual([true]);
    expect(matches('', 'x', ['İ'])).toEqual([false]);
  });

  it('cased equals exactly', () => {
    expect(matches('cased', 'Whoami', ['Whoami', 'whoami', 'WHOAMI'])).toEqual([true, false, false]);
  });

  it('numbers and booleans equal their written form, as a string or a scalar', () => {
    expect(matches('', 403, [403, '403', '0403', 4030, '403.0'])).toEqual([true, true, false, false, false]);
    expect(matches('', true, [true, 'true', 'TRUE', false, 1])).toEqual([true, true, true, false, false]);
    expect(matches('', 1.5, [1.5, '1.5'])).toEqual([true, true]);
  });

  it('a value list is OR; all makes it AND', () => {
    expect(matches('', ['slack', 'zoom'], ['Zoom', 'slack', 'teams'])).toEqual([true, true, false]);
    expect(matches('contains|all', ['net', 'user'], ['net user x', 'net x', 'user x'])).toEqual([true, false, false]);
    // all with one value is that value.
    expect(matches('all', ['x'], ['x', 'y'])).toEqual([true, false]);
  });

  it('a list-valued field matches when any element does; under all each value needs some element', () => {
    const f = field('', ['a', 'b']);
    expect([f(['x', 'b']), f(['x', 'y']), f([])]).toEqual([true, false, false]);
    const all = field('contains|all', ['net', 'add']);
    expect([all(['net user', '/add']), all(['net user']), all([])]).toEqual([true, false, false]);
  });

  it('null matches an absent, null, empty or empty-list field', () => {
    expect(matches('', null, [undefined, null, '', [], 'x', 0, ['x']])).toEqual([true, true, true, true, false, false, false]);
    // Among other values, null is one alternative.
    expect(matches('', [null, 'x'], [undefined, 'x', 'y'])).toEqual([true, true, false]);
    // An empty value list means null too (pySigma), neq its opposite.
    expect(matches('', [], [undefined, '', 'x'])).toEqual([true, true, false]);
    expect(matches('neq', [], [undefined, '', 'x'])).toEqual([false, false, true]);
  });

  it('neq matches a field none of whose values is listed, absent fields included', () => {
    expect(matches('neq', ['a', 'b'], ['c', 'A', 'b', undefined])).toEqual([true, false, false, true]);
    expect(matches('contains|neq', 'adm', ['user', 'sysadmin'])).toEqual([true, false]);
  });

  it('refuses values that are not scalars', () => {
    expect(() => field('', { a: 1 })).toThrow(SigmaCompileError);
    expect(() => field('', { a: 1 })).toThrow('expected a string, number, boolean or null, got {"a":1}');
  });
});

describe('wildcards and escapes', () => {
  it('* is any run of characters (none included), ? exactly one', () => {
    expect(matches('', 'a*c', ['ac', 'abc', 'aXYZc', 'ab', 'bac', 'acx'])).toEqual([true, true, true, false, false, false]);
    expect(matches('', 'a?c', ['abc', 'ac', 'abbc', 'ABC'])).toEqual([true, false, false, true]);
    expect(matches('', '*', ['', 'x', 0, false, undefined, null, { a: 1 }])).toEqual([true, true, true, true, false, false, false]);
    expect(matches('', '**', ['', 'x', undefined])).toEqual([true, true, false]);
    expect(matches('', 'a**b', ['ab', 'axxb', 'axx'])).toEqual([true, true, false]);
    // Wildcards span line breaks.
    expect(matches('', 'a*b', ['a\nb'])).toEqual([true]);
    expect(matches('', 'a?b', ['a\nb'])).toEqual([true]);
  });

  it('leading, trailing and both-sided * are endswith, startswith and contains', () => {
    expect(matches('', '*.exe', ['a.EXE', 'a.exe.txt', '.exe'])).toEqual([true, false, true]);
    expect(matches('', 'cmd*', ['CMD.exe', 'xcmd'])).toEqual([true, false]);
    expect(matches('', '*cmd*', ['xCMDx', 'cm d'])).toEqual([true, false]);
    expect(matches('', '*a?c*', ['xxabcxx', 'xxacxx'])).toEqual([true, false]);
    expect(matches('', 'a?c*', ['abcxx', 'xabc'])).toEqual([true, false]);
    expect(matches('', '*a?c', ['xxabc', 'abcx'])).toEqual([true, false]);
    expect(matches('cased', '*Cmd*', ['xCmdx', 'xcmdx'])).toEqual([true, false]);
    expect(matches('cased', 'Cmd*', ['Cmd.exe', 'cmd.exe'])).toEqual([true, false]);
    expect(matches('cased', '*.Exe', ['a.Exe', 'a.exe'])).toEqual([true, false]);
    expect(matches('cased', 'A?c', ['Abc', 'abc', 'ABC'])).toEqual([true, false, false]);
  });

  it('\\* and \\? are literal, \\\\ is one backslash, any other backslash stays', () => {
    expect(matches('', 'a\\*b', ['a*b', 'axb'])).toEqual([true, false]);
    expect(matches('', 'what\\?', ['what?', 'whatx'])).toEqual([true, false]);
    expect(matches('', 'C:\\\\*', ['C:\\x', 'C:\\\\x'])).toEqual([true, true]);
    // SigmaHQ writes a path separator before a wildcard as \\*: a single \ before * escapes it.
    expect(matches('', 'C:\\Windows\\*', ['c:\\windows*', 'c:\\windows\\system32'])).toEqual([true, false]);
    expect(matches('', 'C:\\Windows\\\\*', ['c:\\windows\\system32', 'c:/windows/x'])).toEqual([true, false]);
    expect(matches('', 'a\\\\b', ['a\\b', 'a\\\\b'])).toEqual([true, false]);
    expect(matches('', 'end\\', ['end\\', 'end'])).toEqual([true, false]);
  });

  it('regular-expression characters in a value are literal', () => {
    expect(matches('', 'a.c*', ['a.cd', 'abcd'])).toEqual([true, false]);
    expect(matches('', '*(x)+[y]{2}|^$/-?', ['q(x)+[y]{2}|^$/-!', 'qx+y{2}'])).toEqual([true, false]);
    expect(escapeRegExp('a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o/p-q')).toBe('a\\.b\\*c\\+d\\?e\\^f\\$g\\{h\\}i\\(j\\)k\\|l\\[m\\]n\\\\o\\/p\\-q');
  });
});

describe('contains, startswith, endswith', () => {
  it('anchor the value at neither, the start or the end', () => {
    expect(matches('contains', 'Adm', ['sysadmin', 'ad m'])).toEqual([true, false]);
    expect(matches('startswith', 'Adm', ['admin', 'sysadm'])).toEqual([true, false]);
    expect(matches('endswith', 'Adm', ['sysadm', 'admin'])).toEqual([true, false]);
    expect(matches('contains|cased', 'Adm', ['xAdmx', 'xadmx'])).toEqual([true, false]);
  });

  it('keep wildcards inside the value, and do not double a * already there', () => {
    expect(matches('contains', 'a*c', ['xxabbbcxx', 'xxacxx', 'xxa'])).toEqual([true, true, false]);
    expect(matches('startswith', 'a?c', ['abcx', 'xabc'])).toEqual([true, false]);
    expect(matches('endswith', 'a?c', ['xabc', 'abcx'])).toEqual([true, false]);
    expect(matches('contains', '*abc*', ['xabcx'])).toEqual([true]);
    expect(matches('startswith', 'abc*', ['abcx', 'xabc'])).toEqual([true, false]);
    expect(matches('endswith', '*abc', ['xabc', 'abcx'])).toEqual([true, false]);
  });

  it('apply to numbers as text', () => {
    expect(matches('startswith', 40, ['403', 403, '140'])).toEqual([true, true, false]);
    expect(matches('endswith', true, ['istrue', 'true!'])).toEqual([true, false]);
    expect(matches('contains', 0, ['10.5', '15'])).toEqual([true, false]);
  });

  it('under a keyword search, a plain value is searched anywhere; a comparison modifier decides instead', () => {
    expect(matches('', 'mimikatz', ['ran Mimikatz.exe', 'mimi'], { keyword: true })).toEqual([true, false]);
    expect(matches('startswith', 'mimikatz', ['mimikatz.exe', 'ran mimikatz'], { keyword: true })).toEqual([true, false]);
    expect(matches('re', '^mimi', ['mimikatz', 'ran mimikatz'], { keyword: true })).toEqual([true, false]);
    expect(matches('cased', 'Mimi', ['xMimix', 'xmimix'], { keyword: true })).toEqual([true, false]);
    expect(() => compileFieldMatch({ modifiers: [], values: [], keyword: true })).toThrow('empty keyword list');
  });
});

describe('re', () => {
  it('searches anywhere, case-sensitively, with i, m and s (and their long names)', () => {
    expect(matches('re', 'adm.n', ['xadminx', 'ADMIN', 'adm\nn'])).toEqual([true, false, false]);
    expect(matches('re|i', 'adm.n', ['ADMIN'])).toEqual([true]);
    expect(matches('re|ignorecase', 'adm.n', ['ADMIN'])).toEqual([true]);
    expect(matches('re|s', 'adm.n', ['adm\nn'])).toEqual([true]);
    expect(matches('re|dotall', 'adm.n', ['adm\nn'])).toEqual([true]);
    expect(matches('re|m', '^b$', ['a\nb\nc', 'b'])).toEqual([true, true]);
    expect(matches('re|multiline', '^b$', ['a\nb\nc'])).toEqual([true]);
    expect(matches('re', '^b$', ['a\nb\nc'])).toEqual([false]);
    // contains and friends add nothing to a regular expression.
    expect(matches('re|contains', '^adm', ['admin', 'xadm'])).toEqual([true, false]);
    expect(matches('re|startswith', 'adm$', ['xadm', 'admx'])).toEqual([true, false]);
  });

  it('takes numbers and booleans as the expression text, and refuses null', () => {
    expect(matches('re', 12, ['a12', 'a1'])).toEqual([true, false]);
    expect(matches('re', true, ['xtrue', 'TRUE'])).toEqual([true, false]);
    expect(() => field('re', null)).toThrow('"re" expects a string, got null');
    // A value that is not a scalar is never a regular-expression match.
    expect(matches('re', '.*', ['', { a: 'x' }, undefined])).toEqual([true, false, false]);
  });

  it('reads PCRE spellings: inline flags, \\A, \\Z, \\z, named groups and back-references', () => {
    expect(matches('re', '(?i)^admin$', ['ADMIN'])).toEqual([true]);
    expect(matches('re', '(?is)^a.b$', ['A\nB'])).toEqual([true]);
    expect(matches('re', '(?m)^b$', ['a\nb'])).toEqual([true]);
    expect(matches('re', '^x(?i)ab$', ['xAB'])).toEqual([true]);
    expect(matches('re', '\\Aab\\Z', ['ab', 'xab', 'abx'])).toEqual([true, false, false]);
    expect(matches('re', '\\Aab\\z', ['ab', 'abx'])).toEqual([true, false]);
    expect(matches('re', '(?P<n>a)(?P=n)b', ['aab', 'ab'])).toEqual([true, false]);
    // Inside a character class \A is just A.
    expect(matches('re', '^[\\A]$', ['A', '^'])).toEqual([true, false]);
    expect(matches('re', '^[(?i)]+$', ['(?', 'I'])).toEqual([true, false]);
    // An escaped parenthesis is no inline flag group.
    expect(matches('re', 'a\\(?i\\)', ['a(i)', 'ai)', 'AI)'])).toEqual([true, true, false]);
    expect(matches('re', 'x(?:ab)', ['xab', 'XAB'])).toEqual([true, false]);
    expect(matches('re', 'x(?=ab)', ['xab', 'xa'])).toEqual([true, false]);
  });

  it('reads a ] right after [ or [^ as a literal ], as PCRE and Python do (JavaScript would not)', () => {
    expect(matches('re', '^[]a]+$', [']a]', 'a', ']', 'b', ''])).toEqual([true, true, true, false, false]);
    expect(matches('re', '^[^]a]+$', ['bc', 'b]', 'a'])).toEqual([true, false, false]);
    expect(matches('re', 'x[]]y', ['x]y', 'xy'])).toEqual([true, false]);
  });

  it('refuses the x flag, invalid expressions and sub-modifiers without re', () => {
    expect(() => field('re', '(?x)a b')).toThrow('regular expression "(?x)a b" uses the x (extended) flag, which JavaScript lacks');
    expect(() => field('re', '(?ix)a')).toThrow(/x \(extended\) flag/);
    expect(() => field('re', 'a(')).toThrow(SigmaCompileError);
    expect(() => field('re', 'a(')).toThrow(/^invalid regular expression "a\(": /);
    expect(() => field('i', 'a')).toThrow('modifier "i" cannot apply to a string: it is a sub-modifier of "re", write re|i');
    expect(() => field('contains|m', 'a')).toThrow('modifier "m" cannot apply to a string (what "contains" made of the value): it is a sub-modifier of "re", write re|m');
  });

  it('must come first, like cidr and exists', () => {
    expect(() => field('contains|re', 'a')).toThrow('modifier "re" only applies to the value as written, so it must come before "contains"');
    expect(() => field('cased|cidr', '10.0.0.0/8')).toThrow('modifier "cidr" only applies to the value as written, so it must come before "cased"');
    expect(() => field('cased|exists', true)).toThrow(/"exists" only applies to the value as written/);
    // all and neq are not value modifiers: they may stand anywhere.
    expect(matches('all|re', ['a', 'b'], ['ab', 'a'])).toEqual([true, false]);
    expect(matches('neq|re', ['^a'], ['ab', 'ba'])).toEqual([false, true]);
  });
});

describe('exists', () => {
  it('tests presence: null and empty values exist, absent ones do not', () => {
    expect(matches('exists', true, ['x', null, '', [], 0, undefined])).toEqual([true, true, true, true, true, false]);
    expect(matches('exists', false, ['x', null, undefined])).toEqual([false, false, true]);
    expect(matches('exists|neq', true, ['x', undefined])).toEqual([false, true]);
  });

  it('takes one true or false, for a field', () => {
    expect(() => field('exists', 'yes')).toThrow('modifier "exists" cannot apply to a string: it takes true or false');
    expect(() => field('exists', [true, false])).toThrow('"exists" takes a single true or false');
    expect(() => field('exists', true, { keyword: true })).toThrow('"exists" needs a field');
    expect(() => field('exists|contains', true)).toThrow('modifier "contains" cannot apply to an exists test (what "exists" made of the value)');
  });
});

describe('numeric comparisons', () => {
  it('compare numbers and numeric strings at their edges', () => {
    expect(matches('gt', 10, [11, 10, 9, '11', '10.5', '  11 '])).toEqual([true, false, false, true, true, true]);
    expect(matches('gte', 10, [10, 9.99, '10'])).toEqual([true, false, true]);
    expect(matches('lt', 10, [9, 10, '9', -1])).toEqual([true, false, true, true]);
    expect(matches('lte', 10, [10, 10.01, '10'])).toEqual([true, false, true]);
  });

  it('never match what is not a number: empty, blank, text, booleans, null, absent', () => {
    expect(matches('lt', 10, ['', '  ', 'n/a', true, null, undefined, {}])).toEqual([false, false, false, false, false, false, false]);
    expect(matches('gte', 0, ['', ' ', false, null])).toEqual([false, false, false, false]);
  });

  it('take a numeric string as the bound, not text or wildcards', () => {
    expect(matches('gt', '10', [11, 10])).toEqual([true, false]);
    expect(matches('lte', '-2.5', [-3, -2.5, 0])).toEqual([true, true, false]);
    expect(() => field('gt', 'many')).toThrow('modifier "gt" cannot apply to a string: it expects a number');
    expect(() => field('gt', '')).toThrow(/it expects a number/);
    expect(() => field('gt', ' ')).toThrow(/it expects a number/);
    expect(() => field('gt', '1*')).toThrow(/it expects a number/);
    expect(() => field('gt', '1?')).toThrow(/it expects a number/);
    expect(() => field('lt', true)).toThrow('modifier "lt" cannot apply to a boolean: it expects a number');
    expect(() => field('gte', 'Infinity')).toThrow(/it expects a number/);
    expect(() => field('gte', 1e400)).toThrow('"gte" expects a finite number');
  });
});

describe('date parts', () => {
  const t = '2024-12-30T23:59:00Z';
  it('compare a part of an ISO date, epoch seconds or epoch milliseconds, in UTC', () => {
    const ms = Date.parse(t);
    expect([matches('minute', 59, [t]), matches('hour', 23, [t]), matches('day', 30, [t]), matches('month', 12, [t]), matches('year', 2024, [t])]).toEqual([[true], [true], [true], [true], [true]]);
    expect(matches('hour', 23, [ms, ms / 1000, String(ms / 1000), String(ms), ` ${ms / 1000} `, new Date(ms).toISOString()])).toEqual([true, true, true, true, true, true]);
    expect(matches('hour', 22, [t, ms])).toEqual([false, false]);
    // 1e11 ms is 1973, in seconds the year 5138: below it a number is seconds.
    expect(matches('year', 1973, [1e11])).toEqual([true]);
    expect(matches('year', 1973, [99_999_999_999])).toEqual([false]);
    expect(matches('year', 1969, [-1, '-1'])).toEqual([true, true]);
    expect(matches('minute', 0, ['12.5'])).toEqual([true]);
  });

  it('weeks are ISO weeks: Monday first, week 1 holds the first Thursday', () => {
    // 2024-12-30 is a Monday in week 1 of 2025; 2021-01-03 (a Sunday) is in week 53 of 2020.
    expect(matches('week', 1, ['2024-12-30T00:00:00Z', '2024-12-29T23:59:59Z'])).toEqual([true, false]);
    expect(matches('week', 52, ['2024-12-29T00:00:00Z'])).toEqual([true]);
    expect(matches('week', 53, ['2021-01-03T12:00:00Z', '2021-01-04T00:00:00Z'])).toEqual([true, false]);
    expect(matches('week', 1, ['2021-01-04T00:00:00Z', '2021-01-10T23:00:00Z'])).toEqual([true, true]);
  });

  it('never match what is not a date', () => {
    expect(matches('hour', 0, ['', 'soon', null, undefined, true, {}])).toEqual([false, false, false, false, false, false]);
    expect(() => field('hour', 'noon')).toThrow('modifier "hour" cannot apply to a string: it expects a number');
  });
});

describe('cidr', () => {
  it('matches IPv4 and IPv6 networks at their edges', () => {
    expect(matches('cidr', '10.0.0.0/8', ['10.0.0.0', '10.255.255.255', '11.0.0.0', '9.255.255.255', ' 10.1.1.1 '])).toEqual([true, true, false, false, true]);
    expect(matches('cidr', '192.0.2.128/25', ['192.0.2.128', '192.0.2.127'])).toEqual([true, false]);
    expect(matches('cidr', '0.0.0.0/0', ['1.2.3.4', '::1'])).toEqual([true, false]);
    expect(matches('cidr', '192.0.2.7', ['192.0.2.7', '192.0.2.6'])).toEqual([true, false]);
    expect(matches('cidr', '2001:db8::/32', ['2001:db8:ffff::1', '2001:db9::', '10.0.0.1'])).toEqual([true, false, false]);
    expect(matches('cidr', '::/0', ['::1', '1.2.3.4'])).toEqual([true, false]);
    expect(matches('cidr', 'fe80::/10', ['fe80::1%eth0', 'febf::1', 'fec0::1'])).toEqual([true, true, false]);
  });

  it('treats IPv4-mapped IPv6 as IPv4, and anything unparsable as no match', () => {
    expect(matches('cidr', '10.0.0.0/8', ['::ffff:10.1.2.3', '::ffff:a01:203', '::fffe:10.1.2.3'])).toEqual([true, true, false]);
    expect(matches('cidr', '10.0.0.0/8', ['10.0.0', '10.0.0.0.1', '10.0.0.256', '10.0.0.-1', '10.0.0.1a', 'x', '', 10, undefined])).toEqual([false, false, false, false, false, false, false, false, false]);
  });

  it('refuses invalid networks', () => {
    for (const c of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/1.5', '10.0.0.0/x', '10.0.0/8', '2001:db8::/129', 'host/8']) expect(() => field('cidr', c), c).toThrow(`invalid CIDR ${JSON.stringify(c)}`);
    expect(() => field('cidr', '10.0.0.0/32')).not.toThrow();
    expect(() => field('cidr', '::/128')).not.toThrow();
  });

  it('parses every IPv6 spelling, and rejects malformed ones', () => {
    expect(parseIp('::')).toEqual({ v6: true, n: 0n });
    expect(parseIp('::1')).toEqual({ v6: true, n: 1n });
    expect(parseIp('1::')).toEqual({ v6: true, n: 1n << 112n });
    expect(parseIp('1:2:3:4:5:6:7:8')).toEqual({ v6: true, n: 0x0001_0002_0003_0004_0005_0006_0007_0008n });
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual({ v6: true, n: (0x64n << 112n) | (0xff9bn << 96n) | 0xc0000221n });
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ v6: false, n: 0xc0000201n });
    expect(parseIp('FE80::ABCD')).toEqual({ v6: true, n: (0xfe80n << 112n) | 0xabcdn });
    expect(parseIp('192.0.2.1')).toEqual({ v6: false, n: 0xc0000201n });
    for (const bad of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '1:2:3:4:5:6:7::8', '12345::', 'g::1', '::1.2.3', '::ffff:1.2.3.999', ':', '1:2:3:4:5:6:7:8::']) {
      expect([bad, parseIp(bad)]).toEqual([bad, undefined]);
    }
  });
});

describe('base64 and base64offset', () => {
  it('base64 matches the encoded value exactly (with contains, anywhere)', () => {
    expect(matches('base64', 'http://', ['aHR0cDovLw==', 'xaHR0cDovLw=='])).toEqual([true, false]);
    expect(matches('base64|contains', 'http://', ['xaHR0cDovLw==x'])).toEqual([true]);
    // The encoding is of the exact bytes: case matters to base64, but matching stays Sigma's.
    expect(matches('base64', 'A', ['QQ==', 'qq=='])).toEqual([true, true]);
    expect(matches('base64', 12, ['MTI='])).toEqual([true]);
  });

  it('base64offset gives the value at each of the three offsets, as SigmaHQ rules spell them', () => {
    // From SigmaHQ's rules: '/bin/bash' encodes as these three.
    const f = field('base64offset|contains', '/bin/bash');
    expect(['xxL2Jpbi9iYXNoxx', 'xx9iaW4vYmFzaxx', 'xxvYmluL2Jhc2xx', 'L2Jpbi9iYXN'].map((v) => f(v))).toEqual([true, true, true, false]);
    for (const prefix of ['', 'a', 'ab', 'abc']) expect(f(Buffer.from(`${prefix}/bin/bash -c id`).toString('base64'))).toBe(true);
  });

  it('cannot encode wildcards or placeholders, saying what to write instead', () => {
    expect(() => field('base64', 'a*')).toThrow('modifier "base64" cannot apply to a string: it cannot encode wildcards');
    expect(() => field('startswith|base64', 'a')).toThrow('modifier "base64" cannot apply to a string (what "startswith" made of the value): it cannot encode wildcards; write base64|startswith (encode first)');
    expect(() => field('endswith|base64offset', 'a')).toThrow(/write base64offset\|endswith \(encode first\)$/);
    expect(() => field('cased|base64', 'a*')).toThrow(/it cannot encode wildcards$/);
    expect(() => field('expand|base64', '%x%', { placeholders: { x: ['a'] } })).toThrow('modifier "base64" cannot apply to a string (what "expand" made of the value): it cannot encode an expand placeholder');
    expect(() => field('expand|wide', '%x%', { placeholders: { x: ['a'] } })).toThrow(/"wide" cannot apply to a string \(what "expand" made of the value\): it cannot encode an expand placeholder/);
    expect(() => field('base64', null)).toThrow('modifier "base64" cannot apply to null');
  });
});

describe('wide, utf16 and utf16be', () => {
  const le = (s: string) => Buffer.from(s, 'utf16le');
  it('encode the value as UTF-16 before base64', () => {
    expect(matches('wide|base64', 'ab', [le('ab').toString('base64'), Buffer.from('ab').toString('base64')])).toEqual([true, false]);
    expect(matches('utf16le|base64', 'ab', [le('ab').toString('base64')])).toEqual([true]);
    expect(matches('utf16be|base64', 'ab', [le('ab').swap16().toString('base64')])).toEqual([true]);
    expect(matches('utf16|base64', 'ab', [Buffer.concat([Buffer.from([0xff, 0xfe]), le('ab')]).toString('base64')])).toEqual([true]);
  });

  it('keep wildcards around the encoded text, with the byte order mark before a leading one', () => {
    const w = field('wide|contains', 'ab');
    expect([w(`x${le('ab').toString('latin1')}y`), w('xaby')]).toEqual([true, false]);
    expect(matches('utf16|endswith', 'ab', [`\xff\xfe${le('ab').toString('latin1')}`])).toEqual([true]);
    // Encoded values compare exactly: no case folding of UTF-16 bytes into an index.
    expect(compileFieldMatch({ modifiers: ['wide'], values: ['ab'] }).equalities).toBeUndefined();
  });

  it('encode every windash spelling', () => {
    const f = field('windash|wide|base64offset|contains', ' -x');
    for (const d of ['-', '/', '\u2013', '\u2014', '\u2015']) expect([d, f(le(`cmd ${d}x y`).toString('base64'))]).toEqual([d, true]);
    expect(f(le('cmd +x y').toString('base64'))).toBe(false);
  });
});

describe('windash', () => {
  it('lets a flag dash be any dash or a slash', () => {
    const f = field('windash', '-s -q');
    expect(['-s -q', '/s /q', '\u2013s \u2014q', '\u2015s -q', '+s -q', 's -q'].map((v) => f(v))).toEqual([true, true, true, true, false, false]);
  });

  it('only for dashes before a word character after a non-word one (pySigma\'s \\B[-/]\\b)', () => {
    expect(matches('windash', 'a-b', ['a/b', 'a-b'])).toEqual([false, true]);
    expect(matches('windash', '--x', ['-/x', '//x', '--x'])).toEqual([true, false, true]);
    expect(matches('windash', '- x', ['/ x'])).toEqual([false]);
    expect(matches('windash', '/x', ['-x'])).toEqual([true]);
    expect(matches('windash|contains', ' -é', ['x /é y'])).toEqual([true]);
    expect(matches('windash|contains', ' -1', ['x /1 y'])).toEqual([true]);
    expect(matches('windash|contains', ' -_', ['x /_ y'])).toEqual([true]);
    expect(matches('windash|startswith', '-a', ['/ab', 'x/a'])).toEqual([true, false]);
  });

  it('keeps wildcards and the rest of the value', () => {
    expect(matches('windash', 'cmd * -x*', ['cmd foo /x bar', 'cmd foo +x'])).toEqual([true, false]);
    expect(matches('windash', 'abc', ['abc', 'ABC'])).toEqual([true, true]);
  });

  it('refuses more flags than it can encode', () => {
    const flags = Array.from({ length: 7 }, (_, i) => `-f${i}`).join(' ');
    expect(() => field('windash|base64', flags)).toThrow('"windash" value has too many flags to encode');
    // Six flags (5^6 spellings) still encode.
    expect(() => field('windash|base64', flags.slice(0, flags.lastIndexOf(' ')))).not.toThrow();
  });
});

describe('fieldref', () => {
  const raw = (r: Record<string, unknown>) => ({ ...EV, raw: r }) as SecurityEvent;
  const resolveField = (name: string) => (e: SecurityEvent) => (e.raw as Record<string, unknown>)[name];

  it('equals another field of the event, case-insensitively; absent equals nothing', () => {
    const f = field('fieldref', 'b', { resolveField });
    expect([f('Bob', raw({ b: 'bob' })), f('bob', raw({ b: 'alice' })), f(undefined, raw({})), f('x', raw({})), f(undefined, raw({ b: 'x' }))]).toEqual([true, false, false, false, false]);
    expect([f('x', raw({ b: ['y', 'X'] })), f('x', raw({ b: ['y'] })), f('1', raw({ b: 1 })), f('x', raw({ b: [{ v: 'x' }] }))]).toEqual([true, false, true, false]);
  });

  it('with contains, startswith or endswith holds the other field there', () => {
    const e = raw({ r: 'Alice' });
    expect([field('fieldref|contains', 'r', { resolveField })('xALICEx', e), field('fieldref|contains', 'r', { resolveField })('xalicx', e)]).toEqual([true, false]);
    expect([field('fieldref|startswith', 'r', { resolveField })('alice-x', e), field('fieldref|startswith', 'r', { resolveField })('x-alice', e)]).toEqual([true, false]);
    expect([field('fieldref|endswith', 'r', { resolveField })('x-alice', e), field('fieldref|endswith', 'r', { resolveField })('alice-x', e)]).toEqual([true, false]);
    expect([field('fieldref|startswith|endswith', 'r', { resolveField })('xalicex', e)]).toEqual([true]);
    expect([field('fieldref|neq', 'r', { resolveField })('bob', e), field('fieldref|neq', 'r', { resolveField })('ALICE', e)]).toEqual([true, false]);
  });

  it('needs a plain field name and a way to read it', () => {
    expect(() => field('fieldref', 'b*', { resolveField })).toThrow('modifier "fieldref" cannot apply to a string: a field name has no wildcards');
    expect(() => field('fieldref', 'b')).toThrow('"fieldref" needs a field to compare');
    expect(matches('fieldref', 7, [7], { resolveField: () => () => '7' })).toEqual([true]);
  });
});

describe('expand', () => {
  const placeholders = { admins: ['10.1.1.*', '192.0.2.7'], word: ['ab'], two: ['x', 'y'] };

  it('fills %name% with each configured value, whose wildcards count', () => {
    expect(matches('expand', '%admins%', ['10.1.1.20', '192.0.2.7', '192.0.2.8'], { placeholders })).toEqual([true, true, false]);
    expect(matches('expand', 'pre-%two%-%word%', ['pre-x-ab', 'PRE-Y-AB', 'pre-z-ab', 'pre-%two%-ab'], { placeholders })).toEqual([true, true, false, false]);
    expect(matches('expand|cased', '%word%', ['ab', 'AB'], { placeholders })).toEqual([true, false]);
    // In a regular expression a value is regular-expression text.
    expect(matches('re|expand', '^%two%+$', ['xxx', 'yy', 'z'], { placeholders })).toEqual([true, true, false]);
    // Without expand, %name% is text.
    expect(matches('', '%word%', ['%word%', 'ab'], { placeholders })).toEqual([true, false]);
  });

  it('refuses an unconfigured placeholder by name, even one named like an object property', () => {
    expect(() => field('expand', 'x%nope%', { placeholders })).toThrow(MissingPlaceholderError);
    expect(() => field('expand', '%nope%', { placeholders })).toThrow('placeholder %nope% is not configured');
    expect(() => field('expand', '%constructor%', { placeholders })).toThrow('placeholder %constructor% is not configured');
    expect(() => field('re|expand', '%toString%')).toThrow('placeholder %toString% is not configured');
    try {
      field('expand', '%nope%');
    } catch (err) {
      expect((err as MissingPlaceholderError).placeholder).toBe('nope');
    }
  });

  it('caps the combinations of one value', () => {
    const many = { p: Array.from({ length: 20 }, (_, i) => `v${i}`) };
    expect(() => field('expand', '%p%%p%%p%', { placeholders: many })).not.toThrow();
    expect(() => field('expand', '%p%%p%%p%%p%', { placeholders: many })).toThrow('placeholders of one value give more than 15625 combinations');
  });

  it('names the placeholders of a value', () => {
    expect(placeholderNames('a%x%b%y_1%%z%')).toEqual(['x', 'y_1', 'z']);
    expect(placeholderNames('100% sure %')).toEqual([]);
  });
});

describe('modifier names and what the engine may index', () => {
  it('refuses unknown modifiers, listing the known ones', () => {
    expect(() => field('contain', 'x')).toThrow(/^unknown modifier "contain" \(Sigma's modifiers: all, base64, base64offset, cased, cidr, contains, /);
    expect(() => field('contain', 'x')).toThrow(/, utf16, utf16be, utf16le, week, wide, windash, year\)$/);
  });

  it('exposes lower-cased equalities only for plain case-insensitive values', () => {
    const eq = (modifiers: string[], values: unknown[]) => compileFieldMatch({ modifiers, values }).equalities;
    expect(eq([], ['Admin', 403, true])).toEqual(['admin', '403', 'true']);
    expect(compileFieldMatch({ modifiers: ['expand'], values: ['%x%'], placeholders: { x: ['A', 'B'] } }).equalities).toEqual(['a', 'b']);
    // pySigma's cut of 'ab' at offsets 0, 1, 2: YW, Fi, hY.
    expect(eq(['base64offset'], ['ab'])).toEqual(['yw', 'fi', 'hy']);
    for (const m of [['contains'], ['cased'], ['all'], ['neq'], ['re'], ['wide']]) expect([m, eq(m, ['a'])]).toEqual([m, undefined]);
    expect(eq([], ['a*'])).toBeUndefined();
    expect(eq([], ['a', null])).toBeUndefined();
    expect(eq(['gt'], [1])).toBeUndefined();
  });
});

describe('edges the mutation run found untested', () => {
  const le = (s: string) => Buffer.from(s, 'utf16le');

  it('compile errors carry their name and the configuration error code', () => {
    const err = new SigmaCompileError('bad');
    expect([err.name, err.code, err.message]).toEqual(['SigmaCompileError', 'CONFIG_INVALID', 'bad']);
    expect(new MissingPlaceholderError('p').name).toBe('SigmaCompileError');
    expect(() => field('base64', null)).toThrow(/^modifier "base64" cannot apply to null$/);
    expect(() => field('re', '(?x)a')).toThrow(/^regular expression "\(\?x\)a" uses the x/);
    expect(() => field('re', 'a\\')).toThrow(/^invalid regular expression "a\\\\": /);
  });

  it('takes bigint values as numbers', () => {
    expect(matches('', 12n, ['12', 12, '13'])).toEqual([true, true, false]);
  });

  it('an empty value list also matches a field holding an empty list', () => {
    expect(matches('', [], [[], ['x']])).toEqual([true, false]);
  });

  it('anchors a pattern with inner wildcards at both ends, and never matches an absent value', () => {
    expect(matches('', 'a?c', ['abcx', 'xabc'])).toEqual([false, false]);
    expect(matches('', 'u?defined', [undefined, null, 'undefined'])).toEqual([false, false, true]);
    expect(matches('cased', 'a?c', ['a\nc'])).toEqual([true]);
  });

  it('encodes UTF-16 bytes as bytes, also with wildcards around them', () => {
    expect(matches('wide|base64', 'é', [le('é').toString('base64')])).toEqual([true]);
    expect(matches('contains|wide', 'ab', [`x${le('ab').toString('latin1')}y`, 'xaby'])).toEqual([true, false]);
  });

  it('names a placeholder as what cannot be encoded, also among text', () => {
    expect(() => field('expand|base64', 'a%x%', { placeholders: { x: ['b'] } })).toThrow(/it cannot encode an expand placeholder$/);
    expect(() => field('expand|wide', 'a%x%', { placeholders: { x: ['b'] } })).toThrow(/it cannot encode an expand placeholder$/);
  });

  it('expands placeholders with text after them, and regular-expression values as they are', () => {
    expect(matches('expand', '%w%-x', ['ab-x', 'ab', 'ab-'], { placeholders: { w: ['ab'] } })).toEqual([true, false, false]);
    expect(matches('re|expand', '^%p%$', ['abc', 'xbc'], { placeholders: { p: ['a.*'] } })).toEqual([true, false]);
    const five = { p: ['a', 'b', 'c', 'd', 'e'] };
    // Exactly the cap (5^6 combinations) compiles.
    expect(() => field('expand', '%p%%p%%p%%p%%p%%p%', { placeholders: five })).not.toThrow();
  });

  it('fieldref without contains/startswith/endswith is whole-value equality', () => {
    const f = field('fieldref', 'b', { resolveField: () => () => 'bob' });
    expect([f('xbob'), f('bobx'), f('xbobx'), f('BOB')]).toEqual([false, false, false, true]);
  });

  it('leaves a character class at its ], so inline flags after it still apply', () => {
    expect(matches('re', '[a](?i)B', ['aB', 'ab', 'bb'])).toEqual([true, true, false]);
    expect(matches('re', '^[a(?i)]+$', ['a(?i)', 'A'])).toEqual([true, false]);
    expect(matches('re', '(?:a)(?i)b', ['aB', 'AB'])).toEqual([true, true]);
    expect(matches('re', '(?P<n>a)(?:b)(?P=n)', ['aba', 'abb'])).toEqual([true, false]);
    expect(matches('re', '^(?P<n>a)(?P=n)b$', ['aab', 'aac'])).toEqual([true, false]);
    expect(matches('re', '^(?P<nm>a)(?P=nm)$', ['aa', 'ab'])).toEqual([true, false]);
  });

  it('reads a numeric date string only when it is all number', () => {
    // 7200.5 s is 02:00:00.5 UTC on 1970-01-01; the text around a number is not a date.
    expect(matches('hour', 2, ['7200.5', '7200.5x', 'x7200', '7200.'])).toEqual([true, false, false, false]);
    expect(matches('year', 1970, ['7200.5', '7200.25'])).toEqual([true, true]);
  });

  it('rejects IPv4 parts that are not all digits', () => {
    expect(['10.0.0.a1', '10.0.0.1a', '10.0.0.01', '10.0.0.0001'].map((s) => parseIp(s))).toEqual([undefined, undefined, { v6: false, n: 0x0a000001n }, undefined]);
  });
});
