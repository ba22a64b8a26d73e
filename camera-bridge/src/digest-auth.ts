// HTTP and RTSP digest authentication (RFC 7616 with MD5, the only algorithm IP cameras offer; RFC 2069 when
// the challenge has no qop), and Basic where a camera asks for it. Cameras answer 401 with a challenge; the
// client answers it once. A second 401 means the account is wrong: that is what tells "wrong password" apart.
import { createHash, randomBytes } from "node:crypto";

export interface Account {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: "digest" | "basic";
  realm: string;
  nonce: string;
  qop: string | undefined;
  opaque: string | undefined;
  algorithm: string | undefined;
}

/** The first challenge we can answer in WWW-Authenticate headers (Digest preferred); null when none. */
export function parseChallenge(headers: string[]): Challenge | null {
  const parsed = headers.map(parseOne).filter((c): c is Challenge => c !== null);
  return parsed.find((c) => c.scheme === "digest") ?? parsed[0] ?? null;
}

function parseOne(header: string): Challenge | null {
  const match = /^\s*(Digest|Basic)\s+(.*)$/i.exec(header);
  if (!match) return null;
  const params = new Map<string, string>();
  for (const p of match[2]!.matchAll(/([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g))
    params.set(p[1]!.toLowerCase(), p[2] ?? p[3] ?? "");
  const qop = params
    .get("qop")
    ?.split(",")
    .map((q) => q.trim());
  return {
    scheme: match[1]!.toLowerCase() === "digest" ? "digest" : "basic",
    realm: params.get("realm") ?? "",
    nonce: params.get("nonce") ?? "",
    qop: qop?.includes("auth") ? "auth" : undefined,
    opaque: params.get("opaque"),
    algorithm: params.get("algorithm"),
  };
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex");

/** The Authorization header that answers `challenge` for one request (method and request URI as sent). */
export function authorization(challenge: Challenge, account: Account, method: string, uri: string): string {
  if (challenge.scheme === "basic")
    return `Basic ${Buffer.from(`${account.username}:${account.password}`).toString("base64")}`;
  const ha1 = md5(`${account.username}:${challenge.realm}:${account.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const fields = [
    `username="${account.username}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce}"`,
    `uri="${uri}"`,
  ];
  if (challenge.qop) {
    const cnonce = randomBytes(8).toString("hex");
    const nc = "00000001";
    fields.push(`qop=auth`, `nc=${nc}`, `cnonce="${cnonce}"`);
    fields.push(`response="${md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`);
  } else {
    fields.push(`response="${md5(`${ha1}:${challenge.nonce}:${ha2}`)}"`);
  }
  if (challenge.opaque !== undefined) fields.push(`opaque="${challenge.opaque}"`);
  if (challenge.algorithm) fields.push(`algorithm=${challenge.algorithm}`);
  return `Digest ${fields.join(", ")}`;
}

export type HttpOutcome =
  | { kind: "ok"; body: Buffer; contentType: string | null }
  | { kind: "auth-failed" }
  | { kind: "http-error"; status: number; body: string }
  | { kind: "unreachable"; reason: string };

/** One HTTP request to a camera, answering its digest (or Basic) challenge once. Never throws. */
export async function cameraHttp(
  url: string,
  account: Account | undefined,
  init: { method?: string; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<HttpOutcome> {
  const method = init.method ?? "GET";
  const send = (authorizationHeader?: string) =>
    fetch(url, {
      method,
      headers: {
        ...(init.contentType ? { "content-type": init.contentType } : {}),
        ...(authorizationHeader ? { authorization: authorizationHeader } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
    });
  try {
    let response = await send();
    if (response.status === 401 && account) {
      const challenge = parseChallenge(response.headers.get("www-authenticate")?.split(/,\s*(?=Digest|Basic)/i) ?? []);
      await response.body?.cancel();
      if (!challenge) return { kind: "auth-failed" };
      const { pathname, search } = new URL(url);
      response = await send(authorization(challenge, account, method, pathname + search));
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      return { kind: "auth-failed" };
    }
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok)
      return { kind: "http-error", status: response.status, body: body.toString("utf8").slice(0, 4000) };
    return { kind: "ok", body, contentType: response.headers.get("content-type") };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string } };
    return {
      kind: "unreachable",
      reason: err.name === "TimeoutError" ? "timed out" : (err.cause?.code ?? err.message),
    };
  }
}
