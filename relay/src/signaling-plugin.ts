// WHIP for cameras and WHEP for viewers (RFC 9725 and its egress twin): POST an SDP offer with a bearer
// token, get 201 + Location + the SDP answer; DELETE the Location to leave. Who may publish or watch is
// decided by the functions the gateway injects (household membership, privacy mode, ...).
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { IceServer, IceServerSource } from "./ice-servers.ts";
import { RelayError, type RelayPool } from "./relay-pool.ts";
import { BadOfferError, parseOffer } from "./sdp.ts";
import { errorCatalogue, errorReplyFor, type ErrorCode } from "../../protocol/errors.ts";

export type { IceServer } from "./ice-servers.ts";

export interface ViewerIdentity {
  viewerId: string;
  displayName: string;
}

export interface ViewerRefusal {
  status: number;
  error: string;
  message: string;
  details?: unknown;
}

export interface SignalingPluginOptions {
  pool: RelayPool;
  authorizePublish(cameraId: string, token: string): Promise<boolean>;
  /** Every use of a viewer token. For a new session, the identity returned is the very object that
   *  onViewerJoined and onViewerLeft later receive, so the caller may key what it granted on it. */
  authorizeView(cameraId: string, token: string): Promise<ViewerIdentity | null>;
  /** Asked before a new viewer session starts (not for ending or changing one): a refusal is the reply. */
  admitViewer?(cameraId: string, token: string): Promise<ViewerRefusal | null>;
  /** Sent as Link headers (RFC 9725 §4.6) on an authorised OPTIONS and on the 201 answer; a function mints
   *  per-client (short-lived TURN) credentials for each of them. */
  iceServers: IceServer[] | IceServerSource;
  onViewerJoined?(event: { cameraId: string; sessionId: string; viewer: ViewerIdentity }): void | Promise<void>;
  onViewerLeft?(event: { cameraId: string; sessionId: string; viewer: ViewerIdentity; reason: string }): void;
  onCameraPublished?(event: { cameraId: string; sessionId: string }): void;
  onCameraUnpublished?(event: { cameraId: string; sessionId: string; reason: string }): void;
  onTalkbackChanged?(event: { cameraId: string; viewerId: string | null }): void;
  /** The relay stopped (audio-only) or resumed (video) forwarding video to one viewer. */
  onViewerDownlink?(event: {
    cameraId: string;
    sessionId: string;
    viewer: ViewerIdentity;
    state: "video" | "audio-only";
    reason: string;
  }): void;
}

const cameraParams = z.object({ cameraId: z.string().min(1).max(128) });
const sessionParams = cameraParams.extend({ sessionId: z.uuid() });

interface SessionRecord {
  cameraId: string;
  role: "camera" | "viewer";
  viewer?: ViewerIdentity;
}

function bearer(request: FastifyRequest): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
  return match ? match[1]! : null;
}

/** A refusal in the one error shape, with the catalogue's status for its code (protocol/errors.ts). */
function fail(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return reply.code(errorCatalogue[code].status).type("application/json").send(errorReplyFor(code, message));
}

function iceLinkHeader(servers: IceServer[]): string | undefined {
  const links = servers.flatMap((server) =>
    (Array.isArray(server.urls) ? server.urls : [server.urls]).map((url) => {
      let link = `<${url}>; rel="ice-server"`;
      if (server.username !== undefined)
        link += `; username="${server.username}"; credential="${server.credential ?? ""}"; credential-type="password"`;
      return link;
    }),
  );
  return links.length ? links.join(", ") : undefined;
}

/** What the routes of one plugin instance share: its options, the relay and the sessions it opened. */
interface SignalingContext {
  options: SignalingPluginOptions;
  pool: RelayPool;
  sessions: Map<string, SessionRecord>;
  iceLinks(clientId: string): string | undefined;
}

export async function signalingPlugin(app: FastifyInstance, options: SignalingPluginOptions): Promise<void> {
  const iceSource = options.iceServers;
  const context: SignalingContext = {
    options,
    pool: options.pool,
    sessions: new Map(),
    iceLinks: (clientId) => iceLinkHeader(typeof iceSource === "function" ? iceSource(clientId) : iceSource),
  };
  const unsubscribe = forwardPoolEvents(context);
  app.addHook("onClose", async () => unsubscribe());

  app.addContentTypeParser("application/sdp", { parseAs: "string", bodyLimit: 100_000 }, (_request, body, done) =>
    done(null, body),
  );
  registerWhip(app, context);
  registerWhep(app, context);
}

