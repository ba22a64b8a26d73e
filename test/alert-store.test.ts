// The staff alerts list on the driver (alert-store.ts) against the same list through Prisma, on one seeded database
// (SQLite, or PostgreSQL with TEST_DATABASE_URL): every state, village and page gives the same rows, column for
// column (dates, nulls, the camera's household, who acknowledged by display name), in the same order where raisedAt
// ties, and the same counts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../core/database.ts";
import type { SqlReader } from "../core/sql-reader.ts";
import {
  countAlerts,
  prismaAlertList,
  readAlertPage,
  type AlertListFilter,
} from "../gateway/src/device-plane/alert-store.ts";
import { openDriverAndPrisma } from "./helpers/test-database.ts";

let close: (() => Promise<void>) | undefined;
let db: Database;
let reads: SqlReader;

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0, 123) - minutesAgo * 60_000);
const cameraId = (n: number) => `cam_${String(n).padStart(12, "0")}`;

/** Three households in two villages, six cameras (the last without a household), one staff account. */
async function seedCameras(): Promise<void> {
  const villages = ["上湾村", "下河村", "上湾村"];
  for (const [i, village] of villages.entries())
    await db.household.create({
      data: {
        id: `hh_${i}`,
        village,
        elderName: `老人${i}`,
        contactName: i === 1 ? null : `联系人${i}`,
        contactPhone: `1380000000${i}`,
      },
    });
  await db.user.create({
    data: { id: "user_li", username: "li.staff", displayName: "李站长", passwordHash: "x", role: "staff" },
  });
  await db.device.createMany({
    data: Array.from({ length: 6 }, (_, i) => ({
      id: cameraId(i),
      serial: `WX${String(i).padStart(4, "0")}`,
      claimCodeHash: "x",
      claimState: i === 5 ? "registered" : "claimed",
      householdId: i === 5 ? null : `hh_${i % 3}`,
    })),
  });
}

/**
 * 40 alerts over the six cameras: open and resolved, acknowledged by the staff account or by a login with no
 * account (a system actor), and raised at only five instants, so that most pages are ordered by the id tie-break.
 * The ids run against the order of insertion, so that a missing tie-break shows.
 */
async function seedAlerts(): Promise<void> {
  const kinds = ["offline", "camera-unreachable", "camera-auth-failed", "camera-no-stream"];
  await db.alert.createMany({
    data: Array.from({ length: 40 }, (_, k) => ({
      id: `alert_${String((k * 17) % 40).padStart(2, "0")}`,
      deviceId: cameraId(k % 6),
      kind: kinds[k % 4]!,
      raisedAt: at(k % 5),
      lastNotifiedAt: at((k % 5) - 1),
      notifyCount: 1 + (k % 3),
      resolvedAt: k % 3 === 0 ? at(-30) : null,
      acknowledgedAt: k % 4 === 1 ? at(-5) : k % 4 === 2 ? at(-6) : null,
      acknowledgedBy: k % 4 === 1 ? "li.staff" : k % 4 === 2 ? "alert-bot" : null,
    })),
  });
}

beforeAll(async () => {
  ({ db, reads, close } = await openDriverAndPrisma());
  await seedCameras();
  await seedAlerts();
}, 60_000);

afterAll(() => close?.());

const states: AlertListFilter["state"][] = ["open", "resolved", "all"];
const villages = [undefined, "上湾村", "下河村", "无此村"];
const filters: AlertListFilter[] = states.flatMap((state) => villages.map((village) => ({ state, village })));
const pages = [
  { offset: 0, limit: 100 },
  { offset: 0, limit: 7 },
  { offset: 7, limit: 7 },
  { offset: 20, limit: 10 },
  { offset: 38, limit: 10 },
];

describe("the alerts list on the driver", () => {
  it("gives Prisma's rows for every state, village and page", async () => {
    let compared = 0;
    for (const filter of filters)
      for (const paging of pages) {
        const expected = await prismaAlertList(db, filter).page(paging);
        const actual = await readAlertPage(reads, { filter, ...paging });
        const name = `${filter.state}, ${filter.village ?? "every village"}, ${paging.offset}+${paging.limit}`;
        expect(actual, name).toEqual(expected);
        compared += actual.length;
      }
    expect(compared).toBeGreaterThan(200); // the comparison really saw rows
  });

  it("counts what Prisma counts", async () => {
    for (const filter of filters)
      expect(await countAlerts(reads, filter), `${filter.state}, ${filter.village}`).toBe(
        await prismaAlertList(db, filter).count(),
      );
    expect(await countAlerts(reads, { state: "all" })).toBe(40);
  });

  it("reads the household, the acknowledger's name and the dates as the view needs them", async () => {
    const rows = await readAlertPage(reads, { filter: { state: "all" }, offset: 0, limit: 100 });
    const byId = new Map(rows.map((r) => [r.id, r]));
    // k = 5: camera 5 (no household), acknowledged by the staff account; k = 2: by a login with no account.
    expect(byId.get("alert_05")).toMatchObject({
      device: { serial: "WX0005", household: null },
      acknowledgedBy: "li.staff",
      acknowledgedByName: "李站长",
    });
    expect(byId.get("alert_34")).toMatchObject({
      device: {
        serial: "WX0002",
        household: { village: "上湾村", elderName: "老人2", contactName: "联系人2", contactPhone: "13800000002" },
      },
      acknowledgedBy: "alert-bot",
      acknowledgedByName: null,
      raisedAt: at(2),
    });
    expect(byId.get("alert_00")).toMatchObject({ resolvedAt: at(-30), acknowledgedAt: null, acknowledgedBy: null });
  });
});
