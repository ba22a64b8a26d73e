// Fans server events out to the WebSocket clients allowed to see them.
import { TypedEvents, type EventSource, type ListenerErrorLog } from "../../../core/events.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";

export interface LiveAudience {
  /** Staff and installers see the whole fleet; family members only their households' cameras. */
  canSeeDevice(deviceId: string, householdId: string | null): boolean;
  /** A family member of this household (calls ring members only, not staff watching the fleet). */
  isMember(householdId: string): boolean;
  /** What happens inside this home (who watches, its stills): staff, its members, installers assigned to it. */
  canSeeInside(householdId: string): boolean;
  /** The signed-in user (notices go only to the members who chose them). */
  userId: string;
  send(message: ServerMessage): void;
}

type Scope = {
  deviceId: string;
  householdId: string | null;
  membersOnly?: boolean;
  /** About life inside the home rather than the camera's health: see LiveAudience.canSeeInside. */
  insideHome?: boolean;
  userIds?: string[];
};

export interface LiveHubEvents {
  /** Every message published here (cluster mode forwards them to the other gateways). */
  publish: [message: ServerMessage, scope?: Scope];
}

export class LiveHub {
  private readonly audiences = new Set<LiveAudience>();
  readonly #events: TypedEvents<LiveHubEvents>;

  constructor(log: ListenerErrorLog) {
    this.#events = new TypedEvents<LiveHubEvents>({ log, name: "live-hub" });
  }

  get events(): EventSource<LiveHubEvents> {
    return this.#events;
  }

  add(audience: LiveAudience): () => void {
    this.audiences.add(audience);
    return () => this.audiences.delete(audience);
  }

  get size(): number {
    return this.audiences.size;
  }

  /** householdId is the camera's, for scoping; messages not about a device go to everyone. */
  publish(message: ServerMessage, scope?: Scope): void {
    this.deliverLocally(message, scope);
    this.#events.emit("publish", message, scope);
  }

  /** To this gateway's sockets only (a message another gateway published). */
  deliverLocally(message: ServerMessage, scope?: Scope): void {
    for (const audience of this.audiences) {
      if (scope && !audience.canSeeDevice(scope.deviceId, scope.householdId)) continue;
      if (scope?.membersOnly && !(scope.householdId && audience.isMember(scope.householdId))) continue;
      if (scope?.insideHome && !(scope.householdId && audience.canSeeInside(scope.householdId))) continue;
      if (scope?.userIds && !scope.userIds.includes(audience.userId)) continue;
      audience.send(message);
    }
  }
}
