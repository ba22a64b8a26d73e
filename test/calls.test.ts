// The elder's call button, end to end with real parts: a simulated camera presses it, the gateway rings every
// household member (live socket and Web Push, decrypted here as a browser would), the first answer wins and
// the camera hears who answered, an unanswered call becomes missed, and a push service's 410 removes the
// subscription. The push service and the browsers are played by test/helpers/push-service.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import { PushEndpointPolicy } from "../gateway/src/calls/push-endpoints.ts";
import { WebPush } from "../gateway/src/calls/web-push.ts";
import { pushPayload } from "../protocol/calls.ts";
import {
  checkVapid,
  decryptPush,
  startTestPushService,
  type BrowserSubscription,
  type TestPushService,
} from "./helpers/push-service.ts";
import { liveSocket, startStack, waitFor, type Stack, type TestJson } from "./helpers/stack.ts";

let stack: Stack;
let push: TestPushService;
let camera: Camera;
let deviceId: string;
let stateDir: string;
const members: { name: string; token: string; live: TestJson[]; socket: WebSocket; phone: BrowserSubscription }[] = [];
let staffLive: TestJson[];
let staffSocket: WebSocket;

async function openLive(token: string): Promise<{ socket: WebSocket; live: TestJson[] }> {
  const live: TestJson[] = [];
  const socket = liveSocket(stack, token);
  socket.on("message", (data) => live.push(JSON.parse(String(data))));
  await waitFor("live hello", () => live.some((m) => m.type === "hello"));
  return { socket, live };
}

