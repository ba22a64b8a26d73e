// Fans server events out to the WebSocket clients allowed to see them.
import type { ServerMessage } from "../../../protocol/ws.ts";

export interface LiveAudience {
  /** Staff and installers see the whole fleet; family members only their households' cameras. */
  canSeeDevice(deviceId: string, householdId: string | null): boolean;
  send(message: ServerMessage): void;
}

export class LiveHub {
  private readonly audiences = new Set<LiveAudience>();

  add(audience: LiveAudience): () => void {
    this.audiences.add(audience);
    return () => this.audiences.delete(audience);
  }

  get size(): number {
    return this.audiences.size;
  }

  /** householdId is the camera's, for scoping; messages not about a device go to everyone. */
  publish(message: ServerMessage, scope?: { deviceId: string; householdId: string | null }): void {
    for (const audience of this.audiences) {
      if (scope && !audience.canSeeDevice(scope.deviceId, scope.householdId)) continue;
      audience.send(message);
    }
  }
}
