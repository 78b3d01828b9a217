import { describe, expect, it } from 'vitest';
import type { DeadLetterInput } from '../../core/index.js';
import { chooseFormat, detectDelimiter, parseCsvRecord, payloadOf, readRecords, type ReadOptions, type ReadRecord } from './reader.js';

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function read(
  input: string | Buffer,
  opts: Partial<ReadOptions> = {},
  chunkSize = 1 << 20,
): Promise<{ records: ReadRecord[]; dead: DeadLetterInput[]; bytes: number }> {
  const data = typeof input === 'string' ? Buffer.from(input) : input;
  const records: ReadRecord[] = [];
  const dead: DeadLetterInput[] = [];
  let bytes = 0;
  const options: ReadOptions = { source: 'test', file: 'input', format: 'auto', maxRecordBytes: 1 << 20, maxRecordDepth: 64, ...opts };
  for await (const c of readRecords(chunked(data, chunkSize), options)) {
    records.push(...c.records);
    dead.push(...c.deadLetters);
    bytes = c.bytesDone;
  }
  return { records, dead, bytes };
}

const CHUNK_SIZES = [1, 3, 7, 64, 1 << 20];

describe('JSON lines', () => {
  const text = '{"a":1}\n\n{"a":"x\\ny"}\r\n  {"a":3}  \n{"a":4}';

  it.each(CHUNK_SIZES)('frames the same records whatever the chunk size (%i)', async (size) => {
    const { records, dead, bytes } = await read(text, {}, size);
    expect(dead).toEqual([]);
    expect(records.map((r) => [r.data.a, r.line, r.index])).toEqual([
      [1, 1, 0],
      ['x\ny', 3, 1],
      [3, 4, 2],
      [4, 5, 3],
    ]);
    expect(bytes).toBe(Buffer.byteLength(text));
  });

  it('turns bad lines into dead letters and keeps the lines around them', async () => {
    const { records, dead } = await read('{"a":1}\n{"a":\n[1,2]\n"str"\n{"a":5}\n', { file: 'app.jsonl' });
    expect(records.map((r) => r.data.a)).toEqual([1, 5]);
    expect(dead.map((d) => [d.code, d.position?.line])).toEqual([
      ['INPUT_MALFORMED', 2],
      ['INPUT_MALFORMED', 3],
      ['INPUT_MALFORMED', 4],
    ]);
    expect(dead[0]!.reason).toMatch(/^line 2 of app\.jsonl is not valid JSON/);
    expect(dead[1]!.reason).toContain('is an array, expected a JSON object');
    expect(dead[2]!.reason).toContain('is a string, expected a JSON object');
    expect(dead[0]!).toMatchObject({ source: 'test', payload: '{"a":', position: { file: 'app.jsonl', line: 2 } });
  });

  it.each(CHUNK_SIZES)('dead-letters plain-text lines that do not start with { and carries on (chunk %i)', async (size) => {
    const text = '{"a":1}\n2024-05-01T10:00:00Z ERROR db timeout\n  \t \n# comment\n}\n{"a":2}\n';
    const { records, dead } = await read(text, { file: 'app.log' }, size);
    expect(records.map((r) => [r.data.a, r.line, r.index])).toEqual([
      [1, 1, 0],
      [2, 6, 4],
    ]);
    // The blank line in between is no record and no dead letter.
    expect(dead.map((d) => [d.code, d.position, d.payload])).toEqual([
      ['INPUT_MALFORMED', { file: 'app.log', line: 2, offset: 8 }, '2024-05-01T10:00:00Z ERROR db timeout'],
      ['INPUT_MALFORMED', { file: 'app.log', line: 4, offset: 51 }, '# comment'],
      ['INPUT_MALFORMED', { file: 'app.log', line: 5, offset: 61 }, '}'],
    ]);
    expect(dead[0]!.reason).toMatch(/^line 2 of app\.log is not valid JSON \(.+\); skipped$/);
    expect(dead[1]!.reason).toMatch(/^line 4 of app\.log is not valid JSON/);
    expect(dead[2]!.source).toBe('test');
  });

  it('dead-letters a first line that is not JSON when the format is jsonl', async () => {
    const { records, dead } = await read('not json at all\n{"a":1}\n', { file: 'x.jsonl', format: 'jsonl' });
    expect(records.map((r) => [r.data, r.line, r.index])).toEqual([[{ a: 1 }, 2, 1]]);
    expect(dead.map((d) => [d.reason.slice(0, 36), d.position?.line])).toEqual([['line 1 of x.jsonl is not valid JSON ', 1]]);
  });

  it('names null, numbers and booleans when a line is JSON but no object', async () => {
    const { records, dead } = await read('null\n42\ntrue\n{"a":1}\n', { file: 'f.jsonl' });
    expect(records).toHaveLength(1);
    expect(dead.map((d) => d.reason)).toEqual([
      'line 1 of f.jsonl is null, expected a JSON object per record; skipped',
      'line 2 of f.jsonl is a number, expected a JSON object per record; skipped',
      'line 3 of f.jsonl is a boolean, expected a JSON object per record; skipped',
    ]);
  });

  it('skips a byte-order mark', async () => {
    const { records } = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n')]));
    expect(records.map((r) => r.data)).toEqual([{ a: 1 }]);
  });

  it('dead-letters invalid UTF-8 and continues', async () => {
    const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x00, 0x22, 0x7d]);
    const input = Buffer.concat([Buffer.from('{"a":1}\n'), bad, Buffer.from('\n{"a":2}\n')]);
    const { records, dead } = await read(input);
    expect(records.map((r) => r.data.a)).toEqual([1, 2]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toContain('line 2 of input is not valid UTF-8');
    // NUL must not reach the database as is.
    expect(dead[0]!.payload).toContain('\\x00');
    expect(dead[0]!.payload).not.toContain('\u0000');
  });

  it.each([1000, 4096, 65536])('skips a line over max_record_bytes without holding it (chunk %i)', async (size) => {
    const big = `{"a":"${'x'.repeat(50_000)}"}`;
    const input = `{"a":1}\n${big}\n{"a":3}\n`;
    const { records, dead } = await read(input, { maxRecordBytes: 10_000 }, size);
    expect(records.map((r) => [r.data.a, r.line])).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.code).toBe('INPUT_TOO_LARGE');
    expect(dead[0]!.reason).toContain(`is ${big.length} bytes, over max_record_bytes (10000)`);
    expect(dead[0]!.position).toEqual({ file: 'input', line: 2, offset: 8 });
    expect(dead[0]!.payload.length).toBeLessThan(4200);
    expect(dead[0]!.payload).toMatch(/^\{"a":"x+… \[truncated, 50008 bytes in all\]$/);
  });

  it('counts a last line without newline, and a too-large last line', async () => {
    const { records, dead } = await read(`{"a":1}\n${'y'.repeat(3000)}`, { maxRecordBytes: 2048 }, 100);
    expect(records).toHaveLength(1);
    expect(dead.map((d) => [d.code, d.position?.line])).toEqual([['INPUT_TOO_LARGE', 2]]);
  });
});

