/** The relay's Graph half: sightings of an observable in Microsoft Graph security alerts (alerts_v2, and legacy /security/alerts when configured). */
export { createGraphSightings, RELAY_CODES, type GraphSightingsOptions } from './client.js';
export { GRAPH_SOURCE, SCHEMA_VERSION, confidence, legacySighting, sensor, severity, v2Sighting } from './mapping.js';
export { legacyFilter, odataString, queryValue, v2AlertMatches } from './filters.js';
