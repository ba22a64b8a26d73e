// Label sheets hold claim codes: after LABEL_RETENTION_DAYS they are emptied, by a sweep that runs when the
// gateway starts (tested here by starting a second gateway on the same database) and hourly after that.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabelSheetRetention } from "../gateway/src/device-plane/label-retention.ts";
import { startStack, type Stack } from "./helpers/stack.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

const DAY_MS = 86_400_000;

describe("label-sheet retention", () => {
  let database: TestDatabase;
  let stack: Stack;
  let staff: string;
  const sheets: { old: string; fresh: string } = { old: "", fresh: "" };

  const upload = async (reference: string, csv: string) => {
    const reply = await stack.api("POST", "/api/v1/device-batches", { token: staff, body: { reference, csv } });
    expect(reply.status).toBe(201);
    return reply.body.labelsUrl as string;
  };
  const fetchSheet = (url: string) => stack.api("GET", url, { token: staff });

  beforeAll(async () => {
    database = await createTestDatabase();
    // The first gateway leaves the database behind for the second one.
    const first = await startStack({}, { database: { ...database, drop: async () => undefined } });
    stack = first;
    staff = await first.login("staff");
    sheets.old = await upload("2026-10 第1批", "序列号\r\nWX-2026-RET001\r\nWX-2026-RET002\r\n");
    sheets.fresh = await upload("2026-11 第2批", "序列号\r\nWX-2026-RET003\r\n");
    const oldUploadId = /uploads\/([^/]+)\//.exec(sheets.old)![1]!;
    await first.db.deviceBatchUpload.update({
      where: { id: oldUploadId },
      data: { createdAt: new Date(Date.now() - 31 * DAY_MS) },
    });
    await first.stop();
    stack = await startStack({ LABEL_RETENTION_DAYS: "30" }, { database });
    staff = await stack.login("staff");
  }, 60_000);
  afterAll(() => stack?.stop());

  it("a sheet past the retention is emptied when the gateway starts, and says so; a newer one still prints", async () => {
    const purged = await fetchSheet(sheets.old);
    expect(purged.status).toBe(410);
    expect(purged.body.error).toBe("labels-purged");
    expect((await fetchSheet(sheets.fresh)).status).toBe(200);
    const rows = await stack.db.deviceBatchUpload.findMany({ orderBy: { createdAt: "asc" } });
    expect(rows.map((r) => [r.labelsPdf.length === 0, r.labelsPurgedAt !== null])).toEqual([
      [true, true],
      [false, false],
    ]);
    // The cameras themselves are untouched: only the printable codes are gone.
    expect(await stack.db.device.count({ where: { serial: { startsWith: "WX-2026-RET" } } })).toBe(3);
    const batches = (await stack.api("GET", "/api/v1/device-batches", { token: staff })).body;
    const labelsUrls = batches.flatMap((b: { uploads: { labelsUrl: string | null }[] }) =>
      b.uploads.map((u) => u.labelsUrl),
    );
    expect(labelsUrls.sort()).toEqual([sheets.fresh, null].sort());
  });

  it("the sweep empties each sheet once, when its time comes", async () => {
    const log = { info: () => undefined, error: () => undefined };
    const retention = new LabelSheetRetention(stack.db, 30 * DAY_MS, log);
    expect(await retention.sweep()).toBe(0);
    expect(await retention.sweep(new Date(Date.now() + 31 * DAY_MS))).toBe(1);
    expect(await retention.sweep(new Date(Date.now() + 31 * DAY_MS))).toBe(0);
    expect((await fetchSheet(sheets.fresh)).body.error).toBe("labels-purged");
  });
});
