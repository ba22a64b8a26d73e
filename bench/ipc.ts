// Messages between broker-bench.ts (parent) and load-worker.ts (child processes that play the cameras).
// Times are epoch milliseconds with fractions (performance.timeOrigin + performance.now()), comparable
// across processes on one machine.

export interface CameraCredential {
  deviceId: string;
  password: string;
}

export type ToWorker =
  | {
      type: "connect";
      url: string;
      cameras: CameraCredential[];
      /** CONNECTs in flight at once in this worker (the rest wait their turn). */
      concurrency: number;
      keepaliveS: number;
      connectTimeoutMs: number;
    }
  | { type: "heartbeats"; ratePerS: number; durationMs: number; qos: 0 | 1 }
  /** clearRetained: publish an empty retained status first (a shared broker keeps no bench leftovers). */
  | { type: "close"; clearRetained: boolean; timeoutMs: number }
  | { type: "exit" };

export interface ConnectReport {
  type: "connected";
  attempted: number;
  connected: number;
  /** Also subscribed to its cmd topic and had its retained online status acknowledged (PUBACK). */
  online: number;
  failed: number;
  errorSamples: string[];
  firstStartAt: number;
  lastConnackAt: number;
  lastOnlineAt: number;
  /** CONNECT → CONNACK per client, ms. */
  connackMs: number[];
}

export interface HeartbeatReport {
  type: "heartbeats-done";
  sent: number;
  startedAt: number;
  endedAt: number;
  /** Clients that had closed by the end of the phase (a closed client's heartbeats are not sent). */
  closedClients: number;
  /** Longest gap between two pacing ticks, ms: above ~20 ms the worker itself could not keep the pace. */
  maxTickGapMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

export interface CloseReport {
  type: "closed";
  closed: number;
  retainedCleared: number;
}

export type FromWorker =
  ConnectReport | HeartbeatReport | CloseReport | { type: "ready" } | { type: "error"; message: string };

export const nowMs = (): number => performance.timeOrigin + performance.now();