describe('JSON arrays', () => {
  const text = `[
  {"a": 1, "s": "has ] and } and , and \\" inside"},
  {"a": 2, "nested": {"list": [1, [2, {"x": "]"}]], "o": {}}},

  {"a": 3}
]`;

  it.each(CHUNK_SIZES)('splits top-level elements whatever the chunk size (%i)', async (size) => {
    const { records, dead } = await read(text, {}, size);
    expect(dead).toEqual([]);
    expect(records.map((r) => [r.data.a, r.line, r.index])).toEqual([
      [1, 2, 0],
      [2, 3, 1],
      [3, 5, 2],
    ]);
    expect(records[0]!.data.s).toBe('has ] and } and , and " inside');
    expect(records[1]!.data.nested).toEqual({ list: [1, [2, { x: ']' }]], o: {} });
  });

  it('handles empty arrays, trailing commas, concatenated arrays and a missing closing bracket', async () => {
    expect((await read('[]')).records).toEqual([]);
    expect((await read('[{"a":1},]')).records.map((r) => r.data.a)).toEqual([1]);
    expect((await read('[{"a":1}]\n[{"a":2}]')).records.map((r) => r.data.a)).toEqual([1, 2]);
    const cut = await read('[{"a":1},\n{"a":2}');
    expect(cut.records.map((r) => r.data.a)).toEqual([1, 2]);
    expect(cut.dead).toEqual([]);
  });

  it('dead-letters a broken element and resynchronises on the next one', async () => {
    const { records, dead } = await read('[\n{"a":1},\n{"a": "unterminated},\n{"a":3},\n{"a":4 "b"},\n42,\n{"a":6}\n]');
    expect(records.map((r) => r.data.a)).toEqual([1, 3, 6]);
    expect(dead.map((d) => d.position?.line)).toEqual([3, 5, 6]);
    expect(dead[0]!.reason).toMatch(/^array element 1 \(line 3\) of input is not valid JSON/);
    expect(dead[2]!.reason).toContain('array element 4 (line 6) of input is a number');
  });

  it('dead-letters text after the array once', async () => {
    const { records, dead } = await read('[{"a":1}]\ntrailing junk\nmore junk');
    expect(records).toHaveLength(1);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toContain('non-array text at line 2');
    expect(dead[0]!.payload).toBe('trailing junk\nmore junk');
  });

  it('skips an oversized element by structure, not by buffering', async () => {
    const big = `{"a":"${'z'.repeat(40_000)}","b":[1,2,{"c":"]"}]}`;
    const { records, dead } = await read(`[{"a":1},${big},{"a":3}]`, { maxRecordBytes: 5000 }, 997);
    expect(records.map((r) => r.data.a)).toEqual([1, 3]);
    expect(dead.map((d) => d.code)).toEqual(['INPUT_TOO_LARGE']);
  });
});

