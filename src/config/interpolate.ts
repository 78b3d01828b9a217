/** `${ENV_VAR}` interpolation over a parsed YAML tree, so secrets stay out of config files. */
import { SaaswatchError } from '../core/index.js';

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

/** A variable the config names that the environment does not set, and where. */
export interface MissingVariable {
  path: PropertyKey[];
  variable: string;
}

export function missingVariableMessage(variable: string): string {
  return `environment variable ${variable} is not set; export it or write \${${variable}:-default}`;
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value; `$${` escapes a literal `${`.
 * Interpolating values rather than the file text keeps YAML quoting and error paths intact. With
 * `missing`, unset variables are collected there (left as written) so every problem of a config can
 * be reported at once; without it the first one throws.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[] = [], missing?: MissingVariable[]): unknown {
  if (typeof value === 'string') {
    return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[name!];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      if (missing) {
        missing.push({ path, variable: name! });
        return match;
      }
      throw new SaaswatchError('CONFIG_INVALID', `${formatPath(path)}: ${missingVariableMessage(name!)}`, { details: { path: formatPath(path), variable: name } });
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], missing));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k], missing);
    return out;
  }
  return value;
}
