/** The one clock every component reads "now" from, so a run can be pinned to a time (tests, the demo, replays). */

/** Epoch milliseconds now. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/**
 * A clock that reads `start` at the moment it is made and then advances with real time: the demo
 * and SAASWATCH_NOW pin where a run is in time while polls, leases and timeouts still tick.
 */
export function clockFrom(start: number, real: Clock = systemClock): Clock {
  const at = real();
  return () => start + (real() - at);
}