describe('CSV', () => {
  const text = 'time,user,note\r\n2024-03-04 10:00:00,alice,plain\r\n2024-03-04 10:01:00,bob,"a, b"\r\n2024-03-04 10:02:00,carol,"two\r\nlines ""quoted"""\r\n2024-03-04 10:03:00,dave,\r\n';

  it.each(CHUNK_SIZES)('reads rows, quoted commas and multi-line fields whatever the chunk size (%i)', async (size) => {
    const { records, dead } = await read(text, { file: 'vpn.csv' }, size);
    expect(dead).toEqual([]);
    expect(records.map((r) => [r.data.user, r.data.note, r.line])).toEqual([
      ['alice', 'plain', 2],
      ['bob', 'a, b', 3],
      ['carol', 'two\r\nlines "quoted"', 4],
      ['dave', '', 6],
    ]);
  });

  it('dead-letters rows with the wrong column count, naming both counts', async () => {
    const { records, dead } = await read('a,b,c\n1,2,3\n1,2\n1,2,3,4\n7,8,9\n', { file: 'x.csv' });
    expect(records.map((r) => r.data.a)).toEqual(['1', '7']);
    expect(dead.map((d) => d.reason)).toEqual([
      'CSV row at line 3 of x.csv has 2 fields but the header (line 1) has 3; skipped',
      'CSV row at line 4 of x.csv has 4 fields but the header (line 1) has 3; skipped',
    ]);
  });

  it('keeps a stray quote inside a field from swallowing the next rows', async () => {
    const { records, dead } = await read('size,name\n5" screen,tv\n6,radio\n', { file: 'x.csv' });
    expect(dead).toEqual([]);
    expect(records.map((r) => r.data)).toEqual([
      { size: '5" screen', name: 'tv' },
      { size: '6', name: 'radio' },
    ]);
  });

  it('resynchronises at the next line after an unterminated quote exceeds the limit', async () => {
    const input = `a,b\n1,"never closed ${'q'.repeat(3000)}\n2,ok\n3,ok\n`;
    const { records, dead } = await read(input, { file: 'x.csv', maxRecordBytes: 2048 }, 50);
    expect(dead.map((d) => d.code)).toEqual(['INPUT_TOO_LARGE']);
    expect(records.map((r) => r.data.a)).toEqual(['2', '3']);
  });

  it('detects semicolon and tab delimiters, and names blank or repeated headers', async () => {
    expect((await read('a;b\n1;2\n', { file: 'x.csv' })).records[0]!.data).toEqual({ a: '1', b: '2' });
    expect((await read('a\tb\n1\t2\n', { file: 'x.tsv' })).records[0]!.data).toEqual({ a: '1', b: '2' });
    expect((await read('a,,a\n1,2,3\n', { file: 'x.csv' })).records[0]!.data).toEqual({ a: '1', column_2: '2', a_2: '3' });
  });
});

