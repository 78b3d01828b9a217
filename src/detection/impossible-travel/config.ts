/** Config schema of the impossible-travel detector: speed limit, distance floor, suppressed networks, bounds. */
import { z } from 'zod';
import { zSeverity } from '../../core/index.js';

export const impossibleTravelConfigSchema = z.strictObject({
  /** Faster than an airliner (about 900 km/h) between two logins is not travel. */
  max_speed_kmh: z.number().positive().default(900),
  /** Distances below this (after subtracting both accuracy radii) are never reported: GeoIP is coarse. */
  min_distance_km: z.number().min(0).default(500),
  /** Networks whose addresses say nothing about where the user is (VPNs, iCloud Private Relay, ...). */
  ignore_asns: z.array(z.number().int().min(0)).default([]),
  max_users: z.number().int().min(1).default(100_000),
  severity: zSeverity.default('high'),
});

export type ImpossibleTravelConfig = z.output<typeof impossibleTravelConfigSchema>;
