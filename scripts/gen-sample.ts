/** Writes the seeded sample authentication log as JSONL to stdout: `npx tsx scripts/gen-sample.ts > examples/sample-auth.jsonl`. */
import { generateSampleAuthLog } from '../src/detection/sample-data.js';

const lines = generateSampleAuthLog().map((r) => JSON.stringify(r));
process.stdout.write(`${lines.join('\n')}\n`);
