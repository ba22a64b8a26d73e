// WHIP (RFC 9725) as the camera uses it: POST the complete offer, read the answer and the session's URL.

export interface WhipSession {
  answerSdp: string;
  /** Absolute URL of the session resource: DELETE ends it, PATCH restarts ICE. */
  resourceUrl: string;
}

export class WhipError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "WhipError";
  }
}

export async function whipPost(
  url: string,
  token: string,
  offerSdp: string,
  signal?: AbortSignal,
): Promise<WhipSession> {
  const reply = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/sdp", authorization: `Bearer ${token}` },
    body: offerSdp,
    signal,
  });
  const body = await reply.text();
  if (reply.status !== 201)
    throw new WhipError(reply.status, `WHIP POST ${url} answered ${reply.status}: ${body.slice(0, 200)}`);
  const location = reply.headers.get("location");
  if (!location) throw new WhipError(reply.status, "WHIP answer has no Location header");
  return { answerSdp: body, resourceUrl: new URL(location, url).toString() };
}

/** Bounded: a camera shutting down must not wait forever on a relay that stopped answering. */
export async function whipDelete(resourceUrl: string, token: string, timeoutMs = 3_000): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const reply = await fetch(resourceUrl, { method: "DELETE", headers: { authorization: `Bearer ${token}` }, signal });
  await reply.body?.cancel();
  if (reply.status >= 400 && reply.status !== 404)
    throw new WhipError(reply.status, `WHIP DELETE answered ${reply.status}`);
}
