// The live-view service alone: a real relay worker pool, a real database (the test helper's) and a real live hub;
// the command dispatcher is a small stand-in that records each command and answers as the camera would over
// MQTT (live-view/ may use the dispatcher's type only; the dispatcher itself is command-dispatcher.test.ts). The relay's
// signaling plugin is not here: the test calls the service's relay callbacks (viewer joined or left, camera
// published) as that plugin does; the WHIP/WHEP path end to end is test/live-view.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import type { DeviceCommand } from "../../../protocol/device-messages.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { ServerMessage } from "../../../protocol/ws.ts";
import { createRelayPool, type RelayPool } from "../../../relay/src/index.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { waitFor } from "../../../test/helpers/stack.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import type { CommandDispatcher } from "../device-plane/command-dispatcher.ts";
import { LiveHub } from "../events/live-hub.ts";
import { LiveViewService } from "./live-view-service.ts";
import { ViewTokens } from "./view-tokens.ts";

const HOUSEHOLD = "hh_live";
const STOP_GRACE_MS = 400;

let testDb: TestDatabase;
let db: Database;
const silentLog = { error: () => undefined };
let pool: RelayPool;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  pool = await createRelayPool({ workers: 1, network: { hostAddresses: ["127.0.0.1"] }, log: silentLog });
  await db.household.create({
    data: { id: HOUSEHOLD, village: "测试村", elderName: "张奶奶", contactPhone: "13700000000" },
  });
});

afterAll(async () => {
  await pool?.close();
  await db?.$disconnect();
  await testDb?.drop();
});

async function person(id: string, member: boolean, role: SignedInUser["role"] = "family"): Promise<SignedInUser> {
  await db.user.create({ data: { id, username: id, displayName: `家人 ${id}`, passwordHash: "unused", role } });
  if (member) await db.householdMember.create({ data: { householdId: HOUSEHOLD, userId: id } });
  const sessionExpiresAt = new Date(Date.now() + 3600_000);
  await db.session.create({
    data: { id: `ses_${id}`, tokenHash: `hash_${id}`, userId: id, expiresAt: sessionExpiresAt },
  });
  return { id, username: id, displayName: `家人 ${id}`, role, sessionId: `ses_${id}`, sessionExpiresAt };
}

async function camera(id: string, fields: { connection?: string; privacy?: boolean } = {}): Promise<string> {
  await db.device.create({
    data: {
      id,
      serial: `WX-LIVE-${id}`,
      claimCodeHash: "unused",
      householdId: HOUSEHOLD,
      claimState: "claimed",
      connection: fields.connection ?? "online",
      privacy: fields.privacy ?? false,
    },
  });
  return id;
}

type SentCommand = { deviceId: string; command: DeviceCommand };

/**
 * Stands in for the dispatcher and the camera behind it: records each command, answers it as succeeded, and
 * after a stream-start the camera's upstream reaches the relay (`onCameraPublished`), as a real camera's would.
 */
function cameraCommands(sent: SentCommand[], onStreamStart: (deviceId: string) => void): CommandDispatcher {
  const send: CommandDispatcher["send"] = async (deviceId, command, requestedBy) => {
    sent.push({ deviceId, command });
    if (command.name === "stream-start") setImmediate(() => onStreamStart(deviceId));
    const now = new Date().toISOString();
    return {
      id: randomId("cmd_", 8),
      deviceId,
      name: command.name,
      params: {},
      status: "succeeded",
      result: null,
      error: null,
      requestedBy,
      createdAt: now,
      finishedAt: now,
    };
  };
  return { send } as Pick<CommandDispatcher, "send"> as CommandDispatcher;
}

