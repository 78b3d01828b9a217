/**
 * Fixture writers for the extractors' and scanner's tests: Office, OpenDocument and PDF files shaped as
 * the vendors' own tools write them (per ECMA-376, ODF 1.2 and ISO 32000-1), plus hostile ones (a zip bomb).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { strToU8, zipSync, zlibSync, type Zippable } from 'fflate';
import { errors } from '../../core/errors.js';

const enc = new TextEncoder();
/** A fixed modification time: the same fixture is the same bytes on every run. */
const MTIME = Date.UTC(2026, 2, 2, 9, 0, 0);

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n';

/** A zip of the given entries, in the given order (an entry given as `[data, {level: 0}]` is stored). */
export function makeZip(entries: Record<string, string | Uint8Array | [string | Uint8Array, { level: 0 }]>): Uint8Array {
  const files: Zippable = {};
  for (const [name, v] of Object.entries(entries)) {
    if (Array.isArray(v)) files[name] = [typeof v[0] === 'string' ? strToU8(v[0]) : v[0], { level: v[1].level }];
    else files[name] = typeof v === 'string' ? strToU8(v) : v;
  }
  return zipSync(files, { level: 6, mtime: MTIME });
}

// ---------------------------------------------------------------- docx

/** A paragraph: its text, or its runs (Word splits a run wherever formatting or the spell checker changes). `\t` is a tab, `\n` a line break. */
export type DocxParagraph = string | string[];

function wRun(text: string): string {
  const parts = text.split(/(\t|\n)/);
  const inner = parts
    .map((p) => (p === '\t' ? '<w:tab/>' : p === '\n' ? '<w:br/>' : p === '' ? '' : `<w:t${/^\s|\s$/.test(p) ? ' xml:space="preserve"' : ''}>${xmlEscape(p)}</w:t>`))
    .join('');
  return `<w:r><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri"/><w:lang w:val="en-US"/></w:rPr>${inner}</w:r>`;
}

const wParagraph = (p: DocxParagraph, i: number) =>
  `<w:p w14:paraId="${(0x1000_0000 + i).toString(16).toUpperCase()}" w:rsidR="00A1B2C3" w:rsidRDefault="00A1B2C3"><w:pPr><w:spacing w:after="160"/></w:pPr>${(typeof p === 'string' ? [p] : p).map(wRun).join('')}<w:proofErr w:type="gramEnd"/></w:p>`;

const W_NS =
  'xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" mc:Ignorable="w14"';

/** A Word document: paragraphs in the body, and an optional header and footer part. */
export function makeDocx(paragraphs: DocxParagraph[], opts: { header?: string; footer?: string } = {}): Uint8Array {
  const rels = [
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>',
    ...(opts.header === undefined ? [] : ['<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>']),
    ...(opts.footer === undefined ? [] : ['<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>']),
  ];
  const sect = `<w:sectPr w:rsidR="00A1B2C3">${opts.header === undefined ? '' : '<w:headerReference w:type="default" r:id="rId8"/>'}${opts.footer === undefined ? '' : '<w:footerReference w:type="default" r:id="rId9"/>'}<w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>`;
  const entries: Record<string, string> = {
    '[Content_Types].xml': `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>${opts.header === undefined ? '' : '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'}${opts.footer === undefined ? '' : '<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'}<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`,
    '_rels/.rels': `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
    'word/document.xml': `${XML_DECL}<w:document ${W_NS}><w:body>${paragraphs.map(wParagraph).join('')}${sect}</w:body></w:document>`,
    'word/_rels/document.xml.rels': `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`,
    'word/styles.xml': `${XML_DECL}<w:styles ${W_NS}><w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22"/></w:rPr></w:rPrDefault></w:docDefaults></w:styles>`,
    'docProps/core.xml': `${XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Payroll</dc:creator></cp:coreProperties>`,
  };
  if (opts.header !== undefined) entries['word/header1.xml'] = `${XML_DECL}<w:hdr ${W_NS}>${wParagraph(opts.header, 900)}</w:hdr>`;
  if (opts.footer !== undefined) entries['word/footer1.xml'] = `${XML_DECL}<w:ftr ${W_NS}>${wParagraph(opts.footer, 901)}</w:ftr>`;
  return makeZip(entries);
}

// ---------------------------------------------------------------- xlsx

