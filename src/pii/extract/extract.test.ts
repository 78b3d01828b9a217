import { crc32 } from 'node:zlib';
import { inflateSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { SaaswatchError } from '../../core/errors.js';
import { extractText, isUnsupportedFormat, type Extracted } from './index.js';
import { DEFAULT_LIMITS, extractLimitsSchema } from './limits.js';
import { PDF_HEAP_MB } from './pdf.js';
import { JSON_VALIDATE_MAX_CHARS } from './plain.js';
import { deflateZeros, excelNumber, makeDocx, makeNestedFormPdf, makeOdp, makeOds, makeOdt, makePdf, makePptx, makeXlsx, makeZip, makeZipBomb, rawZip } from './testing.js';

// Values from the issuers' and standards' documentation: Visa's and Mastercard's test cards, the IBAN
// of the ECBS example, an SSN in a valid area and group (SSA), RFC 2606 mail domains, a US 555 number.
const CARD = '4111 1111 1111 1111';
const MC = '5500 0000 0000 0004';
const IBAN = 'DE89 3704 0044 0532 0130 00';
const SSN = '536-22-1234';
const EMAIL = 'jane.doe@example.com';
const PHONE = '+1 415 555 0132';

const enc = (s: string) => new TextEncoder().encode(s);

async function unreadable(p: Promise<Extracted>): Promise<SaaswatchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SaaswatchError);
  return err as SaaswatchError;
}

/** The entity sits in the text where indexOf says, so a finding's offsets slice back to it. */
function expectAt(text: string, value: string) {
  const i = text.indexOf(value);
  expect(i, `${JSON.stringify(value)} in ${JSON.stringify(text.slice(0, 400))}`).toBeGreaterThanOrEqual(0);
  expect(text.slice(i, i + value.length)).toBe(value);
}

