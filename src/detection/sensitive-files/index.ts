/** Public surface of the sensitive-files detector. */
export { sensitiveFilesPlugin } from './plugin.js';
export { SensitiveFilesDetector, SENSITIVE_FILES_RULE, entitySummary } from './detector.js';
export { sensitiveFilesConfigSchema, EXPOSURE_KINDS, PERSONAL_EMAIL_DOMAINS, type ExposureKind, type SensitiveFilesConfig } from './config.js';
