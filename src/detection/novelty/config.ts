/** Config schema of the novelty detector: which login attributes are watched, the learning period and bounds. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

export const NOVELTY_ATTRIBUTES = ['country', 'asn', 'user_agent'] as const;

export const noveltyConfigSchema = z.strictObject({
  attributes: z.array(z.enum(NOVELTY_ATTRIBUTES)).min(1).default([...NOVELTY_ATTRIBUTES]).describe('country = source.geo.country_iso_code, asn = source.as.number, user_agent = user_agent.name (the family).'),
  learning_period: zDuration.prefault('7d').describe('Per user, from the first successful login: values seen during it are learned, never reported.'),
  max_values: z.number().int().min(1).max(32).default(16).describe('Values remembered per attribute and user (least recently seen forgotten first); bounds the state.'),
  max_users: z.number().int().min(1).default(100_000).describe('Users kept in memory; the least recently active are saved to the store and reloaded on return.'),
  severity: zSeverity.default('medium').describe('Severity of the alerts this detector raises.'),
});

export type NoveltyConfig = z.output<typeof noveltyConfigSchema>;
