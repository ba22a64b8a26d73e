// HTTP requests to a camera (snapshot URL, ONVIF service) with the same Digest and Basic answers as its RTSP
// (media/rtsp-auth.ts). Cameras answer 401 with a challenge; the client answers it once. A second 401 means the
// account is wrong: that is what tells "wrong password" apart.
import { authorizationHeader, parseChallenges, type RtspAccount } from "./media/rtsp-auth.ts";

/** A camera's account: the same for its RTSP streams, its snapshot URL and its ONVIF service. */
export type Account = RtspAccount;

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
      const challenge = parseChallenges(response.headers.get("www-authenticate")?.split(/,\s*(?=Digest|Basic)/i) ?? []);
      await response.body?.cancel();
      if (!challenge) return { kind: "auth-failed" };
      const { pathname, search } = new URL(url);
      response = await send(authorizationHeader(challenge, account, method, pathname + search));
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
