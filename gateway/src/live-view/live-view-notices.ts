// What the live view tells: the camera who watches (its light and chime), and the household's members (and
// staff) who else is watching, who holds the talk button, and why a view failed. Telling never rejects.
import type { ViewerIdentity } from "../../../relay/src/index.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import type { LiveHub } from "../events/live-hub.ts";
import type { LiveViewStore } from "./live-view-store.ts";

/** Who watches a camera now, as its household sees it. */
export interface Presence {
  viewers: ViewerIdentity[];
  talking: string | null;
  streaming: boolean;
}

export interface LiveViewNoticesOptions {
  store: LiveViewStore;
  hub: LiveHub;
  commands: CommandDispatcher;
  log: { error(o: object, msg: string): void };
}

export class LiveViewNotices {
  readonly #o: LiveViewNoticesOptions;

  constructor(options: LiveViewNoticesOptions) {
    this.#o = options;
  }

  /** Tells the camera who watches (its light and chime) and the household who else is watching. */
  announce(cameraId: string, presence: Presence): void {
    const names = [...new Set(presence.viewers.map((v) => v.displayName))];
    void this.#o.commands
      .send(cameraId, { name: "view-notice", params: { viewers: names } }, "live-view")
      .catch(() => undefined);
    this.presence(cameraId, presence);
  }

  /** The household's members see who watches (each person once), who talks, and whether the camera streams. */
  presence(cameraId: string, { viewers, talking, streaming }: Presence): void {
    const unique = new Map(viewers.map((v) => [v.viewerId, v]));
    this.toHousehold(cameraId, {
      type: "view.viewers",
      deviceId: cameraId,
      viewers: [...unique.values()],
      talking,
      streaming,
    });
  }

  viewError(cameraId: string, error: string, message: string): void {
    this.toHousehold(cameraId, { type: "view.error", deviceId: cameraId, error, message });
  }

  downlink(event: {
    cameraId: string;
    sessionId: string;
    viewer: ViewerIdentity;
    state: "video" | "audio-only";
    reason: string;
  }): void {
    this.toHousehold(event.cameraId, {
      type: "view.downlink",
      deviceId: event.cameraId,
      sessionId: event.sessionId,
      viewerId: event.viewer.viewerId,
      state: event.state,
      reason: event.reason,
    });
  }

  /** Live messages about a camera go to its household's members (and staff). */
  toHousehold(cameraId: string, message: ServerMessage): void {
    void this.#o.store
      .householdOf(cameraId)
      .then((householdId) => this.#o.hub.publish(message, { deviceId: cameraId, householdId, insideHome: true }))
      .catch((err) => this.#o.log.error({ err }, "could not publish a live-view event"));
  }
}