describe('limits', () => {
  it('has defaults for every key and rejects unknown ones, naming the allowed', () => {
    expect(DEFAULT_LIMITS.timeout).toBe(30_000);
    expect(DEFAULT_LIMITS.max_bytes).toBe(50 * 1024 * 1024);
    expect(extractLimitsSchema.parse({ timeout: '2s', max_pages: 3 })).toMatchObject({ timeout: 2000, max_pages: 3 });
    const r = extractLimitsSchema.safeParse({ max_page: 3 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('max_pages');
    for (const [key, schema] of Object.entries(extractLimitsSchema.shape)) expect(schema.description, key).toBeTruthy();
  });
});

describe('text formats', () => {
  it('plain text and markdown come back as written, with BOMs handled', async () => {
    const txt = `Payroll export\nSSN ${SSN}, card ${CARD}\n`;
    expect(await extractText(enc(txt), { name: 'notes.txt' })).toEqual({ text: txt, format: 'txt', truncated: false });
    const md = `# Customer\n\n* email: ${EMAIL}\n`;
    expect((await extractText(enc(md), { name: 'README.md' })).format).toBe('md');
    const bom = Uint8Array.from([0xef, 0xbb, 0xbf, ...enc(`é ${SSN}`)]);
    expect((await extractText(bom, { name: 'a.txt' })).text).toBe(`é ${SSN}`);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`Straße ${IBAN}`, 'utf16le')]);
    expect((await extractText(le, {})).text).toBe(`Straße ${IBAN}`);
    const be = Buffer.from(Buffer.from(`tel ${PHONE}`, 'utf16le').swap16());
    expect((await extractText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), {})).text).toBe(`tel ${PHONE}`);
    // Windows-1252 (a legacy export): é is one byte 0xE9, not valid UTF-8.
    expect((await extractText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, ...enc(SSN)]), { name: 'x.txt' })).text).toBe(`café ${SSN}`);
  });

  it('csv: a line per row, cells tab-separated, semicolons detected, quoted line breaks made spaces', async () => {
    const csv = `name,card,email\r\n"Doe, Jane",${CARD},${EMAIL}\r\nBob,"${MC.slice(0, 9)}\n${MC.slice(10)}",bob@example.org\r\n`;
    const r = await extractText(enc(csv), { name: 'cards.csv' });
    expect(r.format).toBe('csv');
    expect(r.text).toBe(`name\tcard\temail\nDoe, Jane\t${CARD}\t${EMAIL}\nBob\t${MC.slice(0, 9)} ${MC.slice(10)}\tbob@example.org\n`);
    // An unterminated quote is not CSV: its text is read as it is.
    expect((await extractText(enc(`a,"b\n${CARD}`), { name: 'broken.csv' })).text).toBe(`a,"b\n${CARD}`);
    const eu = await extractText(enc(`Name;IBAN\nMüller;${IBAN}\n`), { mimeType: 'text/csv' });
    expect(eu.text).toBe(`Name\tIBAN\nMüller\t${IBAN}\n`);
  });

  it('json and jsonl: a key: value line per leaf, numbers with all their digits', async () => {
    const json = JSON.stringify({ customer: { name: 'Jane Doe', ssn: SSN, emails: [EMAIL], card: 4111111111111111, active: true } }, null, 2).replace('4111111111111111', '4111111111111111');
    const r = await extractText(enc(json), { name: 'customer.json' });
    expect(r.text).toBe(`name: Jane Doe\nssn: ${SSN}\nemails: ${EMAIL}\ncard: 4111111111111111\n`);
    // 19 digits: JSON.parse would round it; the text keeps it.
    expect((await extractText(enc('{"pan": 6011000990139424123}'), {})).text).toBe('pan: 6011000990139424123\n');
    const jsonl = `{"user":"a","ip":"203.0.113.7"}\n{"user":"b","note":"line\\nbreak \\u00e9"}\n`;
    expect((await extractText(enc(jsonl), { name: 'log.jsonl' })).text).toBe('user: a\nip: 203.0.113.7\nuser: b\nnote: line break é\n');
    // Escaped quotes and backslashes inside strings and keys do not end them.
    expect((await extractText(enc('{"a\\"b": "x\\\\", "note": "say \\"hi\\" \\\\\\" ok"}'), {})).text).toBe('a"b: x\\\nnote: say "hi" \\" ok\n');
    // A .json that is not JSON is still text worth scanning.
    expect(await extractText(enc(`ssn ${SSN} {broken`), { name: 'x.json' })).toMatchObject({ format: 'txt', text: `ssn ${SSN} {broken` });
  });

  it('html: visible text only, entities decoded, blocks on their own lines', async () => {
    const html = `<!DOCTYPE html><html><head><title>Invoice</title><style>td { color: red }</style><script>var card = "${MC}";</script></head>
<body><div class="x"><p>Card&nbsp;number: <b>${CARD.slice(0, 9)}</b>${CARD.slice(9)}</p>
<table><tr><th>IBAN</th><td>${IBAN}</td></tr></table><p>Jane &amp; Bob &lt;${EMAIL}&gt;</p><pre>a  b</pre></div></body></html>`;
    const r = await extractText(enc(html), { name: 'invoice.html' });
    expect(r.format).toBe('html');
    expect(r.text).not.toContain('5500');
    expect(r.text).not.toContain('color');
    expectAt(r.text, `Card number: ${CARD}`);
    expectAt(r.text, `IBAN\t${IBAN}`);
    expectAt(r.text, `Jane & Bob <${EMAIL}>`);
    expectAt(r.text, 'a  b');
    expectAt(r.text, 'Invoice\n');
    // Detected from its content when nothing names it.
    expect((await extractText(enc('<html><body><p>x</p></body></html>'), {})).format).toBe('html');
  });
});

