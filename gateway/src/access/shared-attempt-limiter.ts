// Cluster mode: the guess limits of attempt-limiter.ts counted in Redis, so that an attacker spreading
// wrong passwords or claim codes over N gateways gets the allowance once, not N times. The same policy and
// the same reserve-before-checking rule; each reservation is one Lua script (check both counters, then
// count on both), atomic across gateways. Should Redis be unreachable, a gateway falls back to counting in
// its own process rather than letting guesses through unlimited or refusing every sign-in.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import {
  AttemptLimiter,
  standardPolicies,
  type AttemptPolicy,
  type GuessKind,
  type GuessLimiter,
  type GuessLimiterFactory,
  type Reservation,
} from "./attempt-limiter.ts";

// KEYS: pair, address. ARGV: now, then free/base/max/forget for the pair, then for the address.
// Answers 0 when the attempt is reserved, or the milliseconds to wait.
const reserveScript = `
local now = tonumber(ARGV[1])
local function policy(at) return tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]) end
local function load(key, forget)
  local v = redis.call("hmget", key, "failures", "next", "last")
  if not v[1] or now - tonumber(v[3]) > forget then return nil end
  return { tonumber(v[1]), tonumber(v[2]) }
end
local function bump(key, entry, free, base, max, forget)
  local failures = (entry and entry[1] or 0) + 1
  local delay = 0
  if failures >= free then delay = math.min(base * 2 ^ (failures - free), max) end
  redis.call("hset", key, "failures", failures, "next", now + delay, "last", now)
  redis.call("pexpire", key, forget)
end
local pf, pb, pm, pg = policy(2)
local af, ab, am, ag = policy(6)
local pair, address = load(KEYS[1], pg), load(KEYS[2], ag)
local wait = 0
if pair then wait = math.max(wait, pair[2] - now) end
if address then wait = math.max(wait, address[2] - now) end
if wait > 0 then return wait end
bump(KEYS[1], pair, pf, pb, pm, pg)
bump(KEYS[2], address, af, ab, am, ag)
return 0`;

// KEYS: pair, address. ARGV: now, the address policy's free failures. The right answer: the pair starts
// afresh and the address gets its reservation back.
const succeededScript = `
redis.call("del", KEYS[1])
local failures = tonumber(redis.call("hget", KEYS[2], "failures"))
if failures then
  failures = math.max(0, failures - 1)
  redis.call("hset", KEYS[2], "failures", failures)
  if failures < tonumber(ARGV[2]) then redis.call("hset", KEYS[2], "next", ARGV[1]) end
end
return 0`;

const policyArgs = (p: AttemptPolicy) => [p.freeFailures, p.baseDelayMs, p.maxDelayMs, p.forgetAfterMs].map(String);
// Subjects are user input (account names): hashed, so a key's length and characters are ours.
const digest = (text: string) => createHash("sha256").update(text).digest("base64url");

export class RedisAttemptLimiter implements GuessLimiter {
  private readonly fallback: AttemptLimiter;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    kind: GuessKind,
    private readonly policies: { pair: AttemptPolicy; address: AttemptPolicy },
    private readonly log: { warn(o: object, msg?: string): void },
    private readonly clock: () => number = Date.now,
  ) {
    this.fallback = new AttemptLimiter(policies.pair, policies.address, clock);
    this.prefix = `wangxiang:attempts:${kind}:`;
  }

  async reserve(subject: string, address: string): Promise<Reservation> {
    const keys = [
      `${this.prefix}pair:${digest(`${subject}\u0000${address}`)}`,
      `${this.prefix}address:${digest(address)}`,
    ];
    let waitMs: number;
    try {
      waitMs = Number(
        await this.redis.eval(
          reserveScript,
          2,
          ...keys,
          String(this.clock()),
          ...policyArgs(this.policies.pair),
          ...policyArgs(this.policies.address),
        ),
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "attempt limits: Redis unreachable, counting in this gateway");
      return this.fallback.reserve(subject, address);
    }
    if (waitMs > 0) return { ok: false, retryAfterS: Math.ceil(waitMs / 1000) };
    let settled = false;
    return {
      ok: true,
      succeeded: () => {
        if (settled) return;
        settled = true;
        this.redis
          .eval(succeededScript, 2, ...keys, String(this.clock()), String(this.policies.address.freeFailures))
          .catch((err: Error) => this.log.warn({ err: err.message }, "attempt limits: could not clear a success"));
      },
    };
  }
}

/** Every gateway of a cluster counts the same guesses. */
export function redisGuessLimiters(redis: Redis, log: { warn(o: object, msg?: string): void }): GuessLimiterFactory {
  return (kind, freeFailures) => new RedisAttemptLimiter(redis, kind, standardPolicies(freeFailures), log);
}