/** The service with short timings; `commandsFor` lists what it asked a camera to do. A mute camera never publishes. */
function liveView({ muteCamera = false, startTimeoutMs = 5_000 } = {}) {
  const sent: SentCommand[] = [];
  const events: ServerMessage[] = [];
  const hub = new LiveHub(silentLog);
  hub.add({
    canSeeDevice: () => true,
    isMember: () => true,
    canSeeInside: () => true,
    userId: "usr_watch",
    send: (m) => events.push(m),
  });
  const tokens = new ViewTokens("live-view-test-secret");
  const commands = cameraCommands(sent, (cameraId) => {
    if (!muteCamera) service.onCameraPublished({ cameraId, sessionId: randomId("pub_", 8) });
  });
  const service = new LiveViewService({
    db,
    commands,
    hub,
    log: { error: () => undefined },
    relay: () => pool,
    tokens,
    policy: {
      iceServers: () => [],
      publicHttpUrl: () => "http://127.0.0.1:1",
      viewerTokenTtlMs: 60_000,
      stopGraceMs: STOP_GRACE_MS,
      startTimeoutMs,
      installerWindowMs: 3600_000,
    },
  });
  const commandsFor = (deviceId: string, name: string) =>
    sent.filter((s) => s.deviceId === deviceId && s.command.name === name);
  return { service, tokens, commandsFor, events };
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

const joined = (cameraId: string, sessionId: string, user: SignedInUser) => ({
  cameraId,
  sessionId,
  viewer: { viewerId: user.id, displayName: user.displayName },
});

describe("live-view service: grants", () => {
  it("a token holds only while the sign-in session it was granted to does, and the call it was granted for", async () => {
    const deviceId = await camera("dev_lv_bound");
    const member = await person("usr_lv_bound", true);
    const { service } = liveView();
    const lookIn = await service.grantView(member, deviceId);
    await db.call.create({
      data: {
        id: "call_lv_bound",
        householdId: HOUSEHOLD,
        deviceId,
        direction: "to-home",
        state: "answered",
        startedAt: new Date(),
      },
    });
    const forCall = await service.grantView(member, deviceId, "answered-call", "call_lv_bound");
    expect(await service.authorizeView(deviceId, forCall.token)).not.toBeNull();
    await db.call.update({ where: { id: "call_lv_bound" }, data: { state: "ended" } });
    expect(await service.authorizeView(deviceId, forCall.token)).toBeNull();
    expect(await service.authorizeView(deviceId, lookIn.token)).not.toBeNull();
    await db.session.update({ where: { id: member.sessionId }, data: { revokedAt: new Date() } });
    expect(await service.authorizeView(deviceId, lookIn.token)).toBeNull();
    await service.stop();
  });

  it("grants a member a WHEP token for an online camera, bound to that camera and person", async () => {
    const deviceId = await camera("dev_lv_grant");
    const member = await person("usr_lv_grant", true);
    const { service, tokens } = liveView();
    const grant = await service.grantView(member, deviceId);
    expect(grant.whepUrl).toBe(`/api/v1/whep/${deviceId}`);
    expect(tokens.verifyViewer(grant.token, deviceId)).toMatchObject({ uid: member.id, via: "look-in" });
    expect(await service.authorizeView(deviceId, grant.token)).toEqual({
      viewerId: member.id,
      displayName: member.displayName,
    });
  });

  it("refuses privacy mode and an offline camera with their catalogue codes", async () => {
    const member = await person("usr_lv_refused", true);
    const privateCamera = await camera("dev_lv_privacy", { privacy: true });
    const offlineCamera = await camera("dev_lv_offline", { connection: "offline" });
    const { service, commandsFor } = liveView();
    const privacy = await refusal(service.grantView(member, privateCamera));
    expect([privacy.code, privacy.status]).toEqual(["privacy-mode", 403]);
    const offline = await refusal(service.grantView(member, offlineCamera));
    expect([offline.code, offline.status]).toEqual(["camera-offline", 409]);
    expect(commandsFor(privateCamera, "stream-start")).toEqual([]);
  });

  it("answers a family non-member exactly as it answers a camera that does not exist", async () => {
    const deviceId = await camera("dev_lv_stranger");
    const stranger = await person("usr_lv_stranger", false);
    const { service } = liveView();
    const notMember = await refusal(service.grantView(stranger, deviceId));
    const missing = await refusal(service.grantView(stranger, "dev_lv_nowhere"));
    expect(notMember.code).toBe("not-found");
    expect([notMember.code, notMember.status, notMember.message]).toEqual([
      missing.code,
      missing.status,
      missing.message,
    ]);
  });
});

describe("live-view service: the camera's stream", () => {
  it("starts the stream once for two viewers and stops it a grace period after the last one leaves", async () => {
    const deviceId = await camera("dev_lv_stream");
    const [mother, son] = [await person("usr_lv_mother", true), await person("usr_lv_son", true)];
    const { service, commandsFor } = liveView();
    const stopped: [string, string][] = [];
    service.events.on("stream-stopped", (cameraId, reason) => stopped.push([cameraId, reason]));
    await Promise.all([
      service.onViewerJoined(joined(deviceId, "ses_lv_mother", mother)),
      service.onViewerJoined(joined(deviceId, "ses_lv_son", son)),
    ]);
    await waitFor("the stream started", () => commandsFor(deviceId, "stream-start").length === 1);
    expect(service.viewers(deviceId).map((v) => v.viewerId)).toEqual([mother.id, son.id]);
    service.onViewerLeft({ cameraId: deviceId, sessionId: "ses_lv_mother", reason: "closed" });
    service.onViewerLeft({ cameraId: deviceId, sessionId: "ses_lv_son", reason: "closed" });
    const lastLeftAt = Date.now();
    expect(commandsFor(deviceId, "stream-stop")).toEqual([]);
    expect(service.holdsStream(deviceId)).toBe(true);
    await waitFor("the stream stopped", () => commandsFor(deviceId, "stream-stop").length === 1, 5_000, 20);
    expect(Date.now() - lastLeftAt).toBeGreaterThanOrEqual(STOP_GRACE_MS - 5);
    expect(commandsFor(deviceId, "stream-start")).toHaveLength(1);
    expect(commandsFor(deviceId, "stream-stop")[0]!.command.params).toEqual({ reason: "no-viewers" });
    expect(stopped).toEqual([[deviceId, "no-viewers"]]); // what ends an answered call nobody hung up
  });

  it("keeps the stream when a viewer comes back within the grace period", async () => {
    const deviceId = await camera("dev_lv_back");
    const daughter = await person("usr_lv_daughter", true);
    const { service, commandsFor } = liveView();
    await service.onViewerJoined(joined(deviceId, "ses_lv_first", daughter));
    await waitFor("the stream started", () => commandsFor(deviceId, "stream-start").length === 1);
    service.onViewerLeft({ cameraId: deviceId, sessionId: "ses_lv_first", reason: "closed" });
    await service.onViewerJoined(joined(deviceId, "ses_lv_again", daughter));
    // Absence can only be seen by letting the (injected, short) grace period pass twice over.
    await new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS * 2));
    expect(commandsFor(deviceId, "stream-stop")).toEqual([]);
    expect(commandsFor(deviceId, "stream-start")).toHaveLength(1);
    await service.stop();
  });

  it("tells the household camera-did-not-stream when the camera does not publish in time", async () => {
    const deviceId = await camera("dev_lv_mute");
    const viewer = await person("usr_lv_waiting", true);
    const { service, events } = liveView({ muteCamera: true, startTimeoutMs: 300 });
    await service.onViewerJoined(joined(deviceId, "ses_lv_waiting", viewer));
    const failure = await waitFor("the failure told", () =>
      events.find((e) => e.type === "view.error" && e.deviceId === deviceId),
    );
    expect(failure).toMatchObject({ error: "camera-did-not-stream" });
    await service.stop();
  });

  it("stops the stream at once, with reason privacy-mode, when privacy is switched on", async () => {
    const deviceId = await camera("dev_lv_private_now");
    const viewer = await person("usr_lv_private", true);
    const { service, commandsFor, events } = liveView();
    await service.onViewerJoined(joined(deviceId, "ses_lv_private", viewer));
    await waitFor("the stream published", () =>
      events.find((e) => e.type === "view.viewers" && e.deviceId === deviceId && e.streaming),
    );
    await service.onPrivacyEnabled(deviceId);
    expect(commandsFor(deviceId, "stream-stop").map((c) => c.command.params)).toEqual([{ reason: "privacy-mode" }]);
    await service.stop();
  });
});

