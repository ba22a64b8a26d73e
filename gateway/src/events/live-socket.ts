// Live updates over a WebSocket: /api/v1/live. Browsers cannot set headers on a WebSocket, so they send the
// sign-in token as a subprotocol (`new WebSocket(url, ["wangxiang", "bearer." + token])`); other clients
// may send `Authorization: Bearer`. Never in the URL: URLs end up in logs and proxies' access logs.
// The socket is closed (4401, with the reason) when its session ends: logout, expiry, revocation, disabling.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import { clientMessage, type ClientMessage, type ServerMessage } from "../../../protocol/ws.ts";
import { householdIdsOf, installerHouseholdIds } from "../access/access.ts";
import type { Database } from "../../../core/database.ts";
import type { GatewayMetrics } from "../metrics.ts";
import type { LiveHub } from "./live-hub.ts";
import type { Sessions, SignedInUser } from "../access/sessions.ts";
import { LIVE_CLOSE_SIGNED_OUT } from "../../../protocol/accounts.ts";
import type { LiveSessions } from "./live-sessions.ts";

export const LIVE_SUBPROTOCOL = "wangxiang";
const BEARER_PROTOCOL_PREFIX = "bearer.";
/**
 * How often an open socket re-checks its session in the database. Endings made through any gateway close it at
 * once (sessions.ts); this catches those made outside the gateways (the admin CLI's password reset).
 */
const SESSION_RECHECK_MS = 30_000;
/** setTimeout fires at once past 2^31 − 1 ms (about 24.8 days): longer waits are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** ws's handleProtocols: agree on "wangxiang" when offered (a browser insists on an agreed subprotocol). */
export function chooseLiveSubprotocol(protocols: Set<string>): string | false {
  return protocols.has(LIVE_SUBPROTOCOL) ? LIVE_SUBPROTOCOL : false;
}

function tokenFromHandshake(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("Bearer "))
    return authorization.slice("Bearer ".length).trim();
  const offered =
    typeof headers["sec-websocket-protocol"] === "string"
      ? headers["sec-websocket-protocol"].split(",").map((p) => p.trim())
      : [];
  return offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX))?.slice(BEARER_PROTOCOL_PREFIX.length);
}

const MAX_MESSAGE_BYTES = 16 * 1024;
/** Messages held while the token is checked; a client that floods before it is signed in is cut off. */
const MAX_EARLY_MESSAGES = 100;

interface LiveSocketDeps {
  db: Database;
  hub: LiveHub;
  metrics: GatewayMetrics;
  liveSessions: LiveSessions;
  sessions: Sessions;
}

export async function livePlugin(app: FastifyInstance, deps: LiveSocketDeps): Promise<void> {
  const { metrics } = deps;
  app.get(
    "/live",
    {
      websocket: true,
      schema: { tags: ["live"], summary: "WebSocket of fleet events (see protocol/ws.ts)", hide: true },
    },
    (socket, request) => {
      const send = (message: ServerMessage) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      };
      // Nothing that fails while handling a socket may end the process: answer, count, log, carry on.
      const failed = (what: string) => (err: unknown) => {
        metrics.wsHandlerFailures.inc();
        request.log.error({ err }, `live socket: ${what} failed`);
        send({ type: "error", error: "internal", message: "the gateway could not handle this; try again" });
      };
      socket.on("error", (err) => request.log.warn({ err: err.message }, "live socket error"));
      void openLiveSocket(deps, socket, request, send, failed("message handler")).catch((err) => {
        failed("sign-in")(err);
        socket.close(1011, "internal error");
      });
    },
  );
}

/** A client message, or why it was refused. */
/** The households whose inside this socket may hear about: a member's own, an installer's assigned ones. */
function householdsOf(db: Database, user: SignedInUser): Promise<string[]> {
  if (user.role === "family") return householdIdsOf(db, user.id);
  if (user.role === "installer") return installerHouseholdIds(db, user.id);
  return Promise.resolve([]);
}

function parseClientMessage(data: Buffer, isBinary: boolean): { message: ClientMessage } | { refused: string } {
  if (isBinary || data.length > MAX_MESSAGE_BYTES) return { refused: "send JSON text messages under 16 KiB" };
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString("utf8"));
  } catch {
    return { refused: "message is not JSON" };
  }
  const parsed = clientMessage.safeParse(raw);
  return parsed.success ? { message: parsed.data } : { refused: z.prettifyError(parsed.error) };
}

/**
 * Closes the socket when its sign-in expires, is revoked or its account disabled; returns what stops watching.
 * A family member's session moves its end on with use (sessions.ts), so at the end it knew of, the socket reads
 * the session's end again and waits on when it was moved; timers wait at most ~24 days (Node's limit).
 */
