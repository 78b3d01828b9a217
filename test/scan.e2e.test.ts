/** `saaswatch scan` as a CI job runs it: JSON lines with code point offsets, masked values only, exit codes 0/4/1/2, folders and stdin. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractText } from '../src/pii/extract/index.js';
import { makeDocx, makePdf, makeXlsx } from '../src/pii/extract/testing.js';
import { runCli, tempDir, writeConfig, type CliResult } from './helpers.js';

// Visa's and Mastercard's published test numbers and an SSN in a valid area and group (SSA's rules).
const VISA = '4111 1111 1111 1111';
const MC = '5500-0000-0000-0004';
const SSN = '536-22-1234';
/** Every form in which a raw value could leak: as written and with separators dropped. */
/** The types these fixtures hold: other recognizers (names, secrets) may find more in them, which these tests do not assert. */
const TYPES = 'CREDIT_CARD,US_SSN';
const RAW = [VISA, MC, SSN, '4111111111111111', '5500000000000004', '536221234'];

interface Line {
  file: string;
  type: string;
  start: number;
  end: number;
  score: number;
  masked: string;
  reason: string;
}

const lines = (r: CliResult): Line[] =>
  r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

function expectNoRawValue(r: CliResult) {
  for (const raw of RAW) {
    expect(r.stdout, raw).not.toContain(raw);
    expect(r.stderr, raw).not.toContain(raw);
  }
}

