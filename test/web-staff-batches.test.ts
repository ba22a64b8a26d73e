// County staff on a phone register a delivery from a CSV file, see the bad rows by line, download the label
// sheet and find the right codes on it; uploading the same file again changes nothing; 10,000 gets the limit.
import { readFile } from "node:fs/promises";

import { describe, expect, it } from "vitest";
import { labelSlot, labelsPerPage } from "../gateway/src/device-plane/label-sheet.ts";
import { parseBoxQr } from "../protocol/http.ts";
import { decodePdfQrCodes, hasPdftoppm } from "./helpers/qr-pdf.ts";
import { demoPassword } from "./helpers/stack.ts";
import { browserAndStack, hasChromium, phoneContext, screenshot, signIn } from "./web-browser.ts";

describe.skipIf(!hasChromium || !hasPdftoppm)("web app: staff register a delivery and print labels", () => {
  const web = browserAndStack();

  it("uploads a CSV, reads the problems by line, downloads labels that decode to the new serials", async () => {
    const context = await phoneContext(web.browser, web.stack.httpUrl);
    const page = await context.newPage();
    await signIn(page, "staff", demoPassword);
    await page.waitForURL("**/staff");
    await page.getByRole("link", { name: "登记新到的摄像头，打印二维码标签" }).click();
    await page.waitForURL("**/staff/batches");

    const csv = `序列号\nWX-2026-WEB001\nWX-2026-WEB002\nWX-2026-WEB001\nhello\n${web.stack.seed.cameras[0]!.serial}\n`;
    const file = { name: "到货.csv", mimeType: "text/csv", buffer: Buffer.from(csv) };
    await page.getByLabel("批次名称").fill("送货单 2026-11-28");
    await page.getByLabel("CSV 文件").setInputFiles(file);
    await page.getByRole("button", { name: "登记并生成标签" }).click();
    const result = page.getByTestId("batch-result");
    await result.getByText("新登记 2 台 · 已在本批 0 台 · 有问题 3 行").waitFor({ timeout: 30_000 });
    for (const line of [
      "第 4 行 WX-2026-WEB001: 表格里重复了",
      "第 5 行 HELLO: 格式不对",
      `第 6 行 ${web.stack.seed.cameras[0]!.serial}: 已在别处登记过`,
    ]) {
      expect((await result.textContent())?.replace(/\s+/g, " ")).toContain(line.replace("HELLO", "hello"));
    }
    await screenshot(page, "web-staff-batch-result");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      result.getByRole("button", { name: "下载标签 PDF（2 张）" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^标签-送货单 2026-11-28-\d{4}-\d{2}-\d{2}\.pdf$/);
    const pdf = await readFile(await download.path());
    const { codes } = await decodePdfQrCodes(
      pdf,
      Array.from({ length: labelsPerPage }, (_, i) => labelSlot(i)),
    );
    expect(codes.map((c) => parseBoxQr(c)!.serial).sort()).toEqual(["WX-2026-WEB001", "WX-2026-WEB002"]);

    await page.getByRole("button", { name: "登记并生成标签" }).click();
    await result.getByText("这份表格已经上传过，没有任何改动").waitFor();
    expect(await web.stack.db.device.count({ where: { serial: { startsWith: "WX-2026-WEB" } } })).toBe(2);

    await page.getByLabel("按数量生成新序列号").check();
    await page.getByLabel("数量（每次最多 500）").fill("10000");
    await page.getByRole("button", { name: "登记并生成标签" }).click();
    await page.getByText("一次最多 500 个，请分几次上传到同一批次。").waitFor();
    await screenshot(page, "web-staff-batch-limit");
    await context.close();
  }, 90_000);
});
