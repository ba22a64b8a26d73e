// A real broker on port 0 with an in-memory credential store, and real mqtt.js clients (MQTT 3.1.1) that
// are all closed by stop().
import { connect as connectTcp, createServer, type Server, type Socket } from "node:net";
import mqtt, { MqttClient, type IClientOptions } from "mqtt";
import { randomBytes } from "node:crypto";
import { createBroker, type DeviceCredentialLookup, type WangxiangBroker } from "../../broker/src/broker.ts";
import { readBrokerConfig, type BrokerConfig } from "../../broker/src/config.ts";
import { DeviceCredentialHasher } from "../../core/device-credentials.ts";
import { hashSecret, randomId, randomToken } from "../../core/secrets.ts";

type ClaimState = "registered" | "claimed" | "revoked";
type CredentialRecord = { credentialHash: string | null; claimState: ClaimState };

/** The database's part, in memory: every broker given the same instance shares one "database". */
export class InMemoryCredentials implements DeviceCredentialLookup {
  readonly records = new Map<string, CredentialRecord>();
  readonly hasher = new DeviceCredentialHasher(randomBytes(32));
  lookups = 0;

  async findDeviceCredential(deviceId: string) {
    this.lookups++;
    const record = this.records.get(deviceId);
    return record ? { ...record } : null;
  }

  async listDeviceCredentials() {
    return [...this.records]
      .filter(([, r]) => r.claimState === "claimed" && r.credentialHash)
      .map(([deviceId, r]) => ({ deviceId, credentialHash: r.credentialHash! }));
  }

  async replaceCredentialHash(deviceId: string, from: string, to: string) {
    const record = this.records.get(deviceId);
    if (!record || record.claimState !== "claimed" || record.credentialHash !== from) return false;
    record.credentialHash = to;
    return true;
  }

  /** A claimed device with a fresh credential, hashed the way the gateway stores it. */
  async addDevice(claimState: ClaimState = "claimed"): Promise<{ deviceId: string; secret: string }> {
    const deviceId = randomId("cam_");
    const secret = randomToken();
    this.records.set(deviceId, { credentialHash: this.hasher.hash(secret), claimState });
    return { deviceId, secret };
  }

  /** A device claimed before credentials were HMACs: its hash is scrypt. */
  async addLegacyDevice(): Promise<{ deviceId: string; secret: string }> {
    const deviceId = randomId("cam_");
    const secret = randomToken();
    this.records.set(deviceId, {
      credentialHash: await hashSecret(secret, "device-credential"),
      claimState: "claimed",
    });
    return { deviceId, secret };
  }

  async rotate(deviceId: string): Promise<string> {
    const secret = randomToken();
    this.records.get(deviceId)!.credentialHash = this.hasher.hash(secret);
    return secret;
  }

  setState(deviceId: string, claimState: ClaimState): void {
    this.records.get(deviceId)!.claimState = claimState;
  }
}

export const serviceUsername = "wangxiang-gateway";
export const servicePassword = "service-password-for-tests";
let servicePasswordHash: Promise<string> | undefined;

export interface TestBroker {
  broker: WangxiangBroker;
  credentials: InMemoryCredentials;
  url: string;
  /** Resolves once connected; rejects with mqtt.js' error (its `code` is the CONNACK return code). */
  connect(options: IClientOptions): Promise<MqttClient>;
  connectDevice(device: { deviceId: string; secret: string }, options?: IClientOptions): Promise<MqttClient>;
  /** As connectDevice, from another loopback source address (127.0.0.2 …): what the broker sees as another host. */
  connectDeviceFrom(
    localAddress: string,
    device: { deviceId: string; secret: string },
    options?: IClientOptions,
  ): Promise<MqttClient>;
  connectService(options?: IClientOptions): Promise<MqttClient>;
  /** A raw TCP socket to the broker, destroyed by stop(). */
  rawSocket(port?: number): Promise<Socket>;
  stop(): Promise<void>;
}