describe('office formats', () => {
  it('docx: paragraphs, tabs, breaks, header and footer; a number split across runs reads whole', async () => {
    const data = makeDocx(['Employee record', ['SSN: ', SSN.slice(0, 4), SSN.slice(4, 6), SSN.slice(6)], `Card\t${CARD}\nIBAN ${IBAN}`], { header: 'ACME Corp — Confidential', footer: `Questions: ${PHONE}` });
    const r = await extractText(data, { name: 'record.docx' });
    expect(r.format).toBe('docx');
    expect(r.text).toBe(`Employee record\nSSN: ${SSN}\nCard\t${CARD}\nIBAN ${IBAN}\nACME Corp — Confidential\nQuestions: ${PHONE}\n`);
  });

  it('docx as Word writes it: proofing marks, bookmarks, hyperlinks, fields, tables, smart tags', async () => {
    const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
    const doc = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ${W}><w:body>
<w:p w:rsidR="00B3" w:rsidRDefault="00B3"><w:bookmarkStart w:id="0" w:name="_GoBack"/><w:r><w:t xml:space="preserve">Contact </w:t></w:r><w:hyperlink r:id="rId5" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>${EMAIL}</w:t></w:r></w:hyperlink><w:bookmarkEnd w:id="0"/></w:p>
<w:p><w:r><w:t>Page </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Card</w:t></w:r></w:p></w:tc><w:tc><w:p><w:proofErr w:type="spellStart"/><w:r><w:t>${CARD.slice(0, 7)}</w:t></w:r><w:proofErr w:type="spellEnd"/><w:r w:rsidR="00C4"><w:t>${CARD.slice(7)}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t w:hint="a>b" w:note='c"d'>quoted &gt; attrs</w:t></w:r></w:p>
<w:p><w:ins w:id="1" w:author="HR"><w:r><w:t>Inserted &amp; kept</w:t></w:r></w:ins></w:p>
<w:sectPr/></w:body></w:document>`;
    const data = makeZip({
      '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      'word/document.xml': doc,
    });
    const r = await extractText(data, { name: 'contact.docx' });
    expect(r.text).not.toContain('PAGE');
    expectAt(r.text, `Contact ${EMAIL}\n`);
    expectAt(r.text, `\nCard\t${CARD}\t\n`);
    expectAt(r.text, 'Inserted & kept');
    expectAt(r.text, '\nquoted > attrs\n');
  });

  it('xlsx: shared, rich-text and inline strings, numbers as written, sheet names as context', async () => {
    const data = makeXlsx([
      { name: 'Cards', rows: [['Name', 'Card', 'Limit'], ['Jane Doe', 4111111111111111, 2500.5], [{ inline: 'Bob Roe' }, { runs: [MC.slice(0, 10), MC.slice(10)] }, 1000]] },
      { name: 'Contacts', rows: [['Email', null, EMAIL]] },
    ]);
    const r = await extractText(data, { name: 'cards.xlsx' });
    expect(r).toMatchObject({ format: 'xlsx', truncated: false, parts: 2 });
    // Excel keeps 15 significant digits: a 16-digit number typed in becomes 4111111111111110, given back whole.
    expect(r.text).toBe(`Cards\nName\tCard\tLimit\nJane Doe\t4111111111111110\t2500.5\nBob Roe\t${MC}\t1000\nContacts\nEmail\t${EMAIL}\n`);
  });

  it('xlsx as Excel and other writers write it: phonetic guides, formula strings, booleans, errors, custom sheet paths', async () => {
    const sst = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>Account</t></si><si><r><t>東京</t></r><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si><si><t xml:space="preserve"> IBAN </t></si></sst>`;
    const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>2</v></c></row>
<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="str"><f>CONCAT("DE89 3704 ","0044 0532 0130 00")</f><v>${IBAN}</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c><c r="E2" s="3"/><c r="F2"><v>1.2345678901234E+19</v></c></row>
</sheetData></worksheet>`;
    const data = makeZip({
      '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
      'xl/workbook.xml': '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Bank &amp; Co" sheetId="7" r:id="rId3"/></sheets></workbook>',
      'xl/_rels/workbook.xml.rels': '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/accounts.xml"/><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/></Relationships>',
      'xl/strings.xml': sst,
      'xl/worksheets/accounts.xml': sheet,
    });
    const r = await extractText(data, { name: 'bank.xlsx' });
    expect(r.text).toBe(`Bank & Co\nAccount\t IBAN \n東京\t${IBAN}\tTRUE\t12345678901234000000\n`);
  });

  it('excelNumber writes numbers as Excel does', () => {
    expect(excelNumber(4111111111111111)).toBe('4.11111111111111E+15');
    expect(excelNumber(123456789)).toBe('123456789');
    expect(excelNumber(0.1 + 0.2)).toBe('0.3');
    expect(excelNumber(-5.5e20)).toBe('-5.5E+20');
  });

  it('pptx: slides in presentation order, a line per paragraph', async () => {
    const r = await extractText(makePptx([['Q3 review', `Escalation: ${EMAIL}`], ['Wire to', IBAN]]), { name: 'deck.pptx' });
    expect(r).toMatchObject({ format: 'pptx', parts: 2 });
    expect(r.text).toBe(`Q3 review\nEscalation: ${EMAIL}\nWire to\n${IBAN}\n`);
  });

  it("pptx as PowerPoint writes it: the presentation's slide order (not the file numbers), speaker notes, line breaks", async () => {
    const P = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
    const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
    const slide = (body: string) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<p:sld ${P}><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>${body}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`;
    const data = makeZip({
      '[Content_Types].xml': '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
      'ppt/presentation.xml': `<p:presentation ${P}><p:sldIdLst><p:sldId id="256" r:id="rId7"/><p:sldId id="257" r:id="rId6"/></p:sldIdLst></p:presentation>`,
      'ppt/_rels/presentation.xml.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId6" Type="${REL}/slide" Target="slides/slide1.xml"/><Relationship Id="rId7" Type="${REL}/slide" Target="slides/slide2.xml"/></Relationships>`,
      'ppt/slides/slide1.xml': slide('<a:p><a:r><a:t>Second: wire to</a:t></a:r><a:br/><a:r><a:t>' + IBAN + '</a:t></a:r></a:p>'),
      'ppt/slides/slide2.xml': slide('<a:p><a:r><a:rPr lang="en-US"/><a:t>First</a:t></a:r><a:fld id="{1}" type="slidenum"><a:t>1</a:t></a:fld></a:p>'),
      'ppt/slides/_rels/slide2.xml.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="${REL}/notesSlide" Target="../notesSlides/notesSlide1.xml"/></Relationships>`,
      'ppt/notesSlides/notesSlide1.xml': `<p:notes ${P}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Call ${PHONE}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>`,
    });
    const r = await extractText(data, { name: 'deck.pptx' });
    expect(r).toMatchObject({ format: 'pptx', parts: 2, text: `First1\nCall ${PHONE}\nSecond: wire to\n${IBAN}\n` });
  });

  it('odt and ods as LibreOffice writes them: lists, links, repeated and covered cells, comments', async () => {
    const NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/"';
    const odt = makeZip({
      mimetype: ['application/vnd.oasis.opendocument.text', { level: 0 }],
      'content.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${NS} office:version="1.3"><office:automatic-styles><style:style xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" style:name="P1"/></office:automatic-styles><office:body><office:text><text:sequence-decls/>
<text:list text:style-name="L1"><text:list-item><text:p>Mail <text:a xlink:type="simple" xlink:href="mailto:${EMAIL}">${EMAIL}</text:a></text:p></text:list-item><text:list-item><text:p>SSN<text:tab/>${SSN}<text:soft-page-break/></text:p></text:list-item></text:list>
<text:p text:style-name="P1"><office:annotation><dc:creator>HR</dc:creator><text:p>check card ${CARD}</text:p></office:annotation>Done</text:p></office:text></office:body></office:document-content>`,
    });
    expect((await extractText(odt, { name: 'hr.odt' })).text).toBe(`Mail ${EMAIL}\nSSN\t${SSN}\ncheck card ${CARD}\nDone\n`);
    const ods = makeZip({
      mimetype: ['application/vnd.oasis.opendocument.spreadsheet', { level: 0 }],
      'content.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${NS} office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Payroll"><table:table-column table:number-columns-repeated="3"/>
<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>IBAN</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Jane</text:p><text:p>Roe</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>${IBAN}</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1020"/></table:table-row>
<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`,
    });
    const r = await extractText(ods, { name: 'pay.ods' });
    expect(r.text.startsWith(`Payroll\nName\tIBAN\t\t\nJane Roe\t${IBAN}\t\t\n`)).toBe(true);
    expect(r.text.length).toBeLessThan(100);
  });

  it('odt, ods and odp: paragraphs, headings, spaces and tabs as LibreOffice writes them; cells by tab', async () => {
    const odt = await extractText(makeOdt(['# Personnel file', `SSN:  ${SSN}\tphone ${PHONE}`]), { name: 'file.odt' });
    expect(odt).toMatchObject({ format: 'odt', text: `Personnel file\nSSN:  ${SSN}\tphone ${PHONE}\n` });
    const ods = await extractText(makeOds([{ name: 'Cards', rows: [['Name', 'Card'], ['Jane', CARD]] }]), { name: 'cards.ods' });
    expect(ods).toMatchObject({ format: 'ods', text: `Cards\nName\tCard\t\nJane\t${CARD}\t\n` });
    const odp = await extractText(makeOdp([['Title', EMAIL], ['End']]), { name: 'talk.odp' });
    expect(odp).toMatchObject({ format: 'odp', text: `Title\n${EMAIL}\nEnd\n`, parts: 2 });
  });
});

