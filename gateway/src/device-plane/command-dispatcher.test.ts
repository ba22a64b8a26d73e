// The command dispatcher alone: a real database (the test helper's), a real live hub and metrics registry.
// What it publishes goes to a stand-in for the MQTT link that records each request and lets the test answer
// as the camera would; the broker path end to end is test/device-plane.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../../core/database.ts";
import { commandRequestMessage, type CommandRequestMessage } from "../../../protocol/device-messages.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";
import { deviceCommandTopic } from "../../../protocol/topics.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { waitFor } from "../../../test/helpers/stack.ts";
import { LiveHub } from "../events/live-hub.ts";
import { createMetrics } from "../metrics.ts";
import { CommandDispatcher } from "./command-dispatcher.ts";

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  await db.household.create({
    data: { id: "hh_cmd", village: "测试村", elderName: "王奶奶", contactPhone: "13800000000" },
  });
});

afterAll(async () => {
  await db.$disconnect();
  await testDb.drop();
});

async function camera(id: string, fields: { connection?: string; claimState?: string } = {}): Promise<string> {
  await db.device.create({
    data: {
      id,
      serial: `WX-TEST-${id}`,
      claimCodeHash: "unused",
      householdId: "hh_cmd",
      claimState: fields.claimState ?? "claimed",
      connection: fields.connection ?? "online",
    },
  });
  return id;
}

/** A dispatcher whose published requests land in `sent`; `finished` collects the hub's command events. */
function dispatcher(timeoutMs = 5_000, publishFails = false) {
  const sent: { topic: string; request: CommandRequestMessage }[] = [];
  const finished: ServerMessage[] = [];
  const hub = new LiveHub({ error: (details, message) => console.error(message, details) });
  hub.add({
    canSeeDevice: () => true,
    isMember: () => true,
    canSeeInside: () => true,
    userId: "usr_test",
    send: (message) => finished.push(message),
  });
  const metrics = createMetrics();
  const commands = new CommandDispatcher(
    db,
    async (topic, payload) => {
      if (publishFails) throw new Error("broker gone");
      sent.push({ topic, request: commandRequestMessage.parse(JSON.parse(payload)) });
    },
    hub,
    metrics,
    timeoutMs,
  );
  return { commands, sent, finished, metrics };
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("command dispatcher", () => {
  it("publishes on the camera's command topic and answers with the camera's response, recorded and announced", async () => {
    const deviceId = await camera("dev_cmd_ok");
    const { commands, sent, finished } = dispatcher();
    const pending = commands.send(deviceId, { name: "reboot", params: {} }, "staff-1");
    await waitFor("the command published", () => sent.length === 1);
    expect(sent[0]!.topic).toBe(deviceCommandTopic(deviceId));
    const { correlationId } = sent[0]!.request;
    await commands.onResponse(deviceId, { correlationId, ok: true, result: { rebooting: true } });
    const view = await pending;
    expect(view).toMatchObject({ id: correlationId, deviceId, name: "reboot", status: "succeeded" });
    const row = await db.command.findUniqueOrThrow({ where: { id: correlationId } });
    expect(row).toMatchObject({ status: "succeeded", requestedBy: "staff-1" });
    expect(finished).toContainEqual(expect.objectContaining({ type: "command.finished" }));
  });

  it("ignores a response with the right correlation id on another camera's topic", async () => {
    const deviceId = await camera("dev_cmd_other");
    const { commands, sent } = dispatcher(1_500);
    const pending = commands.send(deviceId, { name: "reboot", params: {} }, "staff-1");
    await waitFor("the command published", () => sent.length === 1);
    await commands.onResponse("dev_someone_else", { correlationId: sent[0]!.request.correlationId, ok: true });
    const error = await refusal(pending);
    expect(error.code).toBe("camera-did-not-answer");
  });

  it("refuses at once, with catalogue codes, a camera that is missing, not claimed or offline", async () => {
    const { commands, sent } = dispatcher();
    await camera("dev_cmd_offline", { connection: "offline" });
    await camera("dev_cmd_registered", { claimState: "registered", connection: "unknown" });
    const command = { name: "reboot", params: {} } as const;
    expect((await refusal(commands.send("dev_missing", command, "s"))).code).toBe("not-found");
    expect((await refusal(commands.send("dev_cmd_registered", command, "s"))).code).toBe("camera-not-claimed");
    expect((await refusal(commands.send("dev_cmd_offline", command, "s"))).code).toBe("camera-offline");
    expect(sent).toEqual([]);
  });

  it("keeps a late answer after the timeout as the command's outcome", async () => {
    const deviceId = await camera("dev_cmd_late");
    const { commands, sent } = dispatcher(300);
    const error = await refusal(commands.send(deviceId, { name: "reboot", params: {} }, "staff-1"));
    expect(error.code).toBe("camera-did-not-answer");
    const { correlationId } = sent[0]!.request;
    expect((await db.command.findUniqueOrThrow({ where: { id: correlationId } })).status).toBe("timed-out");
    await commands.onResponse(deviceId, { correlationId, ok: false, error: "busy" });
    expect(await db.command.findUniqueOrThrow({ where: { id: correlationId } })).toMatchObject({
      status: "failed",
      error: "busy",
    });
  });

  it("answers broker-unavailable when the publish fails, and shutting-down for waiting and new commands on stop", async () => {
    const deviceId = await camera("dev_cmd_stop");
    const broken = dispatcher(5_000, true);
    expect((await refusal(broken.commands.send(deviceId, { name: "reboot", params: {} }, "s"))).code).toBe(
      "broker-unavailable",
    );
    const { commands, sent } = dispatcher();
    const waiting = commands.send(deviceId, { name: "reboot", params: {} }, "s");
    await waitFor("the command published", () => sent.length === 1);
    commands.stop();
    expect((await refusal(waiting)).code).toBe("shutting-down");
    expect((await refusal(commands.send(deviceId, { name: "reboot", params: {} }, "s"))).code).toBe("shutting-down");
  });

  it("keeps the one-time publish token of stream-start out of the command log", async () => {
    const deviceId = await camera("dev_cmd_token");
    const { commands, sent } = dispatcher();
    const pending = commands.send(
      deviceId,
      {
        name: "stream-start",
        params: { whipUrl: "http://127.0.0.1:1/whip", token: "secret-token-123", iceServers: [] },
      },
      "live-view",
    );
    await waitFor("the command published", () => sent.length === 1);
    const { correlationId, params } = sent[0]!.request as CommandRequestMessage & { params: { token?: string } };
    expect(params.token).toBe("secret-token-123");
    await commands.onResponse(deviceId, { correlationId, ok: true });
    await pending;
    const row = await db.command.findUniqueOrThrow({ where: { id: correlationId } });
    expect(row.params).not.toContain("secret-token-123");
  });
});