/**
 * A cell: a string (a shared string), a number (a numeric cell, written as Excel writes it: 15
 * significant digits, `4.11111111111111E+15` from 1e15 up), `{inline}` (an inline string, as
 * exporters other than Excel write), `{runs}` (a rich-text shared string, one `<r><t>` per run), or
 * null (no cell).
 */
export type XlsxCell = string | number | { inline: string } | { runs: string[] } | null;

/** A number as Excel stores it in `<v>`. */
export function excelNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  if (Math.abs(n) >= 1e15) {
    const [mant, exp] = n.toExponential(14).split('e') as [string, string];
    return `${mant.replace(/\.?0+$/, '')}E${exp.startsWith('-') ? exp : `+${exp.replace('+', '')}`}`;
  }
  return String(Number(n.toPrecision(15)));
}

const colName = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : colName(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26)));

/** An Excel workbook: one worksheet per sheet, strings shared (`t="s"`) unless given inline. */
export function makeXlsx(sheets: { name: string; rows: XlsxCell[][] }[]): Uint8Array {
  const shared: string[] = [];
  const sharedIndex = new Map<string, number>();
  let sharedCount = 0;
  const share = (xml: string) => {
    sharedCount++;
    let i = sharedIndex.get(xml);
    if (i === undefined) {
      i = shared.length;
      shared.push(xml);
      sharedIndex.set(xml, i);
    }
    return i;
  };
  const tAttr = (s: string) => (/^\s|\s$/.test(s) ? ' xml:space="preserve"' : '');
  const sheetXml = (rows: XlsxCell[][]) => {
    const out = rows.map((row, r) => {
      const cells = row.map((cell, c) => {
        const ref = `${colName(c)}${r + 1}`;
        if (cell === null) return '';
        if (typeof cell === 'number') return `<c r="${ref}"><v>${excelNumber(cell)}</v></c>`;
        if (typeof cell === 'string') return `<c r="${ref}" t="s"><v>${share(`<t${tAttr(cell)}>${xmlEscape(cell)}</t>`)}</v></c>`;
        if ('inline' in cell) return `<c r="${ref}" t="inlineStr"><is><t${tAttr(cell.inline)}>${xmlEscape(cell.inline)}</t></is></c>`;
        const runs = cell.runs.map((t, k) => `<r>${k % 2 ? '<rPr><b/><sz val="11"/><rFont val="Calibri"/></rPr>' : '<rPr><sz val="11"/><rFont val="Calibri"/></rPr>'}<t${tAttr(t)}>${xmlEscape(t)}</t></r>`).join('');
        return `<c r="${ref}" t="s"><v>${share(runs)}</v></c>`;
      });
      return `<row r="${r + 1}" spans="1:${Math.max(1, row.length)}">${cells.join('')}</row>`;
    });
    return `${XML_DECL}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>${out.join('')}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`;
  };
  const entries: Record<string, string> = {};
  const worksheets = sheets.map((s) => sheetXml(s.rows));
  entries['[Content_Types].xml'] = `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('')}<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`;
  entries['_rels/.rels'] = `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  entries['xl/workbook.xml'] = `${XML_DECL}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr defaultThemeVersion="166925"/><bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300"/></bookViews><sheets>${sheets.map((s, i) => `<sheet name="${xmlEscape(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets><calcPr calcId="191029"/></workbook>`;
  entries['xl/_rels/workbook.xml.rels'] = `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('')}<Relationship Id="rId${sheets.length + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
  worksheets.forEach((w, i) => (entries[`xl/worksheets/sheet${i + 1}.xml`] = w));
  entries['xl/sharedStrings.xml'] = `${XML_DECL}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${sharedCount}" uniqueCount="${shared.length}">${shared.map((si) => `<si>${si}</si>`).join('')}</sst>`;
  return makeZip(entries);
}

// ---------------------------------------------------------------- pptx

/** A PowerPoint deck: one slide per entry, one text box paragraph per string. */
export function makePptx(slides: string[][]): Uint8Array {
  const entries: Record<string, string> = {};
  const A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
  entries['[Content_Types].xml'] = `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>${slides.map((_, i) => `<Override PartName="/ppt/slides/slide${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`).join('')}</Types>`;
  entries['_rels/.rels'] = `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="ppt/presentation.xml"/></Relationships>`;
  entries['ppt/presentation.xml'] = `${XML_DECL}<p:presentation ${A} saveSubsetFonts="1"><p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 2}"/>`).join('')}</p:sldIdLst><p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`;
  entries['ppt/_rels/presentation.xml.rels'] = `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${slides.map((_, i) => `<Relationship Id="rId${i + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide${i + 1}.xml"/>`).join('')}</Relationships>`;
  slides.forEach((paras, i) => {
    const body = paras.map((t) => `<a:p><a:r><a:rPr lang="en-US" dirty="0"/><a:t>${xmlEscape(t)}</a:t></a:r></a:p>`).join('');
    entries[`ppt/slides/slide${i + 1}.xml`] = `${XML_DECL}<p:sld ${A}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id="2" name="TextBox 1"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr wrap="square"/><a:lstStyle/>${body}</p:txBody></p:sp></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>`;
  });
  return makeZip(entries);
}

// ---------------------------------------------------------------- OpenDocument

const ODF_NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.3"';

/** ODF text inside a paragraph: runs of spaces as `text:s`, tabs as `text:tab` (LibreOffice writes them so). */
function odfText(s: string): string {
  return s
    .split(/( {2,}|\t|\n)/)
    .map((p) => (p === '\t' ? '<text:tab/>' : p === '\n' ? '<text:line-break/>' : /^ {2,}$/.test(p) ? ` <text:s text:c="${p.length - 1}"/>` : xmlEscape(p)))
    .join('');
}

function makeOdf(mime: string, body: string): Uint8Array {
  return makeZip({
    mimetype: [mime, { level: 0 }],
    'content.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ODF_NS}><office:automatic-styles/><office:body>${body}</office:body></office:document-content>`,
    'styles.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles ${ODF_NS}/>`,
    'META-INF/manifest.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="${mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/></manifest:manifest>`,
  });
}

