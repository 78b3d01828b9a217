/** Config schema of the impossible-travel detector: speed limit, distance floor, suppressed networks, bounds. */
import { z } from 'zod';
import { zSeverity } from '../../core/index.js';

export const impossibleTravelConfigSchema = z.strictObject({
  max_speed_kmh: z.number().positive().default(900).describe('Faster than an airliner (about 900 km/h) between two logins is not travel.'),
  min_distance_km: z.number().min(0).default(500).describe('Distances below this (after subtracting both accuracy radii) are never reported: GeoIP is coarse.'),
  ignore_asns: z.array(z.number().int().min(0)).default([]).describe('Networks whose addresses say nothing about where the user is (VPNs, iCloud Private Relay, ...).'),
  max_users: z.number().int().min(1).default(100_000).describe('Users whose last login is kept in memory; the least recently active are saved and reloaded on return.'),
  severity: zSeverity.default('high').describe('Severity of the alerts this detector raises.'),
});

export type ImpossibleTravelConfig = z.output<typeof impossibleTravelConfigSchema>;
