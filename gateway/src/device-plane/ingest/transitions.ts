// The connection state machine, as pure code: given the device rows a batch of status messages touches and the
// messages in arrival order, which rows change and which online/offline transitions happen. Both stores
// (SQLite, PostgreSQL) read the rows, call this, and write what it says, inside one transaction.
import type { ConnectionTransition, StatusWrite } from "./protocol.ts";

export interface ConnectionRow {
  id: string;
  connection: string;
  /** ISO 8601, as stored; written back unchanged unless the connection changes. */
  connectionSince: string | null;
  sessionId: string | null;
  lastSeenAt: string | null;
  firmware: string | null;
  householdId: string | null;
  claimState: string;
  village: string | null;
}

export interface TransitionPlan {
  changedRows: ConnectionRow[];
  transitions: ConnectionTransition[];
  connections: Array<[string, string]>;
}

export function planTransitions(rows: ConnectionRow[], statuses: StatusWrite[]): TransitionPlan {
  const devices = new Map(rows.map((row) => [row.id, { ...row }]));
  const changed = new Set<string>();
  const transitions: ConnectionTransition[] = [];
  for (const status of statuses) {
    const device = devices.get(status.deviceId);
    if (!device || ignored(device, status)) continue;
    const sessionId = nextSession(device, status);
    if (sessionId !== device.sessionId) {
      device.sessionId = sessionId;
      changed.add(device.id);
    }
    if (device.connection === status.state) continue;
    const at = new Date(status.receivedAtMs).toISOString();
    Object.assign(device, { connection: status.state, connectionSince: at, lastSeenAt: at });
    if (status.firmware) device.firmware = status.firmware;
    changed.add(device.id);
    transitions.push({
      deviceId: device.id,
      householdId: device.householdId,
      village: device.village,
      state: status.state,
      atMs: status.receivedAtMs,
      reason: status.reason,
    });
  }
  return {
    changedRows: [...changed].map((id) => devices.get(id)!),
    transitions,
    connections: [...devices.values()].map((d) => [d.id, d.connection]),
  };
}

function ignored(device: ConnectionRow, status: StatusWrite): boolean {
  // A heartbeat in flight when the camera was revoked or re-armed is no proof of a live camera in service.
  if (status.reason === "heartbeat" && device.claimState !== "claimed") return true;
  // A will from a connection that has since been replaced arrives after the new one's "online": ignore it.
  return status.state === "offline" && !!status.session && !!device.sessionId && status.session !== device.sessionId;
}

/**
 * Online without a session (a heartbeat, the broker's list of clients): keep the session of a camera already
 * online; otherwise it is unknown, so that the will of whichever connection it has applies.
 */
function nextSession(device: ConnectionRow, status: StatusWrite): string | null {
  if (status.state !== "online") return device.sessionId;
  return status.session ?? (device.connection === "online" ? device.sessionId : null);
}
