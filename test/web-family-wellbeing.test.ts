// The family's strip and the one-press answer, in headless Chromium at 360×640 (zh-CN): two weeks of the demo
// household's days are played through the service on a test clock, then a morning without movement; the family
// sees today against the usual day and the question, presses "我看过了，一切都好", and the strip says who
// answered. A second quiet morning nobody answers reaches the village contact's list, by village.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom, simulateDay, type Routine } from "../firmware-sim/src/routine.ts";
import type { MqttClient } from "mqtt";
import { connectAsDevice, demoPassword, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";
import { playDay, seedHistory, TestClock, type SimHousehold } from "./helpers/wellbeing-days.ts";
import { ensureWebBuild, hasChromium, launchBrowser, phoneContext, screenshot, signIn } from "./web-browser.ts";

const routine: Routine = {
  wakeMin: 6 * 60,
  bedMin: 21 * 60,
  wakeSdMin: 15,
  napsAfterLunch: true,
  outingChance: 0.3,
  longOutingChance: 0,
  presence: 0.5,
};

describe.skipIf(!hasChromium)("web app: the family's wellbeing strip", () => {
  const clock = new TestClock();
  let stack: Stack;
  let browser: Browser;
  let home: SimHousehold;
  let cameraClient: MqttClient | undefined;
  const random = seededRandom(5);
  const day = (options = {}) => simulateDay(routine, random, options);

  beforeAll(async () => {
    ensureWebBuild();
    const [started, launched] = await Promise.all([
      startStack({ WELLBEING_CHECK_INTERVAL_S: "3600" }, { wellbeingClock: clock.now }),
      launchBrowser(),
    ]);
    stack = started;
    browser = launched;
    const camera = await installDemoCamera(stack);
    home = { householdId: stack.seed.householdId, deviceId: camera.deviceId };
    cameraClient = await connectAsDevice(stack, camera.deviceId, camera.password);
    await seedHistory(
      stack.db,
      home,
      "2026-11-10",
      Array.from({ length: 14 }, () => day()),
    );
  }, 120_000);

  afterAll(async () => {
    cameraClient?.end(true);
    await browser?.close();
    await stack?.stop();
  });

  it("shows today against the usual day, and one press answers the question", async () => {
    await playDay(
      stack.gateway.wellbeing,
      clock,
      "2026-11-24",
      [{ household: home, levels: day({ noMovement: true }) }],
      {
        untilMin: 8 * 60 + 30, // asked at about 08:15 (usual start + 2 h); the village is asked at 08:45
      },
    );
    const check = await stack.db.wellbeingCheck.findFirstOrThrow({ where: { householdId: home.householdId } });
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "family", demoPassword);
    const panel = page.getByTestId("wellbeing");
    await panel.getByText("今天家里的活动").waitFor();
    await panel.getByTestId("wellbeing-summary").getByText("今天到 8 点还没有看到活动。").waitFor();
    await panel
      .getByText(
        `${(await stack.db.household.findUniqueOrThrow({ where: { id: home.householdId } })).elderName}家今天还没有看到活动`,
      )
      .waitFor();
    expect(await panel.locator(".cell.still").count()).toBe(18); // 04:00–08:30 reported, still
    expect(await panel.locator(".cell.moving").count()).toBe(0);
    await panel.getByText(/平时 0[5-7]:\d\d 左右开始活动（看了最近 14 天）/).waitFor();
    expect(await panel.getByRole("button", { name: "联系不上" }).count()).toBe(1);
    await screenshot(page, "wellbeing-family-asked");

    await panel.getByRole("button", { name: "我看过了，一切都好" }).click();
    await panel.getByText(/杨兴焦 \(在外务工\) 在 .* 确认一切都好/).waitFor();
    expect(await panel.getByRole("button", { name: "联系不上" }).count()).toBe(0);
    expect(await panel.getByRole("button", { name: "我看过了，一切都好" }).count()).toBe(0);
    const stored = await stack.db.wellbeingCheck.findUniqueOrThrow({
      where: { id: check.id },
      include: { acks: true },
    });
    expect(stored).toMatchObject({ state: "closed", closedReason: "all-well" });
    expect(stored.acks).toMatchObject([{ byName: "杨兴焦 (在外务工)", role: "family", answer: "all-well" }]);
    await screenshot(page, "wellbeing-family-answered");
    await context.close();
  }, 90_000);

  it("a question nobody answers appears on the village contact's list, by village", async () => {
    const staff = await stack.login("staff");
    const installer = await stack.db.user.findUniqueOrThrow({ where: { username: "installer" } });
    const household = await stack.db.household.findUniqueOrThrow({ where: { id: home.householdId } });
    await stack.api("POST", "/api/v1/wellbeing/contacts", {
      token: staff,
      body: { village: household.village, userId: installer.id },
    });
    await playDay(
      stack.gateway.wellbeing,
      clock,
      "2026-11-25",
      [{ household: home, levels: day({ noMovement: true }) }],
      {
        untilMin: 11 * 60,
      },
    );
    await waitFor("escalated", () => stack.db.wellbeingCheck.findFirst({ where: { state: "escalated" } }));
    const context = await phoneContext(browser, stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "installer", demoPassword);
    await page.getByText("关怀提醒").first().click();
    const card = page.getByTestId("wellbeing-check");
    await card.getByText(`请村里去看看`).waitFor();
    await page.getByRole("heading", { name: household.village }).waitFor();
    await screenshot(page, "wellbeing-village-contact");
    await card.getByRole("button", { name: "我看过了，一切都好" }).click();
    await page.getByText("现在没有需要处理的提醒。").waitFor();
    await context.close();
  }, 90_000);
});
