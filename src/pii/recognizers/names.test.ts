import { describe, expect, it } from 'vitest';
import { createNameRecognizer, nameRecognizer } from './names.js';

const ctx = { languages: ['en'] };
const find = (text: string, r = nameRecognizer) => r.recognize(text, ctx).map((f) => [f.type, text.slice(f.start, f.end), f.score] as const);

describe('names', () => {
  it('finds people and places in a letter, offsets into the original text, honorifics and punctuation left out', () => {
    const text = "Dear Dr. Sarah O'Connor,\nI met John Smith in Manchester last week.\nPlease call Priya Patel.";
    const found = find(text);
    expect(found).toContainEqual(['PERSON', "Sarah O'Connor", 0.6]);
    expect(found).toContainEqual(['PERSON', 'John Smith', 0.6]);
    expect(found).toContainEqual(['PERSON', 'Priya Patel', 0.6]);
    expect(found).toContainEqual(['LOCATION', 'Manchester', 0.45]);
  });

  it('separates CSV cells glued to a name', () => {
    const text = 'name,ssn,city\nMichael Johnson,123-45-6789,Leeds\n';
    const found = find(text);
    expect(found).toContainEqual(['PERSON', 'Michael Johnson', 0.6]);
    expect(found.map((f) => f[1]).join('|')).not.toContain('6789');
  });

  it('keeps offsets right across batches and after non-BMP characters', () => {
    const line = '🙂 Invoice sent to John Smith in Leeds.\n';
    const text = line.repeat(300);
    const r = createNameRecognizer({ batchChars: 500 });
    const results = r.recognize(text, ctx);
    const people = results.filter((f) => f.type === 'PERSON');
    expect(people).toHaveLength(300);
    for (const f of results) expect(['John Smith', 'Leeds']).toContain(text.slice(f.start, f.end));
  });

  it('reads no further than maxChars', () => {
    const text = `${'x'.repeat(1000)}\nJohn Smith wrote.`;
    expect(createNameRecognizer({ maxChars: 1000 }).recognize(text, ctx)).toEqual([]);
    expect(createNameRecognizer({ maxChars: 2000 }).recognize(text, ctx)).toHaveLength(1);
  });

  it('finds nothing in numbers, hashes and lower-case config', () => {
    expect(find('4111 1111 1111 1111\n9fceb02d0ae598e95dc970b74767f19372d61af8\nlog_level=debug\n')).toEqual([]);
  });
});
