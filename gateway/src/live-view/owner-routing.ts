// Cluster mode: a camera's WHEP (viewers), WHIP (the camera) and view requests go to the gateway that holds
// its stream (stream-owners.ts), whichever gateway the HTTP balancer picked. Proxied, not redirected: the
// owner's internal address need not be reachable from phones or villages, a browser would not follow a 307
// for a cross-origin POST with an SDP body without CORS, and nothing about WebRTC needs the client to talk
// to the owner's HTTP: the SDP answer comes from the owner's relay and carries that relay's ICE candidates
// (RELAY_HOST_ADDRESSES of the owner), so media flows straight between the client and the owner's relay,
// and the answer's relative Location sends the DELETE back through any gateway to the same owner.
// Only these routes are forwarded, only to an address read from the owner record, and each forwarded
// request is signed with a key every gateway derives from the shared secret: a signed request is handled
// where it lands (never forwarded again), an unsigned or forged one is routed like any client's.
import { createHmac, timingSafeEqual } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errorReplyFor } from "../../../protocol/errors.ts";
import type { StreamOwner, StreamOwners } from "./stream-owners.ts";

export const peerHeader = "x-wangxiang-peer";
/** A signed request older than this (or from a clock this far off) is not believed. */
const PEER_SIGNATURE_WINDOW_MS = 30_000;

export type RoutingOutcome = "local" | "proxied" | "owner-unreachable" | "redis-unavailable" | "forged-peer";

export interface OwnerRoutingOptions {
  owners: StreamOwners;
  /** HMAC key shared by every gateway (derived from VIEW_TOKEN_SECRET, see peerKeyFrom). */
  peerKey: Buffer;
  /** How long a proxied request may take (a viewer's first WHEP answer waits for the camera to publish). */
  proxyTimeoutMs: number;
  /** Retry-After for a client whose camera's owner cannot be reached: its record lapses within this. */
  ownerLeaseS: number;
  count(outcome: RoutingOutcome): void;
  log: { warn(o: object, msg?: string): void };
}

/** Domain separation: the view-token secret signs tokens, this key derived from it signs gateway-to-gateway requests. */
export function peerKeyFrom(sharedSecret: string): Buffer {
  return createHmac("sha256", sharedSecret).update("wangxiang gateway peer requests v1").digest();
}

function peerSignature(key: Buffer, at: number, method: string, url: string): string {
  return createHmac("sha256", key).update(`${at}\n${method}\n${url}`).digest("base64url");
}

export function signPeerRequest(key: Buffer, method: string, url: string, now = Date.now()): string {
  return `${now}.${peerSignature(key, now, method, url)}`;
}

/** true: signed by a gateway of this cluster; false: no header; "forged": a header that does not verify. */
export function verifyPeerRequest(
  key: Buffer,
  header: string | string[] | undefined,
  method: string,
  url: string,
  now = Date.now(),
): boolean | "forged" {
  if (header === undefined) return false;
  const match = typeof header === "string" ? /^(\d{1,15})\.([\w-]{43})$/.exec(header) : null;
  if (!match) return "forged";
  const at = Number(match[1]);
  if (Math.abs(now - at) > PEER_SIGNATURE_WINDOW_MS) return "forged";
  const expected = Buffer.from(peerSignature(key, at, method, url));
  const given = Buffer.from(match[2]!);
  return given.length === expected.length && timingSafeEqual(given, expected) ? true : "forged";
}

type RoutedKind = "whep" | "whip" | "view";

