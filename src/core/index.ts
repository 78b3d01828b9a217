/** Public types and contracts of saaswatch; this folder imports nothing else of ours. */
export * from './action.js';
export * from './alert.js';
export * from './clock.js';
export * from './errors.js';
export * from './event.js';
export * from './hash.js';
export * from './pem.js';
export * from './pii.js';
export * from './plugin.js';
export * from './redact.js';
export * from './route.js';
export * from './secret.js';
export * from './sink.js';
export * from './source.js';
export * from './store.js';
export * from './config-types.js';
export * from './webhook.js';
