/**
 * Which sinks an alert goes to: each sink's route (severity floor, include and exclude filters) from
 * config, applied in one place. The pipeline is given the result as a plain `(alert) => sink names`,
 * so other rules (mutes) compose around it.
 */
import { SEVERITY_RANK, type Alert, type AlertRoute, type RouteFilter, type SinkRoute } from '../core/index.js';

export type { AlertRoute };

/** A sink and the alerts it takes. */
export interface NamedRoute {
  sink: string;
  route: SinkRoute;
}

const globs = new Map<string, RegExp>();

/** `*` matches any run of characters (none included); everything else is literal. */
function glob(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let re = globs.get(key);
  if (!re) {
    const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    re = new RegExp(`^${body}$`, flags);
    // Patterns come from config: a handful, so the cache stays small.
    if (globs.size < 10_000) globs.set(key, re);
  }
  return re;
}

/** Whether any value matches any pattern (`*` any run of characters, the rest literal; flags `i` ignores case). */
export const anyMatch = (patterns: readonly string[], values: readonly string[], flags = ''): boolean =>
  patterns.some((p) => values.some((v) => glob(p, flags).test(v)));

/**
 * Whether the alert matches one dimension of a filter. Entities match as `type:value` or as the
 * bare value, case-insensitively (mail addresses and host names are); rules, sources and tags exactly.
 */
function dimension(alert: Alert, key: keyof RouteFilter, patterns: readonly string[]): boolean {
  switch (key) {
    case 'rules':
      return anyMatch(patterns, [alert.rule]);
    case 'sources':
      return alert.source !== undefined && anyMatch(patterns, [alert.source]);
    case 'tags':
      return anyMatch(patterns, alert.tags ?? []);
    case 'entities':
      return anyMatch(patterns, [`${alert.entity.type}:${alert.entity.value}`, alert.entity.value], 'i');
  }
}

const given = (filter: RouteFilter | undefined) =>
  Object.entries(filter ?? {}).filter((e): e is [keyof RouteFilter, string[]] => Array.isArray(e[1]));

/** Whether one sink's route takes the alert: severity at or above the floor, every include dimension matched, no exclude dimension matched. */
export function routeTakes(alert: Alert, route: SinkRoute): boolean {
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[route.min_severity]) return false;
  for (const [key, patterns] of given(route.include)) if (!dimension(alert, key, patterns)) return false;
  for (const [key, patterns] of given(route.exclude)) if (dimension(alert, key, patterns)) return false;
  return true;
}

/** The names of the sinks whose routes take the alert, in the order the routes are given. */
export function routeAlert(alert: Alert, routes: readonly NamedRoute[]): string[] {
  return routes.filter((r) => routeTakes(alert, r.route)).map((r) => r.sink);
}

/** The routing function the pipeline is given, over the configured sinks' routes. */
export function alertRouter(routes: readonly NamedRoute[]): AlertRoute {
  return (alert) => routeAlert(alert, routes);
}