describe('format choice', () => {
  it('sniffs the first non-space byte and uses the extension', () => {
    expect(chooseFormat('auto', 0x5b, 'stdin')).toBe('json');
    expect(chooseFormat('auto', 0x7b, 'stdin')).toBe('jsonl');
    expect(chooseFormat('auto', 0x74, 'stdin')).toBe('csv');
    expect(chooseFormat('auto', 0x7b, 'x.csv')).toBe('csv');
    expect(chooseFormat('auto', 0x5b, 'x.ndjson')).toBe('jsonl');
    expect(chooseFormat('auto', 0x5b, 'logs/x.jsonl.gz')).toBe('jsonl');
    expect(chooseFormat('auto', 0x78, 'x.json')).toBe('json');
    expect(chooseFormat('json', 0x7b, 'x.log')).toBe('jsonl');
    expect(chooseFormat('jsonl', 0x5b, 'x.json')).toBe('jsonl');
  });

  it('sniffs past leading whitespace spread over chunks', async () => {
    const { records } = await read('\n\n   \n[{"a":1}]', {}, 2);
    expect(records.map((r) => [r.data.a, r.line])).toEqual([[1, 4]]);
  });

  it('refuses gzip data with a hint', async () => {
    await expect(read(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))).rejects.toThrow(/: is gzip-compressed \(decompress it first, e.g. zcat FILE \| saaswatch ingest -\)$/);
  });

  it('reads nothing from empty input', async () => {
    expect(await read('')).toEqual({ records: [], dead: [], bytes: 0 });
  });
});

describe('helpers', () => {
  it('parses CSV records by RFC 4180', () => {
    expect(parseCsvRecord('a,b,c', ',')).toEqual(['a', 'b', 'c']);
    expect(parseCsvRecord('"a,1","b""2",', ',')).toEqual(['a,1', 'b"2', '']);
    expect(parseCsvRecord('"",x', ',')).toEqual(['', 'x']);
    expect(parseCsvRecord('"open,x', ',')).toBe('unterminated quoted field in column 1');
    expect(parseCsvRecord('"a"b,c', ',')).toBe('unexpected text after the closing quote of column 1');
  });

  it('detects the delimiter from the header', () => {
    expect(detectDelimiter('a,b,c')).toBe(',');
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('"a;x",b,c')).toBe(',');
    expect(detectDelimiter('single')).toBe(',');
  });

  it('truncates and escapes payloads', () => {
    expect(payloadOf('ok\tfine')).toBe('ok\tfine');
    expect(payloadOf('a\u0001b')).toBe('a\\x01b');
    const long = payloadOf('x'.repeat(5000));
    expect(long).toMatch(/^x{4096}… \[truncated, 5000 bytes in all\]$/);
  });
});

