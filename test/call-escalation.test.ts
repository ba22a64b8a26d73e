// The elder's call when nobody answers in the app, with SMS by Alibaba Cloud and voice calls by Tencent Cloud
// (their real SDKs, against the loopback provider that checks signatures): an SMS with the call's link to every
// member after CALL_SMS_AFTER_S, a voice call to the first contact when the ring ends, and an answer at either
// stage stops what is left. Quiet hours hold a member's SMS back. A camera offline for half an hour, and back,
// is told by SMS once each. A second household's unanswered call is the clock that shows nothing more came:
// it starts after the call under test, with the same timings, so once its voice call has come, every stage of
// the earlier call has had its turn.
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagingEnv, startLoopbackProvider, type LoopbackProvider } from "./helpers/loopback-provider.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

const SMS_AFTER_MS = 1000;
const RING_MS = 3000;
const FIRST = "+8613800000001"; // the demo family account: the household's first member
const SECOND = "+8613800000002"; // 小梅, who joined later
const CONTROL = "+8613900000009"; // the other household's member

let loopback: LoopbackProvider;
let stack: Stack;
let camera: { deviceId: string; password: string };
let controlDeviceId: string;
let familyToken: string;
let xiaomeiToken: string;

async function verifiedNumber(username: string, phone: string) {
  await stack.db.user.update({ where: { username }, data: { phone, phoneVerifiedAt: new Date() } });
}

async function joinHousehold(householdId: string, username: string, inviter: string): Promise<string> {
  const invite = await stack.api("POST", `/api/v1/households/${householdId}/invites`, { token: inviter, body: {} });
  const joined = await stack.api("POST", "/api/v1/auth/register", {
    body: { username, password: "family-password-1", displayName: username, inviteCode: invite.body.code },
  });
  expect(joined.status).toBe(201);
  return joined.body.token;
}

beforeAll(async () => {
  loopback = await startLoopbackProvider();
  stack = await startStack({
    ...messagingEnv(loopback, "aliyun", "tencent"),
    CALL_SMS_AFTER_S: String(SMS_AFTER_MS / 1000),
    CALL_RING_S: String(RING_MS / 1000),
    PUBLIC_APP_URL: "https://wx.example.cn",
    OFFLINE_ALERT_AFTER_S: "60",
    ALERT_CHECK_INTERVAL_S: "3600",
  });
  camera = await installDemoCamera(stack);
  familyToken = await stack.login("family");
  xiaomeiToken = await joinHousehold(stack.seed.householdId, "xiaomei", familyToken);
  await verifiedNumber("family", FIRST);
  await verifiedNumber("xiaomei", SECOND);
  // The control household: another home with its own camera and member.
  const staff = await stack.login("staff");
  const home = await stack.api("POST", "/api/v1/households", {
    token: staff,
    body: { village: "青平镇普仁村", elderName: "李秀英", contactPhone: "13900000009" },
  });
  await joinHousehold(home.body.id, "control", staff);
  await verifiedNumber("control", CONTROL);
  controlDeviceId = (
    await stack.db.device.update({
      where: { serial: stack.seed.cameras[1]!.serial },
      data: { householdId: home.body.id },
    })
  ).id;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await loopback?.stop();
});

const sent = (phone: string, channel: "sms" | "voice", callId?: string) =>
  loopback.messages.filter(
    (m) => m.phone === phone && m.channel === channel && (!callId || m.params.some((p) => p.endsWith(callId))),
  );
const messagesOfCall = (callId: string) =>
  stack.db.messageLog.findMany({ where: { callId }, orderBy: { createdAt: "asc" } });

/** The elder presses the call button (the gateway's handler for the camera's event) and the call's id. */
async function pressCallButton(deviceId: string): Promise<{ id: string; startedAt: number }> {
  await stack.gateway.calls.onCallButton(deviceId);
  const call = await stack.db.call.findFirstOrThrow({ where: { deviceId, state: "ringing" } });
  return { id: call.id, startedAt: call.startedAt.getTime() };
}

/** Rings the control household unanswered and waits for its voice call: every earlier stage has run by then. */
async function controlCallRangOut(): Promise<void> {
  const before = sent(CONTROL, "voice").length;
  await pressCallButton(controlDeviceId);
  await waitFor("the control call's voice call", () => sent(CONTROL, "voice").length > before, 15_000);
  await stack.gateway.messaging.escalation.settled();
}

const answer = (token: string, callId: string) => stack.api("POST", `/api/v1/calls/${callId}/answer`, { token });
const hangUp = async (token: string, callId: string) =>
  expect((await stack.api("POST", `/api/v1/calls/${callId}/hang-up`, { token })).status).toBe(200);

