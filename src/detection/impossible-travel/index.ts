/** Public surface of the impossible-travel detector. */
export { impossibleTravelPlugin } from './plugin.js';
export { ImpossibleTravelDetector, IMPOSSIBLE_TRAVEL_RULE, haversineKm, type TravelState } from './detector.js';
export { impossibleTravelConfigSchema, type ImpossibleTravelConfig } from './config.js';
