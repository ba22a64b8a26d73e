// The gateway's connection to the cameras' broker: an MQTT client, or (alone with its own broker) the broker in
// this process. Built before anything connects, so the parts that publish (commands, provisioning) are handed it
// at construction; until start() connects it, or after the connection drops, a publish is refused like any
// publish on a lost connection. What arrives is handed to the one reader that connected it (device-ingest.ts).
import mqtt, { type MqttClient } from "mqtt";
import type { WangxiangBroker } from "../../../broker/src/broker.ts";
import { brokerDisconnectTopic } from "../../../protocol/topics.ts";

interface Logger {
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

/** Where the link connects: the broker in this process, or a broker over MQTT with the gateway's own account. */
export type DeviceLinkTarget =
  | { embedded: Pick<WangxiangBroker, "localSubscribe" | "localPublish"> }
  | { url: string; username: string; password: string };

export interface DeviceLinkReader {
  onMessage(topic: string, payload: Buffer, retained: boolean): void;
  /** The topics to subscribe to on each (re)connection: they follow the gateway's role in a cluster. */
  topicsOnConnect(): string[];
  /**
   * A SUBACK arrived, in order with the messages around it (what the broker replays for that subscription,
   * retained, comes after). Not the subscribe callback: mqtt.js calls that a few ticks later, when messages
   * that came after the SUBACK may have been handed on already.
   */
  onSubscribed?(): void;
}

type Done = (error?: Error | null) => void;

export class DeviceLink {
  #client: MqttClient | null = null;
  #embedded: Pick<WangxiangBroker, "localSubscribe" | "localPublish"> | null = null;
  #connected = false;

  constructor(private readonly log: Logger) {}

  get isConnected(): boolean {
    return this.#connected;
  }

  /** Resolves once connected and subscribed (over MQTT: once the first connection is up). */
  async connect(target: DeviceLinkTarget, reader: DeviceLinkReader): Promise<void> {
    if ("embedded" in target) {
      for (const topic of reader.topicsOnConnect())
        await target.embedded.localSubscribe(topic, (t, payload) => reader.onMessage(t, payload, false));
      this.#embedded = target.embedded;
      this.#connected = true;
      return;
    }
    const client = mqtt.connect(target.url, {
      clientId: `gateway-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      username: target.username,
      password: target.password,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
    });
    this.#client = client;
    client.on("message", (topic, payload, packet) => reader.onMessage(topic, payload, packet.retain));
    client.on("packetreceive", (packet) => packet.cmd === "suback" && reader.onSubscribed?.());
    client.on("connect", () => {
      this.#connected = true;
      client.subscribe(reader.topicsOnConnect(), { qos: 1 }, (error) => {
        if (error) this.log.error({ err: error }, "subscribe failed");
      });
    });
    client.on("close", () => {
      this.#connected = false;
    });
    client.on("error", (error) => this.log.warn({ err: error.message }, "gateway MQTT client error"));
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
  }

  /** Over MQTT, while connected: a change of role adds or drops subscriptions (the next connection follows it). */
  subscribe(topics: string[], done: Done): void {
    if (this.#client && this.#connected) this.#client.subscribe(topics, { qos: 1 }, (error) => done(error));
  }

  unsubscribe(topics: string[], done: Done): void {
    if (this.#client && this.#connected) this.#client.unsubscribe(topics, (error) => done(error));
  }

  publish(topic: string, payload: string, options: { qos: 1; retain: false }): Promise<void> {
    if (this.#embedded) return this.#embedded.localPublish(topic, payload, options.qos);
    const client = this.#client;
    if (!client || !this.#connected) return Promise.reject(new Error("broker not connected"));
    return new Promise((resolve, reject) =>
      client.publish(topic, payload, options, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Asks every broker of the cluster to drop this device's live session (revocation, re-arm). */
  requestDisconnect(deviceId: string): Promise<void> {
    return this.publish(brokerDisconnectTopic, JSON.stringify({ deviceId }), { qos: 1, retain: false });
  }

  async close(): Promise<void> {
    this.#connected = false;
    const client = this.#client;
    this.#client = null;
    if (client) await client.endAsync(true);
  }
}
