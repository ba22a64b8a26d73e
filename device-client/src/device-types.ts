// A Wangxiang device's public types: its states, options, snapshot and the interface createDevice returns.
import type { CameraHealth, DeviceCapabilities } from "../../protocol/index.ts";
import type { BackoffPolicy } from "./backoff.ts";
import type { CallPanelSnapshot } from "./call-panel.ts";
import type { StartStream } from "./camera-stream.ts";
import type { CredentialsStore } from "./credentials-store.ts";
import type { Logger } from "./log.ts";
import type { TakeStill } from "./stills.ts";
import type { StreamSnapshot } from "./stream-control.ts";
import type { EventSource } from "../../core/events.ts";

export type DeviceState =
  | "idle" // created, start() not called yet
  | "claiming" // first boot: asking the gateway for credentials
  | "connecting" // MQTT connection attempt under way
  | "online"
  | "reconnecting" // waiting for the next attempt (backoff, or the network is down)
  | "rebooting"
  | "powered-off"
  | "refused" // the gateway or the broker said no: final until powerOn(), factoryReset() or a restart
  | "stopped";

export const deviceStates: readonly DeviceState[] = [
  "idle",
  "claiming",
  "connecting",
  "online",
  "reconnecting",
  "rebooting",
  "powered-off",
  "refused",
  "stopped",
];

export interface DeviceRefusal {
  stage: "claim" | "mqtt";
  /** errorReply.error for a claim (e.g. "claim-code-used"), "connack-<code>" for MQTT. */
  code: string;
  message: string;
  httpStatus?: number;
}

export interface DeviceCounters {
  connects: number;
  claimRequests: number;
  heartbeats: number;
  commandsHandled: number;
  invalidCommands: number;
  expiredCommands: number;
  duplicateCommands: number;
  /** Stills uploaded (take-snapshot), and those not taken or refused (privacy mode, an upload the gateway refused). */
  stillsPosted: number;
  stillsRefused: number;
}

export const zeroCounters = (): DeviceCounters => ({
  connects: 0,
  claimRequests: 0,
  heartbeats: 0,
  commandsHandled: 0,
  invalidCommands: 0,
  expiredCommands: 0,
  duplicateCommands: 0,
  stillsPosted: 0,
  stillsRefused: 0,
});

export interface DeviceSnapshot {
  serial: string;
  deviceId: string | null;
  state: DeviceState;
  claimed: boolean;
  firmware: string;
  privacy: boolean;
  uptimeS: number;
  refusal: DeviceRefusal | null;
  counters: DeviceCounters;
  media: StreamSnapshot;
  /** The camera behind the device as last reported (the bridge); null for a device that is its own camera. */
  cameraHealth: CameraHealth | null;
  calls: CallPanelSnapshot;
}

/** What a heartbeat carries besides the client's own fields: the device's sensors now. */
export interface DeviceReadings {
  /** dBm; null for a wired camera (no radio). */
  rssi: number | null;
  temperatureC: number;
  freeStorageMb: number;
}

/** A reboot the device does its own way (the bridge: ONVIF SystemReboot); throws "…not supported" when it cannot. */
export type DeviceReboot = () => Promise<Record<string, unknown>>;

export interface DeviceOptions {
  serial: string;
  claimCode: string;
  gatewayUrl: string;
  store: CredentialsStore;
  /** Firmware of a camera fresh from the factory; a stored (updated) version wins. Default "1.4.2". */
  firmware?: string;
  /** Overrides heartbeatIntervalS from the claim reply. */
  heartbeatIntervalS?: number;
  /** Overrides keepaliveS from the claim reply. */
  keepaliveS?: number;
  /** Overrides mqttUrl from the claim reply (when the gateway names the broker by a host we cannot resolve). */
  mqttUrl?: string;
  reconnectBackoff?: BackoffPolicy;
  /**
   * MQTT clean session off: the broker keeps the command subscription while the camera is away and queues
   * QoS 1 commands for it (in a cluster, in Redis, whichever broker the camera comes back to). Default false.
   */
  persistentSession?: boolean;
  claimBackoff?: BackoffPolicy;
  /** How long the camera stays dark while rebooting, ms. Default 1000–2000. */
  rebootDelayMs?: { min: number; max: number };
  connectTimeoutMs?: number;
  random?: () => number;
  fetch?: typeof fetch;
  log?: Logger;
  /** How far the camera's clock is off, ms (a flat RTC battery and no time server): what clock-probe reports. */
  clockSkewMs?: number;
  /** Live view: how the device starts its stream, and ICE host addresses and policy (tests use loopback only). */
  media: { startStream: StartStream; hostAddresses?: string[]; iceTransportPolicy?: "all" | "relay" };
  /** The device's sensors, read for each heartbeat. */
  readings(): DeviceReadings;
  /** Takes one JPEG for take-snapshot. */
  takeStill: TakeStill;
  /** What the device can do, read at every "online" status (absent: a full Wangxiang camera). */
  capabilities?: () => DeviceCapabilities;
  /** The reboot command done the device's own way; absent: disconnect, stay dark rebootDelayMs, boot again. */
  rebootCommand?: DeviceReboot;
  /** Told when a power-on period begins and ends (the simulator's activity meter runs inside it). */
  lifeHooks?: { begin(): void; end(): void };
}

export interface DeviceEvents {
  state: [state: DeviceState, previous: DeviceState];
}

export interface Device {
  readonly serial: string;
  /** Announces state changes; `on` returns the function that unsubscribes. */
  readonly events: EventSource<DeviceEvents>;
  /** Switches the camera on. Resolves once the boot has begun; watch `events` or snapshot() for progress. */
  start(): Promise<void>;
  /** Graceful shutdown: retained offline "shutdown", then DISCONNECT (so the broker does not fire the will). */
  stop(): Promise<void>;
  /** Power cut: the socket dies without DISCONNECT, so the broker publishes the will. Dark until powerOn(). */
  powerLoss(): void;
  powerOn(): void;
  /** The uplink drops (no DISCONNECT) and comes back after `ms`. */
  networkFlap(ms: number): void;
  /** Privacy on/off; while a call home rings, it declines the call instead. */
  pressPrivacyButton(): void;
  /**
   * The call button: answers a call home that is ringing, hangs up the call in progress, or calls the family.
   * Resolves false when the press went nowhere (the camera is offline: counted in
   * snapshot().calls.pressesWhileOffline).
   */
  pressCallButton(): Promise<boolean>;
  /** Wipes the state file (credentials and all) and boots fresh, which claims again. */
  factoryReset(): Promise<void>;
  /** Same as the reboot command: offline "reboot", disconnect, boot again after rebootDelayMs. */
  reboot(): Promise<void>;
  /**
   * The bridge's word on the camera behind this device: sent as a camera-health event now if it changed (and
   * again after every reconnect), so staff can tell "bridge offline" from "bridge fine, camera not".
   */
  reportCameraHealth(health: CameraHealth): void;
  /** Says "online" again with `capabilities()` as they are now (learnt after connecting); nothing while offline. */
  refreshStatus(): Promise<void>;
  /** Whether the household allowed movement levels while private (activity-settings); reset at every boot. */
  readonly activityInPrivacy: boolean;
  /** QoS 1 publish on the current connection; throws "offline" when there is none. */
  publishReport(topic: string, payload: string): Promise<void>;
  snapshot(): DeviceSnapshot;
}
