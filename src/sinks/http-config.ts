/**
 * The settings every sink that talks HTTP (or SMTP) shares, under one set of names: how long a
 * request may take, how hard the outbox retries, and which private networks it may reach.
 */
import { z } from 'zod';
import { zDuration, type RetryPolicy } from '../core/index.js';
import { guardedFetch, NetGuard, zAllowNetworks } from './ssrf.js';

export const zBackoff = z
  .strictObject({
    initial: zDuration.prefault('1s').describe('Ceiling of the first retry delay (full jitter below it).'),
    max: zDuration.prefault('5m').describe('The delay ceiling never grows past this.'),
  })
  .refine((b) => b.initial > 0, { message: 'backoff.initial must be greater than zero', path: ['initial'] })
  .refine((b) => b.initial <= b.max, { message: 'backoff.initial must not exceed backoff.max', path: ['max'] });

export const zAllowPrivateNetworks = z
  .boolean()
  .default(false)
  .describe('Let this sink reach loopback, private, link-local and CGNAT addresses (on-premises servers, tests on 127.0.0.1). Cloud metadata stays refused.');

/** Spread into a sink's `z.strictObject({...})`. */
export const sinkHttpShape = {
  timeout: zDuration
    .prefault('10s')
    .refine((ms) => ms > 0, { message: 'timeout must be greater than zero' })
    .describe('Whole request, connect to last byte of the response.'),
  max_attempts: z.number().int().min(1).max(100).default(8).describe('Attempts including the first before the delivery is marked failed.'),
  backoff: zBackoff.prefault({}).describe('Delay between attempts: exponential with full jitter, from initial up to max.'),
  allow_private_networks: zAllowPrivateNetworks,
  allow_networks: zAllowNetworks,
};

export interface SinkHttpConfig {
  timeout: number;
  max_attempts: number;
  backoff: { initial: number; max: number };
  allow_private_networks: boolean;
  allow_networks: string[];
}

export function retryPolicyOf(c: SinkHttpConfig): RetryPolicy {
  return { maxAttempts: c.max_attempts, initialMs: c.backoff.initial, maxMs: c.backoff.max };
}

/** The sink's guard: its allow lists, and errors that name `sinks.<name>`. */
export function netGuardOf(name: string, c: Pick<SinkHttpConfig, 'allow_networks' | 'allow_private_networks'>): NetGuard {
  return new NetGuard(c.allow_networks, `sinks.${name}`, { allowPrivate: c.allow_private_networks });
}

/** A fetch through the sink's SSRF guard (checked after DNS, on every connection; redirects never followed). */
export function sinkFetch(name: string, c: Pick<SinkHttpConfig, 'allow_networks' | 'allow_private_networks'>, target?: string): typeof fetch {
  return guardedFetch(netGuardOf(name, c), target ? { target } : {});
}
