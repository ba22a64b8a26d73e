// The main thread's side of the relay: a few worker processes (one per core by default, as mediasoup
// runs its C++ workers), each owning the routers of the cameras hashed to it.
import { fork, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RelayNetworkOptions } from "./peer-config.ts";
import {
  connectResult, relayNetworkSchema, workerMessage,
  type WorkerCall, type WorkerEvent,
} from "./worker-protocol.ts";

export interface RelayPoolOptions {
  /** Worker processes; default one per core. */
  workers?: number;
  network?: RelayNetworkOptions;
  /** How long a worker may take to answer one call. */
  callTimeoutMs?: number;
}

export type RelayEvent = Exclude<WorkerEvent, { event: "ready" }>;
export type RelayEventListener = (event: RelayEvent) => void;

export class RelayError extends Error {
  constructor(readonly code: "session-not-found" | "bad-request" | "worker-failed" | "timeout" | "closed", message: string) {
    super(message);
    this.name = "RelayError";
  }
}

/** mediasoup's Router, seen from the main thread: everything for one camera, in one worker. */
export interface RouterHandle {
  readonly cameraId: string;
  connectCamera(offerSdp: string): Promise<{ sessionId: string; answerSdp: string }>;
  connectViewer(offerSdp: string, viewerId: string): Promise<{ sessionId: string; answerSdp: string }>;
  closeSession(sessionId: string, reason?: string): Promise<void>;
  stats(): Promise<unknown>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const workerEntry = fileURLToPath(new URL("./worker-main.ts", import.meta.url));
// The worker is TypeScript run by tsx, wherever the pool itself was loaded from (node --import tsx, vitest).
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

class RelayWorker {
  private child!: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Sessions in this worker, so a crash can be reported to whoever waits on them. */
  readonly sessions = new Map<string, { cameraId: string; role: "camera" | "viewer"; viewerId?: string }>();
  private ready!: Promise<void>;
  private closing = false;

  constructor(readonly index: number, private readonly networkJson: string, private readonly callTimeoutMs: number, private readonly emit: RelayEventListener) {
    this.spawn();
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call(request: WorkerCall): Promise<unknown> {
    if (this.closing) return Promise.reject(new RelayError("closed", "relay pool is closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RelayError("timeout", `relay worker ${this.index} did not answer ${request.method} in ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ ...request, id });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.disconnect();
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): void {
    const child = fork(workerEntry, [], {
      execArgv: ["--import", tsxLoader],
      env: { ...process.env, WANGXIANG_RELAY_NETWORK: this.networkJson },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new RelayError("worker-failed", `relay worker ${this.index} exited (${code}) before it was ready`));
      child.once("exit", onExit);
      child.on("message", (raw) => {
        const parsed = workerMessage.safeParse(raw);
        if (!parsed.success) return;
        const message = parsed.data;
        if (message.type === "reply") return this.settle(message.id, message.ok, message.result, message.error);
        if (message.event === "ready") {
          child.off("exit", onExit);
          child.once("exit", (code, signal) => this.crashed(`${code ?? signal}`));
          return resolve();
        }
        if (message.event === "sessionClosed") this.sessions.delete(message.sessionId);
        this.emit(message);
      });
    });
  }

  private settle(id: number, ok: boolean, result: unknown, error?: { name: string; message: string }): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (ok) return pending.resolve(result);
    const code = error?.name === "SessionNotFoundError" ? "session-not-found" : error?.name === "BadRequest" ? "bad-request" : "worker-failed";
    pending.reject(new RelayError(code, error?.message ?? "relay worker failed"));
  }

  private crashed(how: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new RelayError("worker-failed", `relay worker ${this.index} exited (${how})`));
      this.pending.delete(id);
    }
    for (const [sessionId, s] of this.sessions) {
      this.emit({ type: "event", event: "sessionClosed", cameraId: s.cameraId, sessionId, role: s.role, reason: "relay-worker-exited", viewerId: s.viewerId });
    }
    this.sessions.clear();
    if (!this.closing) this.spawn(); // media for the affected cameras resumes when they publish again
  }
}

export class RelayPool {
  private readonly workers: RelayWorker[];
  private readonly listeners = new Set<RelayEventListener>();
  private readonly routers = new Map<string, RouterHandle>();

  private constructor(options: RelayPoolOptions) {
    const count = Math.max(1, options.workers ?? availableParallelism());
    const network = JSON.stringify(relayNetworkSchema.parse(options.network ?? {}));
    const emit: RelayEventListener = (event) => {
      for (const listener of this.listeners) listener(event);
    };
    this.workers = Array.from({ length: count }, (_, i) => new RelayWorker(i, network, options.callTimeoutMs ?? 15_000, emit));
  }

  static async create(options: RelayPoolOptions = {}): Promise<RelayPool> {
    const pool = new RelayPool(options);
    try {
      await Promise.all(pool.workers.map((worker) => worker.whenReady()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Process ids of the workers (benchmarks read their CPU time from /proc). */
  workerPids(): number[] {
    return this.workers.map((worker) => worker.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** The worker process that carries a camera's router. */
  workerPidFor(cameraId: string): number | undefined {
    return this.workerFor(cameraId).pid;
  }

  /** Events from every worker: sessions connected and closed, talk-back floor changes. Returns an unsubscribe. */
  onEvent(listener: RelayEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The router for a camera (created on first use); the same camera always lands on the same worker. */
  createRouter(cameraId: string): RouterHandle {
    const existing = this.routers.get(cameraId);
    if (existing) return existing;
    const worker = this.workerFor(cameraId);
    const track = (role: "camera" | "viewer", viewerId?: string) => (raw: unknown) => {
      const result = connectResult.parse(raw);
      worker.sessions.set(result.sessionId, { cameraId, role, viewerId });
      return result;
    };
    const handle: RouterHandle = {
      cameraId,
      connectCamera: (offerSdp) => worker.call({ method: "connectCamera", cameraId, offerSdp }).then(track("camera")),
      connectViewer: (offerSdp, viewerId) => worker.call({ method: "connectViewer", cameraId, viewerId, offerSdp }).then(track("viewer", viewerId)),
      closeSession: async (sessionId, reason = "closed") => {
        await worker.call({ method: "closeSession", cameraId, sessionId, reason });
      },
      stats: () => worker.call({ method: "routerStats", cameraId }),
      close: async () => {
        this.routers.delete(cameraId);
        await worker.call({ method: "closeRouter", cameraId });
      },
    };
    this.routers.set(cameraId, handle);
    return handle;
  }

  getRouter(cameraId: string): RouterHandle | undefined {
    return this.routers.get(cameraId);
  }

  async close(): Promise<void> {
    this.routers.clear();
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  private workerFor(cameraId: string): RelayWorker {
    const hash = createHash("sha1").update(cameraId).digest().readUInt32BE(0);
    return this.workers[hash % this.workers.length]!;
  }
}

export const createRelayPool = (options?: RelayPoolOptions): Promise<RelayPool> => RelayPool.create(options);
export type { RelayNetworkOptions } from "./peer-config.ts";
