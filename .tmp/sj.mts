import { registry } from '../src/registry.js';
import { createJsonLogsSource } from '../src/sources/json-logs/source.js';
import { writeFileSync } from 'node:fs';
let text = '';
for (let i = 0; i < 20000; i++) text += `{"time":"${new Date(Date.parse('2026-10-01T00:00:00Z') + i * 50).toISOString()}","user":"user${i % 5000}@example.com","src_ip":"10.0.${i % 255}.1","action":"login","result":"success","seq":${i}}\n`;
writeFileSync('/tmp/sj.jsonl', text);
const cfg = registry.sources.get('json-logs')!.configSchema.parse({ format: 'jsonl', fields: { timestamp: 'time', user: 'user', ip: 'src_ip', action: 'action', outcome: 'result' } });
const src = createJsonLogsSource('bench', cfg, { path: '/tmp/sj.jsonl' });
const evs: any[] = [];
for await (const b of src.batches({ cursor: undefined, signal: new AbortController().signal })) evs.push(...b.events);
const clones = evs.map((e) => JSON.parse(JSON.stringify(e)));
for (let r = 0; r < 3; r++) {
  let t = performance.now(); let n = 0; for (const e of evs) n += JSON.stringify(e).length; const a = performance.now() - t;
  t = performance.now(); for (const e of clones) n += JSON.stringify(e).length; const b = performance.now() - t;
  console.log('normalized', (a / evs.length * 1000).toFixed(2), 'µs; clone', (b / evs.length * 1000).toFixed(2), 'µs');
}
const e = evs[0];
console.log(Object.keys(e), Object.keys(e.event), Object.keys(e.raw));
import v8 from 'node:v8';
for (let r = 0; r < 3; r++) {
  let t = performance.now(); const buf = v8.serialize(evs); const a = performance.now() - t;
  t = performance.now(); const back = v8.deserialize(buf); const b = performance.now() - t;
  const docs = evs.map((e) => JSON.stringify(e));
  t = performance.now(); const buf2 = v8.serialize(docs); const c = performance.now() - t;
  t = performance.now(); v8.deserialize(buf2); const d = performance.now() - t;
  console.log('serialize events', (a / evs.length * 1000).toFixed(2), 'µs, deserialize', (b / evs.length * 1000).toFixed(2), '; docs strings serialize', (c / evs.length * 1000).toFixed(2), 'deser', (d / evs.length * 1000).toFixed(2), back.length);
}
