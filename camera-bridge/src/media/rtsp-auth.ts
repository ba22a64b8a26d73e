// A camera's authentication, for RTSP (RFC 2326 §D) and HTTP alike (RFC 2617/7616 with MD5, the only algorithm
// IP cameras offer): Basic, and Digest with or without qop=auth.
import { createHash, randomBytes } from "node:crypto";

export interface RtspAccount {
  username: string;
  password: string;
}

export interface AuthChallenge {
  scheme: "basic" | "digest";
  realm: string;
  nonce?: string;
  opaque?: string;
  qop?: string;
  algorithm?: string;
}

/** The strongest challenge among a reply's WWW-Authenticate headers (Digest over Basic). */
export function parseChallenges(headers: string[]): AuthChallenge | null {
  const challenges = headers.map(parseChallenge).filter((c): c is AuthChallenge => c !== null);
  return challenges.find((c) => c.scheme === "digest") ?? challenges[0] ?? null;
}

function parseChallenge(header: string): AuthChallenge | null {
  const match = /^\s*(\w+)\s+(.*)$/.exec(header);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== "basic" && scheme !== "digest") return null;
  const fields: Record<string, string> = {};
  for (const pair of match[2]!.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g))
    fields[pair[1]!.toLowerCase()] = pair[2] ?? pair[3] ?? "";
  return {
    scheme,
    realm: fields.realm ?? "",
    nonce: fields.nonce,
    opaque: fields.opaque,
    qop: fields.qop,
    algorithm: fields.algorithm,
  };
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex");

/** The Authorization header for one request. `nonceCount` counts this nonce's uses (qop=auth). */
export function authorizationHeader(
  challenge: AuthChallenge,
  account: RtspAccount,
  method: string,
  uri: string,
  nonceCount = 1,
): string {
  if (challenge.scheme === "basic")
    return `Basic ${Buffer.from(`${account.username}:${account.password}`).toString("base64")}`;
  const ha1 = md5(`${account.username}:${challenge.realm}:${account.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const parts = [
    `username="${account.username}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce ?? ""}"`,
    `uri="${uri}"`,
  ];
  const qopAuth = challenge.qop?.split(",").some((q) => q.trim() === "auth");
  if (qopAuth) {
    const nc = nonceCount.toString(16).padStart(8, "0");
    const cnonce = randomBytes(8).toString("hex");
    const response = md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    parts.push(`response="${response}"`, "qop=auth", `nc=${nc}`, `cnonce="${cnonce}"`);
  } else {
    parts.push(`response="${md5(`${ha1}:${challenge.nonce}:${ha2}`)}"`);
  }
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  if (challenge.algorithm) parts.push(`algorithm=${challenge.algorithm}`);
  return `Digest ${parts.join(", ")}`;
}
