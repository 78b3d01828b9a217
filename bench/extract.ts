/**
 * `tsx bench/extract.ts`: text extraction throughput per format (MB of file in, MB of text out per
 * second) on generated documents of a few MB, and how fast a 1 GiB zip bomb is refused.
 */
import { extractText } from '../src/pii/extract/index.js';
import { makeDocx, makeOds, makePdf, makePptx, makeXlsx, makeZipBomb } from '../src/pii/extract/testing.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const enc = new TextEncoder();
const row = (i: number) => [`Customer ${i}`, `user${i}@example.com`, `4111 1111 1111 ${String(1000 + (i % 9000))}`, `+1 415 555 ${String(i % 10_000).padStart(4, '0')}`];
const rows = Array.from({ length: ROWS }, (_, i) => row(i));

const inputs: Array<[string, string, Uint8Array]> = [
  ['txt', 'customers.txt', enc.encode(rows.map((r) => r.join(' ')).join('\n'))],
  ['csv', 'customers.csv', enc.encode(rows.map((r) => r.join(',')).join('\n'))],
  ['json', 'customers.json', enc.encode(JSON.stringify(rows.map(([name, email, card, phone]) => ({ name, email, card, phone }))))],
  ['html', 'customers.html', enc.encode(`<html><body><table>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table></body></html>`)],
  ['docx', 'customers.docx', makeDocx(rows.map((r) => r.join('\t')))],
  ['xlsx', 'customers.xlsx', makeXlsx([{ name: 'Customers', rows }])],
  ['pptx', 'customers.pptx', makePptx(Array.from({ length: Math.ceil(ROWS / 50) }, (_, s) => rows.slice(s * 50, s * 50 + 50).map((r) => r.join(' '))))],
  ['ods', 'customers.ods', makeOds([{ name: 'Customers', rows }])],
  ['pdf', 'customers.pdf', makePdf(rows.slice(0, Math.min(ROWS, 20_000)).map((r) => r.join(' ')), { linesPerPage: 45 })],
];

const mb = (n: number) => n / 1024 / 1024;
// CPU time as well as wall time: on a shared machine the wall clock counts other processes' turns.
console.log(`format  file MB  text MB  wall s   cpu s  file MB/s  text MB/s (per cpu s)`);
for (const [format, name, data] of inputs) {
  await extractText(data, { name }, { max_pages: 10_000 }); // warm-up (pdfjs loads once)
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await extractText(data, { name }, { max_pages: 10_000 });
  const cpu = process.cpuUsage(c0);
  const s = (performance.now() - t0) / 1000;
  const c = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${format.padEnd(6)}  ${mb(data.length).toFixed(2).padStart(7)}  ${mb(r.text.length).toFixed(2).padStart(7)}  ${s.toFixed(3).padStart(6)}  ${c.toFixed(3).padStart(6)}  ${(mb(data.length) / c).toFixed(1).padStart(9)}  ${(mb(r.text.length) / c).toFixed(1).padStart(9)}`,
  );
}

const bomb = makeZipBomb();
const t0 = performance.now();
const rssBefore = process.memoryUsage().rss;
await extractText(bomb, { name: 'bomb.docx' }).catch(() => undefined);
console.log(`zip bomb: ${mb(bomb.length).toFixed(1)} MB file declaring 1 GiB as 2 KB refused in ${(performance.now() - t0).toFixed(1)} ms, rss +${mb(process.memoryUsage().rss - rssBefore).toFixed(1)} MB`);
