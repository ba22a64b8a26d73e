// The HTTP app exists as soon as the gateway is built: routes answer app.inject() with no broker, relay or port.
import { afterEach, describe, expect, it } from "vitest";
import { createDatabase } from "../core/database.ts";
import { hashSecret, randomId } from "../core/secrets.ts";
import { buildGateway, type Gateway } from "../gateway/src/app.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function builtGateway(): Promise<{ gateway: Gateway; db: ReturnType<typeof createDatabase> }> {
  const testDb: TestDatabase = await createTestDatabase();
  const db = createDatabase(testDb.url, { pgSchema: testDb.pgSchema });
  const config = readGatewayConfig({
    DATABASE_URL: testDb.url,
    LOG_LEVEL: "silent",
    RELAY_ENABLED: "1",
    SEED_DEMO_DATA: "0",
  });
  const gateway = buildGateway(config, { database: db, databaseSchema: testDb.pgSchema });
  cleanup = async () => {
    await gateway.stop();
    await db.$disconnect();
    await testDb.drop();
  };
  return { gateway, db };
}

describe("gateway built but not started", () => {
  it("answers its routes through app.inject()", async () => {
    const { gateway, db } = await builtGateway();
    expect((await gateway.app.inject({ method: "GET", url: "/api/v1/auth/me" })).statusCode).toBe(401);
    await db.user.create({
      data: {
        id: randomId("usr_"),
        username: "staff1",
        displayName: "Staff",
        role: "staff",
        passwordHash: await hashSecret("long-enough-password"),
      },
    });
    const login = await gateway.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { username: "staff1", password: "long-enough-password" },
    });
    expect(login.statusCode).toBe(200);
    const fleet = await gateway.app.inject({
      method: "GET",
      url: "/api/v1/fleet/summary",
      headers: { authorization: `Bearer ${login.json().token}` },
    });
    expect(fleet.statusCode).toBe(200);
    expect(gateway.broker).toBeNull();
  });
});
