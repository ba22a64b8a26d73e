// The device's live-view side: starts and stops its stream (the device's own `startStream`) when the gateway
// says so, keeps the "someone is watching" light (announced to the elder), and sums the streams' counters.
import type { Logger } from "pino";
import type { DeviceCommand, DeviceEventMessage } from "../../protocol/index.ts";
import { zeroStreamStats, type CameraStream, type CameraStreamStats, type StartStream } from "./camera-stream.ts";

type StreamStart = Extract<DeviceCommand, { name: "stream-start" }>["params"];
type SiteCheckStream = Extract<DeviceCommand, { name: "site-check" }>["params"];

export interface StreamControlOptions {
  log: Logger;
  publishEvent(event: DeviceEventMessage): Promise<void>;
  /** Only these host addresses as ICE candidates (tests: ["127.0.0.1"]). */
  hostAddresses?: string[];
  iceTransportPolicy?: "all" | "relay";
  startStream: StartStream;
}

export interface StreamSnapshot {
  streaming: boolean;
  streamsStarted: number;
  /** Totals over all streams of this boot, the current one included. */
  stats: CameraStreamStats;
  indicator: { on: boolean; viewers: string[] };
  /** Every change of the light, oldest first: what the elder saw and heard. */
  announcements: { at: string; on: boolean; viewers: string[] }[];
}

const zeroStats = zeroStreamStats;

function addStats(a: CameraStreamStats, b: CameraStreamStats): CameraStreamStats {
  return Object.fromEntries(
    Object.keys(a).map((k) => [k, a[k as keyof CameraStreamStats] + b[k as keyof CameraStreamStats]]),
  ) as unknown as CameraStreamStats;
}

export function createStreamControl(options: StreamControlOptions) {
  const start = options.startStream;
  let stream: CameraStream | null = null;
  let streamsStarted = 0;
  let finished = zeroStats();
  let indicator = { on: false, viewers: [] as string[] };
  const announcements: StreamSnapshot["announcements"] = [];

  async function stop(reason: string): Promise<void> {
    const current = stream;
    stream = null;
    if (!current) return;
    finished = addStats(finished, current.stats());
    options.log.info({ reason }, "stream stopped");
    await current.stop().catch((error: Error) => options.log.warn({ err: error.message }, "stream stop failed"));
  }

  async function startStream(params: StreamStart): Promise<{ resourceUrl: string }> {
    await stop("restarted");
    try {
      stream = await start({
        whipUrl: params.whipUrl,
        token: params.token,
        iceServers: params.iceServers,
        hostAddresses: options.hostAddresses,
        iceTransportPolicy: options.iceTransportPolicy,
      });
    } catch (error) {
      const reason = (error as Error).message.slice(0, 300);
      await options
        .publishEvent({ type: "stream-failed", at: new Date().toISOString(), reason })
        .catch(() => undefined);
      throw error;
    }
    streamsStarted += 1;
    options.log.info({ resourceUrl: stream.resourceUrl }, "streaming to the relay");
    return { resourceUrl: stream.resourceUrl };
  }

  return {
    startStream,

    /** The on-site check: the live-view stream for a set time, then it stops by itself (unless replaced). */
    async siteCheckStream(params: SiteCheckStream): Promise<{ resourceUrl: string }> {
      const started = await startStream(params);
      const testStream = stream;
      const timer = setTimeout(() => {
        if (stream === testStream) void stop("site-check-done");
      }, params.durationS * 1000);
      timer.unref();
      return started;
    },

    stopStream: stop,

    /** The gateway says who is watching: light on (and a chime with the names) or off. */
    async notice(viewers: string[]): Promise<void> {
      const on = viewers.length > 0;
      const changed = on !== indicator.on || viewers.join("\n") !== indicator.viewers.join("\n");
      indicator = { on, viewers };
      if (!changed) return;
      announcements.push({ at: new Date().toISOString(), on, viewers });
      if (announcements.length > 200) announcements.shift();
      options.log.info({ on, viewers }, on ? "viewing light on" : "viewing light off");
      await options.publishEvent({
        type: "viewing-indicator",
        at: new Date().toISOString(),
        on,
        viewers: viewers.length,
      });
    },

    /** Power, reboot, privacy: the stream ends and the light goes out without telling anyone. */
    async reset(reason: string): Promise<void> {
      indicator = { on: false, viewers: [] };
      await stop(reason);
    },

    snapshot(): StreamSnapshot {
      return {
        streaming: stream !== null,
        streamsStarted,
        stats: stream ? addStats(finished, stream.stats()) : { ...finished },
        indicator: { ...indicator, viewers: [...indicator.viewers] },
        announcements: announcements.map((a) => ({ ...a, viewers: [...a.viewers] })),
      };
    },
  };
}
export type StreamControl = ReturnType<typeof createStreamControl>;