/** Tells the gateway what the relay did on its own: sessions that closed, talk-back and downlink changes. */
function forwardPoolEvents({ pool, sessions, options }: SignalingContext): () => void {
  const unsubscribes = [
    pool.events.on("talkbackChanged", (event) => options.onTalkbackChanged?.(event)),
    pool.events.on("viewerDownlink", ({ cameraId, sessionId, state, reason }) => {
      const viewer = sessions.get(sessionId)?.viewer;
      if (viewer) options.onViewerDownlink?.({ cameraId, sessionId, viewer, state, reason });
    }),
    pool.events.on("sessionClosed", ({ sessionId, reason }) => {
      const record = sessions.get(sessionId);
      if (!record) return;
      sessions.delete(sessionId);
      const { cameraId, role, viewer } = record;
      if (role === "viewer" && viewer) options.onViewerLeft?.({ cameraId, sessionId, viewer, reason });
      if (role === "camera") options.onCameraUnpublished?.({ cameraId, sessionId, reason });
    }),
  ];
  return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
}

function parseParams<T extends z.ZodType>(schema: T, request: FastifyRequest, reply: FastifyReply): z.infer<T> | null {
  const parsed = schema.safeParse(request.params);
  if (!parsed.success) {
    fail(reply, "not-found", "no such camera or session");
    return null;
  }
  return parsed.data;
}

function sdpBody(request: FastifyRequest, reply: FastifyReply): string | null {
  if (
    !request.headers["content-type"]?.startsWith("application/sdp") ||
    typeof request.body !== "string" ||
    !request.body.startsWith("v=0")
  ) {
    fail(reply, "unsupported-media-type", "send an SDP offer as application/sdp");
    return null;
  }
  // A WebRTC offer has media sections, ICE credentials and a DTLS fingerprint; anything else is refused here.
  const sdp = request.body;
  if (!/^m=(audio|video) /m.test(sdp) || !/^a=ice-ufrag:/m.test(sdp) || !/^a=fingerprint:/m.test(sdp)) {
    fail(reply, "bad-sdp", "the offer needs media sections, ICE credentials and a DTLS fingerprint");
    return null;
  }
  return sdp;
}

function relayFailure(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof RelayError) {
    if (error.code === "session-not-found") return fail(reply, "session-not-found", "this media session has ended");
    if (error.code === "bad-request") return fail(reply, "bad-request", error.message);
  }
  // An offer werift cannot answer (no VP8/Opus, no ICE) lands here too.
  const message = error instanceof Error ? error.message : String(error);
  return fail(reply, "relay-failed", `the media relay could not take this session: ${message}`);
}

function answered(
  context: SignalingContext,
  reply: FastifyReply,
  request: FastifyRequest,
  answer: { sessionId: string; answerSdp: string; startedAt: number; clientId: string },
): FastifyReply {
  const path = request.url.split("?")[0]!.replace(/\/$/, "");
  reply
    .code(201)
    .header("location", `${path}/${encodeURIComponent(answer.sessionId)}`)
    .header("server-timing", `relay;dur=${(performance.now() - answer.startedAt).toFixed(1)}`);
  const links = context.iceLinks(answer.clientId);
  if (links) reply.header("link", links);
  return reply.type("application/sdp").send(answer.answerSdp);
}

// OPTIONS tells a client which ICE servers to use before it makes its offer. TURN credentials are only for
// whoever may publish or watch this camera: a CORS preflight or an unauthorised caller gets no Link.
function optionsReply(
  context: SignalingContext,
  authorize: (cameraId: string, token: string) => Promise<string | null>,
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const params = parseParams(cameraParams, request, reply);
    if (!params) return reply;
    reply.header("accept-post", "application/sdp");
    if (request.headers["access-control-request-method"]) return reply.code(204).send();
    const token = bearer(request);
    if (!token)
      return fail(
        reply.header("www-authenticate", "Bearer"),
        "unauthorized",
        "a token is required for the ICE servers",
      );
    const clientId = await authorize(params.cameraId, token);
    if (!clientId) return fail(reply, "forbidden", "this token may not use this camera's relay");
    const links = context.iceLinks(clientId);
    if (links) reply.header("link", links);
    return reply.code(204).send();
  };
}

async function closeSession(
  context: SignalingContext,
  reply: FastifyReply,
  cameraId: string,
  sessionId: string,
  reason: string,
): Promise<FastifyReply> {
  try {
    await context.pool.routerFor(cameraId).closeSession(sessionId, reason);
    return reply.code(200).send();
  } catch (error) {
    return relayFailure(reply, error);
  }
}

