// Sessions on a personal phone and the help around signing in (issue 21): a family member stays signed in for
// 30 days of use (each use moves the end on; staff and installers keep SESSION_TTL_S); the account's phones and
// browsers are listed and any one, or all the others, signed out at once (requests and the live socket); staff
// see where a family member is signed in, sign them out everywhere and set a new password (audited); weak
// passwords are refused wherever one is chosen; cameras are renamed by family, installers and staff (audited).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHouseholdWithFamily, openLiveSocket } from "./helpers/security-fixtures.ts";
import { startStack, type Stack } from "./helpers/stack.ts";
import { hashToken } from "../core/secrets.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const DAY_MS = 86_400_000;
const ANDROID_WECHAT = "Mozilla/5.0 (Linux; Android 13; V2219A) AppleWebKit/537.36 MicroMessenger/8.0.47";

async function signIn(username: string, userAgent = "test-client", password = "test-password-123") {
  const res = await stack.api("POST", "/api/v1/auth/login", {
    body: { username, password },
    headers: { "user-agent": userAgent },
  });
  expect(res.status).toBe(200);
  return res.body as { token: string; expiresAt: string; user: { id: string } };
}

const me = (token: string) => stack.api("GET", "/api/v1/auth/me", { token });
const audited = (action: string, subject: string) =>
  stack.db.auditEntry.findMany({ where: { action, subject }, orderBy: { id: "asc" } });

/** Makes a session, not used by any request yet (nothing remembers it), look last used two hours ago. */
async function ageSession(token: string, endsInMs: number): Promise<void> {
  await stack.db.session.update({
    where: { tokenHash: hashToken(token) },
    data: { lastUsedAt: new Date(Date.now() - 2 * 3_600_000), expiresAt: new Date(Date.now() + endsInMs) },
  });
}

describe("how long a sign-in lasts", () => {
  it("a family member's lasts 30 days from the last use, sliding; staff and installers' end after SESSION_TTL_S", async () => {
    const family = await signIn("family");
    expect(Date.parse(family.expiresAt) - Date.now()).toBeGreaterThan(29.9 * DAY_MS);
    const installer = await signIn("installer");
    expect(Date.parse(installer.expiresAt) - Date.now()).toBeLessThanOrEqual(8 * 3_600_000);

    await ageSession(family.token, DAY_MS); // a day left, last used two hours ago
    const used = await me(family.token);
    expect(Date.parse(used.body.sessionExpiresAt) - Date.now()).toBeGreaterThan(29.9 * DAY_MS);
    await ageSession(installer.token, DAY_MS);
    expect(Date.parse((await me(installer.token)).body.sessionExpiresAt) - Date.now()).toBeLessThan(1.01 * DAY_MS);

    const ended = await signIn("family");
    await ageSession(ended.token, -1000); // ended a second ago: a use does not bring it back
    expect((await me(ended.token)).status).toBe(401);
  });
});

describe("the phones and browsers signed in to an account", () => {
  it("lists them; one is signed out at once (requests and live socket), then all the others", async () => {
    const phone = await signIn("family", ANDROID_WECHAT);
    const lent = await signIn("family", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)");
    const old = await signIn("family", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    const list = (await stack.api("GET", "/api/v1/auth/sessions", { token: phone.token })).body.items;
    expect(list.find((s: { current: boolean }) => s.current)).toMatchObject({ client: ANDROID_WECHAT });
    expect(list.length).toBeGreaterThanOrEqual(3);

    const lentSocket = await openLiveSocket(stack, lent.token);
    const lentId = (await stack.api("GET", "/api/v1/auth/sessions", { token: lent.token })).body.items.find(
      (s: { current: boolean }) => s.current,
    ).id;
    expect((await stack.api("DELETE", `/api/v1/auth/sessions/${lentId}`, { token: phone.token })).status).toBe(204);
    expect((await me(lent.token)).status).toBe(401);
    expect(await lentSocket.closed).toEqual({ code: 4401, reason: "session-revoked" });
    // Another account's session is not this account's to end, and says nothing about it.
    const staff = await signIn("staff");
    const staffId = (await stack.api("GET", "/api/v1/auth/sessions", { token: staff.token })).body.items[0].id;
    expect((await stack.api("DELETE", `/api/v1/auth/sessions/${staffId}`, { token: phone.token })).status).toBe(404);
    expect((await me(staff.token)).status).toBe(200);

    const others = await stack.api("POST", "/api/v1/auth/sessions/sign-out-others", { token: phone.token });
    expect(others.body.ended).toBeGreaterThanOrEqual(1);
    expect((await me(old.token)).status).toBe(401);
    expect((await me(phone.token)).status).toBe(200);
    expect(await audited("user.sign-out-session", phone.user.id)).toHaveLength(1);
    expect(await audited("user.sign-out-others", phone.user.id)).toHaveLength(1);
  });
});

describe("staff help someone in", () => {
  it("see where a family member is signed in, sign them out everywhere, set a new password; all audited", async () => {
    const member = await createHouseholdWithFamily(stack, {
      village: "石桥村",
      elderName: "王秀英",
      username: "wang-xiaohua",
      displayName: "王小华",
    });
    const staff = (await signIn("staff")).token;
    const path = `/api/v1/users/${member.userId}`;
    const listed = await stack.api("GET", `${path}/sessions`, { token: staff });
    expect(listed.body.items).toHaveLength(1);
    expect((await stack.api("GET", `${path}/sessions`, { token: member.familyToken })).status).toBe(403);

    const out = await stack.api("POST", `${path}/sign-out`, { token: staff });
    expect(out.body).toEqual({ ended: 1 });
    expect((await me(member.familyToken)).status).toBe(401);

    const weak = await stack.api("POST", `${path}/password`, { token: staff, body: { newPassword: "12345678" } });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ error: "weak-password", details: { reason: "sequence" } });
    const set = await stack.api("POST", `${path}/password`, { token: staff, body: { newPassword: "shiqiao-2026" } });
    expect(set.status).toBe(204);
    await signIn("wang-xiaohua", "test-client", "shiqiao-2026");
    const oldPassword = await stack.api("POST", "/api/v1/auth/login", {
      body: { username: "wang-xiaohua", password: "another-password-456" },
    });
    expect(oldPassword.status).toBe(401);
    const staffId = (await me(staff)).body.id;
    expect(
      (await stack.api("POST", `/api/v1/users/${staffId}/password`, { token: staff, body: { newPassword: "x" } }))
        .status,
    ).toBe(403);
    expect(await audited("user.sign-out-everywhere", member.userId)).toHaveLength(1);
    expect(await audited("user.reset-password", member.userId)).toMatchObject([{ actorId: staffId }]);
  });
});

