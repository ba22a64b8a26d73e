// A bridged camera's health (camera-bridge/): the bridge says how the camera behind it is ("ok", "unreachable",
// "auth-failed", "no-stream") whenever that changes and after every reconnect. Stored on the device so staff see
// which fault a camera has: the device offline (the bridge is gone) or online with its camera not right.
// Alerts follow the stored health (alert-monitor.ts); a camera that is ok again has its alert resolved at once.
import type { Database } from "../../../core/database.ts";
import type { CameraHealth, DeviceCapabilities } from "../../../protocol/index.ts";
import type { LiveHub } from "../events/live-hub.ts";

export interface CameraHealthOptions {
  db: Database;
  hub: LiveHub;
  /** Told when a camera is ok again (its camera alert resolves). */
  onHealthy(deviceId: string, at: Date): Promise<void>;
}

export async function recordCameraHealth(
  options: CameraHealthOptions,
  deviceId: string,
  health: CameraHealth & { at: string },
  receivedAt: Date,
): Promise<void> {
  const { db, hub } = options;
  const current = await db.device.findUnique({
    where: { id: deviceId },
    select: { cameraHealth: true, cameraHealthSince: true, householdId: true },
  });
  if (!current) return;
  const changed = current.cameraHealth !== health.state;
  // "Since" is when the state began: a repeat after a reconnect keeps it (the gateway's clock, not the bridge's).
  const since = changed || !current.cameraHealthSince ? receivedAt : current.cameraHealthSince;
  await db.device.update({
    where: { id: deviceId },
    data: { cameraHealth: health.state, cameraHealthDetail: health.detail ?? null, cameraHealthSince: since },
  });
  if (!changed) return;
  hub.publish(
    { type: "device.camera", deviceId, at: since.toISOString(), health: health.state, detail: health.detail ?? null },
    { deviceId, householdId: current.householdId },
  );
  if (health.state === "ok") await options.onHealthy(deviceId, receivedAt);
}

/** What a device says it can do, from its "online" status: stored only when it changes (absent: it can). */
export async function recordCapabilities(db: Database, deviceId: string, said: DeviceCapabilities): Promise<void> {
  const { talkback } = said;
  const callButton = said.callButton ?? true;
  await db.device.updateMany({
    where: {
      id: deviceId,
      OR: [{ talkback: null }, { talkback: !talkback }, { callButton: null }, { callButton: !callButton }],
    },
    data: { talkback, callButton },
  });
}
