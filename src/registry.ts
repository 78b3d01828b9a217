/** Every integration saaswatch knows: adding one is one folder plus one line here. */
import type { DetectorPlugin, SinkPlugin, SourcePlugin } from './core/index.js';
import { baselinePlugin } from './detection/baseline/plugin.js';
import { bruteForcePlugin } from './detection/brute-force/plugin.js';
import { impossibleTravelPlugin } from './detection/impossible-travel/plugin.js';
import { isolationForestPlugin } from './detection/isolation-forest/plugin.js';
import { loginForestPlugin } from './detection/login-forest/plugin.js';
import { noveltyPlugin } from './detection/novelty/plugin.js';
import { sigmaPlugin } from './detection/sigma/plugin.js';
import { jsonlFileSinkPlugin } from './sinks/jsonl-file/sink.js';
import { webhookSinkPlugin } from './sinks/webhook/sink.js';
import { dropboxPlugin } from './sources/dropbox/source.js';
import { googleWorkspacePlugin } from './sources/google-workspace/source.js';
import { httpJsonPlugin } from './sources/http-json/source.js';
import { jsonLogsPlugin } from './sources/json-logs/source.js';
import { microsoftGraphPlugin } from './sources/microsoft-graph/source.js';

export interface Registry {
  sources: ReadonlyMap<string, SourcePlugin<any>>;
  detectors: ReadonlyMap<string, DetectorPlugin<any>>;
  sinks: ReadonlyMap<string, SinkPlugin<any>>;
}

function byType<P extends { type: string }>(plugins: P[]): ReadonlyMap<string, P> {
  return new Map(plugins.map((p) => [p.type, p]));
}

export const registry: Registry = {
  sources: byType<SourcePlugin<any>>([jsonLogsPlugin, googleWorkspacePlugin, dropboxPlugin, microsoftGraphPlugin, httpJsonPlugin]),
  detectors: byType<DetectorPlugin<any>>([bruteForcePlugin, isolationForestPlugin, baselinePlugin, noveltyPlugin, impossibleTravelPlugin, sigmaPlugin, loginForestPlugin]),
  sinks: byType<SinkPlugin<any>>([jsonlFileSinkPlugin, webhookSinkPlugin]),
};
