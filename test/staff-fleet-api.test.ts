// What the staff console reads about the fleet: a box bound to a home that never came online is counted as
// such and alerted (the installation that failed); alerts carry whose home it is and whom to call; people are
// named by display name (who acknowledged, who checked, who sent a command); any camera is found by serial,
// elder's name, village or household. One stack; requests through the real HTTP server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "../core/secrets.ts";
import { installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

describe("the staff console's fleet API", () => {
  let stack: Stack;
  let staff: string;
  let installer: string;
  let claimedId: string;
  let boundId: string;

  beforeAll(async () => {
    stack = await startStack({
      OFFLINE_ALERT_AFTER_S: "3600",
      NEVER_ONLINE_ALERT_AFTER_S: "0.2",
      ALERT_CHECK_INTERVAL_S: "0.1",
    });
    [staff, installer] = await Promise.all([stack.login("staff"), stack.login("installer")]);
    claimedId = (await installDemoCamera(stack, 0)).deviceId; // claimed, never connected
    const box = stack.seed.cameras[1]!;
    const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { serial: box.serial, claimCode: box.claimCode },
    });
    boundId = bound.body.id; // bound, never claimed: the box was never powered, or found no network
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("counts bound boxes that never came online, in all and in their village", async () => {
    const summary = await stack.api("GET", "/api/v1/fleet/summary", { token: staff });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ total: 2, online: 0, offline: 0, neverOnline: 2 });
    expect(summary.body.villages).toEqual([
      expect.objectContaining({ village: "青平镇普仁村", total: 2, neverOnline: 2 }),
    ]);
  });

  it("raises a never-online alert for the box bound and never claimed, with the elder and the number to call", async () => {
    const alert = await waitFor("the never-online alert", async () => {
      const open = await stack.api("GET", "/api/v1/alerts?state=open", { token: staff });
      return open.body.items.find((a: { deviceId: string }) => a.deviceId === boundId);
    });
    expect(alert).toMatchObject({
      kind: "never-online",
      elderName: "黄兴容",
      contactPhone: "13800000000",
      village: "青平镇普仁村",
      acknowledgedByName: null,
    });
    const acked = await stack.api("POST", `/api/v1/alerts/${alert.id}/ack`, { token: staff });
    expect(acked.body).toMatchObject({ acknowledgedBy: "staff", acknowledgedByName: "县服务中心 值班员" });
    const listed = await stack.api("GET", "/api/v1/alerts?state=open", { token: staff });
    expect(listed.body.items.find((a: { id: string }) => a.id === alert.id).acknowledgedByName).toBe(
      "县服务中心 值班员",
    );
  });

  it("finds cameras by serial, elder's name, village, contact number or household", async () => {
    const find = async (q: string) =>
      (await stack.api("GET", `/api/v1/devices?q=${encodeURIComponent(q)}`, { token: staff })).body.items
        .map((d: { id: string }) => d.id)
        .sort();
    const both = [claimedId, boundId].sort();
    expect(await find(stack.seed.cameras[1]!.serial.toLowerCase())).toEqual([boundId]);
    expect(await find("黄兴容")).toEqual(both);
    expect(await find("普仁")).toEqual(both);
    expect(await find("13800000000")).toEqual(both);
    expect(await find(stack.seed.householdId)).toEqual(both);
    expect(await find("没有这个人")).toEqual([]);
  });

  it("names who ran a site check by display name", async () => {
    await stack.db.siteCheck.create({
      data: {
        id: randomId("chk_"),
        deviceId: claimedId,
        requestedBy: "installer",
        state: "failed",
        error: "camera-offline",
      },
    });
    const checks = await stack.api("GET", `/api/v1/devices/${claimedId}/site-checks`, { token: staff });
    expect(checks.body.items[0]).toMatchObject({ requestedBy: "installer", requestedByName: "安装员 李师傅" });
  });

  it("names an installer's assigned household by its village and elder, not its id", async () => {
    const users = await stack.api("GET", "/api/v1/users", { token: staff });
    const installerId = users.body.items.find((u: { username: string }) => u.username === "installer").id;
    const assigned = await stack.api("POST", `/api/v1/users/${installerId}/assignments`, {
      token: staff,
      body: { householdId: stack.seed.householdId },
    });
    expect(assigned.status).toBe(201);
    expect(assigned.body.householdName).toBe("青平镇普仁村 · 黄兴容");
  });
});
