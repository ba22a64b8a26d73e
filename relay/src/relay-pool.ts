// The relay: mediasoup Workers (C++ processes, one per core by default), each with one WebRtcServer (one
// UDP and one TCP port for every transport on it, which keeps firewalls and compose files simple), and a
// Router per camera on the worker its id hashes to. A worker that dies is started again on the same ports;
// its sessions are reported closed (reason "relay-worker-exited") so viewers rejoin and the gateway asks
// the camera to publish again; calls made meanwhile wait for the new worker.
import { createHash } from "node:crypto";
import { availableParallelism, networkInterfaces } from "node:os";
import * as mediasoup from "mediasoup";
import type { types as ms } from "mediasoup";
import { TypedEvents, type EventSource, type ListenerErrorLog } from "../../core/events.ts";
import {
  CameraRouter,
  SessionNotFoundError,
  type CameraIngestReading,
  type CameraRouterOptions,
  type SessionRole,
} from "./camera-router.ts";
import type { DownlinkState } from "./downlink-monitor.ts";
import { BadOfferError, routerCodecs } from "./sdp.ts";

export interface RelayNetworkOptions {
  /** Kept for configuration compatibility: the relay is ICE-lite and needs no STUN/TURN servers itself. */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  /** Addresses offered as ICE candidates (e.g. ["127.0.0.1"] in tests, the public address on a server).
   *  An address of this machine is listened on; another one (behind NAT) is announced for 0.0.0.0. */
  hostAddresses?: string[];
}

export interface RelayPoolOptions {
  /** Where a failing listener of `pool.events` is reported (it is never thrown into the relay). */
  log: ListenerErrorLog;
  /** mediasoup workers; default one per core. */
  workers?: number;
  network?: RelayNetworkOptions;
  /** Worker i listens on UDP and TCP port rtcPort + i; 0 or unset: ephemeral ports (tests). */
  rtcPort?: number;
  /** How long one relay call may take. */
  callTimeoutMs?: number;
  /** How long a viewer's offer waits for its camera to publish. */
  waitForCameraMs?: number;
  /** A session whose peer has not completed ICE and DTLS this long after it began is closed (default 40 s). */
  connectTimeoutMs?: number;
}

export interface SessionConnected {
  cameraId: string;
  sessionId: string;
  role: SessionRole;
  viewerId?: string;
}

export interface SessionClosed extends SessionConnected {
  reason: string;
}

export interface TalkbackChanged {
  cameraId: string;
  /** Who holds the camera's speaker now (null: nobody). */
  viewerId: string | null;
}

export interface ViewerDownlink {
  cameraId: string;
  sessionId: string;
  viewerId: string;
  state: DownlinkState;
  reason: string;
}

/** What the relay does on its own, for the gateway to hear: `pool.events.on("sessionClosed", …)`. */
export interface RelayPoolEvents {
  sessionConnected: [event: SessionConnected];
  sessionClosed: [event: SessionClosed];
  talkbackChanged: [event: TalkbackChanged];
  viewerDownlink: [event: ViewerDownlink];
}

export class RelayError extends Error {
  constructor(
    readonly code: "session-not-found" | "bad-request" | "worker-failed" | "timeout" | "closed",
    message: string,
  ) {
    super(message);
    this.name = "RelayError";
  }
}

/** mediasoup's Router, seen from the gateway: everything for one camera. */
export interface RouterHandle {
  readonly cameraId: string;
  connectCamera(offerSdp: string): Promise<{ sessionId: string; answerSdp: string }>;
  /** `sessionId` lets the caller name the session before the answer exists (the answer waits for the camera). */
  connectViewer(
    offerSdp: string,
    viewerId: string,
    sessionId?: string,
  ): Promise<{ sessionId: string; answerSdp: string }>;
  closeSession(sessionId: string, reason?: string): Promise<void>;
  stats(): Promise<unknown>;
  /** What has arrived from the camera's upstream so far (null: the camera is not publishing). */
  cameraIngest(): Promise<CameraIngestReading | null>;
  close(): Promise<void>;
}

export interface WorkerMetrics {
  index: number;
  pid: number | undefined;
  restarts: number;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
  /** getrusage(2) of the worker process, as mediasoup reports it (times in ms, maxrss in KiB). */
  usage: ms.WorkerResourceUsage | null;
}

