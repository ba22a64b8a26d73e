// A county's data for the API bench, written straight through Prisma in bulk (createMany in chunks): households
// in villages, claimed cameras with 30 days of online/offline transitions, open and resolved offline alerts,
// a still per camera, family members (one password hash shared by all: scrypt per account would take minutes),
// staff and installer accounts, and signed-in sessions made the way sign-in makes them (token → SHA-256).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../core/database.ts";
import { hashSecret, hashToken, randomToken } from "../core/secrets.ts";

export interface SeedOptions {
  households: number;
  cameras: number;
  familyMembers: number;
  /** Family members who get a signed-in session (the bench rotates through their tokens). */
  familySessions: number;
  password: string;
  /** Where the stills' files go (the gateway's SNAPSHOT_DIR). */
  snapshotDir: string;
  provider: "sqlite" | "postgresql";
}

export interface Seeded {
  villages: string[];
  staffToken: string;
  installerToken: string;
  /** One per signed-in family member, with the cameras of their household. */
  family: { token: string; username: string; deviceIds: string[] }[];
  familyUsernames: string[];
  /** A camera with transitions, for the detail route. */
  deviceIds: string[];
  counts: Record<string, number>;
  seedMs: number;
}

const CHUNK = 1000;
const VILLAGE_NAMES = ["普仁村", "青山村", "石桥村", "柳湾村", "松林村", "桃源村", "河口村", "清水村"];
const DAY_MS = 86_400_000;

const idOf = (prefix: string, n: number) => `${prefix}${n.toString(36).padStart(12, "0")}`;

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

// A deterministic pseudo-random sequence, so two runs seed the same county.
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// The smallest JPEG the gateway's checks accept is not needed here: stills are read back, not re-checked.
const STILL = Buffer.from(
  "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080010001001011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9",
  "hex",
);

export async function seedCounty(db: Database, o: SeedOptions): Promise<Seeded> {
  const started = performance.now();
  const random = sequence(22);
  const now = Date.now();
  const villages = Array.from(
    { length: Math.max(1, Math.round(o.households / 50)) },
    (_, i) => `青平镇${VILLAGE_NAMES[i % VILLAGE_NAMES.length]}${String(Math.floor(i / VILLAGE_NAMES.length) + 1)}组`,
  );
  const households = Array.from({ length: o.households }, (_, i) => ({
    id: idOf("hh_", i),
    village: villages[i % villages.length]!,
    elderName: `老人${i}`,
    contactName: `联系人${i}`,
    contactPhone: `138${String(i).padStart(8, "0")}`,
    address: `${i % 9}组`,
    createdAt: new Date(now - 60 * DAY_MS),
  }));
  await inChunks(households, (data) => db.household.createMany({ data }));

  const staffId = "usr_bench_staff";
  const installerId = "usr_bench_installer";
  await seedPeople(db, o, { households, villages, staffId, installerId });

  const devices = seedDeviceRows(o, households, random, now);
  await inChunks(devices, (data) => db.device.createMany({ data }));
  const transitions = seedTransitions(devices, random, now);
  await inChunks(transitions, (data) => db.deviceStatusChange.createMany({ data }));
  await db.gatewayRun.create({
    data: { id: "run_bench", startedAt: new Date(now - 40 * DAY_MS), lastAliveAt: new Date(now) },
  });
  const alerts = seedAlerts(devices, now);
  await inChunks(alerts, (data) => db.alert.createMany({ data }));
  const notices = seedNotices(devices, alerts, now);
  await inChunks(notices, (data) => db.notice.createMany({ data }));
  const stills = await seedStills(o.snapshotDir, devices, now);
  await inChunks(stills, (data) => db.snapshot.createMany({ data }));

  const sessions = await seedSessions(db, o, staffId, installerId, now);
  // PostgreSQL plans from table statistics, which autovacuum gathers in a running deployment a while after a bulk
  // load; without them a freshly seeded county gets plans for empty tables.
  if (o.provider === "postgresql") await db.$executeRawUnsafe("ANALYZE");
  const camerasOf = new Map<string, string[]>();
  for (const d of devices) camerasOf.set(d.householdId, [...(camerasOf.get(d.householdId) ?? []), d.id]);
  return {
    villages,
    staffToken: sessions.staff,
    installerToken: sessions.installer,
    family: sessions.family.map((f) => ({ ...f, deviceIds: camerasOf.get(households[f.index % o.households]!.id)! })),
    familyUsernames: Array.from({ length: o.familyMembers }, (_, i) => `worker${i}`),
    deviceIds: devices.map((d) => d.id),
    counts: {
      households: households.length,
      cameras: devices.length,
      familyMembers: o.familyMembers,
      statusChanges: transitions.length,
      alerts: alerts.length,
      notices: notices.length,
      stills: stills.length,
      sessions: 2 + sessions.family.length,
    },
    seedMs: Math.round(performance.now() - started),
  };
}

