#!/usr/bin/env node
// In a source checkout run the TypeScript through tsx (never a stale build); a package ships dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source);
} else {
  cli = await import('../dist/cli/main.js');
}
process.exitCode = await cli.main(process.argv);