describe('saaswatch scan', () => {
  let dir: string;
  let notes: string;
  let clean: string;
  let sheet: string;
  let letter: string;
  let report: string;
  let locked: string;

  beforeAll(() => {
    dir = tempDir('sw-scan-');
    // An emoji and an accented letter before the card: code point offsets differ from UTF-16 ones.
    notes = join(dir, 'notes.txt');
    writeFileSync(notes, `Réunion 🙂 — card ${VISA} on file.\nEmployee SSN: ${SSN}\n`);
    clean = join(dir, 'clean.md');
    writeFileSync(clean, '# Release notes\n\nThe export now keeps column widths.\n');
    sheet = join(dir, 'cards.xlsx');
    writeFileSync(sheet, makeXlsx([{ name: 'Cards', rows: [['Name', 'Card number'], ['Jane Roe', MC], [{ inline: 'John Doe' }, VISA]] }]));
    const sub = join(dir, 'hr');
    mkdirSync(sub);
    letter = join(sub, 'offer.docx');
    writeFileSync(letter, makeDocx(['Offer letter', ['Social security number: ', SSN.slice(0, 5), SSN.slice(5)]]));
    report = join(sub, 'report.pdf');
    writeFileSync(report, makePdf(['Expense report', { tj: ['Corporate card ', VISA.slice(0, 10), VISA.slice(10)] }]));
    writeFileSync(join(sub, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
    // A link back to the top: a folder scan must not loop through it.
    symlinkSync(dir, join(sub, 'loop'));
    locked = join(dir, 'locked.pdf');
    writeFileSync(locked, makePdf([`SSN ${SSN}`], { encrypted: true }));
  });

  it('--json: one line per finding whose code point offsets slice the extracted text to the value, masked', async () => {
    const r = await runCli(['scan', '--json', '--entities', TYPES, notes, sheet]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('');
    const found = lines(r);
    for (const l of found) expect(Object.keys(l)).toEqual(['file', 'type', 'start', 'end', 'score', 'masked', 'reason']);
    const text = (await extractText(await import('node:fs').then((fs) => fs.readFileSync(notes)), { name: notes })).text;
    const cps = Array.from(text);
    const inNotes = found.filter((l) => l.file === notes);
    expect(inNotes.map((l) => [l.type, cps.slice(l.start, l.end).join('')])).toEqual([
      ['CREDIT_CARD', VISA],
      ['US_SSN', SSN],
    ]);
    // UTF-16 would put the card two units later (the emoji is a surrogate pair): the offsets are code points.
    expect(inNotes[0]!.start).toBe(text.indexOf(VISA) - 1);
    expect(inNotes[0]).toMatchObject({ masked: '************1111', score: 1 });
    expect(inNotes[0]!.reason).toContain('luhn');
    const inSheet = found.filter((l) => l.file === sheet);
    expect(inSheet.map((l) => [l.type, l.masked])).toEqual([
      ['CREDIT_CARD', '************0004'],
      ['CREDIT_CARD', '************1111'],
    ]);
    for (const l of found) expect(Math.round(l.score * 100) / 100).toBe(l.score);
    expectNoRawValue(r);
  });

  it('recurses folders (docx, pdf inside; an image passed over) and prints a readable summary of masked values', async () => {
    const r = await runCli(['scan', '--entities', TYPES, dir]);
    expect(r.stderr).toContain('locked.pdf: the PDF is encrypted');
    // Findings make it 4 even beside the encrypted PDF (a corrupt file must not open a CI gate), every other file scanned.
    expect(r.code).toBe(4);
    expect(r.stdout).toContain(`${clean} (md): nothing found`);
    expect(r.stdout).toContain(`${letter} (docx): 1 finding`);
    expect(r.stdout).toContain(`${report} (pdf): 1 finding`);
    expect(r.stdout).toMatch(/CREDIT_CARD ×2 +\*{12}0004, \*{12}1111/);
    expect(r.stdout).toContain('*****1234');
    expect(r.stdout).toContain('5 files scanned, 4 files with findings');
    expect(r.stdout).toContain('1 file unreadable, 1 file of an unsupported format skipped');
    expectNoRawValue(r);
  });

  it('exits 0 when nothing reaches the score, and --entities filters the types', async () => {
    const none = await runCli(['scan', clean]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('1 file scanned, 0 files with findings');
    const ssnOnly = await runCli(['scan', '--json', '--entities', 'us_ssn', notes, sheet]);
    expect(ssnOnly.code).toBe(4);
    expect(lines(ssnOnly).map((l) => [l.file, l.type])).toEqual([[notes, 'US_SSN']]);
    const cardsNone = await runCli(['scan', '--json', '--entities', 'US_PASSPORT', notes]);
    expect(cardsNone).toMatchObject({ code: 0, stdout: '' });
  });

  it('reads standard input as -, named - in its lines', async () => {
    const r = await runCli(['scan', '--json', '--entities', TYPES, '-'], { input: `{"customer": {"card": "${VISA}", "ssn": "${SSN}"}}` });
    expect(r.code).toBe(4);
    expect(lines(r).map((l) => [l.file, l.type, l.masked])).toEqual([
      ['-', 'CREDIT_CARD', '************1111'],
      ['-', 'US_SSN', '*****1234'],
    ]);
    expectNoRawValue(r);
  });

  it('a file that cannot be read is named on stderr with its reason; findings elsewhere still exit 4, none exit 1', async () => {
    const r = await runCli(['scan', '--json', '--entities', TYPES, join(dir, 'missing.csv'), locked, notes]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`unreadable: ${join(dir, 'missing.csv')}: no such file or folder (check the path)`);
    expect(r.stderr).toContain(`unreadable: ${locked}: the PDF is encrypted (decrypt it (remove its password), then scan it again)`);
    expect(lines(r).filter((l) => l.file === notes)).toHaveLength(2);
    expectNoRawValue(r);
    const nothing = await runCli(['scan', '--json', '--entities', TYPES, locked, clean]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`unreadable: ${locked}: the PDF is encrypted`);
  });

  it('exits 2 on an unknown entity type, listing the known ones, and on a bad score', async () => {
    const r = await runCli(['scan', '--entities', 'CREDIT_CARD,SOCIAL', notes]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--entities: unknown entity type "SOCIAL" \(known: .*CREDIT_CARD.*US_SSN/);
    const s = await runCli(['scan', '--min-score', '1.5', notes]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('expected a score from 0 to 1');
  });

  it("reads the config's pii section: allow list and custom recognizer apply, limits dead-letter, a bad limit exits 2", async () => {
    const cfgDir = tempDir('sw-scan-cfg-');
    const config = writeConfig(cfgDir, {
      pii: {
        analyzer: { allow: [VISA], custom: [{ name: 'employee-id', type: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}', score: 0.9 }] },
        limits: { max_bytes: 4096 },
      },
    });
    const big = join(cfgDir, 'big.txt');
    writeFileSync(big, `EMP-123456 ${'x'.repeat(5000)}`);
    const small = join(cfgDir, 'small.txt');
    writeFileSync(small, `Corporate card ${VISA}, badge EMP-654321`);
    const r = await runCli(['scan', '--json', '--entities', 'EMPLOYEE_ID,CREDIT_CARD', '-c', config, small, big]);
    expect(r.code).toBe(4);
    expect(lines(r).map((l) => [l.type, l.masked])).toEqual([['EMPLOYEE_ID', '*****4321']]);
    expect(r.stderr).toContain(`unreadable: ${big}: 5,011 bytes is over the limit of 4,096 bytes (pii.limits.max_bytes)`);
    const bad = writeConfig(tempDir('sw-scan-cfg-'), { pii: { limits: { max_pagez: 3 } } });
    const b = await runCli(['scan', '-c', bad, small]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('max_pagez');
  });
});
