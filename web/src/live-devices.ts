// Cameras as the live socket updates them: fetched once, then patched by device and command events.
import { useEffect, useState } from "preact/hooks";
import type { ServerMessage } from "../../protocol/ws.ts";
import { useLiveEvents } from "./hooks.ts";
import type { DeviceView } from "./types.ts";

/** Applies a live event to a camera; events about other cameras leave it as it is (same object). */
export function applyDeviceEvent<T extends DeviceView>(device: T, message: ServerMessage): T {
  if (message.type === "device.connection" && message.deviceId === device.id) {
    return { ...device, connection: message.state, lastSeenAt: message.at, offlineSince: message.state === "offline" ? message.at : null };
  }
  if (message.type === "device.heartbeat" && message.deviceId === device.id) {
    return { ...device, connection: "online", lastSeenAt: message.at, lastHeartbeatAt: message.at, rssi: message.rssi, temperatureC: message.temperatureC, uptimeS: message.uptimeS };
  }
  if (message.type === "command.finished" && message.command.deviceId === device.id && message.command.name === "privacy" && message.command.status === "succeeded") {
    return { ...device, privacy: Boolean(message.command.params.enabled) };
  }
  return device;
}

export function useLiveDevices<T extends DeviceView>(fetched: T[] | null | undefined): T[] {
  const [list, setList] = useState<T[]>(fetched ?? []);
  useEffect(() => setList(fetched ?? []), [fetched]);
  useLiveEvents((message) => setList((current) => {
    const next = current.map((d) => applyDeviceEvent(d, message));
    return next.some((d, i) => d !== current[i]) ? next : current;
  }));
  return list;
}

export function useLiveDevice<T extends DeviceView>(fetched: T | null | undefined): T | null {
  const list = useLiveDevices(fetched ? [fetched] : null);
  return list[0] ?? null;
}
