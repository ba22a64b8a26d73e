// One Wangxiang device on the wire: claims itself once, then lives on MQTT (status, heartbeat, events,
// commands) and reconnects with backoff. The simulator (firmware-sim) and the bridge (camera-bridge) are two
// devices built on it: each supplies what only it knows (sensors, stills, the stream, its reboot).
//
// This file is the device's state machine and wires its parts, each with its own file and tests:
// life and timers (life.ts), flash and claim (identity.ts), one MQTT connection (mqtt-session.ts), commands
// (command-handler.ts) and live view (stream-control.ts). Reconnecting with backoff is decided here. The
// fault methods (power loss, network flap) are what a real device suffers; tests and the simulator use them.
import {
  heartbeatMessage,
  type CameraHealth,
  type DeviceEventMessage,
  type HeartbeatMessage,
} from "../../protocol/device-messages.ts";
import { claimCode as claimCodeSchema, serial as serialSchema } from "../../protocol/http.ts";
import { TypedEvents } from "../../core/events.ts";
import { backoffDelayMs, defaultBackoff } from "./backoff.ts";
import { CallPanel } from "./call-panel.ts";
import { createStreamControl, type StreamControl } from "./stream-control.ts";
import {
  zeroCounters,
  type Device,
  type DeviceEvents,
  type DeviceOptions,
  type DeviceRefusal,
  type DeviceSnapshot,
  type DeviceState,
} from "./device-types.ts";
import { CommandHandler } from "./command-handler.ts";
import { StillUploader } from "./stills.ts";
import { CameraIdentity } from "./identity.ts";
import { Lives } from "./life.ts";
import { silentLogger, type Logger } from "./log.ts";
import { MqttSession } from "./mqtt-session.ts";

export * from "./device-types.ts";

export function createDevice(options: DeviceOptions): Device {
  return new WangxiangDevice(options);
}

class WangxiangDevice implements Device {
  readonly serial: string;
  readonly events: TypedEvents<DeviceEvents>;
  readonly #options: DeviceOptions;
  readonly #random: () => number;
  readonly #baseLog: Logger;
  #log: Logger;
  #state: DeviceState = "idle";
  readonly #lives = new Lives();
  readonly #identity: CameraIdentity;
  readonly #media: StreamControl;
  readonly #commands: CommandHandler;
  readonly #callPanel = new CallPanel();
  /** The household's consent to movement levels in privacy mode; a camera boots without it. */
  #activityInPrivacy = false;
  /** The camera behind a bridge, last reported; sent again after each reconnect. */
  #cameraHealth: CameraHealth | null = null;
  readonly #counters = zeroCounters();
  /** The current MQTT connection; null while there is none (claiming, waiting to reconnect, off). */
  #session: MqttSession | null = null;
  #bootAt = Date.now();
  #connectedThisBoot = false;
  #reconnectAttempt = 0;
  #refusal: DeviceRefusal | null = null;

  constructor(options: DeviceOptions) {
    this.serial = serialSchema.parse(options.serial);
    this.#options = options;
    this.#random = options.random ?? Math.random;
    const log = options.log ?? silentLogger();
    // A host may hand over a logger already bound to this serial (the bridge does): bind it once.
    this.#baseLog = log.bindings().serial === this.serial ? log : log.child({ serial: this.serial });
    this.#log = this.#baseLog;
    this.events = new TypedEvents<DeviceEvents>({ log: this.#baseLog, name: "device" });
    const claimCode = claimCodeSchema.parse(options.claimCode);
    this.#identity = new CameraIdentity({
      serial: this.serial,
      claimCode,
      store: options.store,
      factoryFirmware: options.firmware ?? "1.4.2",
    });
    this.#media = this.#createMedia();
    this.#commands = this.#createCommandHandler();
  }

  get activityInPrivacy(): boolean {
    return this.#activityInPrivacy;
  }

