/** The shared scan's long-word list and the context search's quick test, held against plain reference computations over generated text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileContext, findContext, searchContext } from './context.js';
import { BUILTIN_RECOGNIZERS } from './recognizers/index.js';
import { isWordChar, LONG_WORD, scanNumericRuns } from './scan.js';

/** Pieces mixing what the scan treats differently: capital prefixes, digit groups, separators, `_`, non-ASCII letters, keys and addresses. */
const PIECES = [
  ' ', '-', '.', '/', '(', ')', '+', '_', ':', '=', '\n', 'é', 'Ü', '—', '😀', 'a', 'Z', 'DE', 'AB', 'ab', 'Cd', 'C', '1', '123456', '42', '0x', '4111', '2024-03-01',
  '3f2a9c', 'AKIAIOSFODNN7EXAMPLE', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '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',
  '12345678901234567890123', 'DE89370400440532013000', 'sk_live_51H8vQ2eZvKYlo2C0aB3dE4fG', 'abcdefghijklmnopqrstuvwxyz',
];

/** Every maximal run of word characters of LONG_WORD or more, the slow way. */
function longWords(text: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const s = i;
    while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
    if (i - s >= LONG_WORD) out.push(s, i);
  }
  return out;
}

describe('scanNumericRuns long words', () => {
  it('lists exactly the maximal word-character runs of LONG_WORD or more, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }), (pieces) => {
        const text = pieces.join('');
        const r = scanNumericRuns(text);
        const got: number[] = [];
        for (let w = 0; w < r.longCount; w++) got.push(r.longStart[w]!, r.longEnd[w]!);
        expect(got).toEqual(longWords(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same runs when it reuses the arrays of a larger earlier scan', () => {
    const big = scanNumericRuns('4111 1111 1111 1111 AKIAIOSFODNN7EXAMPLE '.repeat(500));
    const text = 'call 415-555-2671 or DE89 3704 0044 0532 0130 00, key AKIAIOSFODNN7EXAMPLE';
    const fresh = scanNumericRuns(text);
    const reused = scanNumericRuns(text, big);
    expect(reused.count).toBe(fresh.count);
    expect(reused.longCount).toBe(fresh.longCount);
    for (let g = 0; g < fresh.runEnd[fresh.count - 1]!; g++) expect([reused.gStart[g], reused.gEnd[g], reused.gSep[g]]).toEqual([fresh.gStart[g], fresh.gEnd[g], fresh.gSep[g]]);
  });
});

/** Each listed run's text, from its first group's start to its last group's end. */
function runTexts(text: string): string[] {
  const r = scanNumericRuns(text);
  const out: string[] = [];
  for (let k = 0; k < r.count; k++) out.push(text.slice(r.gStart[r.runFirst[k]!], r.gEnd[r.runEnd[k]! - 1]));
  return out;
}

describe('scanNumericRuns lead-ins', () => {
  it('starts a run after one capital or two letters of any case; after lowercase, one group of six digits or more, the rest as before', () => {
    expect(runTexts('md5 ec2 ie11 tw987654a AB12 34 56 A1 x86 abc123456')).toEqual(['987654', '12 34 56', '1']);
    // What follows a lowercase-led group is its own run, as when the word was skipped whole.
    expect(runTexts('ec123456.536-22-8726 md1/192.0.2.1 Ab12 34 56')).toEqual(['123456', '536-22-8726', '192.0.2.1', '34 56']);
  });
  it('keeps a group glued to one letter on its right when it has six digits or more', () => {
    expect(runTexts('PR 123612C 1048576B 12345C 123456CD 3f2a 021000021é 123456_')).toEqual(['123612', '1048576']);
  });
});

/** Text around findings: context words of every built-in recognizer in several languages and cases, plurals, compounds, phrases cut by punctuation. */
const WORDS = [
  'the', 'card', 'Cards', 'CARD', 'kreditkartennummer', 'card number', 'Card-Number', 'phone', 'phones', 'Telefonnummer', 'tel', 'date of birth', 'Date_of_Birth',
  'iban', 'account number', 'numéro de carte', 'téléphone', 'Geburtsdatum', 'ip address', 'IP-Adresse', 'nhs number', 'national insurance', 'ss#', 'd.o.b',
  'social security', 'security', 'order', 'reference', 'tracking', 'wallet', 'bitcoin', 'contact', 'contacts', 'accounting', 'report', 'x', '4111', '12ab',
  'password', 'bank routing', 'routing no', 'swift code', 'payment', 'IPs', 'urls', 'tels', 'SSNs', 'ids', 'bus', 'src_ip', 'tel_no', 'ip_address', 'card__number', '_', 'api_key', 'call_id', 'Sheet_Name', 'calls', 'cells', 'wire', 'ship_address', 'ip_', '__ip',
  'user_ip_address', 'phone_number', 'id_token', 'access_token', 'x_ssns', 'client_ips', 'Ip_Address_Ids', 'tin_number', 'wallet_addresses', 'a_b_c', 'date_of', ',', ':', '.', ' ', '  ', '\n', '|', '\t', 'é', 'straße', 'İstanbul',
];

describe('findContext', () => {
  const matchers = BUILTIN_RECOGNIZERS.flatMap((r) => [compileContext(r.context, ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt', 'any']), compileContext(r.context, ['en'])]);
  it('finds what the full search finds, for every built-in matcher, window and span', () => {
    fc.assert(
      // Words joined by `_` too: a key's parts and phrases across them (`date_of` + `birth`) take the quick test's part path.
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 30 }), fc.constantFrom(' ', ' ', '_', '__', ': '), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 8 }), (words, sep, a, b, window) => {
        const text = words.join(sep);
        const start = text.length ? a % text.length : 0;
        const end = Math.min(text.length, start + (b % 12));
        for (const m of matchers) expect(findContext(text, start, end, m, window)).toEqual(searchContext(text, start, end, m, window));
      }),
      { numRuns: 3000 },
    );
  });
});
