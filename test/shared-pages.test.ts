// Staff device-list pages, the fleet summary and the alerts are shared for STAFF_PAGE_SHARE_MS (device-plane/shared-pages.ts): through the real HTTP
// server, a change made behind the API (as cameras' reports are written) waits out the shared page, a change made
// through the API is seen at once by whoever made it, and a family member's list is never shared.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./helpers/stack.ts";

describe("shared staff device-list pages", () => {
  let stack: Stack;
  let staff: string;
  let installer: string;
  let family: string;
  let deviceId: string;

  beforeAll(async () => {
    // Long enough that nothing in this file can outlive a shared page by accident.
    stack = await startStack({ STAFF_PAGE_SHARE_MS: "10000" });
    [staff, installer, family] = await Promise.all([
      stack.login("staff"),
      stack.login("installer"),
      stack.login("family"),
    ]);
    const camera = await stack.db.device.findFirstOrThrow({ orderBy: { serial: "asc" } });
    deviceId = camera.id;
    await stack.db.device.update({
      where: { id: deviceId },
      data: { householdId: stack.seed.householdId, claimState: "claimed", label: "堂屋" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const labelSeenBy = async (token: string, query = "limit=50") => {
    const page = await stack.api("GET", `/api/v1/devices?${query}`, { token });
    expect(page.status).toBe(200);
    return page.body.items.find((d: { id: string }) => d.id === deviceId)?.label;
  };

  it("staff share a page until a change through the API; a family member's list is always read anew", async () => {
    expect(await labelSeenBy(staff)).toBe("堂屋");
    expect(await labelSeenBy(installer)).toBe("堂屋");

    await stack.db.device.update({ where: { id: deviceId }, data: { label: "厨房" } });
    expect(await labelSeenBy(staff)).toBe("堂屋");
    expect(await labelSeenBy(installer)).toBe("堂屋");
    expect(await labelSeenBy(staff, "limit=49")).toBe("厨房"); // another page is built now
    expect(await labelSeenBy(family, "limit=100")).toBe("厨房");

    const renamed = await stack.api("PATCH", `/api/v1/devices/${deviceId}`, { token: staff, body: { label: "院子" } });
    expect(renamed.status).toBe(200);
    expect(await labelSeenBy(staff)).toBe("院子");
    expect(await labelSeenBy(installer, "limit=49")).toBe("院子");
  });

  it("the fleet summary is shared the same way", async () => {
    const online = async () => (await stack.api("GET", "/api/v1/fleet/summary", { token: staff })).body.online;
    const before = await online();
    await stack.db.device.update({ where: { id: deviceId }, data: { connection: "online" } });
    expect(await online()).toBe(before);
    const renamed = await stack.api("PATCH", `/api/v1/devices/${deviceId}`, {
      token: installer,
      body: { label: "院子" },
    });
    expect(renamed.status).toBe(200);
    expect(await online()).toBe(before + 1);
  });

  it("the alerts list is shared the same way", async () => {
    const openAlerts = async () =>
      (await stack.api("GET", "/api/v1/alerts?state=open", { token: staff })).body.items as { id: string }[];
    const before = await openAlerts();
    const now = new Date();
    const alert = await stack.db.alert.create({
      data: { id: "alert_shared", deviceId, kind: "offline", raisedAt: now, lastNotifiedAt: now },
    });
    expect(await openAlerts()).toEqual(before);
    const ack = await stack.api("POST", `/api/v1/alerts/${alert.id}/ack`, { token: installer });
    expect(ack.status).toBe(200);
    expect((await openAlerts()).find((a) => a.id === alert.id)).toMatchObject({
      acknowledgedByName: expect.any(String),
    });
  });

  it("a refused change drops the pages too (nothing is kept that a write might have touched)", async () => {
    expect(await labelSeenBy(staff)).toBe("院子");
    await stack.db.device.update({ where: { id: deviceId }, data: { label: "卧室" } });
    expect(await labelSeenBy(staff)).toBe("院子");
    const refused = await stack.api("PATCH", `/api/v1/devices/${deviceId}`, { token: staff, body: { label: "" } });
    expect(refused.status).toBe(400);
    expect(await labelSeenBy(staff)).toBe("卧室");
  });
});