/** An OpenDocument text: a heading for a paragraph starting `# `, a paragraph otherwise (one span split in the middle, as LibreOffice does on a style change). */
export function makeOdt(paragraphs: string[]): Uint8Array {
  const body = paragraphs
    .map((p) => {
      if (p.startsWith('# ')) return `<text:h text:style-name="Heading_20_1" text:outline-level="1">${odfText(p.slice(2))}</text:h>`;
      const cut = Math.floor(p.length / 2);
      return `<text:p text:style-name="P1">${odfText(p.slice(0, cut))}<text:span text:style-name="T1">${odfText(p.slice(cut))}</text:span></text:p>`;
    })
    .join('');
  return makeOdf('application/vnd.oasis.opendocument.text', `<office:text>${body}</office:text>`);
}

/** An OpenDocument spreadsheet (numbers as `office:value-type="float"` cells). */
export function makeOds(sheets: { name: string; rows: (string | number)[][] }[]): Uint8Array {
  const cell = (v: string | number) =>
    typeof v === 'number'
      ? `<table:table-cell office:value-type="float" office:value="${v}" calcext:value-type="float"><text:p>${v}</text:p></table:table-cell>`
      : `<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>${odfText(v)}</text:p></table:table-cell>`;
  const body = sheets.map((s) => `<table:table table:name="${xmlEscape(s.name)}">${s.rows.map((r) => `<table:table-row>${r.map(cell).join('')}</table:table-row>`).join('')}</table:table>`).join('');
  return makeOdf('application/vnd.oasis.opendocument.spreadsheet', `<office:spreadsheet>${body.replace(/calcext:value-type="\w+"/g, '')}</office:spreadsheet>`);
}

/** An OpenDocument presentation: one page per slide, one frame per paragraph. */
export function makeOdp(slides: string[][]): Uint8Array {
  const body = slides
    .map((paras, i) => `<draw:page draw:name="page${i + 1}">${paras.map((t) => `<draw:frame><draw:text-box><text:p>${odfText(t)}</text:p></draw:text-box></draw:frame>`).join('')}</draw:page>`)
    .join('');
  return makeOdf('application/vnd.oasis.opendocument.presentation', `<office:presentation>${body}</office:presentation>`);
}

// ---------------------------------------------------------------- PDF

/** A line of a PDF page: its text in one `Tj`, or pieces shown by several `Tj`s, or one `TJ` array (strings and kerning in 1/1000 em). */
export type PdfLine = string | { tj: string[] } | { TJ: (string | number)[] };

export interface MakePdfOptions {
  /** Encrypt with the Standard security handler and this user password (so a reader must ask for it). */
  encrypted?: boolean;
  /** The user password (default `s3cret`). */
  password?: string;
  /** Standard security handler revision: 2 (RC4 40-bit) or 3 (RC4 128-bit, the default). */
  revision?: 2 | 3;
  /** Lines per page (default 40). */
  linesPerPage?: number;
  /** Compress content streams with FlateDecode, as most PDF writers do (default false: readable fixtures). */
  compress?: boolean;
}