/** Staff, an installer assigned to every village, and family members spread over the households in turn. */
async function seedPeople(
  db: Database,
  o: SeedOptions,
  {
    households,
    villages,
    staffId,
    installerId,
  }: { households: { id: string }[]; villages: string[]; staffId: string; installerId: string },
) {
  const passwordHash = await hashSecret(o.password);
  const people = [
    { id: staffId, username: "bench-staff", displayName: "县服务中心", role: "staff", passwordHash },
    { id: installerId, username: "bench-installer", displayName: "安装员", role: "installer", passwordHash },
    ...Array.from({ length: o.familyMembers }, (_, i) => ({
      id: idOf("usr_", i),
      username: `worker${i}`,
      displayName: `务工人员${i}`,
      role: "family",
      passwordHash,
    })),
  ];
  await inChunks(people, (data) => db.user.createMany({ data }));
  // 5,000 members over 2,000 households gives two or three per home.
  const members = Array.from({ length: o.familyMembers }, (_, i) => ({
    householdId: households[i % o.households]!.id,
    userId: idOf("usr_", i),
    relation: "子女",
  }));
  await inChunks(members, (data) => db.householdMember.createMany({ data }));
  await db.installerAssignment.createMany({
    data: villages.map((village, i) => ({ id: idOf("asg_", i), installerId, village, createdBy: staffId })),
  });
}

/**
 * Steady state: the families of cameras long offline were told already (family-notices.ts), so the gateway's
 * first alert pass does not send 1,500 notices in the middle of the bench.
 */
function seedNotices(
  devices: { id: string; householdId: string }[],
  alerts: { id: string; deviceId: string; raisedAt: Date; resolvedAt?: Date | null }[],
  now: number,
) {
  const householdOf = new Map(devices.map((d) => [d.id, d.householdId]));
  return alerts
    .filter((a) => !a.resolvedAt && now - a.raisedAt.getTime() > 3600_000)
    .map((a) => ({
      id: a.id.replace("alr_", "ntc_"),
      householdId: householdOf.get(a.deviceId)!,
      deviceId: a.deviceId,
      alertId: a.id,
      kind: "camera-offline",
      createdAt: new Date(a.raisedAt.getTime() + 1800_000),
    }));
}

function seedDeviceRows(o: SeedOptions, households: { id: string }[], random: () => number, now: number) {
  return Array.from({ length: o.cameras }, (_, i) => {
    const offline = random() < 0.15;
    const seen = new Date(now - (offline ? 3600_000 + random() * 5 * DAY_MS : random() * 60_000));
    return {
      id: idOf("cam_", i),
      serial: `WX-BENCH-${String(i).padStart(6, "0")}`,
      claimCodeHash: "scrypt$2048$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
      claimState: "claimed",
      householdId: households[i % households.length]!.id,
      label: ["堂屋", "厨房", "院子", "卧室", "门口"][Math.floor(i / households.length) % 5]!,
      firmware: "1.4.2",
      connection: offline ? "offline" : "online",
      connectionSince: offline ? seen : new Date(now - random() * 3 * DAY_MS),
      lastSeenAt: seen,
      lastHeartbeatAt: seen,
      rssi: -40 - Math.round(random() * 45),
      temperatureC: 30 + Math.round(random() * 200) / 10,
      uptimeS: Math.round(random() * 3 * 86_400),
      freeStorageMb: 100 + Math.round(random() * 3000),
      claimedAt: new Date(now - 45 * DAY_MS),
      boundBy: "usr_bench_installer",
      boundAt: new Date(now - 45 * DAY_MS),
    };
  });
}

