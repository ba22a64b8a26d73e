// One simulated home camera: claims itself once, then lives on MQTT (status, heartbeat, events, commands)
// and can be made to misbehave the way real cameras do in villages (power cuts, flaky uplinks).
//
// Life cycle. A "life" is one power-on period of the camera: boot → (claim) → connect → online … It is an
// AbortController; a power cut, a reboot or stop() aborts it, which cancels the claim request, a firmware
// download and every timer of that life, so nothing from a previous life can act after the camera restarted.
import { EventEmitter } from "node:events";
import mqtt, { type MqttClient } from "mqtt";
import {
  commandResponseMessage,
  deviceCommandTopic,
  deviceEventMessage,
  deviceEventsTopic,
  deviceStatusMessage,
  deviceStatusTopic,
  deviceTelemetryTopic,
  heartbeatMessage,
  serial as serialSchema,
  claimCode as claimCodeSchema,
  type CommandRequestMessage,
  type CommandResponseMessage,
  type DeviceEventMessage,
  type DeviceStatusMessage,
} from "../../protocol/index.ts";
import { backoffDelayMs, defaultBackoff, type BackoffPolicy } from "./backoff.ts";
import { claimDevice, type ClaimReply } from "./claim.ts";
import { createCameraMedia, type CameraMediaOptions, type CameraMediaSnapshot } from "./camera-media.ts";
import { parseCommand } from "./commands.ts";
import type { CameraStateFile, CredentialsStore } from "./credentials-store.ts";
import { downloadFirmware } from "./firmware.ts";
import { silentLogger, type Logger } from "./log.ts";
import { createSensorModel } from "./sensors.ts";

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

export const cameraStates: readonly CameraState[] = ["idle", "claiming", "connecting", "online", "reconnecting", "rebooting", "powered-off", "refused", "stopped"];

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
  /** Live-view media: ICE host addresses and policy (tests use loopback only), or another stream starter. */
  media?: Pick<CameraMediaOptions, "hostAddresses" | "iceTransportPolicy" | "startStream">;
}

export interface CameraEvents {
  state: [state: CameraState, previous: CameraState];
}

export interface Camera {
  readonly serial: string;
  readonly events: EventEmitter<CameraEvents>;
  /** Switches the camera on. Resolves once the boot has begun; watch `events` or snapshot() for progress. */
  start(): Promise<void>;
  /** Graceful shutdown: retained offline "shutdown", then DISCONNECT (so the broker does not fire the will). */
  stop(): Promise<void>;
  /** Power cut: the socket dies without DISCONNECT, so the broker publishes the will. Dark until powerOn(). */
  powerLoss(): void;
  powerOn(): void;
  /** The uplink drops (no DISCONNECT) and comes back after `ms`. */
  networkFlap(ms: number): void;
  pressPrivacyButton(): void;
  /** Wipes the state file (credentials and all) and boots fresh, which claims again. */
  factoryReset(): Promise<void>;
  /** Same as the reboot command: offline "reboot", disconnect, boot again after rebootDelayMs. */
  reboot(): Promise<void>;
  snapshot(): CameraSnapshot;
}

const refusedConnackCodes = new Map<number, string>([
  [2, "identifier rejected"],
  [4, "bad user name or password"],
  [5, "not authorized"],
]);

