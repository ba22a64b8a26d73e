// Fixtures for the access-control and fuzz tests: a second household with its own family account and
// camera, live sockets that record what they receive, raw MQTT packets, and Prometheus counter reads.
import { liveSocket, type Stack, type TestJson } from "./stack.ts";
import type WebSocket from "ws";

/** Creates a household and a family account that belongs to it (through an invite, as a worker would join). */
export async function createHouseholdWithFamily(
  stack: Stack,
  opts: { village: string; elderName: string; username: string; displayName: string },
): Promise<{ householdId: string; familyToken: string; userId: string }> {
  const staff = await stack.login("staff");
  const created = await stack.api("POST", "/api/v1/households", {
    token: staff,
    body: { village: opts.village, elderName: opts.elderName, contactPhone: "13900000000" },
  });
  if (created.status !== 201) throw new Error(`household: ${created.status} ${JSON.stringify(created.body)}`);
  const householdId = created.body.id as string;
  const invite = await stack.api("POST", `/api/v1/households/${householdId}/invites`, { token: staff, body: {} });
  if (invite.status !== 201) throw new Error(`invite: ${invite.status} ${JSON.stringify(invite.body)}`);
  const registered = await stack.api("POST", "/api/v1/auth/register", {
    body: {
      username: opts.username,
      password: "another-password-456",
      displayName: opts.displayName,
      inviteCode: invite.body.code,
    },
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  return { householdId, familyToken: registered.body.token, userId: registered.body.user.id };
}

/** Binds demo camera `index` into `householdId` (as staff) and claims it: its MQTT credentials. */
export async function installCameraInto(
  stack: Stack,
  index: number,
  householdId: string,
): Promise<{ deviceId: string; password: string; serial: string }> {
  const camera = stack.seed.cameras[index]!;
  // Staff bind it: installers work only in households assigned to them.
  const staff = await stack.login("staff");
  const bound = await stack.api("POST", `/api/v1/households/${householdId}/devices`, {
    token: staff,
    body: { serial: camera.serial, claimCode: camera.claimCode },
  });
  if (bound.status !== 200) throw new Error(`bind: ${bound.status} ${JSON.stringify(bound.body)}`);
  const claimed = await stack.api("POST", "/api/v1/devices/claim", {
    body: { serial: camera.serial, claimCode: camera.claimCode },
  });
  if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.body)}`);
  return { deviceId: claimed.body.deviceId, password: claimed.body.mqttPassword, serial: camera.serial };
}

/**
 * Registers a spare camera serial and claims it without a household (for broker-only work). Callers that
 * register many at once pass one staff token: parallel sign-ins of one account count as guesses.
 */
export async function registerAndClaim(
  stack: Stack,
  serial: string,
  staffToken?: string,
): Promise<{ deviceId: string; password: string }> {
  const staff = staffToken ?? (await stack.login("staff"));
  const reg = await stack.api("POST", "/api/v1/devices", { token: staff, body: { serial } });
  if (reg.status !== 201) throw new Error(`register ${serial}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const claimed = await stack.api("POST", "/api/v1/devices/claim", { body: { serial, claimCode: reg.body.claimCode } });
  if (claimed.status !== 200) throw new Error(`claim ${serial}: ${claimed.status} ${JSON.stringify(claimed.body)}`);
  return { deviceId: claimed.body.deviceId, password: claimed.body.mqttPassword };
}

export interface RecordingSocket {
  socket: WebSocket;
  /** Every text message, parsed. */
  messages: TestJson[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens /api/v1/live with a token (as a subprotocol, as the web app does) and resolves after the server's hello. */
export function openLiveSocket(stack: Pick<Stack, "httpUrl">, token: string): Promise<RecordingSocket> {
  const socket = liveSocket(stack, token);
  const messages: TestJson[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return new Promise((resolve, reject) => {
    socket.on("error", reject);
    socket.on("message", (data) => {
      const message = JSON.parse(String(data));
      messages.push(message);
      if (message.type === "hello") resolve({ socket, messages, closed });
    });
    void closed.then(({ code }) => reject(new Error(`live socket closed before hello: ${code}`)));
  });
}

/** Sum of a Prometheus counter over all its label sets (or only those matching `labels`, e.g. kind="status"). */
export async function readCounter(stack: Stack, name: string, labels = ""): Promise<number> {
  const text = (await stack.api("GET", "/metrics")).body as string;
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name || (labels && !(match[2] ?? "").includes(labels))) continue;
    total += Number(match[3]);
  }
  return total;
}

// ── raw MQTT 3.1.1 packets ──────────────────────────────────────────────────
/** MQTT's variable-length "remaining length" (1 to 4 bytes). */
export function encodeRemainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

const mqttString = (text: string | Buffer) => {
  const body = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([length, body]);
};

const packet = (firstByte: number, body: Buffer) =>
  Buffer.concat([Buffer.from([firstByte]), encodeRemainingLength(body.length), body]);

export function connectPacket(opts: {
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS?: number;
  protocolLevel?: number;
  will?: { topic: string; payload: string };
}): Buffer {
  let flags = 0x02; // clean session
  if (opts.username !== undefined) flags |= 0x80;
  if (opts.password !== undefined) flags |= 0x40;
  if (opts.will) flags |= 0x04 | 0x08 | 0x20; // will, QoS 1, retained
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(opts.keepaliveS ?? 2);
  const parts = [
    mqttString("MQTT"),
    Buffer.from([opts.protocolLevel ?? 4, flags]),
    keepalive,
    mqttString(opts.clientId),
  ];
  if (opts.will) parts.push(mqttString(opts.will.topic), mqttString(opts.will.payload));
  if (opts.username !== undefined) parts.push(mqttString(opts.username));
  if (opts.password !== undefined) parts.push(mqttString(opts.password));
  return packet(0x10, Buffer.concat(parts));
}

export function publishPacket(topic: string, payload: Buffer | string, qos: 0 | 1 = 0, packetId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return packet(0x30 | (qos << 1), Buffer.concat([mqttString(topic), ...(qos > 0 ? [id] : []), Buffer.from(payload)]));
}

export function subscribePacket(topic: string, packetId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return packet(0x82, Buffer.concat([id, mqttString(topic), Buffer.from([1])]));
}

export function unsubscribePacket(topic: string, packetId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return packet(0xa2, Buffer.concat([id, mqttString(topic)]));
}

export const pingreqPacket = Buffer.from([0xc0, 0x00]);
export const disconnectPacket = Buffer.from([0xe0, 0x00]);
