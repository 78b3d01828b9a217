/** Text from Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp) files, read part by part from a bounded zip. */
import type { ExtractContext } from './context.js';
import { attr, scanXml } from './xml.js';
import type { ZipArchive } from './zip.js';

/** An OOXML relationship target resolved against the folder of the part that names it (`word/` + `header1.xml`). */
function resolveTarget(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = base.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}

/** A part's relationships, id → { type, target (a zip entry name) }. */
function readRels(zip: ZipArchive, part: string): Map<string, { type: string; target: string }> {
  const dir = part.split('/').slice(0, -1).join('/');
  const relsName = `${dir ? `${dir}/` : ''}_rels/${part.split('/').pop()}.rels`;
  const rels = new Map<string, { type: string; target: string }>();
  const xml = zip.readText(relsName);
  if (xml === undefined) return rels;
  scanXml(xml, {
    open(name, attrs) {
      if (!name.endsWith('Relationship')) return;
      const id = attr(attrs, 'Id');
      const target = attr(attrs, 'Target');
      if (id && target && attr(attrs, 'TargetMode') !== 'External') rels.set(id, { type: attr(attrs, 'Type') ?? '', target: resolveTarget(part, target) });
    },
  });
  return rels;
}

/** Numeric order of `prefix<N>.xml` entries (slide2 before slide10). */
function numbered(zip: ZipArchive, re: RegExp): string[] {
  return zip
    .names()
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => x.n);
}

// ---------------------------------------------------------------- docx

/** One WordprocessingML part: `w:t` runs (and deleted text: still in the file), tabs, breaks, a line per paragraph. */
function wordPart(xml: string, ctx: ExtractContext): void {
  const out = ctx.sink;
  let inText = false;
  scanXml(
    xml,
    {
      open(name, _a, selfClosing) {
        if (name === 'w:t' || name === 'w:delText') inText = !selfClosing;
        else if (name === 'w:tab' && selfClosing) out.push('\t');
        else if (name === 'w:br' || name === 'w:cr') out.push('\n');
      },
      close(name) {
        if (name === 'w:t' || name === 'w:delText') inText = false;
        else if (name === 'w:p') out.newline();
        else if (name === 'w:tc') out.push('\t');
      },
      text(t) {
        if (inText) out.push(t);
      },
    },
    () => ctx.check(),
  );
}

export function extractDocx(zip: ZipArchive, ctx: ExtractContext): void {
  const main = 'word/document.xml';
  const body = zip.readText(main);
  if (body === undefined) throw ctx.unreadable('a Word document without word/document.xml', 'open and save it again in Word');
  wordPart(body, ctx);
  // Headers, footers, footnotes, endnotes and comments hold text too (a letterhead's phone number, a reviewer's note).
  const rels = [...readRels(zip, main).values()];
  const extra = rels.filter((r) => /\/(header|footer|footnotes|endnotes|comments)$/.test(r.type)).map((r) => r.target);
  for (const n of zip.names()) if (/^word\/(header|footer)\d*\.xml$/.test(n) && !extra.includes(n)) extra.push(n);
  for (const part of extra) {
    if (ctx.sink.full) return;
    const xml = zip.readText(part);
    if (xml === undefined) continue;
    ctx.sink.newline();
    wordPart(xml, ctx);
  }
}

// ---------------------------------------------------------------- xlsx

/**
 * A numeric cell as people read it: Excel stores 15 significant digits, so a 16-digit number typed into
 * a cell is written `4.11111111111111E+15`; an integer is given back in full, not in exponent form.
 */
export function renderNumber(v: string): string {
  const s = v.trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', expText] = m as unknown as [string, string, string, string | undefined, string];
  const exp = Number(expText);
  // Shift the decimal point in the digits as written: a double would invent digits past the 15th (1.2345678901234E+19 → …3999872).
  if (exp >= frac.length && exp <= 400) return `${sign}${(int + frac + '0'.repeat(exp - frac.length)).replace(/^0+(?=\d)/, '')}`;
  const n = Number(s);
  return Number.isFinite(n) ? String(n) : s;
}

/** The shared strings table: each `<si>` is the text of its `<t>`s (rich text runs joined), phonetic guides left out. */
function sharedStrings(zip: ZipArchive, path: string, ctx: ExtractContext): string[] {
  const xml = zip.readText(path);
  if (xml === undefined) return [];
  const table: string[] = [];
  let cur: string[] | undefined;
  let inT = false;
  let phonetic = 0;
  scanXml(
    xml,
    {
      open(name, _a, selfClosing) {
        if (name === 'si') cur = selfClosing ? undefined : [];
        if (selfClosing && name === 'si') table.push('');
        else if (name === 'rPh') phonetic++;
        else if (name === 't' && !selfClosing) inT = true;
      },
      close(name) {
        if (name === 'si' && cur) {
          table.push(cur.join(''));
          cur = undefined;
        } else if (name === 'rPh') phonetic--;
        else if (name === 't') inT = false;
      },
      text(t) {
        if (inT && phonetic === 0 && cur) cur.push(t);
      },
    },
    () => ctx.check(),
  );
  return table;
}