describe("the elder's call, unanswered in the app", () => {
  it("an SMS to every member after CALL_SMS_AFTER_S, then a voice call to the first contact when the ring ends", async () => {
    const call = await pressCallButton(camera.deviceId);
    const link = `https://wx.example.cn/family/call/${call.id}`;
    const [toFirst] = await waitFor("SMS", () => sent(FIRST, "sms", call.id).length > 0 && sent(FIRST, "sms", call.id));
    expect(toFirst).toMatchObject({
      provider: "aliyun",
      templateId: "SMS_CALL",
      params: ["黄兴容", link],
      signName: "望乡",
    });
    expect(toFirst!.at - call.startedAt).toBeGreaterThanOrEqual(SMS_AFTER_MS);
    expect(toFirst!.at - call.startedAt).toBeLessThan(RING_MS);
    await waitFor("SMS to 小梅", () => sent(SECOND, "sms", call.id).length === 1);

    const [voice] = await waitFor("voice call", () => sent(FIRST, "voice").length > 0 && sent(FIRST, "voice"));
    expect(voice).toMatchObject({ provider: "tencent", templateId: "TTS_CALL", params: ["黄兴容"] });
    expect(voice!.at - call.startedAt).toBeGreaterThanOrEqual(RING_MS);
    await stack.gateway.messaging.escalation.settled();
    expect(sent(SECOND, "voice")).toEqual([]); // one voice call, to the first contact only
    const log = await messagesOfCall(call.id);
    expect(log.map((m) => [m.channel, m.template, m.state])).toEqual([
      ["sms", "call-waiting", "sent"],
      ["sms", "call-waiting", "sent"],
      ["voice", "call-voice", "sent"],
    ]);
    expect(loopback.badSignatures).toEqual([]);
  });

  it("answered in the app at once: no SMS and no voice call", async () => {
    const call = await pressCallButton(camera.deviceId);
    expect((await answer(xiaomeiToken, call.id)).status).toBe(200);
    await controlCallRangOut();
    expect(await messagesOfCall(call.id)).toEqual([]);
    await hangUp(xiaomeiToken, call.id); // in a call the camera's button hangs up: the next press must ring again
  });

  it("answered after the SMS: the voice call is not placed", async () => {
    const voicesBefore = sent(FIRST, "voice").length;
    const call = await pressCallButton(camera.deviceId);
    await waitFor("SMS", () => sent(FIRST, "sms", call.id).length === 1);
    expect((await answer(familyToken, call.id)).status).toBe(200);
    await controlCallRangOut();
    expect(sent(FIRST, "voice").length).toBe(voicesBefore);
    expect((await messagesOfCall(call.id)).map((m) => m.channel)).toEqual(["sms", "sms"]);
    await hangUp(familyToken, call.id);
  });

  it("quiet hours hold a member's SMS back; the others still get theirs", async () => {
    const now = new Date(Date.now() + 8 * 3_600_000); // Asia/Shanghai
    const clock = (d: Date) => d.toISOString().slice(11, 16);
    const quiet = {
      sms: true,
      quietHours: {
        start: clock(new Date(now.getTime() - 3_600_000)),
        end: clock(new Date(now.getTime() + 3_600_000)),
      },
    };
    const set = await stack.api("PUT", `/api/v1/households/${stack.seed.householdId}/message-preferences`, {
      token: xiaomeiToken,
      body: quiet,
    });
    expect(set.body).toEqual(quiet);
    const call = await pressCallButton(camera.deviceId);
    await waitFor("SMS to the first member", () => sent(FIRST, "sms", call.id).length === 1);
    expect((await answer(familyToken, call.id)).status).toBe(200);
    await controlCallRangOut();
    expect(sent(SECOND, "sms", call.id)).toEqual([]);
    await stack.api("PUT", `/api/v1/households/${stack.seed.householdId}/message-preferences`, {
      token: xiaomeiToken,
      body: { sms: true, quietHours: null },
    });
  });
});

describe("camera notices by SMS", () => {
  let client: MqttClient | null = null;
  afterAll(() => client?.end(true));
  const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000);
  const online = async (want: string) =>
    (await stack.db.device.findUnique({ where: { id: camera.deviceId } }))?.connection === want;

  it("offline for half an hour, and back: one SMS each to each member, never a voice call", async () => {
    const voices = loopback.messages.filter((m) => m.channel === "voice").length;
    client = await connectAsDevice(stack, camera.deviceId, camera.password);
    await waitFor("online", () => online("online"));
    client.stream.destroy(); // power cut: the broker publishes the will
    client = null;
    await waitFor("offline", () => online("offline"));
    await stack.gateway.alerts.check(minutesFromNow(31));
    const offlineTo = (phone: string) =>
      loopback.messages.filter((m) => m.phone === phone && m.templateId === "SMS_OFFLINE");
    await waitFor("offline SMS", () => offlineTo(FIRST).length === 1 && offlineTo(SECOND).length === 1);
    expect(offlineTo(FIRST)[0]!.params).toEqual(["黄兴容", "30"]);
    await stack.gateway.alerts.check(minutesFromNow(32));

    client = await connectAsDevice(stack, camera.deviceId, camera.password);
    const backTo = (phone: string) => loopback.messages.filter((m) => m.phone === phone && m.templateId === "SMS_BACK");
    await waitFor("back SMS", () => backTo(FIRST).length === 1 && backTo(SECOND).length === 1);
    await stack.gateway.alerts.check(minutesFromNow(33));
    await stack.gateway.messaging.escalation.settled();
    expect(offlineTo(FIRST)).toHaveLength(1);
    expect(backTo(FIRST)).toHaveLength(1);
    expect(loopback.messages.filter((m) => m.channel === "voice")).toHaveLength(voices);
  });
});
