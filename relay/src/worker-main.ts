// Entry point of a relay worker process: owns the werift peers of the routers the pool assigns to it,
// so that SRTP, DTLS and RTP fan-out never run on the gateway's event loop.
import { z } from "zod";
import { Router, SessionNotFoundError } from "./router.ts";
import { relayNetworkSchema, workerRequest, type WorkerEvent, type WorkerReply, type WorkerRequest } from "./worker-protocol.ts";

function send(message: WorkerReply | WorkerEvent): void {
  if (process.connected) process.send?.(message);
}

const network = relayNetworkSchema.parse(JSON.parse(process.env.WANGXIANG_RELAY_NETWORK ?? "{}"));
const routers = new Map<string, Router>();

function routerFor(cameraId: string): Router {
  let router = routers.get(cameraId);
  if (!router) {
    router = new Router(cameraId, network, {
      sessionConnected: (sessionId, role, viewerId) => send({ type: "event", event: "sessionConnected", cameraId, sessionId, role, viewerId }),
      sessionClosed: (sessionId, role, reason, viewerId) => send({ type: "event", event: "sessionClosed", cameraId, sessionId, role, reason, viewerId }),
      talkbackChanged: (viewerId) => send({ type: "event", event: "talkbackChanged", cameraId, viewerId }),
      viewerDownlink: (sessionId, viewerId, state, reason) => send({ type: "event", event: "viewerDownlink", cameraId, sessionId, viewerId, state, reason }),
    });
    routers.set(cameraId, router);
  }
  return router;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.method) {
    case "connectCamera":
      return routerFor(request.cameraId).connectCamera(request.offerSdp);
    case "connectViewer":
      return routerFor(request.cameraId).connectViewer(request.offerSdp, request.viewerId);
    case "closeSession": {
      const router = routers.get(request.cameraId);
      if (!router?.hasSession(request.sessionId)) throw new SessionNotFoundError(request.sessionId);
      await router.closeSession(request.sessionId, request.reason);
      return null;
    }
    case "closeRouter":
      await routers.get(request.cameraId)?.close();
      routers.delete(request.cameraId);
      return null;
    case "routerStats":
      return routers.get(request.cameraId)?.stats() ?? null;
  }
}

process.on("message", (raw) => {
  const parsed = workerRequest.safeParse(raw);
  if (!parsed.success) {
    const id = z.object({ id: z.number().int() }).safeParse(raw);
    if (id.success) send({ type: "reply", id: id.data.id, ok: false, error: { name: "BadRequest", message: z.prettifyError(parsed.error) } });
    return;
  }
  handle(parsed.data).then(
    (result) => send({ type: "reply", id: parsed.data.id, ok: true, result }),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      send({ type: "reply", id: parsed.data.id, ok: false, error: { name: err.name, message: err.message } });
    },
  );
});

// The pool closing the IPC channel means the gateway is gone or done with us.
process.on("disconnect", () => {
  void Promise.allSettled([...routers.values()].map((router) => router.close())).finally(() => process.exit(0));
});

send({ type: "event", event: "ready" });