describe('edges the mutation run found untested', () => {
  it('lets a configured format win over extension and first byte', () => {
    expect(chooseFormat('csv', 0x7b, 'x.jsonl')).toBe('csv');
    expect(chooseFormat('jsonl', 0x5b, 'x.csv')).toBe('jsonl');
    expect(chooseFormat('json', 0x5b, 'x.jsonl')).toBe('json');
    expect(chooseFormat('json', 0x74, 'x.csv')).toBe('json');
    expect(chooseFormat('auto', 0x5b, 'X.JSONL')).toBe('jsonl');
    expect(chooseFormat('auto', 0x7b, 'x.tsv')).toBe('csv');
    expect(chooseFormat('auto', 0x7b, 'x.csv.gz')).toBe('csv');
    expect(chooseFormat('auto', 0x7b, 'x.gzip')).toBe('jsonl');
    expect(chooseFormat('auto', undefined, 'x.json')).toBe('json');
    expect(chooseFormat('auto', undefined, 'x.log')).toBe('csv');
  });

  it('counts delimiters outside quotes only, with each candidate', () => {
    expect(detectDelimiter('"a,b,c";d;e')).toBe(';');
    expect(detectDelimiter('a|b|c,d')).toBe('|');
    expect(detectDelimiter('a\tb\tc;d')).toBe('\t');
    expect(detectDelimiter('a;b,c|d')).toBe(',');
  });

  it('names the column of an unterminated quote', () => {
    expect(parseCsvRecord('a,b,"open', ',')).toBe('unterminated quoted field in column 3');
  });

  it('keeps a payload of exactly the limit whole, and marks one byte more as truncated', () => {
    expect(payloadOf('x'.repeat(4096))).toBe('x'.repeat(4096));
    expect(payloadOf('x'.repeat(4097))).toBe(`${'x'.repeat(4096)}… [truncated, 4097 bytes in all]`);
    expect(payloadOf(Buffer.from('a\u0000b\u007f'))).toBe('a\\x00b\\x7f');
  });

  it.each([1, 3, 7, 64])('accepts a record of exactly max_record_bytes and refuses one byte more, in every format (chunk %i)', async (size) => {
    const exact = '{"a":"' + 'x'.repeat(12) + '"}'; // 20 bytes
    const over = '{"a":"' + 'y'.repeat(13) + '"}'; // 21 bytes
    const jsonl = await read(`${exact}\n${over}\n{"a":"z"}\n`, { maxRecordBytes: 20, file: 'f.jsonl' }, size);
    expect(jsonl.records.map((r) => [r.data.a, r.line, r.index])).toEqual([['x'.repeat(12), 1, 0], ['z', 3, 2]]);
    expect(jsonl.dead.map((d) => [d.code, d.position?.line, d.payload])).toEqual([['INPUT_TOO_LARGE', 2, over]]);
    expect(jsonl.dead[0]!.reason).toBe(
      'line 2 of f.jsonl is 21 bytes, over max_record_bytes (20); skipped without reading it into memory. Raise max_record_bytes in the source config if such records are legitimate',
    );

    const array = await read(`[${exact},${over},{"a":"z"}]`, { maxRecordBytes: 20, file: 'f.json' }, size);
    expect(array.records.map((r) => [r.data.a, r.index])).toEqual([['x'.repeat(12), 0], ['z', 2]]);
    expect(array.dead.map((d) => [d.code, d.payload])).toEqual([['INPUT_TOO_LARGE', over]]);
    expect(array.dead[0]!.reason).toMatch(/^array element 1 \(line 1\) of f\.json is 21 bytes/);

    const csv = await read(`h\n${'c'.repeat(20)}\n${'d'.repeat(21)}\ne\n`, { maxRecordBytes: 20, file: 'f.csv' }, size);
    expect(csv.records.map((r) => [r.data.h, r.index])).toEqual([['c'.repeat(20), 0], ['e', 2]]);
    expect(csv.dead.map((d) => [d.code, d.position?.line, d.payload])).toEqual([['INPUT_TOO_LARGE', 3, 'd'.repeat(21)]]);
    expect(csv.dead[0]!.reason).toMatch(/^CSV row at line 3 of f\.csv is 21 bytes/);
  });

  it.each([1, 5, 64])('frames arrays by structure: nesting, commas and brackets in strings, escapes (chunk %i)', async (size) => {
    const text = '\t\r\n[ {"a":[1,{"b":2}],"s":"],{\\"[,"} ,\r\n\t{"a":"\\\\","c":{}} , [3] ]';
    const { records, dead } = await read(text, { file: 'f.json' }, size);
    expect(records.map((r) => [r.data, r.line, r.index])).toEqual([
      [{ a: [1, { b: 2 }], s: '],{"[,' }, 2, 0],
      [{ a: '\\', c: {} }, 3, 1],
    ]);
    expect(dead.map((d) => d.reason)).toEqual(['array element 2 (line 3) of f.json is an array, expected a JSON object per record; skipped']);
  });

  it('dead-letters a JSON file that holds no array at all, once', async () => {
    const { records, dead } = await read('nothing here\nat all', { format: 'json', file: 'f.json' });
    expect(records).toEqual([]);
    expect(dead.map((d) => [d.reason, d.payload])).toEqual([
      ['f.json has 19 bytes of non-array text at line 1 where a JSON array should start or the input should end; skipped', 'nothing here\nat all'],
    ]);
  });

  it('names the record by format when its bytes are not UTF-8, and numbers the records after it', async () => {
    const bad = Buffer.from([0xc3, 0x28]);
    const csv = await read(Buffer.concat([Buffer.from('h\n'), bad, Buffer.from('\nok\n')]), { file: 'f.csv' });
    expect(csv.dead.map((d) => d.reason)).toEqual(['CSV row at line 2 of f.csv is not valid UTF-8 (binary data?); skipped']);
    expect(csv.records.map((r) => [r.data.h, r.index])).toEqual([['ok', 1]]);
    const array = await read(Buffer.concat([Buffer.from('[\n{"a":1},\n"'), bad, Buffer.from('",\n{"a":3}]')]), { file: 'f.json' });
    expect(array.dead.map((d) => d.reason)).toEqual(['array element 1 (line 3) of f.json is not valid UTF-8 (binary data?); skipped']);
    expect(array.records.map((r) => [r.data.a, r.index])).toEqual([[1, 0], [3, 2]]);
  });

  it('skips blank CSV rows, and says so when the header itself is malformed', async () => {
    const blank = await read('a,b\n\n   \n1,2\n', { file: 'f.csv' });
    expect(blank.dead).toEqual([]);
    expect(blank.records.map((r) => [r.data, r.line, r.index])).toEqual([[{ a: '1', b: '2' }, 4, 0]]);

    const broken = await read('"a"x,b\n1,2\n', { file: 'f.csv' });
    expect(broken.dead.map((d) => d.reason)).toEqual([
      'CSV header at line 1 of f.csv is malformed: unexpected text after the closing quote of column 1',
      'CSV row at line 2 of f.csv cannot be read: the header is malformed',
    ]);
    expect(broken.records).toEqual([]);
  });

  it('dead-letters a malformed CSV row by line and numbers the rows after it', async () => {
    const { records, dead } = await read('a,b\n"x"y,1\n2,3\n', { file: 'f.csv' });
    expect(dead.map((d) => [d.reason, d.payload])).toEqual([
      ['CSV row at line 2 of f.csv is malformed: unexpected text after the closing quote of column 1; skipped', '"x"y,1'],
    ]);
    expect(records.map((r) => [r.data, r.index])).toEqual([[{ a: '2', b: '3' }, 1]]);
    expect(Object.keys(records[0]!.data)).toEqual(['a', 'b']);
  });

  it('trims header names', async () => {
    const { records } = await read(' a , b \n1,2\n', { file: 'f.csv' });
    expect(Object.keys(records[0]!.data)).toEqual(['a', 'b']);
  });

  it('reads strings and Uint8Arrays as well as Buffers', async () => {
    async function* mixed(): AsyncGenerator<string | Uint8Array> {
      yield '{"a":1}\n{"a"';
      const bytes = new TextEncoder().encode(':2}\n');
      yield new Uint8Array(bytes.buffer, 0, bytes.byteLength);
    }
    const out: unknown[] = [];
    for await (const c of readRecords(mixed(), { source: 's', file: 'f', format: 'auto', maxRecordBytes: 100, maxRecordDepth: 64 })) out.push(...c.records.map((r) => r.data));
    expect(out).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('takes the CSV delimiter from the first line, and tab for .tsv or .tsv.gz names only', async () => {
    expect((await read('a;b', { file: 'f.csv' })).records).toEqual([]);
    expect((await read('a;b,c;d\n1;2,3;4\n', { file: 'f.csv' })).records[0]!.data).toEqual({ a: '1', 'b,c': '2,3', d: '4' });
    expect((await read('a\tb\n1\t2\n', { file: 'f.tsv.gz' })).records[0]!.data).toEqual({ a: '1', b: '2' });
    expect((await read('a,b\n1,2\n', { file: 'f.tsv.csv' })).records[0]!.data).toEqual({ a: '1', b: '2' });
  });

  it.each(['ỿ', '\uf03f', '\ufec0', 'ｈ', 'a¿', 'ċ', '\u001f'])('strips only a real byte-order mark and refuses only real gzip (%j)', async (lead) => {
    const { records } = await read(`${lead}x,b\n1,2\n`, { file: 'f.csv' });
    expect(records.map((r) => r.data)).toEqual([{ [`${lead}x`]: '1', b: '2' }]);
  });

  it('sniffs the format past leading whitespace in the first chunk', async () => {
    const { records, dead } = await read('\n  {"a":1}\n', { file: 'input' });
    expect(dead).toEqual([]);
    expect(records.map((r) => [r.data, r.line])).toEqual([[{ a: 1 }, 2]]);
  });
});

describe('hostile shapes', () => {
  const deep = (n: number): string => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;

  it.each(CHUNK_SIZES)('dead-letters a line nested over max_record_depth before parsing it, with its line and offset (chunk %i)', async (size) => {
    const good = '{"a":1}';
    const input = `${good}\n${deep(5000)}\n${good.replace('1', '3')}\n`;
    const { records, dead } = await read(input, { file: 'app.jsonl' }, size);
    expect(records.map((r) => [r.data.a, r.line, r.offset])).toEqual([
      [1, 1, 0],
      [3, 3, 8 + deep(5000).length + 1],
    ]);
    expect(dead.map((d) => [d.code, d.position])).toEqual([['INPUT_TOO_LARGE', { file: 'app.jsonl', line: 2, offset: 8 }]]);
    // The record is depth 1; the 64th `[` opens depth 65, at byte 5 + 63.
    expect(dead[0]!.reason).toBe(
      'line 2 of app.jsonl nests deeper than max_record_depth (64) at byte 68 of the record (byte 76 of the input); skipped. Raise max_record_depth in the source config if such records are legitimate',
    );
  });

  it('accepts nesting up to max_record_depth exactly, counting brackets inside strings as text', async () => {
    const { records, dead } = await read(`${deep(63)}\n{"s":"${'['.repeat(100)}"}\n${deep(64)}\n`);
    expect(records.map((r) => r.line)).toEqual([1, 2]);
    expect(dead.map((d) => d.position?.line)).toEqual([3]);
    const custom = await read(`${deep(3)}\n`, { maxRecordDepth: 3 });
    expect(custom.dead.map((d) => d.reason)).toEqual([expect.stringContaining('max_record_depth (3)')]);
  });

  it('dead-letters a record that repeats a key, naming the key and its path, and keeps the others', async () => {
    const input = [
      '{"user":"alice","action":"login","user":"mallory"}',
      '{"a":{"b":1,"c":{"d":1,"\\u0064":2}}}',
      '{"items":[{"x":1},{"x":1,"y":2,"x":3}]}',
      '{"k":"\\"k\\":1","v":{"k":2}}',
      '{"user":"bob"}',
    ].join('\n');
    const { records, dead } = await read(input, { file: 'dup.jsonl' });
    expect(records.map((r) => r.line)).toEqual([4, 5]);
    expect(dead.map((d) => [d.code, d.position?.line, d.reason])).toEqual([
      ['INPUT_MALFORMED', 1, 'line 1 of dup.jsonl repeats the key "user" at user: which value is meant is ambiguous, so the record is not merged; skipped'],
      ['INPUT_MALFORMED', 2, expect.stringContaining('repeats the key "d" at a.c.d:')],
      ['INPUT_MALFORMED', 3, expect.stringContaining('repeats the key "x" at items[1].x:')],
    ]);
  });

  it('checks array elements alike', async () => {
    const { records, dead } = await read(`[{"a":1},{"a":1,"a":2},${deep(70)}]`, { file: 'x.json' });
    expect(records.map((r) => r.data.a)).toEqual([1]);
    expect(dead.map((d) => [d.code, d.position])).toEqual([
      ['INPUT_MALFORMED', { file: 'x.json', line: 1, offset: 9 }],
      ['INPUT_TOO_LARGE', { file: 'x.json', line: 1, offset: 23 }],
    ]);
  });

  it('keeps the value of a CSV column named __proto__, constructor or prototype, as an own property', async () => {
    const { records, dead } = await read('user,__proto__,constructor,prototype\nalice,p1,c1,t1\n', { file: 'x.csv' });
    expect(dead).toEqual([]);
    const data = records[0]!.data;
    expect(Object.keys(data)).toEqual(['user', '__proto__', 'constructor', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).toBe('p1');
    expect(data.constructor).toBe('c1');
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(JSON.stringify(data)).toBe('{"user":"alice","__proto__":"p1","constructor":"c1","prototype":"t1"}');
    expect(({} as Record<string, unknown>).p1).toBeUndefined();
  });

  it('gives each record its byte offset, multi-byte characters and CRLF included', async () => {
    const { records } = await read('{"a":"é"}\r\n{"a":2}\n', {}, 3);
    expect(records.map((r) => r.offset)).toEqual([0, 12]);
  });
});