/** About ten transitions per camera over the last 30 days, ending in its current state. */
function seedTransitions(
  devices: { id: string; connection: string; connectionSince: Date }[],
  random: () => number,
  now: number,
) {
  const rows: { deviceId: string; state: string; reason: string; at: Date }[] = [];
  for (const d of devices) {
    const count = 8 + Math.floor(random() * 5);
    let state = count % 2 === 0 ? d.connection : d.connection === "online" ? "offline" : "online";
    const times = Array.from({ length: count - 1 }, () => now - 35 * DAY_MS + random() * 32 * DAY_MS).sort();
    for (const t of [...times, d.connectionSince.getTime()]) {
      rows.push({ deviceId: d.id, state, reason: state === "online" ? "heartbeat" : "will", at: new Date(t) });
      state = state === "online" ? "offline" : "online";
    }
  }
  return rows;
}

/** An open alert for each offline camera, and a resolved one for every fifth camera. */
function seedAlerts(devices: { id: string; connection: string; connectionSince: Date }[], now: number) {
  return devices.flatMap((d, i) => [
    ...(d.connection === "offline"
      ? [
          {
            id: idOf("alr_", i),
            deviceId: d.id,
            kind: "offline",
            raisedAt: d.connectionSince,
            lastNotifiedAt: d.connectionSince,
          },
        ]
      : []),
    ...(i % 5 === 0
      ? [
          {
            id: idOf("alq_", i),
            deviceId: d.id,
            kind: "offline",
            raisedAt: new Date(now - 10 * DAY_MS),
            lastNotifiedAt: new Date(now - 10 * DAY_MS),
            resolvedAt: new Date(now - 9 * DAY_MS),
          },
        ]
      : []),
  ]);
}

/** The latest still of every camera, its file on disk as the gateway's store keeps it. */
async function seedStills(snapshotDir: string, devices: { id: string }[], now: number) {
  const rows = devices.map((d, i) => ({
    id: idOf("snp_", i),
    deviceId: d.id,
    takenAt: new Date(now - 600_000),
    sizeBytes: STILL.length,
    width: 16,
    height: 16,
    storageKey: `${d.id}/${idOf("snp_", i)}.jpg`,
    reason: "periodic",
  }));
  for (const row of rows) {
    await mkdir(join(snapshotDir, row.deviceId), { recursive: true });
    await writeFile(join(snapshotDir, row.storageKey), STILL);
  }
  return rows;
}

async function seedSessions(db: Database, o: SeedOptions, staffId: string, installerId: string, now: number) {
  const expiresAt = new Date(now + 12 * 3600_000);
  const make = (userId: string, n: string) => {
    const token = randomToken();
    return { token, row: { id: `ses_bench_${n}`, tokenHash: hashToken(token), userId, expiresAt } };
  };
  const staff = make(staffId, "staff");
  const installer = make(installerId, "installer");
  const step = Math.max(1, Math.floor(o.familyMembers / o.familySessions));
  const family = Array.from({ length: Math.min(o.familySessions, o.familyMembers) }, (_, k) => {
    const index = k * step;
    return { index, username: `worker${index}`, ...make(idOf("usr_", index), `f${index}`) };
  });
  await inChunks([staff.row, installer.row, ...family.map((f) => f.row)], (data) => db.session.createMany({ data }));
  return {
    staff: staff.token,
    installer: installer.token,
    family: family.map(({ index, username, token }) => ({ index, username, token })),
  };
}
