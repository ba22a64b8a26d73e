// Secrets (passwords, device credentials, claim codes, session tokens) are stored only as hashes.
import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";

// N=2^14 keeps a check near 20-30 ms: fine for logins and device connects, and a brute-force cost.
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;

function scryptAsync(secret: string, salt: Buffer, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Format: scrypt$N$r$p$saltB64$hashB64 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, SCRYPT.keyLength);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, "base64");
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, Buffer.from(saltB64, "base64"), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 },
      (err, derived) => (err ? reject(err) : resolve(derived))));
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
