// Cluster mode: which gateway holds each camera's stream. A camera's relay router, its viewers and its
// publish session live in one gateway's process (its relay workers); every other gateway routes that
// camera's WHEP, WHIP and view requests to it (owner-routing.ts). The record is a Redis key per camera,
// taken with SET NX PX by the gateway that starts the stream and renewed every third of its lifetime while
// the stream lives there; it is deleted when the stream ends or the gateway stops, and a dead owner's record
// simply lapses, after which the next viewer's gateway takes the camera over and starts the stream itself.
import type { Redis } from "ioredis";
import { z } from "zod";

/** A gateway as other gateways reach it: its id and its internal HTTP address (GATEWAY_INTERNAL_URL). */
export const streamOwner = z.object({
  gatewayId: z.string().min(1).max(100),
  url: z
    .string()
    .url()
    .refine((url) => /^https?:\/\//.test(url), "an http(s) URL"),
});
export type StreamOwner = z.infer<typeof streamOwner>;

interface Logger {
  warn(o: object, msg?: string): void;
}

const renewScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export const streamOwnerKey = (cameraId: string) => `wangxiang:stream-owner:${cameraId}`;

export interface StreamOwnersOptions {
  redis: Redis;
  /** This gateway; its `url` is read when a claim is made (the HTTP port is known only once it listens). */
  self: () => StreamOwner;
  ttlMs: number;
  /** Whether this gateway still carries the camera's stream (viewers, a publisher, a start or stop pending). */
  holdsStream(cameraId: string): boolean;
  log: Logger;
}

export class StreamOwners {
  /** Cameras whose record this gateway wrote, with the value written and when. */
  private readonly held = new Map<string, { value: string; claimedAt: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: StreamOwnersOptions) {}

  get selfId(): string {
    return this.options.self().gatewayId;
  }

  start(): void {
    this.timer = setInterval(() => void this.renewAll(), Math.max(50, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  /** The recorded owner, or null when nobody holds the camera (or the record is unreadable). */
  async ownerOf(cameraId: string): Promise<StreamOwner | null> {
    const text = await this.options.redis.get(streamOwnerKey(cameraId));
    if (text === null) return null;
    const parsed = streamOwner.safeParse(safeJson(text));
    if (!parsed.success) {
      this.options.log.warn({ cameraId }, "unreadable stream owner record; ignoring it");
      return null;
    }
    return parsed.data;
  }

  /** Takes the camera when nobody holds it; returns whoever holds it afterwards (this gateway or another). */
  async claim(cameraId: string): Promise<StreamOwner> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const self = this.options.self();
      const value = JSON.stringify(self);
      const key = streamOwnerKey(cameraId);
      if ((await this.options.redis.set(key, value, "PX", this.options.ttlMs, "NX")) === "OK") {
        this.held.set(cameraId, { value, claimedAt: Date.now() });
        return self;
      }
      const owner = await this.ownerOf(cameraId);
      if (owner) return owner;
      // The record lapsed (or was unreadable) between SET NX and GET: an unreadable one is replaced.
      if ((await this.options.redis.get(key)) !== null) await this.options.redis.del(key);
    }
    throw new Error(`could not record the owner of camera ${cameraId}`);
  }

  /** This gateway no longer carries the camera's stream. */
  async release(cameraId: string): Promise<void> {
    const held = this.held.get(cameraId);
    if (!held) return;
    this.held.delete(cameraId);
    await this.options.redis.eval(releaseScript, 1, streamOwnerKey(cameraId), held.value);
  }

  /** Shutdown: every record this gateway holds goes now, so the next viewer's gateway need not wait for it to lapse. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const cameras = [...this.held.keys()];
    await Promise.all(cameras.map((cameraId) => this.release(cameraId).catch(() => undefined)));
  }

  /** Cameras this gateway holds now (tests and metrics). */
  heldCameras(): string[] {
    return [...this.held.keys()];
  }

  /** The record lapsed (Redis was out of reach for a while): take it again, unless another gateway has. */
  private async retake(cameraId: string, held: { value: string; claimedAt: number }): Promise<void> {
    const key = streamOwnerKey(cameraId);
    const retaken = await this.options.redis.set(key, held.value, "PX", this.options.ttlMs, "NX");
    if (retaken !== "OK" && this.held.get(cameraId) === held) {
      this.held.delete(cameraId);
      this.options.log.warn({ cameraId }, "another gateway took over this camera's stream record");
    }
  }

  private async renewAll(): Promise<void> {
    const now = Date.now();
    for (const [cameraId, held] of [...this.held]) {
      try {
        // A fresh claim gets one lease's time for its first viewer to arrive before it counts as idle.
        const idle = !this.options.holdsStream(cameraId) && now - held.claimedAt > this.options.ttlMs;
        if (idle) {
          await this.release(cameraId);
          continue;
        }
        const renewed = await this.options.redis.eval(
          renewScript,
          1,
          streamOwnerKey(cameraId),
          held.value,
          String(this.options.ttlMs),
        );
        if (renewed !== 1) await this.retake(cameraId, held);
      } catch (err) {
        this.options.log.warn({ cameraId, err: (err as Error).message }, "could not renew a stream owner record");
      }
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