/** RC4, which the Standard security handler of PDF 1.4 uses (not offered by OpenSSL 3 without its legacy provider). */
function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = new Uint8Array(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[k] = data[k]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

const md5 = (...parts: Uint8Array[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** ISO 32000-1 §7.6.3.3 the password padding string. */
const PDF_PAD = Uint8Array.from([0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a]);
const padPassword = (pw: string) => {
  const b = Uint8Array.from(Buffer.from(pw, 'latin1').subarray(0, 32));
  const out = new Uint8Array(32);
  out.set(b);
  out.set(PDF_PAD.subarray(0, 32 - b.length), b.length);
  return out;
};

/** The Standard security handler's O, U and file key (ISO 32000-1 algorithms 2 to 5). */
function standardSecurity(user: string, owner: string, rev: 2 | 3, p: number, id0: Uint8Array) {
  const n = rev === 2 ? 5 : 16;
  // Algorithm 3: O from the owner password.
  let h = md5(padPassword(owner));
  if (rev === 3) for (let i = 0; i < 50; i++) h = md5(h);
  const okey = h.subarray(0, n);
  let o = rc4(okey, padPassword(user));
  if (rev === 3) for (let i = 1; i <= 19; i++) o = rc4(okey.map((b) => b ^ i), o);
  // Algorithm 2: the file key.
  const pBytes = new Uint8Array(4);
  new DataView(pBytes.buffer).setInt32(0, p, true);
  let k = md5(padPassword(user), o, pBytes, id0);
  if (rev === 3) for (let i = 0; i < 50; i++) k = md5(k.subarray(0, n));
  const key = k.subarray(0, n);
  // Algorithms 4 and 5: U.
  let u: Uint8Array;
  if (rev === 2) u = rc4(key, PDF_PAD);
  else {
    let x = rc4(key, md5(PDF_PAD, id0));
    for (let i = 1; i <= 19; i++) x = rc4(key.map((b) => b ^ i), x);
    u = new Uint8Array(32);
    u.set(x);
  }
  return { o, u, key };
}

/** Algorithm 1: the key for one object's strings and streams. */
function objectKey(fileKey: Uint8Array, num: number, gen: number): Uint8Array {
  const salt = Uint8Array.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, gen & 255, (gen >> 8) & 255]);
  return md5(fileKey, salt).subarray(0, Math.min(fileKey.length + 5, 16));
}

/** Characters WinAnsiEncoding places in 0x80–0x9F (Latin-1 covers the rest of 0xA0–0xFF). */
const WIN_ANSI: Record<string, number> = { '€': 0x80, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99 };

/** A PDF literal string in WinAnsiEncoding, escaped (a character it lacks becomes `?`). */
const pdfString = (s: string) => `(${Array.from(s, (ch) => {
  const c = WIN_ANSI[ch] ?? ch.codePointAt(0)!;
  if (ch === '(' || ch === ')' || ch === '\\') return `\\${ch}`;
  if (c < 32 || c > 126) return `\\${(c > 255 ? 63 : c).toString(8).padStart(3, '0')}`;
  return ch;
}).join('')})`;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/**
 * A minimal valid PDF 1.4: a Helvetica Type1 font (a standard 14 font, nothing embedded), one line per
 * text row shown by `Tj`/`TJ`, pages of `linesPerPage` lines, a correct xref table. With `encrypted`,
 * the Standard security handler with a user password encrypts its content, so a reader needs the password.
 */
export function makePdf(lines: PdfLine[], opts: MakePdfOptions = {}): Uint8Array {
  const perPage = opts.linesPerPage ?? 40;
  const pages: PdfLine[][] = [];
  for (let i = 0; i < lines.length; i += perPage) pages.push(lines.slice(i, i + perPage));
  if (pages.length === 0) pages.push([]);
  // Objects: 1 catalog, 2 pages, 3 font, then per page: page, contents; then the encrypt dictionary.
  const pageObj = (i: number) => 4 + i * 2;
  const contentObj = (i: number) => 5 + i * 2;
  const encryptObj = 4 + pages.length * 2;
  const id0 = md5(enc.encode(`saaswatch fixture ${lines.length} ${JSON.stringify(lines).length}`));
  const rev = opts.revision ?? 3;
  const p = rev === 2 ? -44 : -3904;
  const sec = opts.encrypted ? standardSecurity(opts.password ?? 's3cret', 'owner-pw-7', rev, p, id0) : undefined;

  const body: Array<{ num: number; dict: string; stream?: Uint8Array }> = [
    { num: 1, dict: '<< /Type /Catalog /Pages 2 0 R >>' },
    { num: 2, dict: `<< /Type /Pages /Kids [${pages.map((_, i) => `${pageObj(i)} 0 R`).join(' ')}] /Count ${pages.length} >>` },
    { num: 3, dict: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>' },
  ];
  pages.forEach((pl, i) => {
    const ops = pl.map((line, k) => {
      const y = 750 - k * 16;
      let show: string;
      if (typeof line === 'string') show = `${pdfString(line)} Tj`;
      else if ('tj' in line) show = line.tj.map((t) => `${pdfString(t)} Tj`).join(' ');
      else show = `[${line.TJ.map((t) => (typeof t === 'number' ? String(t) : pdfString(t))).join(' ')}] TJ`;
      return `BT /F1 11 Tf 72 ${y} Td ${show} ET`;
    });
    body.push({ num: pageObj(i), dict: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentObj(i)} 0 R >>` });
    const content = enc.encode(ops.join('\n'));
    body.push({ num: contentObj(i), dict: opts.compress ? '/Filter /FlateDecode' : '', stream: opts.compress ? zlibSync(content, { level: 6 }) : content });
  });
  if (sec) {
    body.push({
      num: encryptObj,
      dict: `<< /Filter /Standard /V ${rev === 2 ? 1 : 2} /R ${rev} ${rev === 3 ? '/Length 128 ' : ''}/O <${hex(sec.o)}> /U <${hex(sec.u)}> /P ${p} >>`,
    });
  }

  const chunks: Uint8Array[] = [];
  let offset = 0;
  const put = (b: Uint8Array | string) => {
    const u = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    chunks.push(u);
    offset += u.length;
  };
  put('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  const offsets = new Map<number, number>();
  for (const o of body) {
    offsets.set(o.num, offset);
    if (o.stream) {
      const data = sec ? rc4(objectKey(sec.key, o.num, 0), o.stream) : o.stream;
      put(`${o.num} 0 obj\n<< /Length ${data.length}${o.dict ? ` ${o.dict}` : ''} >>\nstream\n`);
      put(data);
      put('\nendstream\nendobj\n');
    } else put(`${o.num} 0 obj\n${o.dict}\nendobj\n`);
  }
  const size = body.length + 1;
  const xref = offset;
  put(`xref\n0 ${size}\n0000000000 65535 f \n`);
  for (let n = 1; n < size; n++) put(`${String(offsets.get(n)).padStart(10, '0')} 00000 n \n`);
  put(`trailer\n<< /Size ${size} /Root 1 0 R${sec ? ` /Encrypt ${encryptObj} 0 R` : ''} /ID [<${hex(id0)}> <${hex(id0)}>] >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A PDF whose one page draws a form XObject that draws its child `fanout` times, `depth` levels deep, with
 * one `Tj` at the bottom: fanout^depth text operations (10^7 by default) from about 2.5 KB — the hostile
 * file a reviewer used to block pdfjs for minutes.
 */
export function makeNestedFormPdf(depth = 7, fanout = 10): Uint8Array {
  // Objects: 1 catalog, 2 pages, 3 font, 4 page, 5 page contents, then forms 6 … 6+depth (the last shows the text).
  const form = (level: number) => 6 + level;
  const objs: Array<{ num: number; dict: string; stream?: string }> = [
    { num: 1, dict: '<< /Type /Catalog /Pages 2 0 R >>' },
    { num: 2, dict: '<< /Type /Pages /Kids [4 0 R] /Count 1 >>' },
    { num: 3, dict: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>' },
    { num: 4, dict: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X ${form(0)} 0 R >> >> /Contents 5 0 R >>` },
    { num: 5, dict: '', stream: '/X Do' },
  ];
  for (let level = 0; level <= depth; level++) {
    const last = level === depth;
    const resources = last ? '<< /Font << /F1 3 0 R >> >>' : `<< /XObject << /X ${form(level + 1)} 0 R >> >>`;
    const body = last ? 'BT /F1 11 Tf 72 700 Td (x) Tj ET' : Array.from({ length: fanout }, () => 'q /X Do Q').join(' ');
    objs.push({ num: form(level), dict: `/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources ${resources}`, stream: body });
  }
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (const o of objs) {
    offsets[o.num] = out.length;
    out += o.stream === undefined ? `${o.num} 0 obj\n${o.dict}\nendobj\n` : `${o.num} 0 obj\n<< /Length ${o.stream.length}${o.dict ? ` ${o.dict}` : ''} >>\nstream\n${o.stream}\nendstream\nendobj\n`;
  }
  const size = objs.length + 1;
  const xref = out.length;
  out += `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let n = 1; n < size; n++) out += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return enc.encode(out);
}

// ---------------------------------------------------------------- zip bomb

/** Writes bits as DEFLATE packs them: least significant first; Huffman codes most significant bit first. */
class BitWriter {
  bytes: number[] = [];
  private cur = 0;
  private n = 0;
  bits(value: number, count: number) {
    for (let i = 0; i < count; i++) this.bit((value >> i) & 1);
  }
  code(code: number, len: number) {
    for (let i = len - 1; i >= 0; i--) this.bit((code >> i) & 1);
  }
  private bit(b: number) {
    this.cur |= b << this.n;
    if (++this.n === 8) {
      this.bytes.push(this.cur);
      this.cur = 0;
      this.n = 0;
    }
  }
  get aligned() {
    return this.n === 0;
  }
}

/**
 * A raw DEFLATE stream that inflates to at least `bytes` zero bytes, built without allocating them: a
 * one-byte stored block, then fixed-Huffman blocks of 65,534 back-references (258 bytes, distance 1)
 * each — 13 bits per 258 bytes, so 1 GiB costs about 6.5 MB.
 */
export function deflateZeros(bytes: number): Uint8Array {
  const REPS = 65_534; // ≡ 6 (mod 8): a block of 10 + 13·REPS bits ends on a byte boundary, so it can be repeated byte for byte.
  const w = new BitWriter();
  w.bits(0, 1); // BFINAL: not final, these blocks repeat
  w.bits(1, 2); // fixed Huffman
  for (let i = 0; i < REPS; i++) {
    w.code(0b11000101, 8); // length code 285: 258 bytes
    w.code(0, 5); // distance code 0: distance 1
  }
  w.code(0, 7); // end of block
  if (!w.aligned) throw errors.internal({ problem: 'deflateZeros: a block must end on a byte boundary' });
  const block = Uint8Array.from(w.bytes);
  const blocks = Math.max(1, Math.ceil((bytes - 1) / (REPS * 258)));
  // The stored block: header bits (not final, type 00) padded to a byte, LEN 1, NLEN, one zero byte.
  const head = Uint8Array.from([0x00, 0x01, 0x00, 0xfe, 0xff, 0x00]);
  const tail = Uint8Array.from([0x03, 0x00]); // final fixed block holding only end-of-block
  const out = new Uint8Array(head.length + blocks * block.length + tail.length);
  out.set(head);
  for (let i = 0; i < blocks; i++) out.set(block, head.length + i * block.length);
  out.set(tail, head.length + blocks * block.length);
  return out;
}

/** A zip written entry by entry with the sizes its headers declare (which a hostile file may make up). */
export function rawZip(entries: Array<{ name: string; data: Uint8Array; method: 0 | 8; declaredSize: number; crc?: number }>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const crc = e.crc ?? 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(0x4800, 10); // 09:00
    local.writeUInt16LE(0x5c62, 12); // 2026-03-02
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt16LE(0x4800, 12);
    cd.writeUInt16LE(0x5c62, 14);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.declaredSize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    parts.push(local, name, e.data);
    offset += 30 + name.length + e.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, eocd]);
}

/**
 * A .docx-shaped zip bomb: `word/document.xml` inflates to `expandedBytes` (default 1 GiB) of zeros
 * while its headers declare `declaredBytes` (default 2,048), so only a limit enforced while inflating stops it.
 */
export function makeZipBomb(opts: { expandedBytes?: number; declaredBytes?: number } = {}): Uint8Array {
  const types = enc.encode(
    `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
  );
  return rawZip([
    { name: '[Content_Types].xml', data: types, method: 0, declaredSize: types.length, crc: crc32(types) },
    { name: 'word/document.xml', data: deflateZeros(opts.expandedBytes ?? 2 ** 30), method: 8, declaredSize: opts.declaredBytes ?? 2048, crc: 0x1badb002 },
  ]);
}