describe("weak passwords", () => {
  it("are refused at sign-up, at a change and for new staff accounts, each with its reason", async () => {
    const staff = (await signIn("staff")).token;
    const invite = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/invites`, {
      token: staff,
      body: {},
    });
    const signUp = await stack.api("POST", "/api/v1/auth/register", {
      body: { username: "weak-one", password: "88888888", displayName: "小李", inviteCode: invite.body.code },
    });
    expect(signUp.body).toMatchObject({ error: "weak-password", details: { reason: "one-character" } });
    const change = await stack.api("POST", "/api/v1/auth/password", {
      token: (await signIn("family")).token,
      body: { currentPassword: "test-password-123", newPassword: "woaini1314" },
    });
    expect(change.body).toMatchObject({ error: "weak-password", details: { reason: "common" } });
    const created = await stack.api("POST", "/api/v1/users", {
      token: staff,
      body: { username: "duty-2", displayName: "值班员", password: "abcabcabcabc", role: "staff" },
    });
    expect(created.body).toMatchObject({ error: "weak-password", details: { reason: "repeated" } });
  });
});

describe("renaming a camera", () => {
  it("by its family, its installer and staff; the name shows in the family's list; others cannot; audited", async () => {
    const box = stack.seed.cameras[0]!;
    const installer = (await signIn("installer")).token;
    const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { serial: box.serial, claimCode: box.claimCode },
    });
    const path = `/api/v1/devices/${bound.body.id}`;
    const family = (await signIn("family")).token;
    const renamed = await stack.api("PATCH", path, { token: family, body: { label: " 厨房 " } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.label).toBe("厨房");
    const listed = await stack.api("GET", "/api/v1/devices?limit=100", { token: family });
    expect(listed.body.items.find((d: { id: string }) => d.id === bound.body.id).label).toBe("厨房");
    expect((await stack.api("PATCH", path, { token: installer, body: { label: "堂屋" } })).status).toBe(200);
    const staff = (await signIn("staff")).token;
    expect((await stack.api("PATCH", path, { token: staff, body: { label: "堂屋东" } })).status).toBe(200);

    expect((await stack.api("PATCH", path, { token: family, body: { label: "" } })).status).toBe(400);
    expect((await stack.api("PATCH", path, { token: family, body: { label: "x", serial: "X" } })).status).toBe(400);
    const stranger = await createHouseholdWithFamily(stack, {
      village: "河口村",
      elderName: "李桂兰",
      username: "li-stranger",
      displayName: "李陌生",
    });
    expect((await stack.api("PATCH", path, { token: stranger.familyToken, body: { label: "偷看" } })).status).toBe(404);
    const trail = await audited("device.rename", bound.body.id);
    expect(trail.map((e) => JSON.parse(e.detail!))).toEqual([
      { from: null, to: "厨房" },
      { from: "厨房", to: "堂屋" },
      { from: "堂屋", to: "堂屋东" },
    ]);
  });
});
