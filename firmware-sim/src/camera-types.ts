// The simulated camera's public types: its states, options, snapshot and the interface createCamera returns.
import type { BackoffPolicy } from "./backoff.ts";
import type { CallPanelSnapshot } from "./call-panel.ts";
import type { CameraMediaOptions, CameraMediaSnapshot } from "./camera-media.ts";
import type { CredentialsStore } from "./credentials-store.ts";
import type { Logger } from "./log.ts";
import type { EventSource } from "../../core/events.ts";

export type CameraState =
  | "idle" // created, start() not called yet
  | "claiming" // first boot: asking the gateway for credentials
  | "connecting" // MQTT connection attempt under way
  | "online"
  | "reconnecting" // waiting for the next attempt (backoff, or the network is down)
  | "rebooting"
  | "powered-off"
  | "refused" // the gateway or the broker said no: final until powerOn(), factoryReset() or a restart
  | "stopped";

export const cameraStates: readonly CameraState[] = [
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

export interface CameraRefusal {
  stage: "claim" | "mqtt";
  /** errorReply.error for a claim (e.g. "claim-code-used"), "connack-<code>" for MQTT. */
  code: string;
  message: string;
  httpStatus?: number;
}

export interface CameraCounters {
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

export interface CameraSnapshot {
  serial: string;
  deviceId: string | null;
  state: CameraState;
  claimed: boolean;
  firmware: string;
  privacy: boolean;
  uptimeS: number;
  refusal: CameraRefusal | null;
  counters: CameraCounters;
  media: CameraMediaSnapshot;
  calls: CallPanelSnapshot;
}

export interface CameraOptions {
  serial: string;
  claimCode: string;
  gatewayUrl: string;
  store: CredentialsStore;
  /** Firmware of a camera fresh from the factory; a stored (updated) version wins. Default "1.4.2". */
  firmware?: string;
  /** Overrides heartbeatIntervalS from the claim reply. */
  heartbeatIntervalS?: number;
  /** Report movement per minute (activity-meter.ts) every this many minutes; 0 or absent: off. */
  activityReportMin?: number;
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
  /** Live-view media: ICE host addresses and policy (tests use loopback only), or another stream starter. */
  media?: Pick<CameraMediaOptions, "hostAddresses" | "iceTransportPolicy" | "startStream">;
}

export interface CameraEvents {
  state: [state: CameraState, previous: CameraState];
}

export interface Camera {
  readonly serial: string;
  /** Announces state changes; `on` returns the function that unsubscribes. */
  readonly events: EventSource<CameraEvents>;
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
  snapshot(): CameraSnapshot;
}
