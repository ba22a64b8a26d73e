// One MQTT connection of a camera, from CONNECT (with a retained last will) to its end: announcing itself
// online, heartbeats, events, command replies, and leaving either gracefully (offline status + DISCONNECT)
// or not at all (the socket dies and the broker publishes the will). Reconnecting is the camera's decision,
// not this connection's: a new attempt is a new MqttSession.
import mqtt, { type MqttClient } from "mqtt";
import {
  commandResponseMessage,
  deviceEventMessage,
  deviceStatusMessage,
  type CommandResponseMessage,
  type DeviceCapabilities,
  type DeviceEventMessage,
  type DeviceStatusMessage,
  type HeartbeatMessage,
} from "../../protocol/device-messages.ts";
import {
  deviceCommandTopic,
  deviceEventsTopic,
  deviceStatusTopic,
  deviceTelemetryTopic,
} from "../../protocol/topics.ts";
import { TypedEvents } from "../../core/events.ts";
import type { DeviceRefusal } from "./device-types.ts";
import type { ClaimReply } from "./claim.ts";
import type { Logger } from "./log.ts";

export type OnlineReason = "boot" | "reconnect";
export type OfflineReason = "shutdown" | "reboot";

export interface MqttSessionOptions {
  credentials: ClaimReply;
  /** Overrides the broker address from the claim reply. */
  mqttUrl?: string;
  /** Overrides the keepalive from the claim reply. */
  keepaliveS?: number;
  persistentSession?: boolean;
  connectTimeoutMs?: number;
  random: () => number;
  log: Logger;
  /** The firmware version the "online" status reports. */
  firmware(): string;
  /** What the device can do, in the "online" status (absent: everything). */
  capabilities?: () => DeviceCapabilities;
}

export interface MqttSessionEvents {
  /** CONNACK accepted; call announce() next. */
  connected: [];
  command: [payload: Buffer];
  /** The broker refused these credentials: they will not work again (revoked, or re-armed for a new claim). */
  refused: [refusal: DeviceRefusal];
  /** The connection ended without detach(): lost, or never made. */
  closed: [];
}

const refusedConnackCodes = new Map<number, string>([
  [2, "identifier rejected"],
  [4, "bad user name or password"],
  [5, "not authorized"],
]);

const gracefulStepTimeoutMs = 3_000;

export class MqttSession {
  readonly events: TypedEvents<MqttSessionEvents>;
  readonly deviceId: string;
  /** Random per connection, in its "online" status and its will: the gateway ignores a late will of an older connection. */
  readonly id: string;
  readonly #client: MqttClient;
  readonly #options: MqttSessionOptions;
  #detached = false;
  #heartbeat: NodeJS.Timeout | null = null;

