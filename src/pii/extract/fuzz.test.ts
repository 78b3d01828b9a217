import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SaaswatchError } from '../../core/errors.js';
import { extractText } from './index.js';
import { makeDocx, makeOdt, makePdf, makePptx, makeXlsx } from './testing.js';

const SEEDS: Array<[string, Uint8Array]> = [
  ['a.docx', makeDocx(['Employee SSN: 536-22-1234', ['Card 4111 ', '1111 1111 1111']], { header: 'ACME', footer: 'p. 1' })],
  ['a.xlsx', makeXlsx([{ name: 'Cards', rows: [['Name', 'Card'], ['Jane', '4111 1111 1111 1111'], [{ inline: 'Bob' }, 4111111111111111]] }])],
  ['a.pptx', makePptx([['Title', 'jane@example.com']])],
  ['a.odt', makeOdt(['# Head', 'Body  text\tend'])],
  ['a.pdf', makePdf(['Card 4111 1111 1111 1111', { TJ: ['IBAN ', -100, 'DE89 3704 0044 0532 0130 00'] }])],
  ['a.json', new TextEncoder().encode('{"ssn": "536-22-1234", "cards": [4111111111111111, {"n": "x\\"y"}]}')],
  ['a.html', new TextEncoder().encode('<html><body><p>a &amp; b<td>c</td><script>x</script></p></body></html>')],
];

/** A seed with some bytes overwritten, and maybe cut short: what a broken download or a hostile upload looks like. */
const mutated = fc
  .record({
    seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
    edits: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ seed, edits, cut }) => {
    const [name, data] = SEEDS[seed]!;
    const copy = Uint8Array.from(data);
    for (const e of edits) copy[e.at % copy.length] = e.byte;
    return { name, data: cut === undefined ? copy : copy.subarray(0, cut % copy.length) };
  });

describe('extractText on damaged files', () => {
  it('either reads text or fails with FILE_UNREADABLE or INPUT_TOO_LARGE, naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async ({ name, data }) => {
        try {
          const r = await extractText(data, { name }, { timeout: 20_000 });
          expect(typeof r.text).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(SaaswatchError);
          expect(['FILE_UNREADABLE', 'INPUT_TOO_LARGE']).toContain((err as SaaswatchError).code);
          expect((err as SaaswatchError).message.startsWith(`${name}: `)).toBe(true);
        }
      }),
      { numRuns: 150, seed: 18 },
    );
  });
});
