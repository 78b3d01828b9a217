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
  const options: ReadOptions = { source: 'test', file: 'input', format: 'auto', maxRecordBytes: 1 << 20, ...opts };
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
      ['INPUT_MALFORMED', { file: 'app.log', line: 2 }, '2024-05-01T10:00:00Z ERROR db timeout'],
      ['INPUT_MALFORMED', { file: 'app.log', line: 4 }, '# comment'],
      ['INPUT_MALFORMED', { file: 'app.log', line: 5 }, '}'],
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
    expect(dead[0]!.position).toEqual({ file: 'input', line: 2 });
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
    await expect(read(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))).rejects.toThrow(/gzip-compressed; decompress it first/);
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