export async function startTestBroker(
  overrides: Partial<BrokerConfig> = {},
  credentials = new InMemoryCredentials(),
): Promise<TestBroker> {
  servicePasswordHash ??= hashSecret(servicePassword, "password");
  const config: BrokerConfig = { ...readBrokerConfig({}), host: "127.0.0.1", port: 0, ...overrides };
  const broker = createBroker({
    config,
    credentials,
    credentialHasher: credentials.hasher,
    service: { username: serviceUsername, passwordHash: await servicePasswordHash },
  });
  const { port } = await broker.start();
  const url = `mqtt://127.0.0.1:${port}`;
  const clients: MqttClient[] = [];
  const sockets: Socket[] = [];

  const connect = (options: IClientOptions, localAddress?: string) => {
    const settings = { protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 5000, ...options };
    const client = localAddress
      ? new MqttClient(() => connectTcp({ port, host: "127.0.0.1", localAddress }), settings)
      : mqtt.connect(url, settings);
    clients.push(client);
    return new Promise<MqttClient>((resolve, reject) => {
      client.once("connect", () => resolve(client));
      client.once("error", reject);
      client.once("close", () => reject(new Error("closed before CONNACK")));
    });
  };

  return {
    broker,
    credentials,
    url,
    connect,
    connectDevice: ({ deviceId, secret }, options = {}) =>
      connect({ clientId: deviceId, username: deviceId, password: secret, keepalive: 60, ...options }),
    connectDeviceFrom: (localAddress, { deviceId, secret }, options = {}) =>
      connect({ clientId: deviceId, username: deviceId, password: secret, keepalive: 60, ...options }, localAddress),
    connectService: (options = {}) =>
      connect({ clientId: randomId("gateway_"), username: serviceUsername, password: servicePassword, ...options }),
    rawSocket: (toPort = port) =>
      new Promise((resolve, reject) => {
        const socket = connectTcp(toPort, "127.0.0.1", () => resolve(socket));
        socket.on("error", reject);
        sockets.push(socket);
      }),
    async stop() {
      await Promise.all(clients.map((client) => client.endAsync(true).catch(() => {})));
      for (const socket of sockets) socket.destroy();
      await broker.stop();
    },
  };
}

/**
 * A TCP relay that can go silent in both directions without closing anything: what the broker sees when a
 * camera loses power or its village uplink drops (no FIN ever arrives).
 */
/** Opens TCP connections from one source address as fast as it can (each closed once open), until stopped. */
export function floodConnections(
  port: number,
  localAddress: string,
  inFlight = 8,
): { stop(): void; readonly opened: number } {
  let running = true;
  let opened = 0;
  const open = () => {
    if (!running) return;
    const socket = connectTcp({ port, host: "127.0.0.1", localAddress });
    socket.on("connect", () => {
      opened++;
      socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => setImmediate(open));
  };
  for (let i = 0; i < inFlight; i++) open();
  return {
    stop: () => {
      running = false;
    },
    get opened() {
      return opened;
    },
  };
}

export async function startBlackholeProxy(
  targetPort: number,
): Promise<{ port: number; blackhole(): void; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let silent = false;
  const server: Server = createServer((inbound) => {
    const outbound = connectTcp(targetPort, "127.0.0.1");
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        if (silent) return; // a dead line carries no FIN either
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on("data", (chunk) => silent || outbound.write(chunk));
    outbound.on("data", (chunk) => silent || inbound.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    blackhole: () => {
      silent = true;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The next message on a topic (or any topic), or a rejection after `timeoutMs`. */
export function nextMessage(
  client: MqttClient,
  topic?: string,
  timeoutMs = 5000,
): Promise<{ topic: string; payload: Buffer; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("message", onMessage);
      reject(new Error(`no message on ${topic ?? "any topic"} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (received: string, payload: Buffer, packet: { retain: boolean }) => {
      if (topic !== undefined && received !== topic) return;
      clearTimeout(timer);
      client.off("message", onMessage);
      resolve({ topic: received, payload, retain: packet.retain });
    };
    client.on("message", onMessage);
  });
}

/** Resolves when the connection closes; rejects after `timeoutMs`. Call it before causing the close. */
export function closed(target: MqttClient | Socket, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    target.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