async function addMember(name: string): Promise<string> {
  const family = await stack.login("family");
  const invite = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/invites`, {
    token: family,
    body: {},
  });
  const joined = await stack.api("POST", "/api/v1/auth/register", {
    body: { username: name, password: "family-password-1", displayName: name, inviteCode: invite.body.code },
  });
  expect(joined.status).toBe(201);
  return joined.body.token;
}

const pushesTo = (phone: BrowserSubscription) => push.received.filter((p) => p.subscription === phone.name);
const callsOnCamera = () => camera.snapshot().calls;
/** What the camera last played about this call (news of other calls may come after it). */
const lastPlayedFor = (callId: string) =>
  callsOnCamera()
    .log.filter((entry) => entry.callId === callId)
    .at(-1);
const ringsFor = (callId: string) => callsOnCamera().state === "ringing" && callsOnCamera().callId === callId;

beforeAll(async () => {
  push = await startTestPushService();
  stack = await startStack(
    { CALL_RING_S: "6", COMMAND_TIMEOUT_MS: "5000", PUSH_CONTACT: "mailto:ops@example.cn" },
    { push },
  );
  const installer = await stack.login("installer");
  const box = stack.seed.cameras[0]!;
  const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
    token: installer,
    body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" },
  });
  deviceId = bound.body.id;
  stateDir = mkdtempSync(join(tmpdir(), "wx-sim-"));
  camera = createCamera({
    serial: box.serial,
    claimCode: box.claimCode,
    gatewayUrl: stack.httpUrl,
    store: createCredentialsStore(stateDir),
    heartbeatIntervalS: 1,
  });
  await camera.start();
  await waitFor(
    "camera online",
    async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online",
  );
  for (const [name, token] of [
    ["family", await stack.login("family")],
    ["xiaomei", await addMember("xiaomei")],
  ] as const) {
    const phone = push.subscribe(name);
    const subscribed = await stack.api("POST", "/api/v1/push/subscriptions", {
      token,
      body: { endpoint: phone.endpoint, keys: phone.keys, deviceName: "红米 Note" },
    });
    expect(subscribed.status).toBe(201);
    members.push({ name, token, phone, ...(await openLive(token)) });
  }
  ({ socket: staffSocket, live: staffLive } = await openLive(await stack.login("staff")));
}, 60_000);

afterAll(async () => {
  for (const m of members) m.socket.close();
  staffSocket?.close();
  await camera?.stop();
  await stack?.stop();
  await push?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("the call button", () => {
  let callId: string;

  it("rings every member's open app and phone; the camera plays a ring-back", async () => {
    expect(await camera.pressCallButton()).toBe(true);
    for (const m of members) {
      const ringing = await waitFor(`${m.name} rung`, () => m.live.find((msg) => msg.type === "call.ringing"));
      expect(ringing.call).toMatchObject({
        deviceId,
        direction: "from-home",
        state: "ringing",
        label: "堂屋",
        elderName: expect.any(String),
      });
      callId = ringing.call.id;
    }
    await waitFor("ring-back on the camera", () => callsOnCamera().state === "calling-family");
    expect(staffLive.some((m) => m.type === "call.ringing")).toBe(false); // staff watch the fleet, not family calls

    const { publicKey } = (await stack.api("GET", "/api/v1/push/key", { token: members[0]!.token })).body;
    for (const m of members) {
      const [received] = await waitFor(`push to ${m.name}`, () => pushesTo(m.phone).length > 0 && pushesTo(m.phone));
      expect(received!.headers["content-encoding"]).toBe("aes128gcm");
      expect(received!.headers.urgency).toBe("high");
      expect(Number(received!.headers.ttl)).toBe(6);
      expect(checkVapid(String(received!.headers.authorization), publicKey, m.phone.endpoint)).toEqual({
        sub: "mailto:ops@example.cn",
      });
      const payload = pushPayload.parse(JSON.parse(decryptPush(m.phone, received!.body)));
      expect(payload).toMatchObject({ kind: "call", callId, url: `/family/call/${callId}` });
      expect(payload.title).toMatch(/家来电$/);
    }
  });

  it("pressed again while it rings: the same call goes on ringing", async () => {
    expect(await camera.pressCallButton()).toBe(true);
    await waitFor("second press seen", async () =>
      (await stack.api("GET", "/metrics")).body.includes('wx_call_refusals_total{reason="already-ringing"} 1'),
    );
    const calls = await stack.api("GET", "/api/v1/calls", { token: members[0]!.token });
    expect(calls.body.items.filter((c: { state: string }) => c.state === "ringing")).toHaveLength(1);
  });

  it("the first answer wins; the camera shows who answered; a second answer is told it is too late", async () => {
    const [first, second] = members as [(typeof members)[0], (typeof members)[0]];
    const [a, b] = await Promise.all([
      stack.api("POST", `/api/v1/calls/${callId}/answer`, { token: second.token }),
      stack.api("POST", `/api/v1/calls/${callId}/answer`, { token: first.token }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const won = a.status === 200 ? a : b;
    const lost = a.status === 200 ? b : a;
    expect(lost.body).toMatchObject({ error: "call-not-ringing" });
    expect(won.body.call).toMatchObject({ id: callId, state: "answered", answeredByName: expect.any(String) });
    expect(won.body.grant).toBeNull(); // this stack runs without the relay: answered, but no live view
    const answeredBy = won.body.call.answeredByName;
    await waitFor("camera told who answered", () => callsOnCamera().state === "in-call");
    expect(callsOnCamera().answeredBy).toBe(answeredBy);
    for (const m of members)
      await waitFor(`${m.name} told`, () =>
        m.live.some((msg) => msg.type === "call.updated" && msg.call.state === "answered"),
      );
    const again = await stack.api("POST", `/api/v1/calls/${callId}/answer`, { token: first.token });
    expect(again.status).toBe(409);
  });

  it("hanging up ends the answered call: the camera stops showing it, members are told; a second hang-up changes nothing", async () => {
    const [first] = members as [(typeof members)[0]];
    const outsider = await stack.login("staff");
    expect((await stack.api("POST", `/api/v1/calls/${callId}/hang-up`, { token: outsider })).status).toBe(403);
    const ended = await stack.api("POST", `/api/v1/calls/${callId}/hang-up`, { token: first.token });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: callId, state: "ended", endedAt: expect.any(String) });
    await waitFor("the camera shows the call ended", () => callsOnCamera().state === "idle");
    expect(callsOnCamera().log.at(-1)).toMatchObject({ callId, state: "ended" });
    for (const m of members)
      await waitFor(`${m.name} told`, () =>
        m.live.some((msg) => msg.type === "call.updated" && msg.call.id === callId && msg.call.state === "ended"),
      );
    const again = await stack.api("POST", `/api/v1/calls/${callId}/hang-up`, { token: first.token });
    expect(again.body).toMatchObject({ id: callId, state: "ended", endedAt: ended.body.endedAt });
    const metrics = (await stack.api("GET", "/metrics")).body as string;
    expect(metrics).toContain('wx_calls_total{direction="from-home",state="ended"} 1');
  });

  it("in a call, the elder's button hangs up: the call ends, the family is told, and nothing rings", async () => {
    const [first] = members as [(typeof members)[0]];
    expect(await camera.pressCallButton()).toBe(true);
    const ringing = await waitFor(
      "a new call rings",
      async () => (await stack.db.call.findFirst({ where: { state: "ringing" } }))?.id,
    );
    expect((await stack.api("POST", `/api/v1/calls/${ringing}/answer`, { token: first.token })).status).toBe(200);
    await waitFor("in the call at home", () => callsOnCamera().state === "in-call");
    expect(await camera.pressCallButton()).toBe(true);
    await waitFor("the camera shows the call ended", () => callsOnCamera().state === "idle");
    await waitFor("the family told", () =>
      first.live.some((msg) => msg.type === "call.updated" && msg.call.id === ringing && msg.call.state === "ended"),
    );
    expect(await stack.db.call.count({ where: { state: "ringing" } })).toBe(0);
  });

  it("an unanswered call becomes missed: listed for call-back, a push says so, the camera stops ringing back", async () => {
    const before = push.received.length;
    const earlier = new Set(members[0]!.live.filter((m) => m.type === "call.ringing").map((m) => m.call.id));
    await camera.pressCallButton();
    const ringing = await waitFor("rung", () =>
      members[0]!.live.find((m) => m.type === "call.ringing" && !earlier.has(m.call.id)),
    );
    const missed = await waitFor(
      "missed",
      () =>
        members[0]!.live.find(
          (m) => m.type === "call.updated" && m.call.id === ringing.call.id && m.call.state === "missed",
        ),
      20_000,
    );
    expect(missed.call.answeredByName).toBeNull();
    const list = await stack.api("GET", "/api/v1/calls?state=missed", { token: members[1]!.token });
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([ringing.call.id]);
    await waitFor(
      "camera back to idle",
      () => callsOnCamera().state === "idle" && callsOnCamera().log.at(-1)?.state === "missed",
    );
    const missedPush = await waitFor("missed push", () =>
      push.received
        .slice(before)
        .find(
          (p) =>
            p.subscription === "xiaomei" && JSON.parse(decryptPush(members[1]!.phone, p.body)).kind === "call-missed",
        ),
    );
    expect(JSON.parse(decryptPush(members[1]!.phone, missedPush.body))).toMatchObject({
      callId: ringing.call.id,
      title: expect.stringMatching(/未接来电$/),
    });
  });

  it("a push service's 410 removes the subscription; other phones still ring", async () => {
    push.answer.set("family", 410);
    await camera.pressCallButton();
    await waitFor(
      "subscription removed",
      async () => (await stack.db.pushSubscription.count({ where: { endpoint: members[0]!.phone.endpoint } })) === 0,
    );
    expect(await stack.db.pushSubscription.count({ where: { endpoint: members[1]!.phone.endpoint } })).toBe(1);
    await waitFor("expired counted", async () =>
      (await stack.api("GET", "/metrics")).body.includes('wx_pushes_total{kind="call",outcome="expired"} 1'),
    );
  });

  it("pressed while offline: the press goes nowhere and is counted; the gateway records no call", async () => {
    const callsBefore = await stack.db.call.count();
    camera.powerLoss();
    expect(await camera.pressCallButton()).toBe(false);
    expect(callsOnCamera().pressesWhileOffline).toBe(1);
    expect(await stack.db.call.count()).toBe(callsBefore);
  });
});

describe("push subscriptions and calls refuse bad input", () => {
  it("answers schema errors plainly, refuses unknown calls and non-family answers, and unsubscribes", async () => {
    const token = members[1]!.token;
    const bad = await stack.api("POST", "/api/v1/push/subscriptions", {
      token,
      body: { endpoint: "http://push.example/x", keys: { p256dh: "short", auth: "!" } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid-request");
    expect(bad.body.message).toMatch(/endpoint/);
    expect((await stack.api("POST", "/api/v1/calls/call_doesnotexist/answer", { token })).status).toBe(404);
    expect((await stack.api("POST", "/api/v1/calls/x/answer", { token: await stack.login("staff") })).status).toBe(403);
    const gone = await stack.api("DELETE", "/api/v1/push/subscriptions", {
      token,
      body: { endpoint: members[1]!.phone.endpoint },
    });
    expect(gone.status).toBe(204);
    expect(
      (
        await stack.api("DELETE", "/api/v1/push/subscriptions", {
          token,
          body: { endpoint: members[1]!.phone.endpoint },
        })
      ).status,
    ).toBe(404);
  });

  it("keeps one VAPID key pair in the database: a second gateway's push part signs with the same key", async () => {
    const first = (await stack.api("GET", "/api/v1/push/key", { token: members[0]!.token })).body.publicKey;
    expect(Buffer.from(first, "base64url")).toHaveLength(65);
    const another = new WebPush({
      db: stack.db,
      metrics: stack.gateway.metrics,
      log: { warn() {} },
      subject: "mailto:ops@example.cn",
      endpoints: new PushEndpointPolicy([]),
    });
    expect(await another.publicKey()).toBe(first);
  });
});

describe("calling home", () => {
  let answeredCallId: string;
  const caller = () => members[1]!;
  const callHome = () => stack.api("POST", `/api/v1/devices/${deviceId}/call`, { token: caller().token });
  const waitForState = (callId: string, state: string, timeoutMs = 10_000) =>
    waitFor(
      `call ${state}`,
      () => caller().live.find((m) => m.type === "call.updated" && m.call.id === callId && m.call.state === state),
      timeoutMs,
    );

  beforeAll(async () => {
    camera.powerOn();
    await waitFor(
      "camera online again",
      async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online",
      20_000,
    );
  }, 30_000);

  it("rings the camera with the caller's name; one press answers, and the camera announces before the family is told", async () => {
    const called = await callHome();
    expect(called.status).toBe(201);
    expect(called.body).toMatchObject({ direction: "to-home", state: "ringing", callerName: "xiaomei" });
    await waitFor("camera rings", () => callsOnCamera().state === "ringing");
    expect(lastPlayedFor(called.body.id)).toMatchObject({ state: "ringing", by: "xiaomei" });
    expect((await callHome()).body).toMatchObject({ error: "call-busy" });

    expect(await camera.pressCallButton()).toBe(true);
    const answered = await waitForState(called.body.id, "answered");
    expect(callsOnCamera().state).toBe("in-call"); // the camera had played "answered" before the family heard of it
    expect(answered.call.answeredByName).toBe("家里");
    expect((await stack.api("POST", `/api/v1/calls/${called.body.id}/view`, { token: members[0]!.token })).status).toBe(
      404,
    ); // only the caller
    expect(
      (await stack.api("POST", `/api/v1/calls/${called.body.id}/cancel`, { token: caller().token })).body.error,
    ).toBe("call-not-ringing");
    answeredCallId = called.body.id;
  });

  it("an earlier call ending while the next one rings does not silence the ring", async () => {
    const next = await callHome();
    expect(next.status).toBe(201);
    await waitFor("camera rings", () => ringsFor(next.body.id));
    const hungUp = await stack.api("POST", `/api/v1/calls/${answeredCallId}/hang-up`, { token: caller().token });
    expect(hungUp.body).toMatchObject({ id: answeredCallId, state: "ended" });
    await waitFor("camera told the earlier call ended", () => lastPlayedFor(answeredCallId)?.state === "ended");
    expect(callsOnCamera()).toMatchObject({ state: "ringing", callId: next.body.id });
    expect(await camera.pressCallButton()).toBe(true);
    await waitForState(next.body.id, "answered");
    expect(callsOnCamera()).toMatchObject({ state: "in-call", callId: next.body.id });
  });

  it("auto-answers after the household's N seconds, recording who set it and when", async () => {
    const settingsUrl = `/api/v1/households/${stack.seed.householdId}/call-settings`;
    const set = await stack.api("PUT", settingsUrl, {
      token: caller().token,
      body: { autoAnswerAfterS: 5, declinePrivacyMin: 30 },
    });
    expect(set.body).toMatchObject({ autoAnswerAfterS: 5, autoAnswerSetBy: "xiaomei", declinePrivacyMin: 30 });
    expect(Date.now() - Date.parse(set.body.autoAnswerSetAt)).toBeLessThan(60_000);
    expect(
      (
        await stack.api("PUT", settingsUrl, {
          token: caller().token,
          body: { autoAnswerAfterS: 1, declinePrivacyMin: 30 },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await stack.api("PUT", settingsUrl, {
          token: await stack.login("staff"),
          body: { autoAnswerAfterS: 5, declinePrivacyMin: 30 },
        })
      ).status,
    ).toBe(403);

    const called = await callHome();
    expect(called.status).toBe(201);
    const answered = await waitForState(called.body.id, "answered", 15_000);
    expect(answered.call.answeredByName).toBe("自动接听");
    expect(Date.parse(answered.call.answeredAt) - Date.parse(called.body.startedAt)).toBeGreaterThanOrEqual(4_900);
    expect(lastPlayedFor(called.body.id)).toMatchObject({ state: "answered", by: "auto:xiaomei" });
    expect(callsOnCamera()).toMatchObject({ state: "in-call", callId: called.body.id });
    const off = await stack.api("PUT", settingsUrl, {
      token: caller().token,
      body: { autoAnswerAfterS: null, declinePrivacyMin: 30 },
    });
    expect(off.body).toMatchObject({ autoAnswerAfterS: null });
  });

  it("declining puts the camera in privacy mode; calling home then says privacy mode", async () => {
    const called = await callHome();
    expect(called.status).toBe(201);
    await waitFor("camera rings", () => ringsFor(called.body.id));
    camera.pressPrivacyButton();
    await waitForState(called.body.id, "declined");
    await waitFor(
      "privacy on",
      async () => camera.snapshot().privacy && (await stack.db.device.findUnique({ where: { id: deviceId } }))?.privacy,
    );
    expect(callsOnCamera().declined).toBe(1);
    expect((await callHome()).body.error).toBe("privacy-mode");
  });
});
