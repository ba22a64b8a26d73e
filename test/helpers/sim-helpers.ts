// Test doubles and real servers for the firmware-sim tests: an aedes broker on port 0, a Fastify test
// double of the gateway's claim endpoint (plus the few installer routes the simulator calls), a file server
// for firmware images, and an MQTT subscriber that records what it sees.
import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import Fastify, { type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import mqtt, { type MqttClient } from "mqtt";
import { z } from "zod";
import {
  bindDeviceBody,
  claimBody,
  claimReply,
  householdIdParams,
  householdView,
  loginBody,
  loginReply,
  page,
  registerDeviceBody,
  registerDeviceReply,
} from "../../protocol/index.ts";

/** The test double answers in the gateway's error shape with codes of its own (e.g. "unknown-serial"): the
 *  simulator must cope with any code, so the double is not held to the gateway's catalogue. */
const doubleErrorReply = z.object({ error: z.string(), message: z.string() });
import type { Camera, CameraState } from "../../firmware-sim/src/camera.ts";

// ── broker ────────────────────────────────────────────────────────────
export interface TestBroker {
  url: string;
  port: number;
  aedes: Aedes;
  /** CONNECT attempts seen per client id (authenticate calls). */
  connectAttempts: Map<string, number>;
  /** Usernames the broker answers with CONNACK 5 (not authorized). */
  denied: Set<string>;
  /** Closes the listener and drops every connection (no DISCONNECT from clients: their wills fire). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const connectAttempts = new Map<string, number>();
  const denied = new Set<string>();
  aedes.authenticate = (client, username, _password, callback) => {
    connectAttempts.set(client.id, (connectAttempts.get(client.id) ?? 0) + 1);
    if (username && denied.has(username)) {
      const error = Object.assign(new Error("not authorized"), { returnCode: 5 });
      callback(error as never, false);
      return;
    }
    callback(null, true);
  };
  const sockets = new Set<Socket>();
  let server: NetServer = createNetServer();
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createNetServer((socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        aedes.handle(socket);
      });
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    aedes,
    connectAttempts,
    denied,
    pause: closeServer,
    resume: async () => void (await listen(port)),
    async close() {
      await closeServer();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

// ── gateway test double ───────────────────────────────────────────────
export interface ClaimRefusal {
  status: 401 | 403 | 404 | 409 | 429;
  error: string;
}

export interface GatewayTestDouble {
  url: string;
  app: FastifyInstance;
  /** Serial → claim code; the "factory database". */
  registered: Map<string, string>;
  /** Serials that have been claimed, with their device id. */
  claimed: Map<string, string>;
  /** Forced answers for a serial (revoked, rate limited, …). */
  refuse: Map<string, ClaimRefusal>;
  /** The next N claim requests answer 503. */
  failNextClaims: number;
  claimRequests: number;
  boundSerials: string[];
  close(): Promise<void>;
}

const deviceIdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
const newDeviceId = () => "cam_" + Array.from(randomBytes(12), (b) => deviceIdAlphabet[b % 36]).join("");

/**
 * TEST DOUBLE of the gateway's claim endpoint (POST /api/v1/devices/claim) and of the installer routes the
 * simulator calls. It follows the protocol schemas; it is not the gateway.
 */
export async function startGatewayTestDouble(options: {
  mqttUrl: string;
  heartbeatIntervalS?: number;
  keepaliveS?: number;
}): Promise<GatewayTestDouble> {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const double: GatewayTestDouble = {
    url: "",
    app,
    registered: new Map(),
    claimed: new Map(),
    refuse: new Map(),
    failNextClaims: 0,
    claimRequests: 0,
    boundSerials: [],
    close: () => app.close(),
  };
  const token = "test-token-" + randomBytes(8).toString("hex");
  const refusals = {
    401: doubleErrorReply,
    403: doubleErrorReply,
    404: doubleErrorReply,
    409: doubleErrorReply,
    429: doubleErrorReply,
    503: doubleErrorReply,
  };

  app.post(
    "/api/v1/devices/claim",
    { schema: { body: claimBody, response: { 200: claimReply, ...refusals } } },
    async (request, reply) => {
      double.claimRequests += 1;
      if (double.failNextClaims > 0) {
        double.failNextClaims -= 1;
        return reply.code(503).send({ error: "unavailable", message: "test double: try again" });
      }
      const { serial, claimCode } = request.body;
      const forced = double.refuse.get(serial);
      if (forced)
        return reply.code(forced.status).send({ error: forced.error, message: `test double: ${forced.error}` });
      const expected = double.registered.get(serial);
      if (expected === undefined) return reply.code(404).send({ error: "unknown-serial", message: "no such serial" });
      if (expected !== claimCode)
        return reply.code(401).send({ error: "claim-code-wrong", message: "wrong claim code" });
      if (double.claimed.has(serial))
        return reply.code(409).send({ error: "claim-code-used", message: "already claimed" });
      const deviceId = newDeviceId();
      double.claimed.set(serial, deviceId);
      return {
        deviceId,
        mqttUsername: deviceId,
        mqttPassword: randomBytes(16).toString("hex"),
        mqttUrl: options.mqttUrl,
        heartbeatIntervalS: options.heartbeatIntervalS ?? 1,
        keepaliveS: options.keepaliveS ?? 2,
      };
    },
  );

  app.post(
    "/api/v1/auth/login",
    { schema: { body: loginBody, response: { 200: loginReply, 401: doubleErrorReply } } },
    async (request, reply) => {
      if (request.body.username !== "installer" || request.body.password !== "wangxiang-demo")
        return reply.code(401).send({ error: "bad-credentials", message: "wrong password" });
      return {
        token,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        user: { id: "u1", username: "installer", displayName: "Installer", role: "installer" as const },
      };
    },
  );
  const authorized = (authorization: string | undefined) => authorization === `Bearer ${token}`;
  app.post(
    "/api/v1/devices",
    {
      schema: {
        body: registerDeviceBody,
        response: { 200: registerDeviceReply, 401: doubleErrorReply, 409: doubleErrorReply },
      },
    },
    async (request, reply) => {
      if (!authorized(request.headers.authorization))
        return reply.code(401).send({ error: "unauthorized", message: "log in" });
      const { serial } = request.body;
      if (double.registered.has(serial)) return reply.code(409).send({ error: "serial-taken", message: "exists" });
      const code = randomBytes(8).toString("hex").slice(0, 8).toUpperCase();
      double.registered.set(serial, code);
      return { deviceId: newDeviceId(), serial, claimCode: code, qr: `WX1;S:${serial};C:${code}` };
    },
  );
  app.get(
    "/api/v1/households",
    { schema: { response: { 200: page(householdView), 401: doubleErrorReply } } },
    async (request, reply) => {
      if (!authorized(request.headers.authorization))
        return reply.code(401).send({ error: "unauthorized", message: "log in" });
      const item = {
        id: "hh_demo",
        village: "望乡村",
        elderName: "王奶奶",
        contactName: null,
        contactPhone: "13800000000",
        address: null,
        createdAt: new Date().toISOString(),
        deviceCount: 0,
      };
      return { items: [item], nextCursor: null, total: 1 };
    },
  );
  app.post(
    "/api/v1/households/:householdId/devices",
    { schema: { params: householdIdParams, body: bindDeviceBody } },
    async (request, reply) => {
      if (!authorized(request.headers.authorization))
        return reply.code(401).send({ error: "unauthorized", message: "log in" });
      if ("serial" in request.body) double.boundSerials.push(request.body.serial);
      return reply.code(201).send({});
    },
  );

  double.url = await app.listen({ port: 0, host: "127.0.0.1" });
  return double;
}

// ── firmware file server ──────────────────────────────────────────────
export async function startFileServer(files: Record<string, Buffer>): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpServer = createHttpServer((request, response) => {
    const body = files[request.url ?? ""];
    if (!body) return void response.writeHead(404).end("not found");
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const sha256Of = (data: Buffer) => createHash("sha256").update(data).digest("hex");

// ── observing MQTT ────────────────────────────────────────────────────
export interface Recorded {
  topic: string;
  payload: unknown;
  retain: boolean;
}

export interface Observer {
  client: MqttClient;
  messages: Recorded[];
  /** Resolves with the first message (already seen or future) matching the predicate. */
  next(predicate: (m: Recorded) => boolean, timeoutMs?: number, from?: number): Promise<Recorded>;
  close(): Promise<void>;
}

export async function observe(brokerUrl: string, topics: string[]): Promise<Observer> {
  const client = await mqtt.connectAsync(brokerUrl, {
    protocolVersion: 4,
    clientId: "observer_" + randomBytes(4).toString("hex"),
    reconnectPeriod: 0,
  });
  const messages: Recorded[] = [];
  const waiters = new Set<() => void>();
  client.on("message", (topic, payload, packet) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString());
    } catch {
      parsed = payload.toString();
    }
    messages.push({ topic, payload: parsed, retain: packet.retain });
    for (const wake of waiters) wake();
  });
  await client.subscribeAsync(topics, { qos: 1 });
  return {
    client,
    messages,
    next(predicate, timeoutMs = 5_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching message within ${timeoutMs} ms; saw ${JSON.stringify(messages.slice(from).slice(-10))}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => client.endAsync(),
  };
}

export function waitForState(camera: Camera, wanted: CameraState, timeoutMs = 5_000): Promise<void> {
  if (camera.snapshot().state === wanted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const unsubscribe = camera.events.on("state", (state) => {
      if (state !== wanted) return;
      unsubscribe();
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(
          `camera ${camera.serial} did not reach "${wanted}" within ${timeoutMs} ms (now ${camera.snapshot().state})`,
        ),
      );
    }, timeoutMs);
  });
}
