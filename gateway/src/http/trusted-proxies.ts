// TRUST_PROXY: the reverse proxies whose X-Forwarded-For we believe. Anyone else could name any address
// and walk past every per-address limit, so the default is to believe nobody.
import { isIP } from "node:net";
import { z } from "zod";

/** One address or CIDR block, IPv4 or IPv6 ("10.0.0.5", "10.0.0.0/8", "fd00::/8"). */
export function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split("/");
  const version = isIP(address ?? "");
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

/** "10.0.0.5, 10.1.0.0/16" → a list fastify's trustProxy takes; empty → trust no proxy. */
export const trustedProxiesSchema = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const entries = (text ?? "")
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    for (const entry of entries.filter((e) => !isAddressOrCidr(e))) {
      ctx.addIssue({
        code: "custom",
        message: `"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.5 or 10.0.0.0/8)`,
      });
    }
    return entries;
  });

/** What fastify's `trustProxy` option should be for this list. */
export function fastifyTrustProxy(entries: string[]): string[] | false {
  return entries.length > 0 ? entries : false;
}
