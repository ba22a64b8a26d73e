import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRouteStack, type RouteStack } from "./helpers/route-stack.ts";

describe("invites: family members join a household", () => {
  let stack: RouteStack;
  let installer: string;
  let family: string;
  const invite = async (token: string, body: Record<string, unknown> = {}, householdId = stack.seed.householdId) =>
    stack.api("POST", `/api/v1/households/${householdId}/invites`, { token, body });

  beforeAll(async () => {
    stack = await buildRouteStack();
    installer = await stack.login("installer");
    family = await stack.login("family");
  });
  afterAll(() => stack.stop());

  it("an installer creates a one-time invite; a new worker registers with it, is signed in and sees the household", async () => {
    const created = await invite(installer, { relation: "女儿" });
    expect(created.status).toBe(201);
    expect(created.body.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(created.body.link).toBe(`/join/${created.body.code}`);
    expect(created.body.maxUses).toBe(1);

    const preview = await stack.api("GET", `/api/v1/invites/${created.body.code.toLowerCase()}`);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ village: "青平镇普仁村", elderName: "黄兴容", relation: "女儿" });

    const registered = await stack.api("POST", "/api/v1/auth/register", {
      body: {
        username: "xiaomei",
        password: "site-work-2026",
        displayName: "杨小梅",
        inviteCode: created.body.code.replace("-", ""),
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.user.role).toBe("family");
    const households = await stack.api("GET", "/api/v1/households", { token: registered.body.token });
    expect(households.body.items.map((h: { id: string }) => h.id)).toEqual([stack.seed.householdId]);
    const detail = await stack.api("GET", `/api/v1/households/${stack.seed.householdId}`, {
      token: registered.body.token,
    });
    expect(detail.body.members).toContainEqual(expect.objectContaining({ username: "xiaomei", relation: "女儿" }));

    // One use only: the next person is told it is gone, not that it never existed.
    const again = await stack.api("POST", "/api/v1/auth/register", {
      body: { username: "someone", password: "site-work-2026", displayName: "x", inviteCode: created.body.code },
    });
    expect(again.status).toBe(410);
    expect(again.body.error).toBe("invite-expired");
  });

  it("a signed-in family account accepts a code; accepting twice uses it once", async () => {
    const other = await stack.api("POST", "/api/v1/households", {
      token: installer,
      body: { village: "石桥村", elderName: "王秀英", contactPhone: "13900000002" },
    });
    const created = await invite(installer, { maxUses: 2 }, other.body.id);
    const first = await stack.api("POST", "/api/v1/invites/accept", {
      token: family,
      body: { code: created.body.code },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ householdId: other.body.id, alreadyMember: false });
    const second = await stack.api("POST", "/api/v1/invites/accept", {
      token: family,
      body: { code: created.body.code },
    });
    expect(second.body.alreadyMember).toBe(true);
    const list = await stack.api("GET", `/api/v1/households/${other.body.id}/invites`, { token: installer });
    expect(list.body.items[0]).toMatchObject({ uses: 1, maxUses: 2 });
  });

  it("a member may invite others to their own household, but not to someone else's", async () => {
    expect((await invite(family)).status).toBe(201);
    const stranger = await stack.api("POST", "/api/v1/households", {
      token: installer,
      body: { village: "河口村", elderName: "李大爷", contactPhone: "13900000003" },
    });
    expect((await invite(family, {}, stranger.body.id)).status).toBe(404);
  });

  it("refuses staff accounts accepting, taken usernames, withdrawn and unknown codes", async () => {
    const staff = await stack.login("staff");
    const created = await invite(installer, { maxUses: 3 });
    expect(
      (await stack.api("POST", "/api/v1/invites/accept", { token: staff, body: { code: created.body.code } })).status,
    ).toBe(403);

    const taken = await stack.api("POST", "/api/v1/auth/register", {
      body: { username: "family", password: "long-enough-1", displayName: "x", inviteCode: created.body.code },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe("username-taken");
    expect(
      (
        await stack.api("GET", `/api/v1/households/${stack.seed.householdId}/invites`, { token: installer })
      ).body.items.find((i: { id: string }) => i.id === created.body.id).uses,
    ).toBe(0);

    expect(
      (
        await stack.api("DELETE", `/api/v1/households/${stack.seed.householdId}/invites/${created.body.id}`, {
          token: installer,
        })
      ).status,
    ).toBe(204);
    expect((await stack.api("GET", `/api/v1/invites/${created.body.code}`)).status).toBe(410);
    const unknown = await stack.api("GET", "/api/v1/invites/ZZZZ-ZZZZ");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("invite-not-found");
  });

  it("two joins racing for the last use: exactly one gets in", async () => {
    const created = await invite(installer, { maxUses: 1 });
    const attempts = await Promise.all(
      ["racer_a", "racer_b", "racer_c"].map((username) =>
        stack.api("POST", "/api/v1/auth/register", {
          body: { username, password: "long-enough-1", displayName: username, inviteCode: created.body.code },
        }),
      ),
    );
    expect(attempts.map((a) => a.status).sort()).toEqual([201, 410, 410]);
    const users = await stack.db.user.count({ where: { username: { startsWith: "racer_" } } });
    expect(users).toBe(1);
  });

  it("slows down guessing of codes", async () => {
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await stack.api("GET", `/api/v1/invites/QQQQ-QQ${10 + i}`)).status;
    expect(last).toBe(429);
  });
});