// ── cameras (WHIP) ────────────────────────────────────────────────────
function registerWhip(app: FastifyInstance, context: SignalingContext): void {
  const { options, pool, sessions } = context;
  const publishClient = async (cameraId: string, token: string) =>
    (await options.authorizePublish(cameraId, token)) ? `camera-${cameraId}` : null;
  app.options("/whip/:cameraId", optionsReply(context, publishClient));

  app.post("/whip/:cameraId", async (request, reply) => {
    const startedAt = performance.now();
    const params = parseParams(cameraParams, request, reply);
    if (!params) return reply;
    const token = bearer(request);
    if (!token) return fail(reply.header("www-authenticate", "Bearer"), "unauthorized", "a publish token is required");
    if (!(await options.authorizePublish(params.cameraId, token)))
      return fail(reply, "forbidden", "this token may not publish this camera");
    const offer = sdpBody(request, reply);
    if (offer === null) return reply;
    try {
      const { sessionId, answerSdp } = await pool.routerFor(params.cameraId).connectCamera(offer);
      sessions.set(sessionId, { cameraId: params.cameraId, role: "camera" });
      options.onCameraPublished?.({ cameraId: params.cameraId, sessionId });
      return answered(context, reply, request, {
        sessionId,
        answerSdp,
        startedAt,
        clientId: `camera-${params.cameraId}`,
      });
    } catch (error) {
      return relayFailure(reply, error);
    }
  });

  app.delete("/whip/:cameraId/:sessionId", async (request, reply) => {
    const params = parseParams(sessionParams, request, reply);
    if (!params) return reply;
    const token = bearer(request);
    if (!token) return fail(reply.header("www-authenticate", "Bearer"), "unauthorized", "a publish token is required");
    if (!(await options.authorizePublish(params.cameraId, token)))
      return fail(reply, "forbidden", "this token may not publish this camera");
    const record = sessions.get(params.sessionId);
    if (!record || record.role !== "camera" || record.cameraId !== params.cameraId)
      return fail(reply, "session-not-found", "no such publishing session");
    return closeSession(context, reply, params.cameraId, params.sessionId, "camera-left");
  });
}

// ── viewers (WHEP) ────────────────────────────────────────────────────
function registerWhep(app: FastifyInstance, context: SignalingContext): void {
  const { options, pool, sessions } = context;
  const viewClient = async (cameraId: string, token: string) => {
    const viewer = await options.authorizeView(cameraId, token);
    return viewer ? `viewer-${viewer.viewerId}` : null;
  };
  app.options("/whep/:cameraId", optionsReply(context, viewClient));

  app.post("/whep/:cameraId", async (request, reply) => {
    const startedAt = performance.now();
    const params = parseParams(cameraParams, request, reply);
    if (!params) return reply;
    const token = bearer(request);
    if (!token) return fail(reply.header("www-authenticate", "Bearer"), "unauthorized", "a viewer token is required");
    const viewer = await options.authorizeView(params.cameraId, token);
    if (!viewer) return fail(reply, "forbidden", "you may not watch this camera now");
    const refusal = await options.admitViewer?.(params.cameraId, token);
    if (refusal) {
      const { status, ...body } = refusal;
      return reply.code(status).type("application/json").send(body);
    }
    const offer = sdpBody(request, reply);
    if (offer === null) return reply;
    try {
      parseOffer(offer);
    } catch (error) {
      if (error instanceof BadOfferError) return fail(reply, "bad-sdp", error.message);
      throw error;
    }
    // The session is named, and the gateway told (it asks the camera to publish), before the answer: the
    // answer carries the camera's tracks, so on a cold start it waits until the camera has published.
    const sessionId = randomUUID();
    sessions.set(sessionId, { cameraId: params.cameraId, role: "viewer", viewer });
    try {
      await options.onViewerJoined?.({ cameraId: params.cameraId, sessionId, viewer });
      const { answerSdp } = await pool.routerFor(params.cameraId).connectViewer(offer, viewer.viewerId, sessionId);
      return answered(context, reply, request, {
        sessionId,
        answerSdp,
        startedAt,
        clientId: `viewer-${viewer.viewerId}`,
      });
    } catch (error) {
      if (sessions.delete(sessionId))
        options.onViewerLeft?.({ cameraId: params.cameraId, sessionId, viewer, reason: "relay-failed" });
      return relayFailure(reply, error);
    }
  });

  app.delete("/whep/:cameraId/:sessionId", async (request, reply) => {
    const params = await viewerSession(context, request, reply);
    if (!params) return reply;
    return closeSession(context, reply, params.cameraId, params.sessionId, "viewer-left");
  });
}

async function viewerSession(context: SignalingContext, request: FastifyRequest, reply: FastifyReply) {
  const params = parseParams(sessionParams, request, reply);
  if (!params) return null;
  const token = bearer(request);
  if (!token) {
    fail(reply.header("www-authenticate", "Bearer"), "unauthorized", "a viewer token is required");
    return null;
  }
  const viewer = await context.options.authorizeView(params.cameraId, token);
  const record = context.sessions.get(params.sessionId);
  // The same answer for "not yours" and "not there": a session id is not a secret worth probing for.
  if (
    !viewer ||
    !record ||
    record.role !== "viewer" ||
    record.cameraId !== params.cameraId ||
    record.viewer?.viewerId !== viewer.viewerId
  ) {
    fail(reply, "session-not-found", "no such viewing session");
    return null;
  }
  return params;
}
