// 手机号 + 验证码 end to end: the gateway sends codes through Alibaba Cloud's real SMS SDK to the loopback
// provider (which checks each request's signature); a family member joins by invite with a number and a code
// and signs in later the same way; a username account adds its number; codes are single use, short-lived and
// few-tried; the per-number and per-address limits and the daily caps hold; unknown numbers get the same
// answer and no SMS; a provider outage is logged and a code is never sent twice; staff see numbers masked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AliyunProvider } from "../gateway/src/notify/aliyun.ts";
import { createNotifier } from "../gateway/src/notify/notifier.ts";
import { toE164 } from "../protocol/phone.ts";
import { ALIYUN_KEY, messagingEnv, startLoopbackProvider, type LoopbackProvider } from "./helpers/loopback-provider.ts";
import { buildRouteStack, type RouteStack } from "./helpers/route-stack.ts";
import { waitFor } from "./helpers/stack.ts";

let loopback: LoopbackProvider;
let stack: RouteStack;

beforeAll(async () => {
  loopback = await startLoopbackProvider();
  stack = await buildRouteStack({
    ...messagingEnv(loopback, "aliyun"),
    SMS_CODE_INTERVAL_S: "2",
    SMS_CODE_MAX_TRIES: "3",
    SMS_CODES_PER_NUMBER_HOUR: "8",
    SMS_CODES_PER_NUMBER_DAY: "10",
    SMS_CODES_PER_ADDRESS_HOUR: "30",
    MESSAGES_PER_HOUSEHOLD_DAY: "3",
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await loopback?.stop();
});

const smsTo = (phone: string) => loopback.messages.filter((m) => m.phone === toE164(phone) && m.channel === "sms");

/** Asks for a code (waiting out the one-a-minute rule of an earlier code) and returns the SMS that came. */
async function codeFor(phone: string, purpose: string, token?: string): Promise<string> {
  const before = smsTo(phone).length;
  await waitFor("code accepted", async () => {
    const asked = await stack.api("POST", "/api/v1/auth/phone/code", { body: { phone, purpose }, token });
    if (asked.status !== 202 && asked.status !== 429) throw new Error(`code: ${asked.status}`);
    return asked.status === 202;
  });
  const sms = await waitFor("SMS", () => smsTo(phone)[before]);
  expect(sms).toMatchObject({
    templateId: "SMS_CODE",
    signName: "望乡",
    params: [expect.stringMatching(/^\d{6}$/), "5"],
  });
  return sms.params[0]!;
}

async function newInvite(): Promise<string> {
  const family = await stack.login("family");
  const invite = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/invites`, {
    token: family,
    body: { relation: "儿子" },
  });
  return invite.body.code;
}

describe("joining and signing in with a mobile number", () => {
  it("joins by invite with a number and its code, then signs in by code; a code works once", async () => {
    const code = await codeFor("138 1234 5678", "sign-up");
    const joined = await stack.api("POST", "/api/v1/auth/phone/register", {
      body: { phone: "+86 13812345678", code, inviteCode: await newInvite(), displayName: "王强" },
    });
    expect(joined.status).toBe(201);
    expect(joined.body.user).toMatchObject({ displayName: "王强", role: "family" });
    const mine = await stack.api("GET", "/api/v1/auth/phone", { token: joined.body.token });
    expect(mine.body.phone).toBe("+8613812345678");

    const again = await stack.api("POST", "/api/v1/auth/phone/register", {
      body: { phone: "13812345678", code, inviteCode: await newInvite(), displayName: "王强" },
    });
    expect(again.body.error).toBe("sms-code-wrong");

    const signInCode = await codeFor("13812345678", "sign-in");
    const signedIn = await stack.api("POST", "/api/v1/auth/phone/login", {
      body: { phone: "13812345678", code: signInCode },
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.id).toBe(joined.body.user.id);
    const me = await stack.api("GET", "/api/v1/auth/me", { token: signedIn.body.token });
    expect(me.body.displayName).toBe("王强");
    const reused = await stack.api("POST", "/api/v1/auth/phone/login", {
      body: { phone: "13812345678", code: signInCode },
    });
    expect(reused.status).toBe(401);
  });

  it("refuses numbers outside the mainland mobile plan", async () => {
    for (const phone of ["12812345678", "1381234567", "+1 415 555 0100", "14012345678", "abc"]) {
      const asked = await stack.api("POST", "/api/v1/auth/phone/code", { body: { phone, purpose: "sign-in" } });
      expect(asked.status, phone).toBe(400);
    }
  });

  it("answers a number with no account exactly as one with an account, and sends it nothing", async () => {
    const unknown = "13912340000";
    const asked = await stack.api("POST", "/api/v1/auth/phone/code", { body: { phone: unknown, purpose: "sign-in" } });
    const known = await stack.api("POST", "/api/v1/auth/phone/code", {
      body: { phone: "13812345678", purpose: "sign-in" },
    });
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual(known.status === 202 ? known.body : asked.body);
    const tried = await stack.api("POST", "/api/v1/auth/phone/login", { body: { phone: unknown, code: "123456" } });
    expect(tried.status).toBe(401);
    expect(tried.body.error).toBe("sms-code-wrong");
    expect(smsTo("+8613912340000")).toEqual([]);
  });

  it("a code has few tries and a short life", async () => {
    const phone = "13812345678";
    const code = await codeFor(phone, "sign-in");
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 3; i++)
      expect((await stack.api("POST", "/api/v1/auth/phone/login", { body: { phone, code: wrong } })).status).toBe(401);
    const late = await stack.api("POST", "/api/v1/auth/phone/login", { body: { phone, code } });
    expect(late.status).toBe(401); // out of tries: even the right code is refused

    const fresh = await codeFor(phone, "sign-in");
    await stack.db.phoneCode.updateMany({
      where: { phone: "+8613812345678", usedAt: null },
      data: { expiresAt: new Date() },
    });
    expect((await stack.api("POST", "/api/v1/auth/phone/login", { body: { phone, code: fresh } })).status).toBe(401);
  });

  it("a username account adds its number with a code; staff see it masked; another account cannot take it", async () => {
    const family = await stack.login("family");
    const code = await codeFor("15912345678", "verify", family);
    const verified = await stack.api("POST", "/api/v1/auth/phone/verify", {
      token: family,
      body: { phone: "15912345678", code },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.phone).toBe("+8615912345678");
    const staff = await stack.login("staff");
    const users = await stack.api("GET", "/api/v1/users", { token: staff });
    const row = users.body.items.find((u: { username: string }) => u.username === "family");
    expect(row.phone).toBe("159****5678");
    expect(JSON.stringify(users.body)).not.toContain("15912345678");
    const household = await stack.api("GET", `/api/v1/households/${stack.seed.householdId}`, { token: staff });
    expect(household.body.members.map((m: { phone: string | null }) => m.phone)).toContain("159****5678");

    // 王强 asks to add the same number: the answer is the same, but no code goes to a number already taken.
    const wang = (
      await stack.api("POST", "/api/v1/auth/phone/login", {
        body: { phone: "13812345678", code: await codeFor("13812345678", "sign-in") },
      })
    ).body.token;
    const before = smsTo("+8615912345678").length;
    await waitFor("asked", async () => {
      const asked = await stack.api("POST", "/api/v1/auth/phone/code", {
        token: wang,
        body: { phone: "15912345678", purpose: "verify" },
      });
      return asked.status === 202;
    });
    expect(smsTo("+8615912345678").length).toBe(before);
  });

  it("忘记密码: a code to the account's number sets a new password and ends its other sessions", async () => {
    const elsewhere = await stack.login("family"); // the account verified 159… above
    const code = await codeFor("15912345678", "reset-password");
    const weak = await stack.api("POST", "/api/v1/auth/password/reset", {
      body: { phone: "15912345678", code, newPassword: "12345678" },
    });
    expect(weak.body).toMatchObject({ error: "weak-password", details: { reason: "sequence" } });
    // The refusal did not use up the code.
    const reset = await stack.api("POST", "/api/v1/auth/password/reset", {
      body: { phone: "15912345678", code, newPassword: "xinmima-2026" },
    });
    expect(reset.status).toBe(200);
    expect(reset.body.user.username).toBe("family");
    expect((await stack.api("GET", "/api/v1/auth/me", { token: elsewhere })).status).toBe(401);
    const again = await stack.api("POST", "/api/v1/auth/password/reset", {
      body: { phone: "15912345678", code, newPassword: "another-one-2026" },
    });
    expect(again.body.error).toBe("sms-code-wrong");
    // A number with no account gets the same answer to its code request, and no SMS.
    const before = smsTo("+8613912349999").length;
    const asked = await stack.api("POST", "/api/v1/auth/phone/code", {
      body: { phone: "13912349999", purpose: "reset-password" },
    });
    expect(asked.status).toBe(202);
    expect(smsTo("+8613912349999").length).toBe(before);
    // The demo password back, for the tests after this one.
    const back = await stack.api("POST", "/api/v1/auth/password", {
      token: reset.body.token,
      body: { currentPassword: "xinmima-2026", newPassword: "test-password-123" },
    });
    expect(back.status).toBe(204);
  });
});

describe("limits", () => {
  /** Codes sent to this number (or from this address) as if earlier, minutes ago. */
  async function sentEarlier(count: number, minutesAgo: number, where: { phone?: string; address?: string }) {
    for (let i = 0; i < count; i++)
      await stack.db.phoneCode.create({
        data: {
          id: `pc_earlier_${Math.random().toString(36).slice(2)}`,
          phone: where.phone ?? "+8613000000000",
          purpose: "sign-in",
          codeHash: "0".repeat(64),
          address: where.address ?? "192.0.2.1",
          createdAt: new Date(Date.now() - minutesAgo * 60_000),
          expiresAt: new Date(Date.now() - (minutesAgo - 5) * 60_000),
        },
      });
  }
  const ask = (phone: string) => stack.api("POST", "/api/v1/auth/phone/code", { body: { phone, purpose: "sign-up" } });

  it("one code a minute, a few an hour, a handful a day per number; a cap per address", async () => {
    expect((await ask("13700000001")).status).toBe(202);
    const tooSoon = await ask("13700000001");
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.body.details.retryAfterS)).toBeGreaterThan(0);

    await sentEarlier(8, 30, { phone: "+8613700000002" });
    expect((await ask("13700000002")).body.details.limit).toBe("number-hour");

    await sentEarlier(10, 300, { phone: "+8613700000003" });
    expect((await ask("13700000003")).body.details.limit).toBe("number-day");

    const address = "127.0.0.1";
    const fromHere = await stack.db.phoneCode.count({
      where: { address, createdAt: { gte: new Date(Date.now() - 3_600_000) } },
    });
    await sentEarlier(30 - fromHere, 10, { address });
    expect((await ask("13700000004")).body.details.limit).toBe("address-hour");
    await stack.db.phoneCode.deleteMany({ where: { id: { startsWith: "pc_earlier_" } } });

    const metrics = (await stack.api("GET", "/metrics")).body as string;
    for (const limit of ["number-minute", "number-hour", "number-day", "address-hour"])
      expect(metrics).toMatch(new RegExp(`wx_phone_codes_total\\{event="limited-${limit}"\\} [1-9]`));
    expect(metrics).toMatch(/wx_phone_codes_total\{event="not-sent"\} [1-9]/);
  });
});

describe("the provider failing, caps and the message log", () => {
  it("an outage loses no log line and never sends a code twice; an alert is retried", async () => {
    const requestsBefore = loopback.requests;
    loopback.failNext("outage");
    await stack.api("POST", "/api/v1/auth/phone/code", { body: { phone: "13600000001", purpose: "sign-up" } });
    const failed = await waitFor("logged", async () =>
      stack.db.messageLog.findFirst({ where: { phone: "+8613600000001", state: "failed" } }),
    );
    expect(failed).toMatchObject({ template: "sign-in-code", attempts: 1, provider: "aliyun" });
    expect(loopback.requests).toBe(requestsBefore + 1);

    loopback.failNext("timeout");
    loopback.failNext("outage");
    const notifier = stack.gateway.messaging.notifier;
    const alert = await notifier.sms({ phone: "+8613600000002" }, "camera-back", { name: "黄兴容" });
    expect(alert.state).toBe("sent");
    const row = await stack.db.messageLog.findUniqueOrThrow({ where: { id: alert.logId! } });
    expect(row).toMatchObject({ state: "sent", attempts: 3 });

    loopback.failNext("throttle");
    const throttled = await notifier.sms({ phone: "+8613600000003" }, "camera-back", { name: "黄兴容" });
    expect(throttled).toMatchObject({ state: "failed", reason: "throttled" });
  });

  it("a household's daily cap holds; staff read the log with numbers masked", async () => {
    const householdId = stack.seed.householdId;
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(
        await stack.gateway.messaging.notifier.sms({ phone: "+8613600000004", householdId }, "camera-back", {
          name: "黄兴容",
        }),
      );
    expect(results.map((r) => r.state)).toEqual(["sent", "sent", "sent", "refused"]);
    const staff = await stack.login("staff");
    const log = await stack.api("GET", `/api/v1/messages?householdId=${householdId}`, { token: staff });
    expect(log.body.items[0]).toMatchObject({ state: "refused", error: "household-daily-cap", phone: "136****0004" });
    expect(JSON.stringify(log.body)).not.toContain("13600000004");
    expect((await stack.api("GET", "/api/v1/messages", { token: await stack.login("family") })).status).toBe(403);
    const metrics = (await stack.api("GET", "/metrics")).body as string;
    expect(metrics).toMatch(/wx_messages_total\{channel="sms",template="camera-back",outcome="refused"\} 1/);
    expect(loopback.badSignatures).toEqual([]);
  });

  it("the deployment's daily cap holds across households", async () => {
    const counted = await stack.db.messageLog.count({
      where: { createdAt: { gte: new Date(Date.now() - 86_400_000) }, state: { not: "refused" } },
    });
    const notifier = createNotifier({
      db: stack.db,
      metrics: stack.gateway.metrics,
      log: { warn: () => undefined },
      push: { sendToUsers: async () => undefined },
      sms: new AliyunProvider({
        accessKeyId: ALIYUN_KEY.id,
        accessKeySecret: ALIYUN_KEY.secret,
        signName: "望乡",
        apiUrl: loopback.url,
        timeoutMs: 1000,
      }),
      voice: null,
      templateIds: { "camera-back": "SMS_BACK" },
      householdDailyCap: 1000,
      deploymentDailyCap: counted + 1,
      retryDelaysMs: [],
    });
    const first = await notifier.sms({ phone: "+8613600000005", householdId: "hh_a" }, "camera-back", { name: "甲" });
    const second = await notifier.sms({ phone: "+8613600000006", householdId: "hh_b" }, "camera-back", { name: "乙" });
    expect([first.state, second.state]).toEqual(["sent", "refused"]);
    expect(second).toMatchObject({ reason: "deployment-daily-cap" });
  });

  it("delivery receipts mark the log's messages delivered or not", async () => {
    const notifier = stack.gateway.messaging.notifier;
    const delivered = await notifier.sms({ phone: "+8613600000007" }, "camera-back", { name: "黄兴容" });
    const lost = await notifier.sms({ phone: "+8613600000008" }, "camera-back", { name: "黄兴容" });
    expect([delivered.state, lost.state]).toEqual(["sent", "sent"]);
    if (lost.state === "sent") loopback.undeliverable.add(lost.messageId);
    expect(await stack.gateway.messaging.receipts!.pull()).toBeGreaterThanOrEqual(2);
    const state = async (logId: string | null) =>
      (await stack.db.messageLog.findUniqueOrThrow({ where: { id: logId! } })).state;
    expect(await state(delivered.logId)).toBe("delivered");
    expect(await state(lost.logId)).toBe("undelivered");
  });

  it("the settings screen can tell which channels this server has", async () => {
    const channels = await stack.api("GET", "/api/v1/channels", { token: await stack.login("family") });
    expect(channels.body).toEqual({ push: true, sms: "aliyun", voice: null });
  });
});
