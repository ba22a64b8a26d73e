// Secrets (passwords, device credentials, claim codes, session tokens) are stored only as hashes.
import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";
import { availableParallelism } from "node:os";

// People's passwords are guessable, so they get a slow hash (N=2^14, ~25 ms). Device credentials are
// 256-bit random strings that no one can guess, so a lighter cost (N=2^11, ~3 ms) keeps a broker
// restart with thousands of reconnecting cameras from queueing behind the hash.
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;
const costs = { password: 16384, "device-credential": 2048 } as const;
export type SecretKind = keyof typeof costs;

/**
 * Slow hashes run on libuv's thread pool, off the event loop; but four at once (the pool's size) take both cores
 * of a small server, and the loop that answers everyone else waits for CPU. So at most one core fewer than the
 * machine has hash at a time (at least one), and a burst of sign-ins queues here instead. Per process, like the
 * thread pool it shares.
 */
const hashSlots = { free: Math.max(1, availableParallelism() - 1), waiting: [] as (() => void)[] };

async function inHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashSlots.free > 0) hashSlots.free--;
  else await new Promise<void>((resolve) => hashSlots.waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = hashSlots.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next in line
    else hashSlots.free++;
  }
}

function scryptAsync(secret: string, salt: Buffer, keyLength: number, N: number): Promise<Buffer> {
  return inHashSlot(
    () =>
      new Promise((resolve, reject) =>
        scrypt(secret, salt, keyLength, { N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      ),
  );
}

/** Format: scrypt$N$r$p$saltB64$hashB64 */
export async function hashSecret(secret: string, kind: SecretKind = "password"): Promise<string> {
  const salt = randomBytes(16);
  const N = costs[kind];
  const key = await scryptAsync(secret, salt, SCRYPT.keyLength, N);
  return ["scrypt", N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, "base64");
  if (Number(r) !== SCRYPT.r || Number(p) !== SCRYPT.p || !Object.values(costs).includes(Number(n) as never))
    return false;
  const key = await scryptAsync(secret, Buffer.from(saltB64, "base64"), expected.length, Number(n));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Session tokens are long random strings: a fast hash is enough and lets us look them up by hash. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

const readableAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; // no 0/O, 1/I: read aloud and typed on phones
export function randomReadableCode(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += readableAlphabet[randomInt(readableAlphabet.length)];
  return out;
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
export function randomId(prefix: string, length = 12): string {
  let out = prefix;
  for (let i = 0; i < length; i++) out += idAlphabet[randomInt(idAlphabet.length)];
  return out;
}
