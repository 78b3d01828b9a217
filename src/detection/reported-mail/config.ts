/** Config schema of the reported-mail rule: each message users report as suspicious becomes one finding. */
import { z } from 'zod';
import { zDuration, zSeverity } from '../../core/index.js';

export const reportedMailConfigSchema = z.strictObject({
  severity: zSeverity.default('medium').describe('Severity of a reported message.'),
  campaign_severity: zSeverity.default('high').describe('Severity once its sender is a campaign (campaign_threshold distinct messages reported).'),
  campaign_threshold: z.number().int().min(2).default(2).describe('Distinct reported messages from one sender that make a campaign.'),
  retention: zDuration
    .prefault('30d')
    .refine((ms) => ms > 0, 'retention must be longer than 0')
    .describe('How long a message is remembered after its last report: a later report of it re-raises the same alert within this.'),
  max_reporters: z.number().int().min(1).max(500).default(50).describe('Reporters listed per message; more are counted, not listed.'),
  max_evidence: z.number().int().min(1).max(100).default(50).describe('Report event ids kept as evidence per message.'),
  max_messages: z.number().int().min(1).default(20_000).describe('Hard cap on remembered messages; the least recently reported go first.'),
});

export type ReportedMailConfig = z.output<typeof reportedMailConfigSchema>;