describe("live-view service: the view log", () => {
  it("opens an entry per session with how it started, and closes it with the reason it ended", async () => {
    const deviceId = await camera("dev_lv_log");
    const caller = await person("usr_lv_caller", true);
    const looker = await person("usr_lv_looker", true);
    const { service } = liveView();
    const callGrant = await service.grantView(caller, deviceId, "call");
    const callViewer = await service.authorizeView(deviceId, callGrant.token);
    await service.onViewerJoined({ cameraId: deviceId, sessionId: "ses_lv_call", viewer: callViewer! });
    await service.onViewerJoined(joined(deviceId, "ses_lv_look", looker));
    const opened = await db.viewSession.findMany({ where: { deviceId }, orderBy: { id: "asc" } });
    expect(opened).toMatchObject([
      { id: "ses_lv_call", userId: caller.id, householdId: HOUSEHOLD, startedBy: "call", endedAt: null },
      { id: "ses_lv_look", userId: looker.id, householdId: HOUSEHOLD, startedBy: "look-in", endedAt: null },
    ]);
    service.onViewerLeft({ cameraId: deviceId, sessionId: "ses_lv_call", reason: "viewer-left" });
    const closed = await waitFor("the call's view closed", () =>
      db.viewSession.findFirst({ where: { id: "ses_lv_call", endedAt: { not: null } } }),
    );
    expect(closed.endReason).toBe("viewer-left");
    await service.stop("gateway-shutdown");
    expect(await db.viewSession.findUniqueOrThrow({ where: { id: "ses_lv_look" } })).toMatchObject({
      endReason: "gateway-shutdown",
      startedBy: "look-in",
    });
  });
});
