// Live view end to end through the real gateway: a simulated camera that claims, connects and streams when
// asked over MQTT; a family member watching and talking in headless Chromium; privacy, membership, view log.
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret, randomId } from "../core/secrets.ts";
import type { Camera } from "../firmware-sim/src/camera.ts";
import {
  chromiumArgs,
  chromiumPath,
  describeTimings,
  hasChromium,
  inboundStats,
  tapWatchAndWaitForPicture,
} from "./helpers/relay-browser.ts";
import { demoPassword, waitFor, type Stack, type TestJson } from "./helpers/stack.ts";
import { startStreamingHousehold, type StreamingHousehold } from "./helpers/streaming-household.ts";

describe.skipIf(!hasChromium)("live view through the gateway", () => {
  let household: StreamingHousehold;
  let stack: Stack;
  let browser: Browser;
  let camera: Camera;
  let deviceId: string;
  let live: TestJson[];

  const addFamilyUser = async (username: string, displayName: string, member: boolean) => {
    const user = await stack.db.user.create({
      data: {
        id: randomId("usr_"),
        username,
        displayName,
        role: "family",
        passwordHash: await hashSecret(demoPassword),
      },
    });
    if (member)
      await stack.db.householdMember.create({ data: { householdId: stack.seed.householdId, userId: user.id } });
    return stack.login(username);
  };
  const grant = async (token: string) => stack.api("POST", `/api/v1/devices/${deviceId}/view`, { token });

  beforeAll(async () => {
    household = await startStreamingHousehold({ STREAM_STOP_GRACE_S: "1" });
    ({ stack, camera, deviceId, live } = household);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await household?.stop();
  });

  it("a family member sees and hears home, talks to the camera, and the camera lights up while watched", async () => {
    const family = await stack.login("family");
    const grantReply = await grant(family);
    expect(grantReply.status).toBe(200);
    expect(camera.snapshot().media.streaming).toBe(false); // nothing leaves the house until someone watches

    const page = await browser.newPage({ viewport: { width: 360, height: 640 } });
    await page.goto(`${stack.httpUrl}/viewer/#camera=${deviceId}&token=${encodeURIComponent(grantReply.body.token)}`);
    const metrics = await tapWatchAndWaitForPicture(page);
    console.log(describeTimings("through the gateway, camera started over MQTT", metrics));
    const stats = await inboundStats(page);
    expect(stats.videoWidth).toBe(640);
    expect(stats.framesDecoded).toBeGreaterThan(0);
    await waitFor("audio", async () => (await inboundStats(page)).audioPackets > 0);
    await page.screenshot({ path: "test-results/live-view-family.png" });

    const media = camera.snapshot().media;
    expect(media.streaming).toBe(true);
    expect(media.indicator).toEqual({ on: true, viewers: ["杨兴焦 (在外务工)"] });

    const talk = (await page.locator("#talk").boundingBox())!;
    await page.mouse.move(talk.x + talk.width / 2, talk.y + talk.height / 2);
    const before = camera.snapshot().media.stats.talkbackPacketsReceived;
    await page.mouse.down();
    await waitFor(
      "the elder hears the phone's microphone",
      () => camera.snapshot().media.stats.talkbackPacketsReceived - before > 25,
      10_000,
    );
    await page.mouse.up();
    await waitFor("talk shown to the household", () =>
      live.some((m) => m.type === "view.viewers" && m.talking !== null),
    );

    // A sibling in another city joins: both see each other; the camera still sends one stream.
    const sibling = await addFamilyUser("sister", "杨兴梅", true);
    const page2 = await browser.newPage();
    expect(camera.snapshot().media.streamsStarted).toBe(1);
    await page2.goto(
      `${stack.httpUrl}/viewer/#camera=${deviceId}&token=${encodeURIComponent((await grant(sibling)).body.token)}`,
    );
    await tapWatchAndWaitForPicture(page2);
    await waitFor("two viewers announced", () => live.some((m) => m.type === "view.viewers" && m.viewers.length === 2));
    // A second start would restart the one stream (the camera stops the old one first), so the bytes it sends
    // would not double: the starts are what a second upstream shows in.
    expect(camera.snapshot().media.streamsStarted).toBe(1);
    expect(camera.snapshot().media.streaming).toBe(true);
    expect(camera.snapshot().media.indicator.viewers.sort()).toEqual(["杨兴梅", "杨兴焦 (在外务工)"].sort());
    await page2.close();
    await page.close();

    await waitFor("camera stops streaming after the grace period", () => !camera.snapshot().media.streaming, 10_000);
    expect(camera.snapshot().media.indicator.on).toBe(false);
    const log = await stack.api("GET", `/api/v1/households/${stack.seed.householdId}/view-log`, { token: family });
    const ended = await waitFor("view log closed", async () => {
      const entries = (
        await stack.api("GET", `/api/v1/households/${stack.seed.householdId}/view-log`, { token: family })
      ).body.items;
      return entries.length >= 2 && entries.every((e: { endedAt: string | null }) => e.endedAt) ? entries : null;
    });
    expect(log.status).toBe(200);
    expect(ended.map((e: { displayName: string }) => e.displayName).sort()).toEqual(
      ["杨兴梅", "杨兴焦 (在外务工)"].sort(),
    );
    expect(ended.find((e: { displayName: string }) => e.displayName === "杨兴焦 (在外务工)").talked).toBe(true);
  }, 90_000);

  it("only household members may watch", async () => {
    const stranger = await addFamilyUser("stranger", "陌生人", false);
    expect((await grant(stranger)).status).toBe(404);
    const staff = await stack.login("staff");
    expect((await grant(staff)).body.error).toBe("not-a-member");
    // A token for one camera does not open another's stream, and a forged token is refused by the relay.
    const res = await fetch(`${stack.httpUrl}/api/v1/whep/${deviceId}`, {
      method: "POST",
      headers: { authorization: "Bearer forged.token", "content-type": "application/sdp" },
      body: "v=0\r\n",
    });
    expect(res.status).toBe(403);
  });

  it("privacy mode cuts the view off at once and refuses new viewers", async () => {
    const family = await stack.login("family");
    const page = await browser.newPage();
    await page.goto(
      `${stack.httpUrl}/viewer/#camera=${deviceId}&token=${encodeURIComponent((await grant(family)).body.token)}`,
    );
    await tapWatchAndWaitForPicture(page);
    camera.pressPrivacyButton(); // the elder presses the button on the camera
    await waitFor("stream stopped by privacy", () => !camera.snapshot().media.streaming, 5000);
    await waitFor(
      "privacy recorded",
      async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.privacy === true,
    );
    const refused = await grant(family);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("privacy-mode");
    const framesThen = (await inboundStats(page)).framesDecoded;
    await page.waitForTimeout(1000);
    expect((await inboundStats(page)).framesDecoded - framesThen).toBeLessThan(5);
    await page.close();
    camera.pressPrivacyButton();
    await waitFor(
      "privacy off",
      async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.privacy === false,
    );
    expect((await grant(family)).status).toBe(200);
  }, 40_000);
});