function toRelayError(error: unknown): Error {
  if (error instanceof RelayError) return error;
  if (error instanceof SessionNotFoundError) return new RelayError("session-not-found", error.message);
  if (error instanceof BadOfferError) return new RelayError("bad-request", error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new RelayError("worker-failed", message);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RelayError("timeout", `the relay did not ${what} in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Where the WebRtcServer listens: local addresses as themselves, one outside address announced for 0.0.0.0. */
export function listenInfos(
  hostAddresses: string[] | undefined,
  port: number | undefined,
): ms.WebRtcServerListenInfo[] {
  const interfaces = Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined);
  const local = new Set(interfaces.map((i) => i.address));
  const addresses = hostAddresses?.length
    ? hostAddresses
    : interfaces.filter((i) => i.family === "IPv4" && !i.internal).map((i) => i.address);
  if (addresses.length === 0) addresses.push("127.0.0.1");
  const announced = addresses.filter((a) => !local.has(a));
  if (announced.length > 1)
    throw new Error(
      `RELAY_HOST_ADDRESSES: only one address that is not on this machine can be announced (got ${announced.join(", ")})`,
    );
  return addresses.flatMap((address) =>
    (["udp", "tcp"] as const).map((protocol) => ({
      protocol,
      ip: local.has(address) ? address : "0.0.0.0",
      ...(local.has(address) ? {} : { announcedAddress: address }),
      ...(port ? { port } : {}),
    })),
  );
}

class RelayWorker {
  private worker: ms.Worker | null = null;
  private server: ms.WebRtcServer | null = null;
  private readonly routers = new Map<string, Promise<CameraRouter>>();
  private closing = false;
  ready: Promise<void>;
  restarts = 0;

  constructor(
    readonly index: number,
    private readonly listen: ms.WebRtcServerListenInfo[],
    /** Called with each router this worker makes, before anyone uses it (the pool listens to it). */
    private readonly adopt: (router: CameraRouter) => void,
    private readonly routerOptions: CameraRouterOptions,
  ) {
    this.ready = this.start();
  }

  get pid(): number | undefined {
    return this.worker?.pid;
  }

  async router(cameraId: string): Promise<CameraRouter> {
    await this.ready;
    let router = this.routers.get(cameraId);
    if (!router) {
      router = CameraRouter.create(cameraId, this.worker!, this.server!, routerCodecs, this.routerOptions).then(
        (made) => {
          this.adopt(made);
          return made;
        },
      );
      this.routers.set(cameraId, router);
      router.catch(() => this.routers.delete(cameraId));
    }
    return router;
  }

  existingRouter(cameraId: string): Promise<CameraRouter> | undefined {
    return this.routers.get(cameraId);
  }

  forget(cameraId: string): void {
    this.routers.delete(cameraId);
  }

  async metrics(): Promise<WorkerMetrics> {
    const routers = await Promise.all([...this.routers.values()].map((r) => r.catch(() => null)));
    const counts = { transports: 0, producers: 0, consumers: 0 };
    for (const router of routers)
      if (router) {
        const c = router.counts();
        counts.transports += c.transports;
        counts.producers += c.producers;
        counts.consumers += c.consumers;
      }
    const usage = this.worker && !this.worker.died ? await this.worker.getResourceUsage().catch(() => null) : null;
    return {
      index: this.index,
      pid: this.pid,
      restarts: this.restarts,
      routers: routers.filter(Boolean).length,
      ...counts,
      usage,
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.ready.catch(() => undefined);
    this.worker?.close();
  }

  private async start(): Promise<void> {
    const worker = await mediasoup.createWorker({ logLevel: "warn" });
    worker.on("died", (error) => this.died(error));
    try {
      this.server = await worker.createWebRtcServer({ listenInfos: this.listen });
    } catch (error) {
      worker.close();
      throw error;
    }
    this.worker = worker;
  }

  private died(error: Error): void {
    if (this.closing) return;
    this.restarts++;
    const routers = [...this.routers.values()];
    this.routers.clear();
    for (const router of routers)
      void router.then(
        (r) => r.abandon("relay-worker-exited"),
        () => undefined,
      );
    console.error(`relay: mediasoup worker ${this.index} died (${error.message}); starting it again`);
    this.ready = this.restart();
    // Callers await `ready`; this handler only keeps a failed restart from being an unhandled rejection.
    this.ready.catch((failure: Error) =>
      console.error(`relay: worker ${this.index} could not be restarted: ${failure.message}`),
    );
  }

  private async restart(): Promise<void> {
    // The dead worker's ports are free again at once; a few tries cover a slow exit.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.start();
      } catch (error) {
        if (attempt >= 4 || this.closing) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }
}

export class RelayPool {
  private readonly workers: RelayWorker[];
  readonly #events: TypedEvents<RelayPoolEvents>;
  private readonly handles = new Map<string, RouterHandle>();
  private readonly callTimeoutMs: number;

  private constructor(options: RelayPoolOptions) {
    const count = Math.max(1, options.workers ?? availableParallelism());
    this.callTimeoutMs = options.callTimeoutMs ?? 15_000;
    this.#events = new TypedEvents<RelayPoolEvents>({ log: options.log, name: "relay-pool" });
    const routerOptions: CameraRouterOptions = {
      waitForCameraMs: options.waitForCameraMs ?? 20_000,
      iceConsentTimeoutS: 15,
      connectTimeoutMs: options.connectTimeoutMs ?? 40_000,
      log: options.log,
    };
    this.workers = Array.from(
      { length: count },
      (_, i) =>
        new RelayWorker(
          i,
          listenInfos(options.network?.hostAddresses, options.rtcPort ? options.rtcPort + i : undefined),
          (router) => this.forwardEvents(router),
          routerOptions,
        ),
    );
  }

  static async create(options: RelayPoolOptions): Promise<RelayPool> {
    const pool = new RelayPool(options);
    try {
      await Promise.all(pool.workers.map((worker) => worker.ready));
    } catch (error) {
      await pool.close();
      throw new RelayError(
        "worker-failed",
        `the relay could not start a mediasoup worker: ${(error as Error).message}`,
      );
    }
    return pool;
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Process ids of the mediasoup workers (benchmarks read their CPU time from /proc). */
  workerPids(): number[] {
    return this.workers.map((worker) => worker.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** The worker process that carries a camera's router. */
  workerPidFor(cameraId: string): number | undefined {
    return this.workerFor(cameraId).pid;
  }

  /** Per worker: resource usage and how many routers, transports, producers and consumers it carries. */
  metrics(): Promise<WorkerMetrics[]> {
    return Promise.all(this.workers.map((worker) => worker.metrics()));
  }

  get events(): EventSource<RelayPoolEvents> {
    return this.#events;
  }

  /** The handle for a camera's router, the same one on every call (the router itself is made on first use, on the camera's worker). */
  routerFor(cameraId: string): RouterHandle {
    const existing = this.handles.get(cameraId);
    if (existing) return existing;
    const worker = this.workerFor(cameraId);
    const call = <T>(what: string, work: (router: CameraRouter) => Promise<T>): Promise<T> =>
      withTimeout(worker.router(cameraId).then(work), this.callTimeoutMs, what).catch((error) => {
        throw toRelayError(error);
      });
    const handle: RouterHandle = {
      cameraId,
      connectCamera: (offerSdp) => call("take the camera's offer", (router) => router.connectCamera(offerSdp)),
      connectViewer: (offerSdp, viewerId, sessionId) =>
        call("take the viewer's offer", (router) => router.connectViewer(offerSdp, viewerId, sessionId)),
      closeSession: (sessionId, reason = "closed") =>
        call("close a session", async (router) => {
          if (!router.hasSession(sessionId)) throw new SessionNotFoundError(sessionId);
          await router.closeSession(sessionId, reason);
        }),
      stats: () => call("report stats", (router) => router.stats()),
      cameraIngest: () => call("read the camera's ingest", (router) => router.cameraIngest()),
      close: async () => {
        this.handles.delete(cameraId);
        const router = worker.existingRouter(cameraId);
        worker.forget(cameraId);
        await router?.then(
          (r) => r.close(),
          () => undefined,
        );
      },
    };
    this.handles.set(cameraId, handle);
    return handle;
  }

  getRouter(cameraId: string): RouterHandle | undefined {
    return this.handles.get(cameraId);
  }

  async close(): Promise<void> {
    this.handles.clear();
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  /** Re-announces a router's events with its camera's id; they end with the router (it is dropped, not reused). */
  private forwardEvents({ cameraId, events }: CameraRouter): void {
    events.on("sessionConnected", (sessionId, role, viewerId) =>
      this.#events.emit("sessionConnected", { cameraId, sessionId, role, viewerId }),
    );
    events.on("sessionClosed", (sessionId, role, reason, viewerId) =>
      this.#events.emit("sessionClosed", { cameraId, sessionId, role, reason, viewerId }),
    );
    events.on("talkbackChanged", (viewerId) => this.#events.emit("talkbackChanged", { cameraId, viewerId }));
    events.on("viewerDownlink", (sessionId, viewerId, state, reason) =>
      this.#events.emit("viewerDownlink", { cameraId, sessionId, viewerId, state, reason }),
    );
  }

  private workerFor(cameraId: string): RelayWorker {
    const hash = createHash("sha1").update(cameraId).digest().readUInt32BE(0);
    return this.workers[hash % this.workers.length]!;
  }
}

export const createRelayPool = (options: RelayPoolOptions): Promise<RelayPool> => RelayPool.create(options);
