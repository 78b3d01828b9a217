/** docs/contracts/store.md and the suite say the same thing: each MUST under a port is one clause of the suite, word for word. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { STORE_CONTRACT } from './index.js';

const DOC = join(import.meta.dirname, '../../../docs/contracts/store.md');

/** Port heading → its MUST bullets, each joined onto one line. */
function mustsByPort(markdown: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const section of markdown.split(/^## /m).slice(1)) {
    const [heading, ...body] = section.split('\n');
    const bullets = body.join('\n').split(/^- /m).slice(1).map((b) => b.replace(/\s+/g, ' ').trim());
    out.set(heading!.trim(), bullets.filter((b) => b.startsWith('MUST')));
  }
  return out;
}

it('every MUST of the Store contract document is a clause of the suite, and every clause is in the document', () => {
  const doc = mustsByPort(readFileSync(DOC, 'utf8'));
  const ports = [...new Set(STORE_CONTRACT.map((c) => c.port))];
  for (const port of ports) {
    const clauses = STORE_CONTRACT.filter((c) => c.port === port).map((c) => c.text);
    const musts = doc.get(port) ?? [];
    expect(musts.map((m, i) => (m.startsWith(clauses[i] ?? '\0') ? clauses[i] : m)), `MUSTs under "## ${port}"`).toEqual(clauses);
  }
});