describe('pdf', () => {
  it('reads lines in order; several Tj and a kerned TJ on one line read as one line', async () => {
    const data = makePdf(['Payroll — March', { tj: ['Card: ', CARD.slice(0, 10), CARD.slice(10)] }, { TJ: ['IBAN ', -120, IBAN.slice(0, 12), 40, IBAN.slice(12)] }, `Email: ${EMAIL}`]);
    const r = await extractText(data, { name: 'payroll.pdf' });
    expect(r).toMatchObject({ format: 'pdf', parts: 1, truncated: false });
    expect(r.text).toBe(`Payroll — March\nCard: ${CARD}\nIBAN ${IBAN}\nEmail: ${EMAIL}\n`);
    // The caller's bytes are left usable (pdfjs detaches what it is given), and a Node Buffer (what readFile gives) reads the same.
    expect(data.byteLength).toBeGreaterThan(0);
    expect((await extractText(Buffer.from(data), { name: 'payroll.pdf' })).text).toBe(r.text);
  });

  it('reads FlateDecode content streams, as most writers make them, and an encrypted compressed one is still refused', async () => {
    const r = await extractText(makePdf([`SSN ${SSN}`, `Card ${CARD}`], { compress: true }), { name: 'z.pdf' });
    expect(r.text).toBe(`SSN ${SSN}\nCard ${CARD}\n`);
    const err = await unreadable(extractText(makePdf([`SSN ${SSN}`], { compress: true, encrypted: true }), { name: 'z.pdf' }));
    expect(err.message).toContain('the PDF is encrypted');
  });

  it('stops at max_pages and says the text is truncated', async () => {
    const data = makePdf(Array.from({ length: 30 }, (_, i) => `row ${i} ${EMAIL}`), { linesPerPage: 10 });
    const r = await extractText(data, { name: 'long.pdf' }, { max_pages: 2 });
    expect(r).toMatchObject({ parts: 2, truncated: true });
    expect(r.text).toContain('row 19');
    expect(r.text).not.toContain('row 20');
  });

  it.each([2, 3] as const)('an encrypted PDF (RC4, revision %i, user password) is dead-lettered as encrypted', async (revision) => {
    const err = await unreadable(extractText(makePdf([`SSN ${SSN}`], { encrypted: true, revision }), { name: 'secret.pdf' }));
    expect(err.code).toBe('FILE_UNREADABLE');
    expect(err.message).toBe('secret.pdf: the PDF is encrypted (decrypt it (remove its password), then scan it again)');
  });

  it('a 2.5 KB PDF of nested forms (10^7 text operations) is stopped at the timeout, the event loop free and memory bounded meanwhile', async () => {
    const evil = makeNestedFormPdf();
    expect(evil.length).toBeLessThan(3000);
    let ticks = 0;
    let peak = 0;
    const before = process.memoryUsage().rss;
    const iv = setInterval(() => {
      ticks++;
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    try {
      const err = await unreadable(extractText(evil, { name: 'forms.pdf' }, { timeout: 2000 }));
      expect(err.code).toBe('FILE_UNREADABLE');
      expect(err.message).toBe('forms.pdf: extraction took longer than the limit of 2s (pii.limits.timeout) (raise pii.limits.timeout if the file is genuine)');
    } finally {
      clearInterval(iv);
    }
    // In this thread pdfjs starved every timer for minutes; on a terminated worker the deadline holds.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(ticks).toBeGreaterThan(5);
    expect(peak - before).toBeLessThan(PDF_HEAP_MB * 1024 * 1024);
  });

  it('a cancelled PDF extraction stops at once with the cancellation', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const err = await unreadable(extractText(makeNestedFormPdf(), { name: 'forms.pdf' }, { timeout: 60_000 }, ac.signal));
    expect(err.message).toContain('forms.pdf: extraction was cancelled');
  });

  it('a parser error is named by its class only, never kept as a cause (its message may quote the file)', async () => {
    const data = makePdf(Array.from({ length: 60 }, (_, i) => `line ${i}`), { linesPerPage: 20 });
    const err = await unreadable(extractText(data.subarray(0, Math.floor(data.length / 2)), { name: 'cut.pdf' }));
    expect(err.cause).toBeUndefined();
    expect(err.details).toMatchObject({ parserError: 'InvalidPDFException' });
  });

  it('a truncated PDF is dead-lettered as corrupt, naming the file', async () => {
    const data = makePdf(Array.from({ length: 60 }, (_, i) => `line ${i}`), { linesPerPage: 20 });
    const err = await unreadable(extractText(data.subarray(0, Math.floor(data.length / 2)), { name: 'cut.pdf' }));
    expect(err.code).toBe('FILE_UNREADABLE');
    expect(err.message).toMatch(/^cut\.pdf: .*corrupt or truncated/);
  });
});

describe('large json', () => {
  it('is read by the linear scanner without JSON.parse building its whole object graph (about 10x the text)', async () => {
    const rows = Math.ceil(JSON_VALIDATE_MAX_CHARS / 25) + 10;
    const json = `[${Array.from({ length: rows }, (_, i) => `{"id":${i},"note":"row ${i}"}`).join(',')},{"email":"${EMAIL}"}]`;
    expect(json.length).toBeGreaterThan(JSON_VALIDATE_MAX_CHARS);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const r = await extractText(enc(json), { name: 'export.json' });
      expect(r.format).toBe('json');
      expect(r.text).toContain(`email: ${EMAIL}\n`);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});

describe('hostile and broken files', () => {
  it('a zip bomb (1 GiB declared as 2 KB) stops at its declared size, without inflating the rest', async () => {
    const bomb = makeZipBomb();
    expect(bomb.length).toBeLessThan(8 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const err = await unreadable(extractText(bomb, { name: 'bonus.docx' }));
    expect(err.code).toBe('FILE_UNREADABLE');
    expect(err.message).toMatch(/^bonus\.docx: zip entry word\/document\.xml inflates past its declared size of 2 KB: a zip bomb/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('deflateZeros inflates to what it promises (the bomb is a real one)', () => {
    expect(inflateSync(deflateZeros(40_000_000)).length).toBeGreaterThanOrEqual(40_000_000);
  });

  it('a bomb whose headers declare its size is refused before inflating; one that lies is stopped by the running total', async () => {
    const honest = await unreadable(extractText(makeZipBomb({ declaredBytes: 2 ** 30 }), { name: 'big.docx' }));
    expect(honest.message).toBe('big.docx: the declared expanded size of 1024 MB is over the limit of 200 MB (pii.limits.max_expanded_bytes): a zip bomb or a very large document (raise pii.limits.max_expanded_bytes if the file is genuine)');
    const ratio = await unreadable(extractText(makeZipBomb({ declaredBytes: 2 ** 30 }), { name: 'big.docx' }, { max_ratio: 100 }));
    expect(ratio.message).toMatch(/^big\.docx: zip entry word\/document\.xml's declared expansion ratio of \d+:1 is over the limit of 100:1 \(pii\.limits\.max_ratio\)/);
    const total = await unreadable(extractText(makeZipBomb({ declaredBytes: 400_000 }), { name: 'b.docx' }, { max_expanded_bytes: 300_000 }));
    expect(total.message).toContain('declared expanded size');
    const running = await unreadable(extractText(makeZipBomb({ declaredBytes: 200_000 }), { name: 'b.docx' }, { max_expanded_bytes: 250_000 }));
    expect(running.message).toBe('b.docx: the expanded size (more than 244.1 KB) is over the limit of 244.1 KB (pii.limits.max_expanded_bytes): a zip bomb or a very large document (raise pii.limits.max_expanded_bytes if the file is genuine)');
  });

  it("errors never quote a value from the file: an entry's unusual name or an unknown ODF type stays out of the message", async () => {
    const types = enc('<Types/>');
    const named = rawZip([
      { name: '[Content_Types].xml', data: types, method: 0, declaredSize: types.length, crc: crc32(types) },
      { name: 'word/document.xml', data: types, method: 0, declaredSize: types.length, crc: crc32(types) },
      { name: 'word/media/4111111111111111.bin', data: deflateZeros(2_000_000), method: 8, declaredSize: 2 ** 31 },
    ]);
    const err = await unreadable(extractText(named, { name: 'n.docx' }));
    expect(err.message).toContain('zip entry (an unusual name)');
    expect(err.message).not.toContain('4111');
    const odf = await unreadable(extractText(makeZip({ mimetype: ['application/x-card-4111111111111111', { level: 0 }], 'content.xml': '<x/>' }), { name: 'o.odt' }));
    expect(odf.message).toBe('o.odt: an OpenDocument file, which saaswatch does not read (unsupported format) (save it as .odt, .ods or .odp)');
  });

  it('too many zip entries is refused before anything is inflated', async () => {
    const entries: Record<string, string> = { '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' };
    for (let i = 0; i < 60; i++) entries[`word/media/image${i}.png`] = 'x';
    const err = await unreadable(extractText(makeZip(entries), { name: 'many.docx' }, { max_entries: 50 }));
    expect(err.message).toBe('many.docx: 62 zip entries is over the limit of 50 (pii.limits.max_entries) (raise pii.limits.max_entries if the file is genuine)');
  });

  it('a corrupt or truncated zip, and one whose entry does not inflate, are dead-lettered as corrupt', async () => {
    const docx = makeDocx([`SSN ${SSN}`]);
    const cut = await unreadable(extractText(docx.subarray(0, docx.length - 100), { name: 'cut.docx' }));
    expect(cut.message).toMatch(/^cut\.docx: not a readable zip \(.*\): the file is corrupt or truncated/);
    const garbage = Uint8Array.from(Buffer.concat([Buffer.from('<?xml version="1.0"?><w:document'), Buffer.alloc(200, 0x41)]));
    const types = enc('<Types/>');
    const broken = rawZip([
      { name: '[Content_Types].xml', data: types, method: 0, declaredSize: types.length, crc: crc32(types) },
      { name: 'word/document.xml', data: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x11]), method: 8, declaredSize: 100 },
    ]);
    const bad = await unreadable(extractText(broken, { name: 'bad.docx' }));
    expect(bad.message).toContain('bad.docx: not a readable zip (word/document.xml does not inflate)');
    const renamed = await unreadable(extractText(garbage, { name: 'renamed.docx' }));
    expect(renamed.message).toMatch(/^renamed\.docx: not a valid docx file/);
  });

  it('unsupported binary formats are named; unknown binary is unsupported', async () => {
    const ole = await unreadable(extractText(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]), { name: 'old.xls' }));
    expect(ole.message).toContain('old.xls: a legacy (.doc/.xls/.ppt) or password-protected Office file, which saaswatch does not read (unsupported format)');
    const bin = await unreadable(extractText(Uint8Array.from([1, 2, 3, 0, 0, 4, 5, 0]), { name: 'blob.bin' }));
    expect(bin.message).toMatch(/^blob\.bin: binary content of an unknown kind \(unsupported format\)/);
    const zip = await unreadable(extractText(makeZip({ 'photo.txt': 'x' }), { name: 'photos.zip' }));
    expect(zip.message).toContain('a zip archive that is not an Office or OpenDocument file (unsupported format)');
    expect([ole, bin, zip].every(isUnsupportedFormat)).toBe(true);
    expect(isUnsupportedFormat(await unreadable(extractText(makePdf(['x'], { encrypted: true }), { name: 'e.pdf' })))).toBe(false);
  });

  it('over max_bytes is INPUT_TOO_LARGE, naming the file and the limit', async () => {
    const err = await unreadable(extractText(new Uint8Array(2048), { name: 'huge.csv' }, { max_bytes: 1024 }));
    expect(err.code).toBe('INPUT_TOO_LARGE');
    expect(err.message).toBe('huge.csv: 2 KB is over the limit of 1 KB (pii.limits.max_bytes)');
  });

  it('a file past its timeout, or whose caller gave up, is dead-lettered naming the limit', async () => {
    const rows = Array.from({ length: 8_000 }, (_, i) => [`user${i}@example.com`, i, { inline: `note ${i}` }]);
    const err = await unreadable(extractText(makeXlsx([{ name: 'Big', rows }]), { name: 'big.xlsx' }, { timeout: 1 }));
    expect(err.message).toBe('big.xlsx: extraction took longer than the limit of 1ms (pii.limits.timeout) (raise pii.limits.timeout if the file is genuine)');
    const ac = new AbortController();
    ac.abort();
    const cancelled = await unreadable(extractText(enc('hello'), { name: 'a.txt' }, {}, ac.signal));
    expect(cancelled.message).toBe('a.txt: extraction was cancelled (scan it again)');
  });

  it('text, sheet and row limits truncate rather than fail', async () => {
    const r = await extractText(enc(`${'a'.repeat(50)}😀tail`), { name: 'x.txt' }, { max_text_chars: 51 });
    // A surrogate pair is never cut in half.
    expect(r).toEqual({ text: 'a'.repeat(50), format: 'txt', truncated: true });
    const wb = makeXlsx([
      { name: 'One', rows: [['a'], ['b'], ['c']] },
      { name: 'Two', rows: [['d']] },
    ]);
    expect(await extractText(wb, { name: 'w.xlsx' }, { max_sheets: 1, max_rows: 2 })).toMatchObject({ text: 'One\na\nb\n', truncated: true, parts: 1 });
    const csv = await extractText(enc('a\nb\nc\n'), { name: 'x.csv' }, { max_rows: 2 });
    expect(csv).toMatchObject({ text: 'a\nb\n', truncated: true });
  });

  it('XML entities beyond the five are never expanded (no billion laughs)', async () => {
    const doc = `<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>x &b; &#65;&#x42;</w:t></w:r></w:p></w:body></w:document>`;
    const r = await extractText(makeZip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': doc }), { name: 'l.docx' });
    expect(r.text).toBe('x &b; AB\n');
  });

  it('format comes from the magic bytes before the mime type and the name', async () => {
    const r = await extractText(makeDocx([`SSN ${SSN}`]), { name: 'misnamed.pdf', mimeType: 'text/plain' });
    expect(r.format).toBe('docx');
    const p = await extractText(makePdf([EMAIL]), { name: 'report.txt' });
    expect(p.format).toBe('pdf');
    expect((await extractText(enc(`a,b\n1,${EMAIL}\n`), { name: 'export', mimeType: 'text/csv; charset=utf-8' })).format).toBe('csv');
  });
});
