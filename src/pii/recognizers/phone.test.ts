import { describe, expect, it } from 'vitest';
import { spots, values } from '../testing.js';
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import mobileExamples from 'libphonenumber-js/mobile/examples';
import { mulberry32 } from '../../detection/random.js';
import { createPhoneRecognizer, DEFAULT_PHONE_REGIONS, phoneRecognizer, validInternational, validNational, validUsNational } from './phone.js';

// Numbers from Ofcom's drama range (020 7946 0xxx), the US 555-01xx fiction range's neighbours, and regulators' examples.
describe('phone recognizer', () => {
  it('finds international numbers in any region, scored above national ones', () => {
    expect(spots(phoneRecognizer, 'Call +1 (415) 555-2671 or +44 20 7946 0958 or +33 6 12 34 56 78 or +49 30 901820.').map((s) => [s.value, s.score])).toEqual([
      ['+1 (415) 555-2671', 0.75],
      ['+44 20 7946 0958', 0.75],
      ['+33 6 12 34 56 78', 0.75],
      ['+49 30 901820', 0.75],
    ]);
  });
  it('finds formatted national numbers of the default regions', () => {
    expect(values(phoneRecognizer, 'office (415) 555-2671, London 020 7946 0958, Berlin 030 901820, Madrid 912 345 678')).toEqual([
      '(415) 555-2671',
      '020 7946 0958',
      '030 901820',
      '912 345 678',
    ]);
  });
  it('validates a bare digit string only beside a phone word', () => {
    expect(values(phoneRecognizer, 'order 4155552671 shipped')).toEqual([]);
    expect(values(phoneRecognizer, 'mobile: 4155552671')).toEqual(['4155552671']);
  });
  it('ignores dates, timestamps, IPv4 addresses, invalid numbers and versions', () => {
    expect(values(phoneRecognizer, '2024-03-05 12:30:45, 05/03/2024 10:00, 10.123.123.123, +1 (123) 456-7890, v1.22.333.4444, 1234 5678')).toEqual([]);
  });
  it('recognizes national numbers only for the configured regions', () => {
    expect(values(createPhoneRecognizer(['GB']), '(415) 555-2671 and 020 7946 0958')).toEqual(['020 7946 0958']);
  });
  // Near misses from the labelled corpus (helper B's list): each shape alone, beside a real number that must still be found.
  it.each([
    ['an SSN-shaped 3-2-4 grouping', 'legacy_ref: 666-10-0428', '357 00 4844'],
    ['digits glued to a LETTERS- id', 'invoice INV-2026-356930 paid', 'ref ACME_2026 356930'],
    ['a 3-4-2 dashed product code', 'The item is SKU 367-1248-59.', 'part 912-3456-78'],
    ['a decimal amount', 'amount 0.344181 BTC', 'CACHE_TTL=4155552.671'],
    ['digits inside an IBAN-shaped token', 'IBAN ES45 3701 888690 70159 (check digits fail)', 'DE61 3563 6788 0949 2274 23'],
    ['a card-shaped number that fails Luhn', 'card 4111 1111 1111 1112', 'Amex 3782 822463 10006'],
    ['a 3-3-4 number labelled as another identifier', 'Her previous NHS number on the referral (418 312 1641) was mistyped.', 'invoice 415 555 2671'],
  ])('rejects %s', (_what, a, b) => {
    expect(values(phoneRecognizer, a)).toEqual([]);
    expect(values(phoneRecognizer, b)).toEqual([]);
    expect(values(phoneRecognizer, `${a} Please call me on (415) 555-2671.`)).toEqual(['(415) 555-2671']);
  });
  it("starts a span at '(' only when it brackets an area code", () => {
    expect(values(phoneRecognizer, 'office (415) 555-2671')).toEqual(['(415) 555-2671']);
    expect(values(phoneRecognizer, 'reach me (415 555 2671) after six')).toEqual(['415 555 2671']);
  });
  it('keeps a phone word ahead of another identifier label', () => {
    expect(values(phoneRecognizer, 'order desk, call 415 555 2671')).toEqual(['415 555 2671']);
  });
});

