// Empties dist/ before a build: tsc never deletes output of removed sources, and `npm pack` ships all of dist/.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
