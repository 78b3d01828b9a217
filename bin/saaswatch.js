#!/usr/bin/env node
// In a source checkout run the TypeScript through tsx (never a stale build); a package ships dist/ and no src/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let cli;
if (existsSync(source)) {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    // tsx is a devDependency: a checkout installed with --omit=dev cannot run its sources.
    console.error('saaswatch: running from a source checkout needs its dev dependencies (tsx); run `npm ci` first');
    process.exit(1);
  }
  tsx.register();
  cli = await import(source);
} else {
  cli = await import('../dist/cli/main.js');
}
process.exitCode = await cli.main(process.argv);
