/** Config schema of the brute-force rule: failed logins per entity in a sliding window. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

export const bruteForceConfigSchema = z.strictObject({
  window: zDuration.prefault('10m').refine((ms) => ms > 0, 'window must be longer than 0').describe('Sliding window the failures are counted in.'),
  threshold: z.number().int().min(1).default(20).describe('Weighted failed logins within one window that make a finding.'),
  group_by: z.array(z.string().min(1)).min(1).default(['source.ip', 'user']).describe('Entities counted separately; `user` is whichever user field the source fills (email, id, name).'),
  severity: zSeverity.default('high').describe('Severity of the alerts this detector raises.'),
  max_evidence: z.number().int().min(1).max(100).default(100).describe('Event ids kept as evidence per finding.'),
  max_entities: z.number().int().min(1).default(100_000).describe('Hard cap on tracked entities per group, so an address-spoofing flood cannot exhaust memory.'),
});

export type BruteForceConfig = z.output<typeof bruteForceConfigSchema>;
