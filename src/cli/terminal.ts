/**
 * The one way CLI text reaches a terminal: data from logs and vendors may carry control characters
 * that would move the cursor, retitle the window, clear the screen or reorder what the operator
 * reads, so every such character is shown as an escape instead of being sent raw.
 */

/**
 * Characters a terminal acts on rather than shows: C0 controls (newline and tab included: a line of
 * output is one line), DEL, C1 controls (U+0080–U+009F, among them the 8-bit CSI and OSC), bidi
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F,
 * U+061C), and the Unicode line and paragraph separators. ESC itself is escaped, so no CSI or OSC
 * sequence survives: what follows it is plain text.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same class without the global flag: `test` on a /g regex keeps state between calls.
const UNSAFE_ONE = new RegExp(UNSAFE.source);

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0');

function visible(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

/** `text` with every terminal control character written as a visible escape (`\x1b`, `\u202e`, `\r`). */
export function safeText(text: string): string {
  // Most lines hold nothing to escape: one scan, no new string.
  return UNSAFE_ONE.test(text) ? text.replace(UNSAFE, visible) : text;
}

/**
 * What JSON leaves raw of the above: serializers escape C0 inside strings, and C0 outside strings is
 * whitespace (a log line's final newline), so only DEL, C1 and the Unicode ones remain.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const JSON_UNSAFE_ONE = new RegExp(JSON_UNSAFE.source);

/**
 * JSON text (a line, or several) made safe the same way, and still JSON that parses to the same
 * value: the characters JSON leaves raw can only occur inside strings, where `\uXXXX` is valid.
 */
export function safeJsonLine(json: string): string {
  return JSON_UNSAFE_ONE.test(json) ? json.replace(JSON_UNSAFE, (c) => `\\u${hex(c, 4)}`) : json;
}

/** Writes one line of command output to stdout, escaped. */
export function out(line = ''): void {
  process.stdout.write(`${safeText(line)}\n`);
}

/** Writes one line of JSON to stdout, escaped and still parseable. */
export function outJson(value: unknown): void {
  process.stdout.write(`${safeJsonLine(JSON.stringify(value))}\n`);
}

/**
 * Writes a message to stderr, escaped (errors may quote input). Its own line breaks stay: a config
 * error lists one problem per line; anything else a terminal acts on is escaped.
 */
export function errText(text: string): void {
  process.stderr.write(`${safeLines(text)}\n`);
}

/** `text` escaped as safeText does, line by line, keeping its line breaks. */
export function safeLines(text: string): string {
  return text.split('\n').map(safeText).join('\n');
}
