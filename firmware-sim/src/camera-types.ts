// The simulated camera's public types: a device-client device with the simulator's own options. The names
// tests and the fleet have always used (Camera, CameraState, …) are the device client's types.
import type {
  Device,
  DeviceCounters,
  DeviceEvents,
  DeviceOptions,
  DeviceRefusal,
  DeviceSnapshot,
  DeviceState,
} from "../../device-client/src/device-types.ts";

export { deviceStates as cameraStates } from "../../device-client/src/device-types.ts";
export type Camera = Device;
export type CameraState = DeviceState;
export type CameraRefusal = DeviceRefusal;
export type CameraCounters = DeviceCounters;
export type CameraSnapshot = DeviceSnapshot;
export type CameraEvents = DeviceEvents;

export interface CameraOptions extends Omit<
  DeviceOptions,
  "media" | "readings" | "takeStill" | "capabilities" | "rebootCommand" | "lifeHooks"
> {
  /** Report movement per minute (activity-meter.ts) every this many minutes; 0 or absent: off. */
  activityReportMin?: number;
  /** Live-view media: ICE host addresses and policy (tests use loopback only), or another stream starter. */
  media?: Partial<DeviceOptions["media"]>;
}
