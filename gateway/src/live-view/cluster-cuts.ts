// Cluster mode: a camera's viewers live in the gateway that holds its stream (stream-owners.ts), but what
// must cut them off can happen on any gateway: privacy switched on by the camera's button (seen by the
// ingest leader) or by a command sent to any gateway, a camera moved or removed, a member removed, an
// account disabled. Each cut is applied where it happens and published to every gateway over Redis, and
// each applies it to the streams it holds (nothing happens where there are none).
import type { Redis } from "ioredis";
import { z } from "zod";
import type { LiveViewService } from "./live-view-service.ts";

const id = z.string().min(1).max(128);
const reason = z.string().min(1).max(64);
const cut = z.discriminatedUnion("op", [
  z.object({ op: z.literal("privacy"), cameraId: id }),
  z.object({ op: z.literal("camera"), cameraId: id, reason }),
  z.object({ op: z.literal("viewer"), userId: id, householdId: id.optional(), reason }),
]);
type Cut = z.infer<typeof cut>;
const envelope = z.object({ from: z.string().max(100), cut });

/** What cuts viewers off, wherever their stream is carried. */
export interface LiveViewCuts {
  privacyEnabled(cameraId: string): Promise<void>;
  cutCamera(cameraId: string, reason: string): Promise<void>;
  cutViewer(userId: string, scope: { householdId?: string; reason: string }): Promise<void>;
}

function applyLocally(liveView: LiveViewService, what: Cut): Promise<void> {
  if (what.op === "privacy") return liveView.onPrivacyEnabled(what.cameraId);
  if (what.op === "camera") return liveView.cutCamera(what.cameraId, what.reason);
  return liveView.cutViewer(what.userId, {
    reason: what.reason,
    ...(what.householdId ? { householdId: what.householdId } : {}),
  });
}

/** One gateway alone: every stream is here. */
export function localCuts(liveView: LiveViewService): LiveViewCuts {
  return {
    privacyEnabled: (cameraId) => applyLocally(liveView, { op: "privacy", cameraId }),
    cutCamera: (cameraId, reason) => applyLocally(liveView, { op: "camera", cameraId, reason }),
    cutViewer: (userId, scope) => applyLocally(liveView, { op: "viewer", userId, ...scope }),
  };
}

interface Logger {
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export class ClusterCuts implements LiveViewCuts {
  private readonly subscriber: Redis;
  private readonly channel: string;

  constructor(
    private readonly publisher: Redis,
    private readonly liveView: LiveViewService,
    channelPrefix: string,
    private readonly gatewayId: string,
    private readonly log: Logger,
  ) {
    this.subscriber = publisher.duplicate();
    this.subscriber.on("error", (err: Error) => log.warn({ err: err.message }, "live-view cuts: Redis error"));
    this.channel = `${channelPrefix}live-view-cuts`;
  }

  async start(): Promise<void> {
    this.subscriber.on("message", (_channel: string, text: string) => this.receive(text));
    await this.subscriber.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    this.subscriber.disconnect();
  }

  privacyEnabled(cameraId: string): Promise<void> {
    return this.everywhere({ op: "privacy", cameraId });
  }

  cutCamera(cameraId: string, reason: string): Promise<void> {
    return this.everywhere({ op: "camera", cameraId, reason });
  }

  cutViewer(userId: string, scope: { householdId?: string; reason: string }): Promise<void> {
    return this.everywhere({ op: "viewer", userId, ...scope });
  }

  private async everywhere(what: Cut): Promise<void> {
    const published = this.publisher
      .publish(this.channel, JSON.stringify({ from: this.gatewayId, cut: what }))
      .catch((err: Error) => this.log.error({ err: err.message, cut: what }, "live-view cuts: could not publish"));
    await Promise.all([applyLocally(this.liveView, what), published]);
  }

  private receive(text: string): void {
    let parsed: z.infer<typeof envelope>;
    try {
      parsed = envelope.parse(JSON.parse(text));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "live-view cuts: unreadable message");
      return;
    }
    if (parsed.from === this.gatewayId) return;
    applyLocally(this.liveView, parsed.cut).catch((err: Error) =>
      this.log.error({ err: err.message, cut: parsed.cut }, "live-view cuts: could not apply"),
    );
  }
}
