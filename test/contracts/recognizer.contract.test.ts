/**
 * The recognizer contract suite (docs/contracts/recognizer.md): every built-in recognizer through
 * every check. A new recognizer needs its `examples` and its registry line, no test code of its own.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/detection/random.js';
import { BUILTIN_RECOGNIZERS } from '../../src/pii/recognizers/index.js';
import { ENTITY_TYPES, type Recognizer, type RecognizerResult } from '../../src/pii/types.js';

const CTX = { languages: ['en', 'de', 'fr', 'es'] } as const;
const KNOWN = new Set<string>(ENTITY_TYPES);

/** A text with a bit of everything, so the checks see results from recognizers whose examples are short. */
function mixedText(r: Recognizer): string {
  return [
    'Quarterly payroll export, prepared by ana.lopez@example.com on 2026-03-14.',
    ...(r.examples ?? []),
    'Order 112-4432211-7781003 shipped via UPS 1Z999AA10123456784; ticket INC-20211.',
    'Build 7f3c2a1e9b0d4c6f8a2e1b3d5c7f9a0b1c2d3e4f for release 4.18.2 at 10.20.30.40.',
    'Contact +1 415-555-2671 or visit https://intranet.example.com/hr/payroll?id=42.',
  ].join('\n');
}

function wellFormed(r: Recognizer, text: string, res: readonly RecognizerResult[]): string[] {
  const v: string[] = [];
  for (const x of res) {
    const at = `${x.type} [${x.start}, ${x.end})`;
    if (!r.entities.includes(x.type)) v.push(`R1 (declared types): ${at} is not among ${r.entities.join(', ')}`);
    if (!(Number.isInteger(x.start) && Number.isInteger(x.end) && x.start >= 0 && x.start < x.end && x.end <= text.length)) v.push(`R2 (well-formed results): ${at} is outside the text of ${text.length}`);
    if (!(x.score > 0 && x.score <= 1)) v.push(`R2 (well-formed results): ${at} scores ${x.score}`);
    if (x.explanation.recognizer !== r.id) v.push(`R2 (well-formed results): ${at} explains itself as ${x.explanation.recognizer}`);
    if (!(x.explanation.baseScore >= 0 && x.explanation.baseScore <= 1)) v.push(`R2 (well-formed results): ${at} has baseScore ${x.explanation.baseScore}`);
  }
  return v;
}

/** What a call returns, as plain data: results are compared field by field. */
const plain = (res: readonly RecognizerResult[]) => JSON.parse(JSON.stringify(res)) as unknown;

/** Deterministic adversarial inputs of about `size` code units: the shapes that make naive patterns backtrack. */
function adversarial(size: number): Array<[string, string]> {
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const rnd = mulberry32(0x2545f491);
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let noise = '';
  while (noise.length < size) noise += b64[Math.floor(rnd() * 64)]!;
  return [
    ['a digit run', fill('4')],
    ['digits between single separators', fill('4 ')],
    ['digits between dashes and dots', fill('12-3.')],
    ['a separator flood after digits', '4111' + fill(' -')],
    ['an @ flood', fill('a@')],
    ['a dot flood in a host', 'user@' + fill('a.')],
    ['letters then a bang', fill('a') + '!'],
    ['base64-like noise', noise],
    ['repeated AWS prefixes', fill('AKIA')],
    ['repeated Slack prefixes', fill('xoxb-1')],
    ['repeated GitHub prefixes', fill('ghp_')],
    ['repeated key headers', fill('-----BEGIN PRIVATE KEY-----\n')],
    ['an unclosed URL', 'https://' + fill('a/')],
    ['a JWT-ish chain', 'eyJ' + fill('a.')],
    ['IBAN-ish letters and digits', fill('DE89 ')],
    ['hex then plus signs', fill('0x') + fill('+')],
  ];
}

describe.each(BUILTIN_RECOGNIZERS.map((r) => [r.id, r] as const))('recognizer contract: %s', (_id, r) => {
  it('R1 declares Presidio-style entity types', () => {
    expect(r.entities.length).toBeGreaterThan(0);
    for (const t of r.entities) expect(KNOWN.has(t) || /^SECRET_[A-Z0-9_]+$/.test(t), `R1 (declared types): ${t}`).toBe(true);
  });

  it('R2/R3 each example fires with well-formed results', () => {
    expect(r.examples?.length ?? 0, `R3 (examples fire): ${r.id} has no examples`).toBeGreaterThan(0);
    for (const ex of r.examples ?? []) {
      const res = r.recognize(ex, CTX);
      expect(wellFormed(r, ex, res)).toEqual([]);
      expect(res.length, `R3 (examples fire): nothing found in ${JSON.stringify(ex.slice(0, 40))}…`).toBeGreaterThan(0);
    }
  });

  it('R4 never puts the matched value in its explanation', () => {
    const text = mixedText(r);
    for (const x of r.recognize(text, CTX)) {
      const value = text.slice(x.start, x.end);
      if (value.length < 6) continue;
      expect(JSON.stringify(x.explanation).includes(value), `R4 (no value in the explanation): ${x.type} at ${x.start}`).toBe(false);
    }
  });

  it('R5 gives the same results whatever it saw before', () => {
    const text = mixedText(r);
    const first = plain(r.recognize(text, CTX));
    for (const other of adversarial(4096)) r.recognize(other[1], CTX);
    for (const ex of BUILTIN_RECOGNIZERS.flatMap((o) => o.examples ?? [])) r.recognize(ex, CTX);
    expect(plain(r.recognize(text, CTX)), 'R5 (deterministic and stateless)').toEqual(first);
  });

  it('R6 moves its results with the text', () => {
    const text = mixedText(r);
    const pad = '\n\n\n';
    const base = r.recognize(text, CTX);
    const moved = r.recognize(pad + text, CTX);
    expect(plain(moved.map((x) => ({ ...x, start: x.start - pad.length, end: x.end - pad.length }))), 'R6 (position-independent)').toEqual(plain(base));
  });

  it('R7 stays linear on adversarial inputs', () => {
    for (const [what, text] of adversarial(256 * 1024)) {
      const t0 = performance.now();
      const res = r.recognize(text, CTX);
      const ms = performance.now() - t0;
      // Linear work over 256 KiB is milliseconds; catastrophic backtracking is minutes. The bound sits between.
      expect(ms, `R7 (linear time): ${what} took ${Math.round(ms)} ms`).toBeLessThan(3_000);
      expect(wellFormed(r, text, res.slice(0, 1000)), `R7 (linear time): ${what}`).toEqual([]);
    }
  });
});