/** One worksheet: a line per row, its cells' values separated by tabs. */
function worksheet(xml: string, shared: string[], ctx: ExtractContext): void {
  const out = ctx.sink;
  let rows = 0;
  let cellType = '';
  let inValue = false;
  let inInline = false;
  let value: string[] = [];
  let cellsInRow = 0;
  let stopped = false;
  scanXml(
    xml,
    {
      open(name, attrs, selfClosing) {
        if (stopped) return;
        if (name === 'row') {
          if (rows >= ctx.limits.max_rows) {
            ctx.skipped = true;
            stopped = true;
            return;
          }
          rows++;
          cellsInRow = 0;
        } else if (name === 'c') {
          cellType = attr(attrs, 't') ?? 'n';
          value = [];
          if (selfClosing) cellType = '';
        } else if (name === 'v' && !selfClosing) inValue = true;
        else if (name === 'is') inInline = true;
        else if (name === 't' && inInline && !selfClosing) inValue = true;
      },
      close(name) {
        if (stopped) return;
        if (name === 'v' || name === 't') inValue = false;
        else if (name === 'is') inInline = false;
        else if (name === 'c' && cellType) {
          const raw = value.join('');
          let text: string;
          if (cellType === 's') text = shared[Number(raw)] ?? '';
          else if (cellType === 'n') text = renderNumber(raw);
          else if (cellType === 'b') text = raw === '1' ? 'TRUE' : 'FALSE';
          else if (cellType === 'e') text = '';
          else text = raw; // inlineStr, str (a formula's string result), d (ISO date)
          if (text !== '') {
            if (cellsInRow++ > 0) out.push('\t');
            out.push(text.replace(/\r?\n/g, ' '));
          }
          cellType = '';
        } else if (name === 'row') out.newline();
      },
      text(t) {
        if (inValue) value.push(t);
      },
    },
    () => {
      ctx.check();
      if (out.full) stopped = true;
    },
  );
}

export function extractXlsx(zip: ZipArchive, ctx: ExtractContext): number {
  const wb = 'xl/workbook.xml';
  const xml = zip.readText(wb);
  if (xml === undefined) throw ctx.unreadable('an Excel workbook without xl/workbook.xml', 'open and save it again in Excel');
  const rels = readRels(zip, wb);
  const sheets: { name: string; part: string }[] = [];
  scanXml(xml, {
    open(name, attrs) {
      if (name !== 'sheet') return;
      const rel = rels.get(attr(attrs, 'r:id') ?? '');
      if (rel) sheets.push({ name: attr(attrs, 'name') ?? '', part: rel.target });
    },
  });
  // A workbook whose relationships are missing still has its sheets at their usual names.
  if (sheets.length === 0) for (const part of numbered(zip, /^xl\/worksheets\/sheet(\d+)\.xml$/)) sheets.push({ name: '', part });
  const sstRel = [...rels.values()].find((r) => r.type.endsWith('/sharedStrings'));
  const shared = sharedStrings(zip, sstRel?.target ?? 'xl/sharedStrings.xml', ctx);
  let read = 0;
  for (const s of sheets) {
    if (ctx.sink.full) break;
    if (read >= ctx.limits.max_sheets) {
      ctx.skipped = true;
      break;
    }
    const sheetXml = zip.readText(s.part);
    if (sheetXml === undefined) continue;
    read++;
    ctx.sink.newline();
    // The sheet's name is context for what its cells hold ("Cards", "Payroll").
    if (s.name) ctx.sink.push(`${s.name}\n`);
    worksheet(sheetXml, shared, ctx);
  }
  return read;
}

// ---------------------------------------------------------------- pptx

/** DrawingML text (`a:t`), a line per paragraph. */
function drawingPart(xml: string, ctx: ExtractContext): void {
  const out = ctx.sink;
  let inText = false;
  scanXml(
    xml,
    {
      open(name, _a, selfClosing) {
        if (name === 'a:t') inText = !selfClosing;
        else if (name === 'a:br') out.push('\n');
      },
      close(name) {
        if (name === 'a:t') inText = false;
        else if (name === 'a:p') out.newline();
      },
      text(t) {
        if (inText) out.push(t);
      },
    },
    () => ctx.check(),
  );
}