describe('validUsNational', () => {
  it('decides ten-digit +1 numbers as libphonenumber does, national or international, in every layout and +1 country (US, Canada, the Caribbean)', () => {
    const rnd = mulberry32(18);
    const int = (n: number) => Math.floor(rnd() * n);
    // Area codes of several +1 countries (NANPA's assignments), and any 2-9 start.
    const areas = ['415', '212', '416', '604', '268', '242', '876', '787', '671', '345', '809', '555', '800', '900', '211'];
    const layouts = (d: string) => [`(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`, `${d.slice(0, 5)} ${d.slice(5)}`, d, `${d.slice(0, 3)}/${d.slice(3)}`];
    let valid = 0;
    for (let i = 0; i < 2000; i++) {
      const area = int(2) ? areas[int(areas.length)]! : String(200 + int(800));
      const d = area + String(int(10_000_000)).padStart(7, '0');
      const text = layouts(d)[int(5)]!;
      const lib = parsePhoneNumberFromString(text, 'US')?.isValid() ?? false;
      // The same number dialled from abroad gets the same verdict.
      expect(parsePhoneNumberFromString(`+1 ${text}`)?.isValid() ?? false).toBe(lib);
      if (lib) valid++;
      expect(validUsNational(d), `layout of ${d.replace(/\d/g, '9')}`).toBe(lib);
    }
    // Both verdicts occur often, so agreement is not agreement on one answer.
    expect(valid).toBeGreaterThan(400);
    expect(valid).toBeLessThan(1600);
  });
});

describe('validInternational', () => {
  it('decides international numbers of every country as libphonenumber does, or leaves them to it', () => {
    const rnd = mulberry32(7);
    const int = (n: number) => Math.floor(rnd() * n);
    let decided = 0;
    let valid = 0;
    for (const country of getCountries()) {
      const ex = getExampleNumber(country, mobileExamples);
      if (!ex) continue;
      // The library's own example number with its last digits changed, sometimes a digit longer or shorter.
      for (let k = 0; k < 6; k++) {
        const nn = ex.nationalNumber as string;
        let nat = nn.slice(0, Math.max(1, nn.length - 1 - int(4)));
        const len = nn.length + (k === 5 ? int(3) - 1 : 0);
        while (nat.length < len) nat += String(int(10));
        const text = `+${ex.countryCallingCode} ${nat}`;
        const lib = parsePhoneNumberFromString(text)?.isValid() ?? false;
        const fast = validInternational(text.replace(/\D/g, ''));
        if (fast === undefined) continue;
        decided++;
        if (lib) valid++;
        expect(fast, `${country} ${text.replace(/\d/g, '9')}`).toBe(lib);
      }
    }
    expect(decided).toBeGreaterThan(1000);
    expect(valid).toBeGreaterThan(decided / 2);
    expect(valid).toBeLessThan(decided);
    // A national prefix after the country code (`+44 (0)20 …`) is the library's to strip.
    expect(validInternational('4402079460958')).toBeUndefined();
  });
});

describe('validNational', () => {
  it('decides national numbers of the default regions as libphonenumber does, or leaves them to it', () => {
    const rnd = mulberry32(11);
    const int = (n: number) => Math.floor(rnd() * n);
    let decided = 0;
    let valid = 0;
    for (const region of DEFAULT_PHONE_REGIONS) {
      const ex = getExampleNumber(region, mobileExamples)!;
      for (let k = 0; k < 150; k++) {
        // The region's example with its last digits changed (sometimes after a trunk 0), or any digits.
        let d = '';
        const base = k % 2 ? (k % 3 ? '' : '0') + ex.nationalNumber : '';
        d = base.slice(0, Math.max(0, base.length - 1 - int(5)));
        const len = base ? base.length : 6 + int(8);
        while (d.length < len) d += String(int(10));
        const text = k % 4 === 0 ? `(${d.slice(0, 3)}) ${d.slice(3)}` : d.replace(/(\d{3})(?=\d{3})/g, '$1 ');
        const lib = parsePhoneNumberFromString(text, region)?.isValid() ?? false;
        const fast = validNational(region, d);
        if (fast === undefined) continue;
        decided++;
        if (lib) valid++;
        expect(fast, `${region} ${text.replace(/\d/g, '9')}`).toBe(lib);
      }
    }
    expect(decided).toBeGreaterThan(500);
    expect(valid).toBeGreaterThan(100);
    expect(valid).toBeLessThan(decided - 100);
    // A trunk prefix is the library's to strip.
    expect(validNational('GB', '02079460958')).toBeUndefined();
  });
});
