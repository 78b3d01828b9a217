/**
 * The routing keys every sink entry takes besides its own (severity floor, include and exclude
 * filters): validated once, by one schema, whatever the sink's type.
 */
import { z } from 'zod';
import type { Severity } from './alert.js';
import { zSeverity, zStrictObject } from './config-types.js';

const patterns = (what: string, example: string) =>
  z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(`${what}; exact, or with \`*\` matching any run of characters (e.g. ${example}).`);

/** Which alerts a filter names: a list per dimension; a dimension left out says nothing. */
export const zRouteFilter = zStrictObject(
  {
    rules: patterns('Rule ids (detector or Sigma rule id)', '`sigma-*`'),
    sources: patterns('Source names (connections) whose events raised the alert', '`google-*`'),
    entities: patterns('Entities as `type:value` or a bare value', '`user:*@contractor.example`'),
    tags: patterns('Alert tags (Sigma tags, detector families)', '`attack.t1110*`'),
  },
  'a sink route filter',
);

export type RouteFilter = z.output<typeof zRouteFilter>;

/** The keys common to every entry of `sinks:`; the config loader takes them off before the sink's own schema sees the rest. */
export const SINK_ROUTE_KEYS = ['min_severity', 'include', 'exclude'] as const;

export const zSinkRoute = z.strictObject({
  min_severity: zSeverity.default('low').describe('Only alerts of this severity or higher go to this sink.'),
  include: zRouteFilter
    .optional()
    .describe('Only alerts that match every dimension given here (any pattern of a list) go to this sink.'),
  exclude: zRouteFilter.optional().describe('Alerts that match any pattern of any dimension given here never go to this sink.'),
});

export interface SinkRoute {
  min_severity: Severity;
  include?: RouteFilter;
  exclude?: RouteFilter;
}

/** What a sink takes when its entry sets no routing keys: every alert. */
export const DEFAULT_SINK_ROUTE: SinkRoute = Object.freeze({ min_severity: 'low' });