  constructor(options: MqttSessionOptions) {
    const { credentials: creds, random } = options;
    this.#options = options;
    this.deviceId = creds.deviceId;
    this.id = Math.floor(random() * 2 ** 48).toString(36) + Date.now().toString(36);
    this.events = new TypedEvents({ log: options.log, name: "mqtt-session" });
    this.#client = mqtt.connect(options.mqttUrl ?? creds.mqttUrl, {
      protocolVersion: 4,
      clientId: creds.deviceId,
      username: creds.mqttUsername,
      password: creds.mqttPassword,
      keepalive: options.keepaliveS ?? creds.keepaliveS,
      clean: !options.persistentSession,
      reconnectPeriod: 0, // reconnecting is the camera's: full-jitter backoff, and no retry once refused
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // The will's `at` is fixed at CONNECT time (MQTT cannot change it later): the gateway should take
      // the time it receives the will as the moment the camera was lost.
      will: {
        topic: deviceStatusTopic(creds.deviceId),
        payload: Buffer.from(this.#status(false, "lost")),
        qos: 1,
        retain: true,
      },
    });
    this.#listen();
  }

  /** Whether the socket is up (also after detach(), until it is ended). */
  get connected(): boolean {
    return this.#client.connected;
  }

  /** Subscribes to commands, then says "online" (retained). False when that failed: "closed" follows. */
  async announce(reason: OnlineReason): Promise<boolean> {
    const commandTopic = deviceCommandTopic(this.deviceId);
    try {
      // Subscribe before announcing: the gateway may send a command the moment it sees "online".
      const granted = await this.#client.subscribeAsync(commandTopic, { qos: 1 });
      if (granted.some((g) => g.qos === 128))
        this.#options.log.error({ topic: commandTopic }, "broker refused the command subscription");
      await this.#client.publishAsync(deviceStatusTopic(this.deviceId), this.#status(true, reason), {
        qos: 1,
        retain: true,
      });
      return true;
    } catch (error) {
      this.#options.log.warn({ err: (error as Error).message }, "could not announce online");
      return false;
    }
  }

  /** The retained "online" again, on this connection and without a reason: what the device can do has changed. */
  async refreshStatus(): Promise<void> {
    await this.#client.publishAsync(deviceStatusTopic(this.deviceId), this.#status(true), { qos: 1, retain: true });
  }

  /** Sends one heartbeat now and then one every interval, until the session ends or detaches. */
  startHeartbeat(intervalS: number, read: () => HeartbeatMessage, onSent: () => void): void {
    const send = () => {
      if (this.#detached) return;
      onSent();
      this.#client.publish(deviceTelemetryTopic(this.deviceId), JSON.stringify(read()), { qos: 0 });
    };
    this.#stopHeartbeat();
    send();
    this.#heartbeat = setInterval(send, intervalS * 1000);
  }

  async publishEvent(event: DeviceEventMessage): Promise<void> {
    await this.#client.publishAsync(deviceEventsTopic(this.deviceId), JSON.stringify(deviceEventMessage.parse(event)), {
      qos: 1,
    });
  }

  /** QoS 1: a report the broker has not acknowledged is kept by the camera and sent again. */
  async publish(topic: string, payload: string): Promise<void> {
    await this.#client.publishAsync(topic, payload, { qos: 1 });
  }

  async respond(topic: string, response: CommandResponseMessage): Promise<void> {
    await this.#client.publishAsync(topic, JSON.stringify(commandResponseMessage.parse(response)), { qos: 1 });
  }

  /** The camera no longer listens: no more events or heartbeats. The socket stays until drop() or leave(). */
  detach(): void {
    this.#detached = true;
    this.#stopHeartbeat();
  }

  /** The socket dies without DISCONNECT, so the broker publishes the will (power cut, uplink gone). */
  drop(): void {
    this.detach();
    this.#client.end(true);
  }

  /** Retained offline status, then DISCONNECT, so the broker does not fire the will. */
  async leave(reason: OfflineReason): Promise<void> {
    this.detach();
    if (!this.#client.connected) return void this.#client.end(true);
    try {
      await withTimeout(
        this.#client.publishAsync(deviceStatusTopic(this.deviceId), this.#status(false, reason), {
          qos: 1,
          retain: true,
        }),
      );
      await withTimeout(this.#client.endAsync());
    } catch (error) {
      this.#options.log.warn({ err: (error as Error).message }, "graceful disconnect failed");
      this.#client.end(true);
    }
  }

  #listen() {
    const client = this.#client;
    client.on("connect", () => {
      if (!this.#detached) this.events.emit("connected");
    });
    client.on("message", (topic, payload) => {
      if (!this.#detached && topic === deviceCommandTopic(this.deviceId)) this.events.emit("command", payload);
    });
    client.on("error", (error) => this.#onError(error));
    client.on("close", () => {
      if (this.#detached) return;
      this.detach();
      this.events.emit("closed");
    });
  }

  #onError(error: Error) {
    if (this.#detached) return;
    const code = (error as Error & { code?: unknown }).code;
    const refusedAs = typeof code === "number" ? refusedConnackCodes.get(code) : undefined;
    if (!refusedAs) return void this.#options.log.debug({ err: error.message }, "mqtt error");
    this.#options.log.error(
      { connackCode: code, reason: refusedAs },
      "broker refused stored credentials; giving up until next boot or factory reset",
    );
    this.drop();
    this.events.emit("refused", { stage: "mqtt", code: `connack-${code}`, message: refusedAs });
  }

  #status(online: boolean, reason?: NonNullable<DeviceStatusMessage["reason"]>): string {
    const status = {
      state: online ? "online" : "offline",
      at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
      session: this.id,
      ...(online ? { firmware: this.#options.firmware() } : {}),
      ...(online && this.#options.capabilities ? { capabilities: this.#options.capabilities() } : {}),
    };
    return JSON.stringify(deviceStatusMessage.parse(status));
  }

  #stopHeartbeat() {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), gracefulStepTimeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
