import { describe, expect, it } from 'vitest';
import { safeJsonLine, safeText } from './terminal.js';

// Every character a terminal acts on, one of each kind, and its visible form.
const CASES: Array<[string, string]> = [
  ['\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
  ['\x1b[2J', '\\x1b[2J'],
  ['a\rb', 'a\\rb'],
  ['a\nb\tc', 'a\\nb\\tc'],
  ['\x00\x08\x7f', '\\x00\\x08\\x7f'],
  ['\u009b31m', '\\x9b31m'], // the 8-bit CSI
  ['\u009d0;x\u009c', '\\x9d0;x\\x9c'], // 8-bit OSC ... ST
  ['admin\u202egpj.exe', 'admin\\u202egpj.exe'],
  ['\u202a\u202b\u202c\u202d', '\\u202a\\u202b\\u202c\\u202d'],
  ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
  ['\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
  ['\u2028\u2029', '\\u2028\\u2029'],
];

describe('safeText', () => {
  it.each(CASES)('shows %j as visible escapes', (raw, shown) => {
    expect(safeText(raw)).toBe(shown);
  });

  it('leaves printable text, accents, CJK, emoji and backslashes as they are', () => {
    const text = 'ünïcødé ✓ 日本語 🙂 C:\\Users\\x ~!@#$%^&*()';
    expect(safeText(text)).toBe(text);
  });

  it('escapes every match in a line, not only the first', () => {
    expect(safeText('\x1b\x1b|\u202e\u202e')).toBe('\\x1b\\x1b|\\u202e\\u202e');
    // A second call on the same input gives the same answer (no regex state carried between calls).
    expect(safeText('\x1b\x1b|\u202e\u202e')).toBe('\\x1b\\x1b|\\u202e\\u202e');
  });
});

describe('safeJsonLine', () => {
  it('escapes what JSON.stringify leaves raw and stays JSON that parses to the same value', () => {
    const value = { user: 'a\u202eb\u0085c\x7fd\u2066', ok: 'plain' };
    const line = safeJsonLine(JSON.stringify(value));
    expect(line).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(line).toContain('\\u202e');
    expect(JSON.parse(line)).toEqual(value);
  });

  it('keeps the whitespace between JSON values (a log line ends in a newline)', () => {
    const text = `${JSON.stringify({ a: '\u202e' })}\n${JSON.stringify({ b: 1 }, null, 2)}\n`;
    const safe = safeJsonLine(text);
    expect(safe.split('\n')).toHaveLength(text.split('\n').length);
    expect(safe.startsWith('{"a":"\\u202e"}\n')).toBe(true);
  });
});
