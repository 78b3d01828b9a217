/** Every integration saaswatch knows: adding one is one folder plus one line here. */
import { errors, type DetectorPlugin, type SinkPlugin, type SourcePlugin } from './core/index.js';
import { baselinePlugin } from './detection/baseline/plugin.js';
import { bruteForcePlugin } from './detection/brute-force/plugin.js';
import { impossibleTravelPlugin } from './detection/impossible-travel/plugin.js';
import { isolationForestPlugin } from './detection/isolation-forest/plugin.js';
import { loginForestPlugin } from './detection/login-forest/plugin.js';
import { noveltyPlugin } from './detection/novelty/plugin.js';
import { reportedMailPlugin } from './detection/reported-mail/plugin.js';
import { sensitiveFilesPlugin } from './detection/sensitive-files/plugin.js';
import { sigmaPlugin } from './detection/sigma/plugin.js';
import { archerSinkPlugin } from './sinks/archer/sink.js';
import { emailSinkPlugin } from './sinks/email/sink.js';
import { jiraSinkPlugin } from './sinks/jira/sink.js';
import { jsonlFileSinkPlugin } from './sinks/jsonl-file/sink.js';
import { slackSinkPlugin } from './sinks/slack/sink.js';
import { webhookSinkPlugin } from './sinks/webhook/sink.js';
import { dropboxPlugin } from './sources/dropbox/source.js';
import { googleWorkspacePlugin } from './sources/google-workspace/source.js';
import { httpJsonPlugin } from './sources/http-json/source.js';
import { imapPlugin } from './sources/imap/source.js';
import { jsonLogsPlugin } from './sources/json-logs/source.js';
import { microsoftGraphPlugin } from './sources/microsoft-graph/source.js';
import { office365Plugin } from './sources/office-365/source.js';
import { slackPlugin } from './sources/slack/source.js';

export interface Registry {
  sources: ReadonlyMap<string, SourcePlugin<any>>;
  detectors: ReadonlyMap<string, DetectorPlugin<any>>;
  sinks: ReadonlyMap<string, SinkPlugin<any>>;
}

function byType<P extends { type: string }>(plugins: P[]): ReadonlyMap<string, P> {
  return new Map(plugins.map((p) => [p.type, p]));
}

export const registry: Registry = {
  sources: byType<SourcePlugin<any>>([jsonLogsPlugin, googleWorkspacePlugin, dropboxPlugin, microsoftGraphPlugin, httpJsonPlugin, imapPlugin, slackPlugin, office365Plugin]),
  detectors: byType<DetectorPlugin<any>>([bruteForcePlugin, isolationForestPlugin, baselinePlugin, noveltyPlugin, impossibleTravelPlugin, sigmaPlugin, loginForestPlugin, reportedMailPlugin, sensitiveFilesPlugin]),
  sinks: byType<SinkPlugin<any>>([jsonlFileSinkPlugin, webhookSinkPlugin, slackSinkPlugin, jiraSinkPlugin, archerSinkPlugin, emailSinkPlugin]),
};

type Kind = 'source' | 'detector' | 'sink';
const KINDS = { source: 'sources', detector: 'detectors', sink: 'sinks' } as const;

/**
 * The plugin of a config entry's `type`, or UNKNOWN_PLUGIN naming the entry, the known types and
 * the nearest one. Config loading calls this so an unknown type fails in the catalogue's words.
 */
export function lookupPlugin<K extends Kind>(
  kind: K,
  type: string,
  opts: { registry?: Registry; path?: string } = {},
): Registry[(typeof KINDS)[K]] extends ReadonlyMap<string, infer P> ? P : never {
  const plugins = (opts.registry ?? registry)[KINDS[kind]] as ReadonlyMap<string, unknown>;
  const found = plugins.get(type);
  if (found !== undefined) return found as never;
  const known = [...plugins.keys()].sort();
  const suggestion = nearest(type, known);
  throw errors.unknownPlugin({ kind, type, known, ...(opts.path ? { path: opts.path } : {}), ...(suggestion ? { suggestion } : {}) });
}

/** The known name within edit distance 2 (or a third of its length) of `name`, if any. */
function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
