/** Public entry of the scenario generator: a seeded organisation, its vendor audit records and the attacks hidden in them. */
export { generateScenario, DEFAULT_END } from './generate.js';
export { ATTACK_CATEGORY, ATTACK_KINDS } from './types.js';
export type * from './types.js';
