/** Writes docs/config.md from the config schemas (`npm run docs:config`); a test fails while it is stale. */
import { writeFileSync } from 'node:fs';
import { configMarkdown, CONFIG_DOC, PACKAGE_ROOT } from '../src/config/json-schema.js';
import { registry } from '../src/registry.js';

writeFileSync(CONFIG_DOC, configMarkdown(registry, { packageRoot: PACKAGE_ROOT }));
process.stdout.write(`wrote ${CONFIG_DOC}\n`);
