/** What the Drive fake serves as a Google-native file's export: the formats Drive converts Docs, Sheets and Slides to, from the text the model holds. */
import { parse } from 'csv-parse/sync';
import { strToU8, zipSync } from 'fflate';

export const GOOGLE_DOC = 'application/vnd.google-apps.document';
export const GOOGLE_SHEET = 'application/vnd.google-apps.spreadsheet';
export const GOOGLE_SLIDES = 'application/vnd.google-apps.presentation';
export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Docs Editors files and the other `application/vnd.google-apps.*` kinds (folders, forms, ...) have no bytes of their own. */
export const isGoogleNative = (mimeType: string): boolean => mimeType.startsWith('application/vnd.google-apps.');

/**
 * The export of a native file whose model content is `text` (Docs and Slides: their text; Sheets:
 * each sheet as CSV, sheets separated by a form feed `\f`), or undefined when Drive does not
 * convert that kind to `target`. As Drive does, CSV and TSV hold the first sheet only, xlsx all.
 */
export function exportFile(source: string, target: string, text: string): Buffer | undefined {
  if (source === GOOGLE_DOC && (target === 'text/plain' || target === 'text/markdown')) return Buffer.from(text, 'utf8');
  if (source === GOOGLE_SLIDES && target === 'text/plain') return Buffer.from(text, 'utf8');
  const sheets = text.split('\f');
  if (source === GOOGLE_SHEET && target === 'text/csv') return Buffer.from(sheets[0]!, 'utf8');
  if (source === GOOGLE_SHEET && target === 'text/tab-separated-values') return Buffer.from(rows(sheets[0]!).map((r) => r.join('\t')).join('\n'), 'utf8');
  if (source === GOOGLE_SHEET && target === XLSX_MIME) return Buffer.from(xlsx(sheets.map(rows)));
  return undefined;
}

const rows = (csv: string): string[][] => parse(csv, { relaxColumnCount: true, skipEmptyLines: false }) as string[][];

/** A fixed entry time, so the same sheet exports to the same bytes (its hash says it is unchanged). */
const ZIP_MTIME = new Date(Date.UTC(2026, 0, 1));

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A1 column letters of a 0-based index. */
function column(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** A workbook the way Sheets exports it: one worksheet per sheet, shared strings, numbers as numbers (ECMA-376 SpreadsheetML). */
function xlsx(sheets: string[][][]): Uint8Array {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const sheetXml = (data: string[][]) => data
    .map((r, ri) => {
      const cells = r
        .map((v, ci) => {
          const ref = `${column(ci)}${ri + 1}`;
          if (v === '') return '';
          if (/^-?\d{1,15}(\.\d+)?$/.test(v)) return `<c r="${ref}"><v>${v}</v></c>`;
          let k = index.get(v);
          if (k === undefined) {
            k = strings.length;
            strings.push(v);
            index.set(v, k);
          }
          return `<c r="${ref}" t="s"><v>${k}</v></c>`;
        })
        .join('');
      return `<row r="${ri + 1}">${cells}</row>`;
    })
    .join('');
  const ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  return zipSync({
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('') +
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    'xl/workbook.xml': strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="${ns}" xmlns:r="${rel}"><sheets>${sheets.map((_, i) => `<sheet name="Sheet${i + 1}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`),
    'xl/_rels/workbook.xml.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${rel}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('') +
        `<Relationship Id="rId${sheets.length + 1}" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    ),
    ...Object.fromEntries(sheets.map((data, i) => [`xl/worksheets/sheet${i + 1}.xml`, strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="${ns}"><sheetData>${sheetXml(data)}</sheetData></worksheet>`)])),
    'xl/sharedStrings.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="${ns}" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((t) => `<si><t xml:space="preserve">${esc(t)}</t></si>`).join('')}</sst>`,
    ),
  }, { mtime: ZIP_MTIME });
}
