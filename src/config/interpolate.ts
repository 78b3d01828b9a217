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

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value; `$${` escapes a literal `${`.
 * Interpolating values rather than the file text keeps YAML quoting and error paths intact.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[name!];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new SaaswatchError(
        'CONFIG_INVALID',
        `${formatPath(path)}: environment variable ${name} is not set; export it or write \${${name}:-default}`,
        { details: { path: formatPath(path), variable: name } },
      );
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k]);
    return out;
  }
  return value;
}
