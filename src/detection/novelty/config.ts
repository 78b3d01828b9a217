/** Config schema of the novelty detector: which login attributes are watched, the learning periods and bounds, per user and for the organisation. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

export const NOVELTY_ATTRIBUTES = ['country', 'asn', 'user_agent'] as const;

export const noveltyConfigSchema = z.strictObject({
  attributes: z.array(z.enum(NOVELTY_ATTRIBUTES)).min(1).default([...NOVELTY_ATTRIBUTES]).describe('country = source.geo.country_iso_code, asn = source.as.number, user_agent = user_agent.name (the family).'),
  learning_period: zDuration.prefault('7d').describe('Per user, from the first successful login: values seen during it are learned, never reported.'),
  max_values: z.number().int().min(1).max(32).default(16).describe('Values remembered per attribute and user (least recently seen forgotten first); bounds the state.'),
  max_users: z.number().int().min(1).default(100_000).describe('Users kept in memory; the least recently active are saved to the store and reloaded on return.'),
  severity: zSeverity.default('medium').describe('Severity of the alerts this detector raises.'),
  org_country: z
    .boolean()
    .default(true)
    .describe(
      'Also report a successful login from a country nobody in the organisation has signed in from within org_memory (once; the country is then learned). That login makes one alert, at org_severity, in place of the per-user one.',
    ),
  org_learning_period: zDuration
    .prefault('14d')
    .describe('From the first successful login the detector sees (or the first after org_memory without any): countries seen during it are learned, never reported.'),
  org_memory: zDuration
    .refine((ms) => ms >= 86_400_000, 'org_memory must be at least 1d')
    .prefault('90d')
    .describe('A country nobody has signed in from for this long is forgotten: the next login from it is new to the organisation again.'),
  org_severity: zSeverity.default('high').describe('Severity of a login from a country new to the organisation.'),
}).refine((c) => c.org_memory >= c.org_learning_period, {
  // A memory shorter than the learning would restart the learning at every quiet spell (a weekend at 2d) and never report.
  message: 'org_memory must be at least org_learning_period',
  path: ['org_memory'],
});

export type NoveltyConfig = z.output<typeof noveltyConfigSchema>;
