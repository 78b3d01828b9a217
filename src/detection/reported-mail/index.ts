/** Public surface of the reported-mail rule. */
export { reportedMailPlugin } from './plugin.js';
export { ReportedMailDetector, REPORTED_MAIL_RULE, messageKeyOf } from './detector.js';
export { reportedMailConfigSchema, type ReportedMailConfig } from './config.js';