  async publishReport(topic: string, payload: string): Promise<void> {
    if (!this.#session || this.#state !== "online") throw new Error("offline");
    await this.#session.publish(topic, payload);
  }

  async refreshStatus(): Promise<void> {
    if (this.#session && this.#state === "online") await this.#session.refreshStatus();
  }

  reportCameraHealth(health: CameraHealth): void {
    const previous = this.#cameraHealth;
    this.#cameraHealth = health;
    if (previous?.state === health.state && previous.detail === health.detail) return;
    this.#log.info({ camera: health.state, detail: health.detail }, "camera health");
    void this.#publishEvent({ type: "camera-health", at: new Date().toISOString(), ...health }).catch((error: Error) =>
      this.#log.warn({ err: error.message }, "camera health not sent"),
    );
  }

  #createMedia(): StreamControl {
    const currentLog = () => this.#log;
    return createStreamControl({
      ...this.#options.media,
      get log() {
        return currentLog();
      },
      publishEvent: (event) => this.#publishEvent(event),
    });
  }

  #createCommandHandler(): CommandHandler {
    const identity = this.#identity;
    return new CommandHandler({
      log: () => this.#log,
      counters: this.#counters,
      firmware: {
        get: () => identity.firmware,
        set: (version) => void (identity.firmware = version),
        persist: () => identity.persist(),
      },
      privacy: () => identity.privacy,
      setPrivacy: (enabled, source) => this.#setPrivacy(enabled, source),
      reboot: () => this.reboot(),
      ...(this.#options.rebootCommand ? { rebootCommand: this.#options.rebootCommand } : {}),
      publishEvent: (event) => this.#publishEvent(event),
      media: this.#media,
      callStatus: (status) => this.#callPanel.onStatus(status),
      elderNotice: (notice) => this.#callPanel.onNotice(notice),
      clock: () => new Date(Date.now() + (this.#options.clockSkewMs ?? 0)),
      rssi: () => this.#options.readings().rssi,
      setActivityInPrivacy: (allowed) => void (this.#activityInPrivacy = allowed),
      stills: new StillUploader({
        takeStill: this.#options.takeStill,
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      }),
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
  }

  #setState(next: DeviceState) {
    if (next === this.#state) return;
    const previous = this.#state;
    this.#state = next;
    this.#log.debug({ state: next, previous }, "state");
    this.events.emit("state", next, previous);
  }

  // ── life ───────────────────────────────────────────────────────────
  /** Ends the current life and hands back its connection, detached, for the caller to drop or leave. */
  #endLife(): MqttSession | null {
    this.#options.lifeHooks?.end();
    void this.#media.reset("camera-down");
    this.#callPanel.reset();
    this.#lives.end();
    return this.#takeSession();
  }

  #takeSession(): MqttSession | null {
    const previous = this.#session;
    this.#session = null;
    previous?.detach();
    return previous;
  }

  #newLife(): AbortSignal {
    this.#endLife()?.drop();
    this.#activityInPrivacy = false;
    const signal = this.#lives.begin();
    this.#options.lifeHooks?.begin();
    return signal;
  }

  #startBoot() {
    this.#runBoot(this.#newLife());
  }

  #runBoot(signal: AbortSignal) {
    this.#boot(signal).catch((error: Error) => {
      this.#log.error({ err: error.message }, "boot failed");
      this.#endLife()?.drop();
      this.#refusal = { stage: "claim", code: "boot-failed", message: error.message };
      this.#setState("refused");
    });
  }

  // ── boot and claim ─────────────────────────────────────────────────
  async #boot(signal: AbortSignal) {
    this.#bootAt = Date.now();
    this.#connectedThisBoot = false;
    this.#reconnectAttempt = 0;
    this.#refusal = null;
    await this.#identity.load(this.#log, signal);
    if (signal.aborted) return;
    if (!this.#identity.credentials) this.#setState("claiming");
    const outcome = await this.#identity.claimIfNeeded({
      gatewayUrl: this.#options.gatewayUrl,
      backoff: this.#options.claimBackoff ?? defaultBackoff,
      random: this.#random,
      log: this.#log,
      signal,
      countRequests: (attempts) => void (this.#counters.claimRequests += attempts),
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
    if (outcome.kind === "aborted") return;
    if (outcome.kind === "refused") {
      this.#refusal = outcome.refusal;
      this.#setState("refused");
      return;
    }
    this.#log = this.#baseLog.child({ deviceId: outcome.credentials.deviceId });
    this.#connect(signal);
  }

  // ── MQTT ───────────────────────────────────────────────────────────
  #connect(signal: AbortSignal) {
    const credentials = this.#identity.credentials;
    if (signal.aborted || !credentials) return;
    this.#setState("connecting");
    const { mqttUrl, keepaliveS, persistentSession, connectTimeoutMs } = this.#options;
    const session = new MqttSession({
      credentials,
      mqttUrl,
      keepaliveS,
      persistentSession,
      connectTimeoutMs,
      random: this.#random,
      log: this.#log,
      firmware: () => this.#identity.firmware,
      ...(this.#options.capabilities ? { capabilities: this.#options.capabilities } : {}),
    });
    this.#session = session;
    session.events.on("connected", () => this.#onConnected(session, signal));
    session.events.on("command", (payload) =>
      this.#commands.handle(payload, (topic, response) => session.respond(topic, response), signal),
    );
    session.events.on("refused", (refusal) => this.#onRefused(session, refusal));
    session.events.on("closed", () => this.#onClosed(session, signal));
  }

  async #onConnected(session: MqttSession, signal: AbortSignal) {
    this.#counters.connects += 1;
    this.#reconnectAttempt = 0;
    const reason = this.#connectedThisBoot ? "reconnect" : "boot";
    this.#connectedThisBoot = true;
    if (!(await session.announce(reason))) return; // the close handler takes it from here
    if (this.#session !== session || signal.aborted) return;
    this.#log.info({ reason, firmware: this.#identity.firmware }, "online");
    this.#setState("online");
    const intervalS = this.#options.heartbeatIntervalS ?? this.#identity.credentials?.heartbeatIntervalS ?? 60;
    session.startHeartbeat(
      intervalS,
      () => this.#heartbeat(),
      () => void (this.#counters.heartbeats += 1),
    );
    // Whatever was said while offline was lost: the camera's health as it stands now.
    if (this.#cameraHealth)
      await session
        .publishEvent({ type: "camera-health", at: new Date().toISOString(), ...this.#cameraHealth })
        .catch((error: Error) => this.#log.warn({ err: error.message }, "camera health not sent"));
  }

  /** Revoked, or re-armed for a new claim: stop here instead of hammering the broker (a real camera blinks). */
  #onRefused(session: MqttSession, refusal: DeviceRefusal) {
    if (this.#session !== session) return;
    this.#session = null;
    this.#refusal = refusal;
    this.#setState("refused");
  }

  #onClosed(session: MqttSession, signal: AbortSignal) {
    if (this.#session !== session) return;
    this.#session = null;
    if (this.#state === "online") this.#log.warn("connection lost");
    this.#scheduleReconnect(signal);
  }

  #scheduleReconnect(signal: AbortSignal) {
    if (signal.aborted) return;
    const delayMs = backoffDelayMs(
      this.#reconnectAttempt,
      this.#options.reconnectBackoff ?? defaultBackoff,
      this.#random,
    );
    this.#reconnectAttempt += 1;
    this.#log.debug({ attempt: this.#reconnectAttempt, delayMs }, "reconnect scheduled");
    this.#setState("reconnecting");
    this.#lives.later(delayMs, () => this.#connect(signal));
  }

  #heartbeat(): HeartbeatMessage {
    const { firmware, privacy } = this.#identity;
    return heartbeatMessage.parse({
      at: new Date().toISOString(),
      uptimeS: this.#uptimeS(),
      firmware,
      privacy,
      ...this.#options.readings(),
    });
  }

  async #publishEvent(event: DeviceEventMessage) {
    const session = this.#session;
    if (!session || this.#state !== "online") {
      // Events are not queued: the next heartbeat carries the privacy flag, and status carries the firmware.
      this.#log.info({ event: event.type }, "offline, event not sent");
      return;
    }
    await session.publishEvent(event);
  }

  async #setPrivacy(enabled: boolean, source: "button" | "command") {
    const changed = enabled !== this.#identity.privacy;
    this.#identity.privacy = enabled;
    // Privacy is enforced on the camera too: whatever the gateway does, no picture leaves the house.
    if (enabled) await this.#media.reset("privacy-mode");
    if (!changed) return; // nothing changed, so no "privacy-changed" event
    this.#identity.persistInBackground(this.#log);
    this.#log.info({ privacy: enabled, source }, "privacy changed");
    await this.#publishEvent({ type: "privacy-changed", at: new Date().toISOString(), enabled, source });
  }

  #uptimeS(): number {
    return Math.floor((Date.now() - this.#bootAt) / 1000);
  }

  // ── what the outside world (and tests) can do to the camera ───────
  async start(): Promise<void> {
    if (this.#state !== "idle" && this.#state !== "stopped") return;
    this.#startBoot();
  }

  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    // Waited for, unlike a power cut's: the relay hears the stream end (WHIP DELETE) before the process exits.
    const mediaStopped = this.#media.reset("shutdown");
    const previous = this.#endLife();
    await Promise.all([mediaStopped, previous?.leave("shutdown")]);
    this.#setState("stopped");
  }

  powerLoss(): void {
    if (!this.#lives.alive) return;
    this.#log.info("power lost");
    this.#endLife()?.drop();
    this.#setState("powered-off");
  }

  powerOn(): void {
    if (this.#state !== "powered-off" && this.#state !== "refused") return;
    this.#log.info("power on");
    this.#startBoot();
  }

  networkFlap(ms: number): void {
    const signal = this.#lives.signal;
    if (!signal || !["online", "connecting", "reconnecting"].includes(this.#state)) return;
    this.#log.info({ ms }, "network down");
    this.#lives.cancelTimers(); // a pending reconnect cannot reach anyone
    void this.#media.reset("network-down");
    this.#takeSession()?.drop();
    this.#setState("reconnecting");
    this.#lives.later(ms, () => {
      this.#log.info("network back");
      this.#connect(signal);
    });
  }

  pressPrivacyButton(): void {
    if (!this.#lives.alive) return;
    // While a call home rings, this button declines it; the gateway then turns privacy on for the household's time.
    if (this.#callPanel.decline()) {
      void this.#publishEvent({ type: "call-declined", at: new Date().toISOString() });
      return;
    }
    this.#setPrivacy(!this.#identity.privacy, "button").catch((error: Error) =>
      this.#log.warn({ err: error.message }, "privacy event not sent"),
    );
  }

  async pressCallButton(): Promise<boolean> {
    const session = this.#session;
    if (!this.#callPanel.press(this.#state === "online" && session !== null)) {
      this.#log.info("call button pressed while offline");
      return false;
    }
    await session!.publishEvent({ type: "call-button", at: new Date().toISOString() });
    return true;
  }

  async factoryReset(): Promise<void> {
    this.#log.info("factory reset");
    const previous = this.#endLife();
    // Not "online" any more from this moment: a watcher must not take the old session for the new one.
    this.#setState("rebooting");
    if (previous?.connected)
      await previous.publishEvent({ type: "factory-reset", at: new Date().toISOString() }).catch(() => {});
    await previous?.leave("reboot");
    await this.#identity.wipe();
    this.#log = this.#baseLog;
    this.#startBoot();
  }

  async reboot(): Promise<void> {
    if (!this.#lives.alive || this.#state === "rebooting") return;
    this.#log.info("rebooting");
    const previous = this.#endLife();
    this.#setState("rebooting");
    const signal = this.#newLife();
    await previous?.leave("reboot");
    if (signal.aborted) return;
    const { min, max } = this.#options.rebootDelayMs ?? { min: 1_000, max: 2_000 };
    const delayMs = min + Math.floor(this.#random() * Math.max(0, max - min));
    this.#lives.later(delayMs, () => this.#runBoot(signal));
  }

  snapshot(): DeviceSnapshot {
    const { serial } = this;
    const { credentials, firmware, privacy } = this.#identity;
    return {
      serial,
      deviceId: credentials?.deviceId ?? null,
      state: this.#state,
      claimed: credentials !== null,
      firmware,
      privacy,
      uptimeS: this.#uptimeS(),
      refusal: this.#refusal,
      counters: { ...this.#counters },
      media: this.#media.snapshot(),
      calls: this.#callPanel.snapshot(),
      cameraHealth: this.#cameraHealth,
    };
  }
}
