import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySecret } from "../core/secrets.ts";
import { parseBoxQr } from "../protocol/http.ts";
import { labelSlot, labelsPerPage } from "../gateway/src/device-plane/label-sheet.ts";
import { decodePdfQrCodes, hasPdftoppm } from "./helpers/qr-pdf.ts";
import { startStack, type Stack } from "./helpers/stack.ts";

describe("batch intake and label sheets", () => {
  let stack: Stack;
  let staff: string;
  beforeAll(async () => {
    stack = await startStack();
    staff = await stack.login("staff");
    mkdirSync("test-results", { recursive: true });
  });
  afterAll(() => stack.stop());

  async function labels(url: string): Promise<Buffer> {
    const response = await fetch(stack.httpUrl + url, { headers: { authorization: `Bearer ${staff}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    // Saved under a Chinese name that says what it is: 标签-<the batch's reference>.pdf
    expect(response.headers.get("content-disposition")).toMatch(/; filename\*=UTF-8''%E6%A0%87%E7%AD%BE-.+\.pdf$/);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Each label's QR decodes to a serial and a claim code that the stored hash accepts. */
  async function expectLabelsClaimable(pdf: Buffer, serials: string[], keepPngAs?: string) {
    const { codes } = await decodePdfQrCodes(
      pdf,
      Array.from({ length: labelsPerPage }, (_, i) => labelSlot(i)),
      { keepPngAs },
    );
    const boxes = codes.map((text) => parseBoxQr(text)!);
    expect(boxes.map((b) => b.serial).sort()).toEqual([...serials].sort());
    for (const box of boxes) {
      const device = await stack.db.device.findUniqueOrThrow({ where: { serial: box.serial } });
      expect(await verifySecret(box.claimCode.replace("-", ""), device.claimCodeHash)).toBe(true);
    }
    return boxes;
  }

  const csv = "序列号,绑定码\r\nWX-2026-BAT001\r\nWX-2026-BAT002,K7P2-9QXM\r\nwx-2026-bat003\r\n";

  it.skipIf(!hasPdftoppm)(
    "registers a CSV, returns a label sheet whose QR codes claim those cameras, and changes nothing when uploaded again",
    async () => {
      const first = await stack.api("POST", "/api/v1/device-batches", {
        token: staff,
        body: { reference: "2026-11 县广电 第1批", csv },
      });
      expect(first.status).toBe(201);
      expect(first.body.counts).toEqual({ registered: 3, unchanged: 0, rejected: 0 });
      expect(first.body.rows.map((r: { line: number }) => r.line)).toEqual([2, 3, 4]);
      const boxes = await expectLabelsClaimable(
        await labels(first.body.labelsUrl),
        ["WX-2026-BAT001", "WX-2026-BAT002", "WX-2026-BAT003"],
        "test-results/batch-labels.png",
      );
      expect(boxes.find((b) => b.serial === "WX-2026-BAT002")!.claimCode).toBe("K7P2-9QXM");
      // The code printed on the label is the one a camera claims with.
      const claim = await stack.api("POST", "/api/v1/devices/claim", {
        body: { serial: boxes[0]!.serial, claimCode: boxes[0]!.claimCode },
      });
      expect(claim.status).toBe(200);

      const before = await stack.db.device.findMany({
        where: { batchId: first.body.batchId },
        orderBy: { serial: "asc" },
      });
      const again = await stack.api("POST", "/api/v1/device-batches", {
        token: staff,
        body: { reference: "2026-11 县广电 第1批", csv },
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        repeated: true,
        batchId: first.body.batchId,
        labelsUrl: first.body.labelsUrl,
        counts: first.body.counts,
      });
      expect(
        await stack.db.device.findMany({ where: { batchId: first.body.batchId }, orderBy: { serial: "asc" } }),
      ).toEqual(before);
      expect(await labels(again.body.labelsUrl)).toEqual(await labels(first.body.labelsUrl));
    },
  );

  it("reports duplicate, malformed and registered-elsewhere rows by line and registers the rest", async () => {
    const elsewhere = stack.seed.cameras[0]!.serial;
    const text = [
      "WX-2026-BAT001", // already in this batch (first upload)
      "WX-2026-BAT010",
      "WX-2026-BAT010",
      "WX-26-XYZ",
      `${elsewhere}`,
      "WX-2026-BAT011,NOT-A-CODE-AT-ALL",
      "WX-2026-BAT012",
    ].join("\n");
    const res = await stack.api("POST", "/api/v1/device-batches", {
      token: staff,
      body: { reference: "2026-11 县广电 第1批", csv: text },
    });
    expect(res.status).toBe(201);
    expect(res.body.counts).toEqual({ registered: 2, unchanged: 1, rejected: 4 });
    expect(res.body.rows).toEqual([
      { line: 1, serial: "WX-2026-BAT001", outcome: "unchanged" },
      { line: 2, serial: "WX-2026-BAT010", outcome: "registered" },
      {
        line: 3,
        serial: "WX-2026-BAT010",
        outcome: "rejected",
        error: "duplicate",
        message: "WX-2026-BAT010 is also on line 2",
      },
      {
        line: 4,
        serial: "WX-26-XYZ",
        outcome: "rejected",
        error: "malformed",
        message: expect.stringContaining("not a serial"),
      },
      {
        line: 5,
        serial: elsewhere,
        outcome: "rejected",
        error: "registered-elsewhere",
        message: expect.stringContaining("outside this batch"),
      },
      {
        line: 6,
        serial: "WX-2026-BAT011",
        outcome: "rejected",
        error: "malformed",
        message: expect.stringContaining("claim code"),
      },
      { line: 7, serial: "WX-2026-BAT012", outcome: "registered" },
    ]);
    await expectLabelsClaimable(await labels(res.body.labelsUrl), ["WX-2026-BAT010", "WX-2026-BAT012"]);
    const metrics = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/wx_batch_rows_total\{outcome="duplicate"\} 1\b/);
    expect(metrics).toMatch(/wx_batch_rows_total\{outcome="malformed"\} 2\b/);
    expect(metrics).toMatch(/wx_batch_rows_total\{outcome="registered-elsewhere"\} 1\b/);
    // The demo camera kept its own claim code and has not joined the batch.
    expect((await stack.db.device.findUniqueOrThrow({ where: { serial: elsewhere } })).batchId).toBeNull();
  });

  it("generates serials for a count, and answers 10,000 with the limit, registering nothing", async () => {
    const generated = await stack.api("POST", "/api/v1/device-batches", {
      token: staff,
      body: { reference: "第2批", count: 4 },
    });
    expect(generated.status).toBe(201);
    const serials = generated.body.rows.map((r: { serial: string }) => r.serial);
    expect(new Set(serials).size).toBe(4);
    await expectLabelsClaimable(await labels(generated.body.labelsUrl), serials);

    const devicesBefore = await stack.db.device.count();
    const huge = await stack.api("POST", "/api/v1/device-batches", {
      token: staff,
      body: { reference: "第3批", count: 10_000 },
    });
    expect(huge.status).toBe(400);
    expect(huge.body).toMatchObject({ error: "batch-too-large", details: { max: 500, requested: 10_000 } });
    const hugeCsv = Array.from({ length: 10_000 }, (_, i) => `WX-2027-${String(i).padStart(6, "0")}`).join("\n");
    const hugeUpload = await stack.api("POST", "/api/v1/device-batches", {
      token: staff,
      body: { reference: "第3批", csv: hugeCsv },
    });
    expect(hugeUpload.status).toBe(400);
    expect(hugeUpload.body.error).toBe("batch-too-large");
    expect(await stack.db.device.count()).toBe(devicesBefore);
  });

  it("is for staff only, and refuses a body that is neither a CSV nor a count", async () => {
    const installer = await stack.login("installer");
    expect(
      (await stack.api("POST", "/api/v1/device-batches", { token: installer, body: { reference: "x", count: 1 } }))
        .status,
    ).toBe(403);
    const neither = await stack.api("POST", "/api/v1/device-batches", { token: staff, body: { reference: "x" } });
    expect(neither.status).toBe(400);
    expect(neither.body.error).toBe("invalid-request");
    const blank = await stack.api("POST", "/api/v1/device-batches", {
      token: staff,
      body: { reference: "x", csv: "\n\n" },
    });
    expect(blank.body.error).toBe("batch-empty");
    const list = await stack.api("GET", "/api/v1/device-batches", { token: staff });
    expect(list.body.map((b: { reference: string }) => b.reference)).toContain("2026-11 县广电 第1批");
  });
});
