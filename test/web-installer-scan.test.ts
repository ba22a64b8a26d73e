// The installer scans a printed box label with the phone's camera and the camera is bound. Chromium's fake
// camera plays a video file made here from the label sheet itself: staff register a box, its label is cut out
// of the rendered PDF, and ffmpeg turns it into the Y4M the fake camera shows.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelSlot } from "../gateway/src/device-plane/label-sheet.ts";
import { hasPdftoppm } from "./helpers/qr-pdf.ts";
import { toolInstalled } from "./helpers/tools.ts";
import { demoPassword, startStack, type Stack } from "./helpers/stack.ts";
import {
  chromiumArgs,
  chromiumPath,
  ensureWebBuild,
  hasChromium,
  phoneContext,
  screenshot,
  signIn,
  waitForCachedAssets,
} from "./web-browser.ts";

const run = promisify(execFile);

/** Label `index`'s QR code as a 640×480 Y4M clip, centred as an installer holds it (qr-scanner reads the middle of the frame). */
async function labelVideo(pdf: Buffer, dir: string, index: number): Promise<string> {
  await writeFile(join(dir, "sheet.pdf"), pdf);
  const dpi = 150;
  await run("pdftoppm", [
    "-r",
    String(dpi),
    "-png",
    "-f",
    "1",
    "-l",
    "1",
    "-singlefile",
    join(dir, "sheet.pdf"),
    join(dir, "sheet"),
  ]);
  const slot = labelSlot(index);
  const px = (points: number) => Math.round((points * dpi) / 72);
  // The code sits in the label's left square (the text is on the right).
  const crop = `crop=${px(slot.height)}:${px(slot.height)}:${px(slot.x)}:${px(slot.y)}`;
  const video = join(dir, `label-${index}.y4m`);
  await run("ffmpeg", [
    "-v",
    "error",
    "-loop",
    "1",
    "-i",
    join(dir, "sheet.png"),
    "-t",
    "2",
    "-r",
    "10",
    "-vf",
    `${crop},scale=-2:360,pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p`,
    "-y",
    video,
  ]);
  return video;
}

/**
 * Waits for the scanner's read of `serial`; fails with what the screen says instead: the scanner's problem or an
 * unknown code (role=alert), or else the page's text.
 */
async function waitForRead(page: Page, serial: string): Promise<void> {
  const read = page.getByText(`已读取二维码：${serial}`);
  const problem = page.getByRole("alert");
  try {
    await read.or(problem).first().waitFor({ timeout: 30_000 });
  } catch (error) {
    const screen = await page
      .locator("main")
      .innerText()
      .catch(() => "(no page)");
    throw new Error(`no read of ${serial}; the screen shows:\n${screen}`, { cause: error });
  }
  if (!(await read.isVisible()))
    throw new Error(`no read of ${serial}: ${(await problem.allInnerTexts()).join(" / ")}`);
}

/**
 * The scanner preview's computed transform at the moment the library sets its own (mirrored or not) on it. Noted
 * in the page as it happens: a quick read takes the preview off the screen before the test could look at it.
 */
async function notePreviewTransform(page: Page): Promise<() => Promise<string | undefined>> {
  await page.evaluate(() => {
    const noted = window as unknown as { previewTransform?: string };
    new MutationObserver((records, observer) => {
      for (const { target } of records)
        if (target instanceof HTMLVideoElement && target.matches(".scanner video") && target.style.transform) {
          noted.previewTransform = getComputedStyle(target).transform;
          observer.disconnect();
        }
    }).observe(document.body, { attributes: true, attributeFilter: ["style"], subtree: true });
  });
  return () => page.evaluate(() => (window as unknown as { previewTransform?: string }).previewTransform);
}

function launchWithCameraShowing(video: string): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, `--use-file-for-fake-video-capture=${video}`],
  });
}

