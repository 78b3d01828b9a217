/** The fake Google (OAuth token, Reports, Drive) for tests and the demo, with its JSON types and key helpers. */
export * from './types.js';
export * from './server.js';
export * from './service-account.js';
export * from './scenario.js';
export { ALERTS_SCOPE, parseCreateTimeFilter, parseFeedbackFilter } from './alertcenter.js';
export { parseFields, project, type FieldTree } from './fields.js';
