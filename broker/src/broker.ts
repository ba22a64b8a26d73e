// The MQTT broker: aedes (MQTT 3.1.1) behind a TCP server that limits connection rate and packet size,
// with authentication and per-device topic ACLs in aedes' hooks. The gateway starts it in-process.
import { readFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from "aedes";
import mqttPacket from "mqtt-packet";
import { brokerDisconnectTopic, deviceIdPattern } from "../../protocol/topics.ts";
import { mayPublish, maySubscribe, type ClientIdentity } from "./access.ts";
import { createClusterEngines, type ClusterEngines } from "./cluster.ts";
import type { DeviceCredentialHasher } from "../../core/device-credentials.ts";
import { Authenticator } from "./authenticator.ts";
import type { BrokerConfig } from "./config.ts";
import { CredentialIndex, type DeviceCredentialLookup } from "./credential-index.ts";
import { indexRetainedMessages, type RetainedStore } from "./memory-persistence.ts";
import { PacketSizeGuard } from "./packet-size-guard.ts";
import { AddressBuckets, AuthFailureLimiter, TokenBucket } from "./rate-limits.ts";

export type { BrokerConfig } from "./config.ts";
export type { DeviceCredentialLookup } from "./credential-index.ts";

/** Plain counters since start (the gateway exports them to Prometheus), and one gauge. */
export interface BrokerMetrics {
  connectionsAccepted: number;
  /** TCP connections closed at once because the connection rate limit was exhausted. */
  connectionsRefusedRate: number;
  /**
   * TCP connections over their address's rate, held only to see whether their CONNECT carries a credential
   * this broker has already proven; refused (CONNACK 3) otherwise.
   */
  connectionsOverAddressRate: number;
  /** Every CONNECT refused by authentication, including those refused during a cool-down. */
  authFailures: number;
  /** The subset of authFailures refused without checking, because the address failed too often. */
  authRateLimited: number;
  /** Each one also closed the offending connection: MQTT 3.1.1 has no other way to say no to a PUBLISH. */
  aclDeniedPublish: number;
  aclDeniedSubscribe: number;
  oversizePackets: number;
  topicTooDeep: number;
  /** PUBLISH packets accepted from clients (wills included). */
  messagesIn: number;
  /** PUBLISH packets sent to clients (retained replays included). */
  messagesOut: number;
  readonly connectedDevices: number;
}

export interface BrokerLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface WangxiangBroker {
  /** Rejects with a one-line Error naming MQTT_PORT when the port is taken. */
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  readonly port: number;
  /** The MQTT-over-TLS port, 0 without TLS. */
  readonly tlsPort: number;
  readonly metrics: BrokerMetrics;
  /**
   * Revocation/re-arm: drop the live session of this device on this broker now (no DISCONNECT from it, so its
   * will fires), and forget any cached successful auth. Other brokers of a cluster do the same when the service
   * publishes {deviceId} on brokerDisconnectTopic (protocol/topics.ts), which every broker listens to.
   */
  disconnectDevice(deviceId: string): void;
  connectedDeviceIds(): string[];
  /** The aedes instance (undefined until started), for tests and benchmarks. */
  readonly aedes: unknown;
  /**
   * For a gateway in the same process: subscribe and publish without a TCP client, so each message skips
   * a serialise-write-read-parse round trip (at 10,000 heartbeats/s that is a large share of one core).
   */
  localSubscribe(topicFilter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void>;
  localPublish(topic: string, payload: string, qos: 0 | 1): Promise<void>;
}

export interface CreateBrokerOptions {
  config: BrokerConfig;
  credentials: DeviceCredentialLookup;
  /** Hashes device credentials under the deployment's key (core/device-credentials.ts). */
  credentialHasher: DeviceCredentialHasher;
  service: { username: string; passwordHash: string };
  logger?: BrokerLogger;
}

export function createBroker(options: CreateBrokerOptions): WangxiangBroker {
  return new Broker(options);
}

const silentLogger: BrokerLogger = { info() {}, warn() {} };

class Broker implements WangxiangBroker {
  readonly metrics: BrokerMetrics;
  private readonly config: BrokerConfig;
  private readonly logger: BrokerLogger;
  private readonly failures: AuthFailureLimiter;
  private readonly authenticator: Authenticator;
  private readonly connectionBucket: TokenBucket;
  private readonly addressBuckets: AddressBuckets;
  private readonly overRate = new OverRateConnections();
  private readonly credentials: DeviceCredentialLookup;
  private readonly credentialIndex = new CredentialIndex();
  private reloadTimer: NodeJS.Timeout | null = null;
  private readonly identities = new WeakMap<Client, ClientIdentity>();
  private readonly willTopics = new WeakMap<Client, string>();
  private readonly liveDevices = new Map<string, Client>();
  /** Connections not (yet) aedes clients, which aedes.close() would leave open: until CONNECT or close. */
  private readonly preConnectSockets = new Set<Socket>();
  private readonly packetSizeGuard: PacketSizeGuard;
  /** Shared by every socket (a function, so the socket is its `this`): no closure per connection. */
  private readonly onSocketClose: (this: Socket) => void;
  private instance: Aedes | undefined;
  private cluster: ClusterEngines | undefined;
  private server: Server | undefined;
  private tlsServer: Server | undefined;
  private boundPort = 0;
  private boundTlsPort = 0;

  constructor(options: CreateBrokerOptions) {
    this.config = options.config;
    this.logger = options.logger ?? silentLogger;
    this.failures = new AuthFailureLimiter(this.config.authFailuresPerMinutePerIp);
    this.credentials = options.credentials;
    this.authenticator = new Authenticator({
      store: options.credentials,
      index: this.credentialIndex,
      hasher: options.credentialHasher,
      service: options.service,
      failures: this.failures,
      onUpgradeFailed: (deviceId, err) =>
        this.logger.warn({ deviceId, err: err.message }, "could not store the re-hashed device credential"),
    });
    this.connectionBucket = new TokenBucket(this.config.connectRatePerSecond, this.config.connectBurst);
    this.addressBuckets = new AddressBuckets(
      this.config.connectRatePerAddress ?? 100,
      this.config.connectBurstPerAddress ?? 200,
    );
    this.packetSizeGuard = new PacketSizeGuard(this.config.maxPacketBytes, (socket, declaredBytes) => {
      this.metrics.oversizePackets++;
      this.logger.warn(
        { address: socket.remoteAddress, declaredBytes, limit: this.config.maxPacketBytes },
        "MQTT packet too large; connection closed",
      );
    });
    const { preConnectSockets, overRate } = this;
    this.onSocketClose = function (this: Socket) {
      preConnectSockets.delete(this);
      overRate.release(this);
    };
    const liveDevices = this.liveDevices;
    this.metrics = {
      connectionsAccepted: 0,
      connectionsRefusedRate: 0,
      connectionsOverAddressRate: 0,
      authFailures: 0,
      authRateLimited: 0,
      aclDeniedPublish: 0,
      aclDeniedSubscribe: 0,
      oversizePackets: 0,
      topicTooDeep: 0,
      messagesIn: 0,
      messagesOut: 0,
      get connectedDevices() {
        return liveDevices.size;
      },
    };
  }

  get port(): number {
    return this.boundPort;
  }

  get tlsPort(): number {
    return this.boundTlsPort;
  }

  get aedes(): unknown {
    return this.instance;
  }

  async start(): Promise<{ port: number }> {
    if (this.server) throw new Error("the MQTT broker is already started");
    await this.credentialIndex.reload(this.credentials);
    const aedes = await this.createAedes();
    const server = createServer((socket) => this.accept(socket, aedes));
    const { port, host = "0.0.0.0", tls } = this.config;
    const tlsServer = tls
      ? createTlsServer(
          { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile), minVersion: "TLSv1.2" },
          (socket) => this.accept(socket, aedes),
        )
      : undefined;
    try {
      await listen(server, port, host, "MQTT_PORT");
      if (tlsServer && tls) await listen(tlsServer, tls.port, host, "MQTTS_PORT");
    } catch (err) {
      server.close();
      await closeAedes(aedes);
      await this.closeCluster();
      throw err;
    }
    if (tlsServer) {
      tlsServer.on("tlsClientError", (err) => this.logger.info({ err: err.message }, "MQTT TLS handshake failed"));
      this.tlsServer = tlsServer;
      this.boundTlsPort = (tlsServer.address() as AddressInfo).port;
    }
    server.on("error", (err) => this.logger.warn({ err: err.message }, "MQTT server error"));
    this.instance = aedes;
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.reloadTimer = setInterval(() => void this.reloadCredentials(), (this.config.credentialReloadS ?? 300) * 1000);
    this.reloadTimer.unref();
    this.logger.info(
      {
        port: this.boundPort,
        host,
        brokerId: aedes.id,
        cluster: Boolean(this.cluster),
        credentials: this.credentialIndex.size,
      },
      "MQTT broker listening",
    );
    return { port: this.boundPort };
  }

  async stop(): Promise<void> {
    const { server, instance, tlsServer } = this;
    this.server = undefined;
    this.tlsServer = undefined;
    this.instance = undefined;
    if (!server || !instance) return;
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    this.reloadTimer = null;
    const closing = [server, tlsServer].flatMap((s) =>
      s ? [new Promise<void>((resolve) => s.close(() => resolve()))] : [],
    );
    const serverClosed = Promise.all(closing);
    await closeAedes(instance);
    // Connections that never sent CONNECT are not aedes clients yet, so aedes.close() leaves them open.
    for (const socket of this.preConnectSockets) socket.destroy();
    await serverClosed;
    await this.closeCluster();
    this.liveDevices.clear();
    this.authenticator.clear();
    this.credentialIndex.clear();
    this.failures.clear();
    this.addressBuckets.clear();
    this.boundPort = 0;
    this.boundTlsPort = 0;
  }

  localSubscribe(topicFilter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
    const aedes = this.instance;
    if (!aedes) return Promise.reject(new Error("the MQTT broker is not started"));
    return new Promise((resolve) =>
      aedes.subscribe(
        topicFilter,
        (packet, done) => {
          onMessage(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
          done();
        },
        () => resolve(),
      ),
    );
  }

  localPublish(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    const aedes = this.instance;
    if (!aedes) return Promise.reject(new Error("the MQTT broker is not started"));
    const packet = {
      cmd: "publish",
      topic,
      payload: Buffer.from(payload),
      qos,
      retain: false,
      dup: false,
    } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  disconnectDevice(deviceId: string): void {
    this.authenticator.forget(deviceId);
    const client = this.liveDevices.get(deviceId);
    if (!client) return;
    this.logger.info({ deviceId }, "MQTT device disconnected by the gateway");
    // close() without a DISCONNECT packet from the device is what makes aedes publish its will.
    client.close();
  }

  connectedDeviceIds(): string[] {
    return [...this.liveDevices.keys()];
  }

  /**
   * The address's own bucket is asked first, so a flooding host spends its own tokens and not the global
   * ones everyone else needs. Over its address's rate a connection is held on probation (a bounded number
   * per address and in all) until its CONNECT shows whether it carries a credential proven here.
   */
  private accept(socket: Socket, aedes: Aedes): void {
    const address = socket.remoteAddress ?? "unknown";
    const withinAddressRate = this.addressBuckets.tryTake(address);
    const admitted = withinAddressRate ? this.connectionBucket.tryTake() : this.overRate.tryHold(address);
    if (!admitted) {
      this.metrics.connectionsRefusedRate++;
      socket.destroy();
      return;
    }
    this.metrics.connectionsAccepted++;
    if (!withinAddressRate) this.metrics.connectionsOverAddressRate++;
    this.preConnectSockets.add(socket);
    socket.setNoDelay(true);
    this.packetSizeGuard.watch(socket);
    if (!withinAddressRate) this.overRate.mark(socket, address);
    socket.on("close", this.onSocketClose);
    aedes.handle(socket);
  }

  /** The periodic safety net behind the control topic: drops sessions whose credential changed or vanished. */
  private async reloadCredentials(): Promise<void> {
    try {
      const changed = await this.credentialIndex.reload(this.credentials);
      for (const deviceId of changed) if (this.liveDevices.has(deviceId)) this.disconnectDevice(deviceId);
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        "could not reload device credentials; keeping the index as it was",
      );
    }
  }

  private async closeCluster(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    await cluster?.close();
  }

  private async createAedes(): Promise<Aedes> {
    // mqtt-packet (aedes' writer) otherwise builds, at the first packet it writes, a cache of 65,536 two-byte
    // buffers: 7 MB of heap and 65,536 more objects for every full GC to mark, to save one small allocation per
    // packet id or string length written (a few per CONNECT; heartbeats reach an embedded gateway unwritten).
    mqttPacket.writeToStream.cacheNumbers = false;
    const clusterConfig = this.config.cluster;
    const cluster = clusterConfig
      ? createClusterEngines(clusterConfig, (err) =>
          this.logger.warn({ err: err.message }, "Redis error (cluster mode)"),
        )
      : undefined;
    this.cluster = cluster;
    const aedes = await Aedes.createBroker({
      // Messages delivered in parallel. aedes' default of 100 lets a burst of heartbeats from thousands of
      // cameras pile up in an unbounded queue (measured: 150k queued, seconds of latency); see bench/broker-bench.md.
      concurrency: this.config.deliveryConcurrency ?? 1000,
      ...(cluster && clusterConfig
        ? { mq: cluster.mq, persistence: cluster.persistence, heartbeatInterval: clusterConfig.heartbeatMs }
        : {}),
      maxTopicLevels: this.config.maxTopicLevels,
      // aedes refuses both keepalive 0 and anything above the limit, with CONNACK 6 (see broker/README.md).
      keepaliveLimit: this.config.keepaliveMaxS,
      // A socket that never completes its CONNECT (slow or truncated) would otherwise be held for aedes' 30 s.
      connectTimeout: (this.config.connectTimeoutS ?? 10) * 1000,
      preConnect: (client, packet, done) => {
        // aedes drops a packet whose per-origin-broker counter is not above the last one it delivered to this
        // client. In a cluster a broker finishes publishes out of order (a retained status waits for Redis, a
        // heartbeat does not), so that check silently lost 1–5% of the cameras' "online" statuses in the fault
        // test. mqemitter-redis already delivers each message once (it dedupes by message id), so the check is
        // switched off here.
        if (cluster) (client as unknown as { duplicates: object }).duplicates = noCounterDedupe;
        // authenticate() is not given the CONNECT packet, and the will must be checked with the identity.
        if (packet.will) this.willTopics.set(client, packet.will.topic);
        done(null, true);
      },
      authenticate: (client, username, password, done) => {
        void this.authenticate(client, username, password as Buffer | undefined).then((error) =>
          done(error, error === null),
        );
      },
      authorizePublish: (client, packet, done) => done(this.authorizePublish(client, packet)),
      authorizeSubscribe: (client, subscription, done) => done(null, this.authorizeSubscribe(client, subscription)),
      authorizeForward: (_client, packet) => {
        this.metrics.messagesOut++;
        return packet;
      },
    });
    // "client" (registered, CONNACK not yet written) rather than "clientReady": a device is revocable from
    // the moment it can know it is in.
    if (!cluster) indexRetainedMessages((aedes as unknown as { persistence: RetainedStore }).persistence);
    aedes.on("client", (client) => this.onClientRegistered(client));
    // The control topic reaches every broker of a cluster (and the only one otherwise). Subscribed on the
    // emitter directly: no client subscription, so no ACL can open it to anyone.
    const emitter = (
      aedes as unknown as {
        mq: {
          on(
            topic: string,
            listener: (packet: { payload?: unknown }, done: () => void) => void,
            subscribed: () => void,
          ): void;
        };
      }
    ).mq;
    await new Promise<void>((resolve) =>
      emitter.on(
        brokerDisconnectTopic,
        (packet: { payload?: unknown }, done: () => void) => {
          this.onDisconnectRequest(packet.payload);
          done();
        },
        () => resolve(),
      ),
    );
    if (cluster) await cluster.register(aedes.id);
    aedes.on("clientDisconnect", (client) => {
      if (this.liveDevices.get(client.id) === client) this.liveDevices.delete(client.id);
    });
    const onClientError = (client: Client, err: Error) => {
      if (err.message === "topic has too many levels") this.metrics.topicTooDeep++;
      this.logger.info({ clientId: client?.id ?? undefined, err: err.message }, "MQTT connection closed on error");
    };
    aedes.on("clientError", onClientError);
    aedes.on("connectionError", onClientError);
    // Not in aedes' typings, but emitted when sweeping stale wills fails; unhandled it would crash the process.
    (aedes as NodeJS.EventEmitter).on("error", (err: Error) =>
      this.logger.warn({ err: err.message }, "MQTT broker error"),
    );
    return aedes;
  }

  /** Resolves to null when the client is in, or to the error whose returnCode goes into the CONNACK. */
  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<AuthenticateError | null> {
    const address = (client.conn as Partial<Socket>).remoteAddress ?? "unknown";
    const overRate = this.overRate.isHeld(client.conn);
    try {
      const willTopic = this.willTopics.get(client);
      this.willTopics.delete(client);
      const outcome = await this.authenticator.authenticate({
        address,
        clientId: client.id,
        username,
        password,
        willTopic,
        overRate,
      });
      // Decided: the connection no longer counts against its address's probation allowance.
      if (overRate) this.overRate.release(client.conn);
      if (outcome.ok) {
        this.identities.set(client, outcome.identity);
        return null;
      }
      if (outcome.cause === "over-connection-rate") {
        this.metrics.connectionsRefusedRate++;
        return Object.assign(new Error(outcome.reason), { returnCode: outcome.returnCode }) as AuthenticateError;
      }
      if (outcome.cause !== "lookup-failed") this.metrics.authFailures++;
      if (outcome.cause === "rate-limited") this.metrics.authRateLimited++;
      this.logger.warn({ clientId: client.id, username, address, reason: outcome.reason }, "MQTT connection refused");
      return Object.assign(new Error(outcome.reason), { returnCode: outcome.returnCode }) as AuthenticateError;
    } catch (err) {
      this.logger.warn(
        { clientId: client.id, address, err: (err as Error).message },
        "MQTT authentication failed unexpectedly",
      );
      return Object.assign(new Error("authentication failed unexpectedly"), { returnCode: 3 }) as AuthenticateError;
    }
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    // No client: aedes publishing the will of a session it no longer holds; that will was checked at CONNECT.
    if (!client) return null;
    const identity = this.identities.get(client);
    if (identity && mayPublish(identity, packet.topic)) {
      this.metrics.messagesIn++;
      return null;
    }
    this.metrics.aclDeniedPublish++;
    this.logger.warn({ clientId: client.id, topic: packet.topic }, "MQTT publish denied; connection closed");
    return new Error(`not authorized to publish to ${packet.topic}`);
  }

  /** null makes aedes answer SUBACK 0x80 for this topic and keep the connection. */
  private authorizeSubscribe(client: Client, subscription: Subscription): Subscription | null {
    const identity = this.identities.get(client);
    if (identity && maySubscribe(identity, subscription.topic)) return subscription;
    this.metrics.aclDeniedSubscribe++;
    this.logger.warn({ clientId: client.id, topic: subscription.topic }, "MQTT subscribe denied");
    return null;
  }

  private onClientRegistered(client: Client): void {
    this.preConnectSockets.delete(client.conn as Socket);
    const identity = this.identities.get(client);
    if (identity?.kind !== "device") return;
    // disconnectDevice() may have run between this client's authentication and its registration.
    if (this.authenticator.isStale(identity)) {
      client.close();
      return;
    }
    this.liveDevices.set(identity.deviceId, client);
    // The will this device left on a broker it was connected to before is stale now (see cluster.ts).
    this.cluster
      ?.dropForeignWills(identity.deviceId)
      .catch((err: Error) =>
        this.logger.warn({ deviceId: identity.deviceId, err: err.message }, "could not drop stale wills"),
      );
  }

  private onDisconnectRequest(payload: unknown): void {
    let deviceId: unknown;
    try {
      deviceId = (
        JSON.parse(Buffer.isBuffer(payload) ? payload.toString("utf8") : String(payload)) as { deviceId?: unknown }
      ).deviceId;
    } catch {
      deviceId = undefined;
    }
    if (typeof deviceId !== "string" || !deviceIdPattern.test(deviceId)) {
      this.logger.warn({}, "ignored a malformed device disconnect request");
      return;
    }
    this.disconnectDevice(deviceId);
  }
}

/** Connections admitted over their address's rate, until their CONNECT is decided or they close. */
class OverRateConnections {
  private static readonly perAddress = 16;
  private static readonly total = 1024;
  private readonly held = new WeakMap<object, string>();
  private readonly counts = new Map<string, number>();
  private count = 0;

  tryHold(address: string): boolean {
    const n = this.counts.get(address) ?? 0;
    return n < OverRateConnections.perAddress && this.count < OverRateConnections.total;
  }

  mark(connection: object, address: string): void {
    this.held.set(connection, address);
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
    this.count++;
  }

  isHeld(connection: object): boolean {
    return this.held.has(connection);
  }

  release(connection: object): void {
    const address = this.held.get(connection);
    if (address === undefined) return;
    this.held.delete(connection);
    const n = (this.counts.get(address) ?? 1) - 1;
    if (n > 0) this.counts.set(address, n);
    else this.counts.delete(address);
    this.count--;
  }
}

/** Reads as "nothing delivered yet from any broker", and remembers nothing. */
const noCounterDedupe = new Proxy(Object.create(null) as object, {
  get: () => 0,
  set: () => true,
  deleteProperty: () => true,
});

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}

async function listen(server: Server, port: number, host: string, variable: "MQTT_PORT" | "MQTTS_PORT"): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    throw listenError(err as NodeJS.ErrnoException, port, host, variable);
  }
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string, variable: string): Error {
  const what = variable === "MQTTS_PORT" ? "MQTT TLS" : "MQTT";
  if (err.code === "EADDRINUSE")
    return new Error(`${what} port ${port} is already in use; set ${variable} to another port`);
  if (err.code === "EACCES")
    return new Error(`${what} port ${port} needs privileges this process lacks; set ${variable} to a port above 1023`);
  if (err.code === "EADDRNOTAVAIL")
    return new Error(`MQTT host ${host} is not an address of this machine; set MQTT_HOST to another address`);
  return err;
}