describe.skipIf(!hasChromium || !hasPdftoppm || !toolInstalled("ffmpeg"))(
  "web app: installer scans a box label",
  () => {
    let stack: Stack;
    let dir: string;
    let serials: string[];
    let videos: string[];

    beforeAll(async () => {
      ensureWebBuild();
      [stack, dir] = await Promise.all([startStack(), mkdtemp(join(tmpdir(), "wx-scan-"))]);
      const staff = await stack.login("staff");
      const batch = await stack.api("POST", "/api/v1/device-batches", {
        token: staff,
        body: { reference: "扫码测试", csv: "WX-2026-SCAN01\nWX-2026-SCAN02\n" },
      });
      expect(batch.status).toBe(201);
      serials = batch.body.rows.map((r: { serial: string }) => r.serial);
      const sheet = Buffer.from(
        await (
          await fetch(stack.httpUrl + batch.body.labelsUrl, { headers: { authorization: `Bearer ${staff}` } })
        ).arrayBuffer(),
      );
      videos = [await labelVideo(sheet, dir, 0), await labelVideo(sheet, dir, 1)];
    }, 90_000);
    afterAll(async () => {
      await stack?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("binds the camera whose label the phone's camera sees", async () => {
      const serial = serials[0]!;
      const browser = await launchWithCameraShowing(videos[0]!);
      const context = await phoneContext(browser, stack.httpUrl);
      await context.grantPermissions(["camera"]);
      const page = await context.newPage();
      await signIn(page, "installer", demoPassword);
      await page.waitForURL("**/installer");
      await page.goto(`/installer/household/${stack.seed.householdId}`);
      const previewTransform = await notePreviewTransform(page);
      await page.getByRole("tab", { name: "扫码" }).click();
      await page.getByText("把手机摄像头对准包装盒上的二维码。").waitFor();
      // A read fills the form and waits for the place's name: nothing is bound yet.
      await waitForRead(page, serial);
      // The back camera's preview was shown as it is, not mirrored (the library mirrors when it has to guess).
      expect(await previewTransform()).toBe("none");
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe("label");
      expect((await stack.db.device.findUniqueOrThrow({ where: { serial } })).householdId).toBeNull();
      await screenshot(page, "web-installer-scanned");
      await page.fill("input[name=label]", "堂屋");
      await page.getByRole("button", { name: "绑定到这个家" }).click();
      // What was bound is said where the installer is looking, not above the screen.
      const outcome = page.getByTestId("bind-outcome");
      await outcome.getByText(`已绑定：堂屋（${serial}），装在黄兴容的家`).waitFor();
      expect(
        await outcome.evaluate((el) => {
          const box = el.getBoundingClientRect();
          return box.top >= 0 && box.bottom <= innerHeight;
        }),
      ).toBe(true);
      await screenshot(page, "web-installer-bound", false);
      const device = await stack.db.device.findUniqueOrThrow({ where: { serial } });
      expect(device.householdId).toBe(stack.seed.householdId);
      expect(device.label).toBe("堂屋");
      await browser.close();
    }, 60_000);

    it("scans with no signal: the bind waits in the queue and is sent when the network returns", async () => {
      const serial = serials[1]!;
      const browser = await launchWithCameraShowing(videos[1]!);
      const context = await phoneContext(browser, stack.httpUrl);
      await context.grantPermissions(["camera"]);
      const page = await context.newPage();
      await signIn(page, "installer", demoPassword);
      await page.waitForURL("**/installer");
      await page.getByTestId("kept-offline").waitFor({ timeout: 20_000 });
      // The QR decoder and its worker were fetched while there was signal, and kept for a reopened app.
      await waitForCachedAssets(page, ["qr-scanner.min", "qr-scanner-worker.min"]);

      await context.setOffline(true);
      await page.locator(`a[href="/installer/household/${stack.seed.householdId}"]`).click();
      await page.getByRole("tab", { name: "扫码" }).click();
      await waitForRead(page, serial);
      await page.getByRole("button", { name: "绑定到这个家" }).click();
      await page.getByTestId("bind-outcome").getByText("现在没有网络").waitFor();
      await page.locator(`[data-queued="${serial}"]`).getByText("等网络恢复后自动发送").waitFor({ timeout: 30_000 });
      await screenshot(page, "web-installer-scanned-offline");
      expect((await stack.db.device.findUniqueOrThrow({ where: { serial } })).householdId).toBeNull();

      await context.setOffline(false);
      await page.locator(`[data-serial="${serial}"]`).waitFor({ timeout: 20_000 });
      expect((await stack.db.device.findUniqueOrThrow({ where: { serial } })).householdId).toBe(stack.seed.householdId);
      await browser.close();
    }, 90_000);
  },
);
