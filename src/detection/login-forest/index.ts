/** Public surface of the login-forest detector. */
export { loginForestPlugin } from './plugin.js';
export { LoginForestDetector, LOGIN_FOREST_RULE, type LoginForestStats, type LoginForestUserState } from './detector.js';
export { loginForestConfigSchema, type LoginForestConfig } from './config.js';
export { GROUPS as LOGIN_FOREST_FEATURES, type Group as LoginForestFeature } from './features.js';