export function extractPptx(zip: ZipArchive, ctx: ExtractContext): number {
  const pres = 'ppt/presentation.xml';
  const rels = readRels(zip, pres);
  const order: string[] = [];
  const xml = zip.readText(pres);
  if (xml !== undefined) {
    scanXml(xml, {
      open(name, attrs) {
        if (name !== 'p:sldId') return;
        const rel = rels.get(attr(attrs, 'r:id') ?? '');
        if (rel) order.push(rel.target);
      },
    });
  }
  const slides = order.length ? order : numbered(zip, /^ppt\/slides\/slide(\d+)\.xml$/);
  let n = 0;
  for (const part of slides) {
    if (ctx.sink.full) break;
    if (n >= ctx.limits.max_pages) {
      ctx.skipped = true;
      break;
    }
    const slide = zip.readText(part);
    if (slide === undefined) continue;
    n++;
    ctx.sink.newline();
    drawingPart(slide, ctx);
    // Speaker notes: where a presenter pastes what is not on the slide.
    const notes = [...readRels(zip, part).values()].find((r) => r.type.endsWith('/notesSlide'));
    const notesXml = notes ? zip.readText(notes.target) : undefined;
    if (notesXml !== undefined) {
      ctx.sink.newline();
      drawingPart(notesXml, ctx);
    }
  }
  return n;
}

// ---------------------------------------------------------------- OpenDocument

/**
 * content.xml of an odt, ods or odp: a line per paragraph and heading; in a table a tab per cell and a
 * line per row; `text:s` spaces and tabs as written; a sheet's name before its rows.
 */
export function extractOdf(zip: ZipArchive, ctx: ExtractContext, kind: 'odt' | 'ods' | 'odp'): number {
  const xml = zip.readText('content.xml');
  if (xml === undefined) throw ctx.unreadable('an OpenDocument file without content.xml', 'open and save it again in LibreOffice');
  const out = ctx.sink;
  let inBody = false;
  let cellDepth = 0;
  let cellParas = 0;
  let tables = 0;
  let rows = 0;
  let pages = 0;
  let paraDepth = 0;
  let skipping = false;
  scanXml(
    xml,
    {
      open(name, attrs, selfClosing) {
        if (name === 'office:body') inBody = true;
        if (!inBody) return;
        if (name === 'table:table' && !selfClosing) {
          if (kind === 'ods' && tables >= ctx.limits.max_sheets) {
            ctx.skipped = true;
            skipping = true;
          }
          tables++;
          rows = 0;
          out.newline();
          const tableName = attr(attrs, 'table:name');
          if (kind === 'ods' && tableName && !skipping) out.push(`${tableName}\n`);
        } else if (name === 'draw:page' && !selfClosing) {
          if (pages >= ctx.limits.max_pages) {
            ctx.skipped = true;
            skipping = true;
          }
          pages++;
        }
        if (skipping) return;
        if (name === 'table:table-row') {
          if (rows >= ctx.limits.max_rows) {
            ctx.skipped = true;
            skipping = true;
            return;
          }
          rows++;
        } else if (name === 'table:table-cell' || name === 'table:covered-table-cell') {
          if (!selfClosing) {
            cellDepth++;
            cellParas = 0;
          }
        } else if (name === 'text:s') {
          const c = Number(attr(attrs, 'text:c') ?? '1');
          out.push(' '.repeat(Number.isInteger(c) && c > 0 ? Math.min(c, 100) : 1));
        } else if (name === 'text:tab') out.push('\t');
        else if (name === 'text:line-break') out.push('\n');
        else if (name === 'text:p' || name === 'text:h') {
          // Counted for an empty one too: the scanner closes it at once.
          paraDepth++;
          if (cellDepth > 0 && cellParas++ > 0) out.push(' ');
        }
      },
      close(name) {
        if (name === 'office:body') inBody = false;
        if (name === 'table:table' && kind === 'ods') skipping = tables > ctx.limits.max_sheets;
        if (name === 'table:table' && kind !== 'ods') skipping = false;
        if (name === 'draw:page') skipping = false;
        if (name === 'text:p' || name === 'text:h') paraDepth = Math.max(0, paraDepth - 1);
        if (!inBody || skipping) return;
        if ((name === 'text:p' || name === 'text:h') && cellDepth === 0) out.newline();
        else if (name === 'table:table-cell' || name === 'table:covered-table-cell') {
          cellDepth = Math.max(0, cellDepth - 1);
          if (cellDepth === 0) out.push('\t');
        } else if (name === 'table:table-row') out.newline();
      },
      text(t) {
        // Whitespace between paragraphs is the file's indentation, not text.
        if (inBody && !skipping && paraDepth > 0) out.push(t);
      },
    },
    () => ctx.check(),
  );
  return kind === 'ods' ? Math.min(tables, ctx.limits.max_sheets) : kind === 'odp' ? Math.min(pages, ctx.limits.max_pages) : 1;
}
