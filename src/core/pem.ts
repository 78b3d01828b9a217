/** A PEM given in config as its text or as a file path, read once when the component is made. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { errors } from './errors.js';

/** The PEM text of `value` (itself, or the file it names relative to `baseDir`); `field` names it in the error. */
export function readPem(value: string | undefined, field: string, baseDir: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  const path = isAbsolute(value) ? value : resolve(baseDir ?? process.cwd(), value);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw errors.configInvalid({
      path: field,
      problem: `cannot read the CA file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: 'give the path of a PEM file (relative to the config file) or the PEM text itself',
      cause: err,
    });
  }
}