function watchSession(db: Database, socket: WebSocket, user: SignedInUser, failed: (err: unknown) => void): () => void {
  let expiry: NodeJS.Timeout | undefined;
  const waitUntil = (end: Date) => {
    expiry = setTimeout(
      () => void endIfExpired().catch(failed),
      Math.min(MAX_TIMER_MS, Math.max(0, end.getTime() - Date.now())),
    );
  };
  const endIfExpired = async () => {
    const session = await db.session
      .findUnique({ where: { id: user.sessionId }, select: { expiresAt: true } })
      .catch(() => undefined);
    if (session === undefined) return waitUntil(new Date(Date.now() + SESSION_RECHECK_MS)); // database away
    if (session && session.expiresAt.getTime() > Date.now()) return waitUntil(session.expiresAt);
    socket.close(LIVE_CLOSE_SIGNED_OUT, "session-expired");
  };
  waitUntil(user.sessionExpiresAt);
  const recheckSession = async () => {
    const session = await db.session
      .findUnique({
        where: { id: user.sessionId },
        select: { revokedAt: true, user: { select: { disabledAt: true } } },
      })
      .catch(() => undefined);
    if (session === undefined) return; // database unreachable: keep the socket, try again later
    if (!session || session.revokedAt) socket.close(LIVE_CLOSE_SIGNED_OUT, "session-revoked");
    else if (session.user.disabledAt) socket.close(LIVE_CLOSE_SIGNED_OUT, "account-disabled");
  };
  const recheck = setInterval(() => void recheckSession().catch(failed), SESSION_RECHECK_MS);
  return () => {
    clearTimeout(expiry);
    clearInterval(recheck);
  };
}

/**
 * Listens at once: a client may send before the token check has finished, and nothing it sends may be lost.
 * The answer hands the messages on, those that came early first.
 */
function listenAtOnce(socket: WebSocket): (handler: (data: Buffer, isBinary: boolean) => void) => void {
  const early: [Buffer, boolean][] = [];
  let onMessage: ((data: Buffer, isBinary: boolean) => void) | null = null;
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (onMessage) return onMessage(data, isBinary);
    if (early.push([data, isBinary]) > MAX_EARLY_MESSAGES) socket.close(1008, "too many messages before sign-in");
  });
  return (handler) => {
    onMessage = handler;
    for (const [data, isBinary] of early.splice(0)) handler(data, isBinary);
  };
}

/**
 * What one signed-in socket is sent from the hub: what its user may see (a family member's households, re-read
 * when membership changes), narrowed by the villages or cameras the client asked for.
 */
function joinHub(
  { db, hub }: Pick<LiveSocketDeps, "db" | "hub">,
  user: SignedInUser,
  householdIds: string[],
  send: (message: ServerMessage) => void,
) {
  let households = new Set(householdIds);
  let filter: { villages?: Set<string>; deviceIds?: Set<string> } = {};
  const remove = hub.add({
    canSeeDevice: (deviceId, householdId) =>
      (user.role !== "family" || (householdId !== null && households.has(householdId))) &&
      (!filter.deviceIds || filter.deviceIds.has(deviceId)),
    isMember: (householdId) => user.role === "family" && households.has(householdId),
    canSeeInside: (householdId) => user.role === "staff" || households.has(householdId),
    userId: user.id,
    send: (message) => {
      if (filter.villages && "village" in message && message.village && !filter.villages.has(message.village)) return;
      send(message);
    },
  });
  return {
    remove,
    async rereadHouseholds(): Promise<void> {
      households = new Set(await householdsOf(db, user));
    },
    narrow(to: { villages?: string[] | undefined; deviceIds?: string[] | undefined }): void {
      filter = {
        ...(to.villages?.length ? { villages: new Set(to.villages) } : {}),
        ...(to.deviceIds?.length ? { deviceIds: new Set(to.deviceIds) } : {}),
      };
    },
  };
}

async function openLiveSocket(
  deps: LiveSocketDeps,
  socket: WebSocket,
  request: FastifyRequest,
  send: (message: ServerMessage) => void,
  failed: (err: unknown) => void,
): Promise<void> {
  const { db, metrics, liveSessions, sessions } = deps;
  const handOn = listenAtOnce(socket);
  const user = await sessions.resolve(tokenFromHandshake(request.headers));
  if (!user) {
    send({
      type: "error",
      error: "unauthorized",
      message:
        'sign in first: offer the subprotocols "wangxiang" and "bearer.<token>" (tokens in the URL are not accepted)',
    });
    socket.close(LIVE_CLOSE_SIGNED_OUT, "unauthorized");
    return;
  }
  const householdIds = await householdsOf(db, user);
  if (socket.readyState !== socket.OPEN) return; // gone while we checked: "close" has fired already, so register nothing
  const audience = joinHub(deps, user, householdIds, send);
  const endSession = liveSessions.add({
    sessionId: user.sessionId,
    userId: user.id,
    close: (code, reason) => socket.close(code, reason),
    refresh: () => void audience.rereadHouseholds().catch(failed),
  });
  const stopWatching = watchSession(db, socket, user, failed);
  metrics.wsClients.inc();
  send({ type: "hello", userId: user.id, role: user.role });

  const handle = async (data: Buffer, isBinary: boolean) => {
    const parsed = parseClientMessage(data, isBinary);
    if ("refused" in parsed) {
      metrics.wsInvalidMessages.inc();
      return send({ type: "error", error: "invalid-message", message: parsed.refused });
    }
    const { message } = parsed;
    if (message.type === "ping") return send({ type: "pong", ...(message.id ? { id: message.id } : {}) });
    audience.narrow(message);
    await audience.rereadHouseholds();
  };
  socket.on("close", () => {
    audience.remove();
    endSession();
    stopWatching();
    metrics.wsClients.dec();
  });
  handOn((data, isBinary) => void handle(data, isBinary).catch(failed));
}
