// Reconnect and retry delays: exponential backoff with "full jitter" (AWS Architecture Blog,
// "Exponential Backoff And Jitter"). When a village's power comes back, hundreds of cameras wake at once;
// full jitter spreads their retries over the whole window instead of synchronised waves.

export interface BackoffPolicy {
  /** Ceiling of the first retry's wait, in ms. */
  baseMs: number;
  /** The ceiling never grows past this, in ms. */
  capMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 1_000, capMs: 60_000 };

/** Upper bound of the wait before retry number `attempt` (0 = first retry): min(cap, base · 2^attempt). */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30); // 2^30 · base already exceeds any sane cap
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/** The wait before retry number `attempt`: uniform in [0, ceiling). `random` returns [0, 1) like Math.random. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, policy));
}