export function createCamera(options: CameraOptions): Camera {
  const serial = serialSchema.parse(options.serial);
  const claimCode = claimCodeSchema.parse(options.claimCode);
  const random = options.random ?? Math.random;
  const reconnectBackoff = options.reconnectBackoff ?? defaultBackoff;
  const rebootDelay = options.rebootDelayMs ?? { min: 1_000, max: 2_000 };
  const sensors = createSensorModel({ seed: serial, random });
  const events = new EventEmitter<CameraEvents>();
  const baseLog = (options.log ?? silentLogger()).child({ serial });
  let log = baseLog;

  let state: CameraState = "idle";
  let life: AbortController | null = null;
  const lifeTimers = new Set<NodeJS.Timeout>();
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let client: MqttClient | null = null;
  let credentials: ClaimReply | null = null;
  let firmware = options.firmware ?? "1.4.2";
  let privacy = false;
  let bootAt = Date.now();
  let connectedThisBoot = false;
  let reconnectAttempt = 0;
  /** Random per MQTT connection, in its "online" status and its will: the gateway ignores a late will of an older connection. */
  let session = "";
  let refusal: CameraRefusal | null = null;
  let updatingFirmware = false;
  /** Recently executed commands by correlationId: QoS 1 may deliver a command twice; run it once. */
  const recentCommands = new Map<string, CommandResponseMessage | null>();
  const media = createCameraMedia({
    ...options.media,
    get log() { return log; },
    publishEvent: (event) => publishEvent(event),
  });
  const counters: CameraCounters = { connects: 0, claimRequests: 0, heartbeats: 0, commandsHandled: 0, invalidCommands: 0, expiredCommands: 0, duplicateCommands: 0 };

  function setState(next: CameraState) {
    if (next === state) return;
    const previous = state;
    state = next;
    log.debug({ state: next, previous }, "state");
    events.emit("state", next, previous);
  }

  // ── life and timers ────────────────────────────────────────────────
  function later(ms: number, fn: () => void) {
    const timer = setTimeout(() => {
      lifeTimers.delete(timer);
      fn();
    }, ms);
    lifeTimers.add(timer);
  }

  function stopHeartbeat() {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    heartbeatTimer = null;
  }

  /** Ends the current life: cancels its timers and pending work and kills the socket (no DISCONNECT). */
  function endLife(): MqttClient | null {
    void media.reset("camera-down");
    life?.abort();
    life = null;
    for (const timer of lifeTimers) clearTimeout(timer);
    lifeTimers.clear();
    stopHeartbeat();
    const previous = client;
    client = null; // before end(): the close handler ignores clients that are no longer current
    return previous;
  }

  function newLife(): AbortSignal {
    endLife()?.end(true);
    life = new AbortController();
    return life.signal;
  }

  // ── boot and claim ─────────────────────────────────────────────────
  async function boot(signal: AbortSignal) {
    bootAt = Date.now();
    connectedThisBoot = false;
    reconnectAttempt = 0;
    refusal = null;
    let stored: CameraStateFile | null = null;
    try {
      stored = await options.store.load(serial);
    } catch (error) {
      // Corrupt flash: behave like a camera fresh from the factory.
      log.error({ err: (error as Error).message }, "state file unreadable, starting as unclaimed");
    }
    if (signal.aborted) return;
    if (stored) {
      firmware = stored.firmware;
      privacy = stored.privacy;
    }
    credentials = stored?.credentials ?? null;
    if (!stored) await persist(); // factory identity, so a restart before the claim finishes keeps the serial
    if (signal.aborted) return;

    if (!credentials) {
      setState("claiming");
      const outcome = await claimDevice({
        gatewayUrl: options.gatewayUrl, serial, claimCode, signal, log, random,
        backoff: options.claimBackoff ?? defaultBackoff, ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      counters.claimRequests += outcome.attempts;
      if (outcome.kind === "aborted" || signal.aborted) return;
      if (outcome.kind === "refused") {
        refusal = { stage: "claim", code: outcome.error, message: outcome.message, httpStatus: outcome.httpStatus };
        log.error({ httpStatus: outcome.httpStatus, error: outcome.error, message: outcome.message }, "claim refused; not retrying until next boot");
        setState("refused");
        return;
      }
      credentials = outcome.reply;
      await persist(new Date().toISOString());
      if (signal.aborted) return;
      log.info({ deviceId: credentials.deviceId }, "claimed");
    }
    log = baseLog.child({ deviceId: credentials.deviceId });
    connect(signal);
  }

  async function persist(claimedAt?: string) {
    const existing = await options.store.load(serial).catch(() => null);
    await options.store.save({
      serial, claimCode, firmware, privacy, credentials,
      claimedAt: credentials ? (claimedAt ?? existing?.claimedAt ?? new Date().toISOString()) : null,
    });
  }

  function persistInBackground() {
    persist().catch((error) => log.error({ err: (error as Error).message }, "could not write state file"));
  }

  // ── MQTT ───────────────────────────────────────────────────────────
  function statusMessage(online: boolean, reason: NonNullable<DeviceStatusMessage["reason"]>): DeviceStatusMessage {
    return deviceStatusMessage.parse({ state: online ? "online" : "offline", at: new Date().toISOString(), reason, session, ...(online ? { firmware } : {}) });
  }

  function connect(signal: AbortSignal) {
    if (signal.aborted || !credentials) return;
    const creds = credentials;
    const deviceId = creds.deviceId;
    setState("connecting");
    session = Math.floor(random() * 2 ** 48).toString(36) + Date.now().toString(36);
    const c = mqtt.connect(options.mqttUrl ?? creds.mqttUrl, {
      protocolVersion: 4,
      clientId: deviceId,
      username: creds.mqttUsername,
      password: creds.mqttPassword,
      keepalive: options.keepaliveS ?? creds.keepaliveS,
      clean: !options.persistentSession,
      reconnectPeriod: 0, // reconnecting is ours: full-jitter backoff, and no retry once refused
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // The will's `at` is fixed at CONNECT time (MQTT cannot change it later): the gateway should take
      // the time it receives the will as the moment the camera was lost.
      will: { topic: deviceStatusTopic(deviceId), payload: Buffer.from(JSON.stringify(statusMessage(false, "lost"))), qos: 1, retain: true },
    });
    client = c;

    c.on("connect", () => {
      if (client === c) void onConnected(c, deviceId, signal);
    });
    c.on("message", (topic, payload) => {
      if (client === c && topic === deviceCommandTopic(deviceId)) void onCommand(c, payload, signal);
    });
    c.on("error", (error) => {
      if (client !== c) return;
      const code = (error as Error & { code?: unknown }).code;
      const refusedAs = typeof code === "number" ? refusedConnackCodes.get(code) : undefined;
      if (refusedAs) {
        // Revoked, or re-armed for a new claim: these credentials will not work again. Stop here instead of
        // hammering the broker; a real camera would blink its status light.
        refusal = { stage: "mqtt", code: `connack-${code}`, message: refusedAs };
        log.error({ connackCode: code, reason: refusedAs }, "broker refused stored credentials; giving up until next boot or factory reset");
        client = null;
        stopHeartbeat();
        c.end(true);
        setState("refused");
        return;
      }
      log.debug({ err: error.message }, "mqtt error");
    });
    c.on("close", () => {
      if (client !== c) return;
      client = null;
      stopHeartbeat();
      if (state === "online") log.warn("connection lost");
      scheduleReconnect(signal);
    });
  }

  function scheduleReconnect(signal: AbortSignal) {
    if (signal.aborted) return;
    const delayMs = backoffDelayMs(reconnectAttempt, reconnectBackoff, random);
    reconnectAttempt += 1;
    log.debug({ attempt: reconnectAttempt, delayMs }, "reconnect scheduled");
    setState("reconnecting");
    later(delayMs, () => connect(signal));
  }

  async function onConnected(c: MqttClient, deviceId: string, signal: AbortSignal) {
    counters.connects += 1;
    reconnectAttempt = 0;
    const reason = connectedThisBoot ? "reconnect" : "boot";
    connectedThisBoot = true;
    try {
      // Subscribe before announcing: the gateway may send a command the moment it sees "online".
      const granted = await c.subscribeAsync(deviceCommandTopic(deviceId), { qos: 1 });
      if (granted.some((g) => g.qos === 128)) log.error({ topic: deviceCommandTopic(deviceId) }, "broker refused the command subscription");
      await c.publishAsync(deviceStatusTopic(deviceId), JSON.stringify(statusMessage(true, reason)), { qos: 1, retain: true });
    } catch (error) {
      log.warn({ err: (error as Error).message }, "could not announce online");
      return; // the close handler takes it from here
    }
    if (client !== c || signal.aborted) return;
    log.info({ reason, firmware }, "online");
    setState("online");
    sendHeartbeat(c, deviceId);
    const intervalS = options.heartbeatIntervalS ?? credentials?.heartbeatIntervalS ?? 60;
    stopHeartbeat();
    heartbeatTimer = setInterval(() => {
      if (client === c) sendHeartbeat(c, deviceId);
    }, intervalS * 1000);
  }

  function sendHeartbeat(c: MqttClient, deviceId: string) {
    const message = heartbeatMessage.parse({
      at: new Date().toISOString(),
      uptimeS: Math.floor((Date.now() - bootAt) / 1000),
      firmware,
      privacy,
      ...sensors.read(),
    });
    counters.heartbeats += 1;
    c.publish(deviceTelemetryTopic(deviceId), JSON.stringify(message), { qos: 0 });
  }

  async function publishEvent(event: DeviceEventMessage) {
    const c = client;
    if (!c || !credentials || state !== "online") {
      // Events are not queued: the next heartbeat carries the privacy flag, and status carries the firmware.
      log.info({ event: event.type }, "offline, event not sent");
      return;
    }
    await c.publishAsync(deviceEventsTopic(credentials.deviceId), JSON.stringify(deviceEventMessage.parse(event)), { qos: 1 });
  }

  // ── commands ───────────────────────────────────────────────────────
  async function respond(c: MqttClient, topic: string, response: CommandResponseMessage) {
    await c.publishAsync(topic, JSON.stringify(commandResponseMessage.parse(response)), { qos: 1 });
  }

  async function onCommand(c: MqttClient, payload: Buffer, signal: AbortSignal) {
    const parsed = parseCommand(payload);
    if (parsed.kind === "invalid") {
      counters.invalidCommands += 1;
      log.warn({ reason: parsed.reason, correlationId: parsed.replyTo?.correlationId }, "invalid command");
      if (parsed.replyTo) {
        await respond(c, parsed.replyTo.responseTopic, { correlationId: parsed.replyTo.correlationId, ok: false, error: `invalid command: ${parsed.reason}`.slice(0, 500) })
          .catch((error) => log.warn({ err: (error as Error).message }, "could not answer invalid command"));
      }
      return;
    }
    const command = parsed.command;
    if (parsed.kind === "expired") {
      counters.expiredCommands += 1;
      log.info({ name: command.name, correlationId: command.correlationId, expiresAt: command.expiresAt }, "command expired, dropped");
      return;
    }
    if (recentCommands.has(command.correlationId)) {
      counters.duplicateCommands += 1;
      const earlier = recentCommands.get(command.correlationId);
      if (earlier) await respond(c, command.responseTopic, earlier).catch(() => {});
      return;
    }
    recentCommands.set(command.correlationId, null);
    if (recentCommands.size > 100) recentCommands.delete(recentCommands.keys().next().value!);
    log.info({ name: command.name, correlationId: command.correlationId }, "command");
    try {
      await execute(c, command, signal);
      counters.commandsHandled += 1;
    } catch (error) {
      log.warn({ name: command.name, err: (error as Error).message }, "command did not complete");
    }
  }

  async function execute(c: MqttClient, command: CommandRequestMessage, signal: AbortSignal) {
    const answer = async (response: Omit<CommandResponseMessage, "correlationId">) => {
      const full = { correlationId: command.correlationId, ...response };
      recentCommands.set(command.correlationId, full);
      await respond(c, command.responseTopic, full);
    };
    switch (command.name) {
      case "reboot":
        await answer({ ok: true, result: {} });
        await reboot();
        return;
      case "privacy":
        await answer({ ok: true, result: { privacy: command.params.enabled } });
        await setPrivacy(command.params.enabled, "command");
        return;
      case "firmware-update": {
        if (updatingFirmware) {
          await answer({ ok: false, error: "busy: a firmware update is already in progress" });
          return;
        }
        updatingFirmware = true;
        try {
          const { url, sha256, version } = command.params;
          const download = await downloadFirmware(url, sha256, { signal, ...(options.fetch ? { fetch: options.fetch } : {}) });
          if (signal.aborted) return;
          if (!download.ok) {
            log.warn({ url, error: download.error }, "firmware update rejected");
            await answer({ ok: false, error: download.error });
            return;
          }
          const from = firmware;
          firmware = version;
          await persist();
          log.info({ from, to: version, bytes: download.bytes }, "firmware verified, rebooting into it");
          await answer({ ok: true, result: { from, to: version } });
          await publishEvent({ type: "firmware-updated", at: new Date().toISOString(), from, to: version });
        } finally {
          updatingFirmware = false;
        }
        await reboot();
        return;
      }
      case "stream-start": {
        if (privacy) {
          await answer({ ok: false, error: "privacy mode is on" });
          return;
        }
        try {
          await answer({ ok: true, result: await media.startStream(command.params) });
        } catch (error) {
          await answer({ ok: false, error: `stream did not start: ${(error as Error).message}`.slice(0, 500) });
        }
        return;
      }
      case "stream-stop":
        await media.stopStream(command.params.reason);
        await answer({ ok: true, result: {} });
        return;
      case "view-notice":
        await answer({ ok: true, result: {} });
        await media.notice(command.params.viewers);
        return;
    }
  }

  async function setPrivacy(enabled: boolean, source: "button" | "command") {
    const changed = enabled !== privacy;
    privacy = enabled;
    // Privacy is enforced on the camera too: whatever the gateway does, no picture leaves the house.
    if (enabled) await media.reset("privacy-mode");
    if (!changed) return; // nothing changed, so no "privacy-changed" event
    persistInBackground();
    log.info({ privacy: enabled, source }, "privacy changed");
    await publishEvent({ type: "privacy-changed", at: new Date().toISOString(), enabled, source });
  }

  /** Publishes a retained offline status and sends DISCONNECT, so the broker does not fire the will. */
  async function leaveGracefully(c: MqttClient | null, reason: "shutdown" | "reboot") {
    if (!c) return;
    if (!c.connected || !credentials) {
      c.end(true);
      return;
    }
    const topic = deviceStatusTopic(credentials.deviceId);
    const withTimeout = <T>(promise: Promise<T>) => Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), 3_000).unref())]);
    try {
      await withTimeout(c.publishAsync(topic, JSON.stringify(statusMessage(false, reason)), { qos: 1, retain: true }));
      await withTimeout(c.endAsync());
    } catch (error) {
      log.warn({ err: (error as Error).message }, "graceful disconnect failed");
      c.end(true);
    }
  }

  async function reboot() {
    if (!life || state === "rebooting") return;
    log.info("rebooting");
    const previous = endLife();
    setState("rebooting");
    const signal = newLife();
    await leaveGracefully(previous, "reboot");
    if (signal.aborted) return;
    const delayMs = rebootDelay.min + Math.floor(random() * Math.max(0, rebootDelay.max - rebootDelay.min));
    later(delayMs, () => void boot(signal));
  }

  function startBoot() {
    void boot(newLife()).catch((error) => {
      log.error({ err: (error as Error).message }, "boot failed");
      endLife()?.end(true);
      refusal = { stage: "claim", code: "boot-failed", message: (error as Error).message };
      setState("refused");
    });
  }

  return {
    serial,
    events,

    async start() {
      if (state !== "idle" && state !== "stopped") return;
      startBoot();
    },

    async stop() {
      if (state === "stopped") return;
      const previous = endLife();
      await leaveGracefully(previous, "shutdown");
      setState("stopped");
    },

    powerLoss() {
      if (!life) return;
      log.info("power lost");
      endLife()?.end(true);
      setState("powered-off");
    },

    powerOn() {
      if (state !== "powered-off" && state !== "refused") return;
      log.info("power on");
      startBoot();
    },

    networkFlap(ms) {
      const signal = life?.signal;
      if (!signal || !["online", "connecting", "reconnecting"].includes(state)) return;
      log.info({ ms }, "network down");
      for (const timer of lifeTimers) clearTimeout(timer); // a pending reconnect cannot reach anyone
      lifeTimers.clear();
      stopHeartbeat();
      void media.reset("network-down");
      const previous = client;
      client = null;
      previous?.end(true);
      setState("reconnecting");
      later(ms, () => {
        log.info("network back");
        connect(signal);
      });
    },

    pressPrivacyButton() {
      if (!life) return;
      void setPrivacy(!privacy, "button").catch((error) => log.warn({ err: (error as Error).message }, "privacy event not sent"));
    },

    async factoryReset() {
      log.info("factory reset");
      const previous = endLife();
      if (previous?.connected && credentials) {
        await previous.publishAsync(deviceEventsTopic(credentials.deviceId), JSON.stringify(deviceEventMessage.parse({ type: "factory-reset", at: new Date().toISOString() })), { qos: 1 }).catch(() => {});
      }
      await leaveGracefully(previous, "reboot");
      await options.store.remove(serial);
      credentials = null;
      privacy = false;
      log = baseLog;
      startBoot();
    },

    reboot,

    snapshot() {
      return {
        serial,
        deviceId: credentials?.deviceId ?? null,
        state,
        claimed: credentials !== null,
        firmware,
        privacy,
        uptimeS: Math.floor((Date.now() - bootAt) / 1000),
        refusal,
        counters: { ...counters },
        media: media.snapshot(),
      };
    },
  };
}
