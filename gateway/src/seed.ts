// Demo data for a fresh database, so `npm start` has something to show and the simulator something to claim.
import type { Database } from "../../core/database.ts";
import { hashSecret, randomId, randomReadableCode } from "../../core/secrets.ts";
import { boxQrText } from "../../protocol/http.ts";
import { formatClaimCode } from "./device-plane/provisioning.ts";

export interface DemoSeed {
  accounts: { username: string; role: string; password: string }[];
  householdId: string;
  cameras: { serial: string; claimCode: string; qr: string }[];
}

export async function seedDemoData(db: Database, password: string, cameraCount = 5): Promise<DemoSeed | null> {
  if ((await db.user.count()) > 0) return null;
  const passwordHash = await hashSecret(password);
  const accounts = [
    { username: "staff", displayName: "县服务中心 值班员", role: "staff" },
    { username: "installer", displayName: "安装员 李师傅", role: "installer" },
    { username: "family", displayName: "杨兴焦 (在外务工)", role: "family" },
  ];
  const users = await Promise.all(
    accounts.map((a) => db.user.create({ data: { id: randomId("usr_"), ...a, passwordHash } })),
  );
  const household = await db.household.create({
    data: {
      id: randomId("hh_"),
      village: "青平镇普仁村",
      elderName: "黄兴容",
      contactName: "杨兴焦",
      contactPhone: "13800000000",
      address: "普仁村三组",
    },
  });
  await db.householdMember.create({ data: { householdId: household.id, userId: users[2]!.id, relation: "儿子" } });
  // The demo installer works in the demo village (installers work only where staff assign them).
  await db.installerAssignment.create({
    data: { id: randomId("asg_"), installerId: users[1]!.id, village: household.village, createdBy: users[0]!.id },
  });
  const cameras: DemoSeed["cameras"] = [];
  for (let i = 1; i <= cameraCount; i++) {
    const serial = `WX-DEMO-${String(i).padStart(6, "0")}`;
    const code = randomReadableCode(8);
    await db.device.create({ data: { id: randomId("cam_"), serial, claimCodeHash: await hashSecret(code) } });
    cameras.push({ serial, claimCode: formatClaimCode(code), qr: boxQrText(serial, formatClaimCode(code)) });
  }
  return {
    accounts: accounts.map((a) => ({ username: a.username, role: a.role, password })),
    householdId: household.id,
    cameras,
  };
}