/** The camera a routed request is about, or null for every other request (handled where it lands). */
export function routedCamera(method: string, url: string): { kind: RoutedKind; cameraId: string } | null {
  const path = url.split("?")[0]!;
  const signaling = /^\/api\/v1\/(whep|whip)\/([^/]+)(?:\/[^/]+)?\/?$/.exec(path);
  const view = method === "POST" ? /^\/api\/v1\/devices\/([^/]+)\/view\/?$/.exec(path) : null;
  const kind: RoutedKind | null = signaling ? (signaling[1] as "whep" | "whip") : view ? "view" : null;
  const raw = signaling?.[2] ?? view?.[1];
  if (!kind || raw === undefined) return null;
  try {
    const cameraId = decodeURIComponent(raw);
    // Longer than any camera id the routes accept: answered 404 where it landed, never written to Redis.
    return cameraId.length <= 128 ? { kind, cameraId } : null;
  } catch {
    return null; // not a camera id: answered 404 where it landed
  }
}

/** A new viewer or a camera publishing starts the stream: where nobody holds the camera, this gateway takes it. */
function startsStream(method: string, url: string, kind: RoutedKind): boolean {
  return method === "POST" && kind !== "view" && /^\/api\/v1\/(whep|whip)\/[^/]+\/?(\?|$)/.test(url);
}

export function ownerRouting(app: FastifyInstance, options: OwnerRoutingOptions): void {
  app.addHook("onRequest", async (request, reply) => {
    const routed = routedCamera(request.method, request.url);
    if (!routed) return;
    const signed = verifyPeerRequest(options.peerKey, request.headers[peerHeader], request.method, request.url);
    if (signed === "forged") options.count("forged-peer");
    if (signed === true) return options.count("local");
    // Only a request with a token may take a camera; without one it is answered 401 where it landed.
    const starts =
      startsStream(request.method, request.url, routed.kind) && request.headers.authorization !== undefined;
    const owner = await ownerFor(options, routed, starts);
    if (!owner || owner.gatewayId === options.owners.selfId) return options.count("local");
    await forward(options, request, reply, owner);
    return reply;
  });
}

async function ownerFor(
  options: OwnerRoutingOptions,
  routed: { kind: RoutedKind; cameraId: string },
  starts: boolean,
): Promise<StreamOwner | null> {
  try {
    return starts ? await options.owners.claim(routed.cameraId) : await options.owners.ownerOf(routed.cameraId);
  } catch (err) {
    // Without Redis this gateway serves the camera itself, as a gateway alone would.
    options.count("redis-unavailable");
    options.log.warn({ cameraId: routed.cameraId, err: (err as Error).message }, "stream owner lookup failed");
    return null;
  }
}

const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  peerHeader,
]);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !hopByHop.has(name.toLowerCase())) kept[name] = value;
  return kept;
}

/** Sends the request on to the owner and its answer back to the client, as they are. */
function forward(
  options: OwnerRoutingOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  owner: StreamOwner,
): Promise<void> {
  const target = new URL(request.url, owner.url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<void>((resolve) => {
    const upstream = send(target, {
      method: request.method,
      headers: {
        ...endToEnd(request.headers),
        [peerHeader]: signPeerRequest(options.peerKey, request.method, request.url),
      },
      timeout: options.proxyTimeoutMs,
    });
    upstream.once("response", (answer: IncomingMessage) => {
      options.count("proxied");
      reply.hijack();
      reply.raw.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(reply.raw);
      answer.once("close", resolve);
      answer.once("error", () => reply.raw.destroy());
      // The client went away first: the owner's answer has nowhere to go.
      reply.raw.once("close", () => answer.destroy());
    });
    upstream.once("timeout", () => upstream.destroy(new Error("the owner did not answer in time")));
    upstream.once("error", (err) => {
      if (reply.sent || reply.raw.headersSent) return resolve();
      options.count("owner-unreachable");
      options.log.warn({ owner: owner.gatewayId, err: err.message }, "the gateway holding this stream is unreachable");
      void reply
        .code(503)
        .header("retry-after", String(options.ownerLeaseS))
        .send(
          errorReplyFor(
            "stream-owner-unreachable",
            "the server holding this camera's stream is not answering; try again shortly",
          ),
        );
      resolve();
    });
    request.raw.pipe(upstream);
  });
}
