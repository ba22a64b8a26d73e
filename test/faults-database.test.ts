// Fault: the database goes away under a running gateway (the test's own PostgreSQL, or TEST_POSTGRES_URL's, reached
// through a TCP proxy this test controls, so the server itself keeps running) → the API answers 503
// database-unavailable, the gateway stays up, and it answers normally again once the database is back.
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/database.ts";
import { applyPostgresMigrations } from "../core/postgres-migrations.ts";
import { randomId } from "../core/secrets.ts";
import { buildGateway, type Gateway } from "../gateway/src/app.ts";
import { readGatewayConfig } from "../gateway/src/config.ts";
import { hasPostgres, testPostgres, type LocalServer } from "./helpers/local-servers.ts";
import { waitFor } from "./helpers/stack.ts";

let server: LocalServer;
let base: URL;
const schema = randomId("fault_", 10);
let proxy: { port: number; cut(): void; restore(): void; close(): Promise<void> };
let gateway: Gateway;
let db: Database;
let httpUrl: string;

/** Forwards to PostgreSQL until cut: then every open connection is dropped and new ones are refused. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
describe.skipIf(!hasPostgres)("PostgreSQL gone under a running gateway", () => {
  beforeAll(async () => {
    server = await testPostgres();
    base = new URL(server.url);
    await applyPostgresMigrations(base.toString(), join(process.cwd(), "prisma/postgresql/migrations"), schema);
    proxy = await startProxy({ host: base.hostname, port: Number(base.port || 5432) });
    const viaProxy = new URL(base.toString());
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.searchParams.set("schema", schema);
    db = createDatabase(viaProxy.toString());
    const config = readGatewayConfig({
      HTTP_PORT: "0",
      MQTT_PORT: "0",
      HTTP_HOST: "127.0.0.1",
      MQTT_HOST: "127.0.0.1",
      DATABASE_URL: viaProxy.toString(),
      LOG_LEVEL: "silent",
      WX_DEMO_PASSWORD: "test-password-123",
      RELAY_ENABLED: "0",
      ALERT_CHECK_INTERVAL_S: "1",
      HEARTBEAT_FLUSH_MS: "20",
      // A staff page read under a second before the cut would still be given out (shared-pages.ts): this file is
      // about what a read that reaches the database answers while it is gone.
      STAFF_PAGE_SHARE_MS: "0",
    });
    gateway = buildGateway(config, { database: db });
    httpUrl = `http://127.0.0.1:${(await gateway.start()).httpPort}`;
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await gateway?.stop().catch(() => undefined);
    await db?.$disconnect().catch(() => undefined);
    await proxy?.close();
    if (base) {
      const admin = new pg.Client({ connectionString: base.toString() });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
    await server?.stop();
  }, 30_000);

  async function call(method: string, path: string, token?: string, body?: unknown) {
    const response = await fetch(httpUrl + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return {
      status: response.status,
      body: (await response.json().catch(() => null)) as { error?: string; token?: string } | null,
    };
  }

  it("database gone: 503 database-unavailable with a reason, nothing crashes; back: answers again", async () => {
    const login = await call("POST", "/api/v1/auth/login", undefined, {
      username: "staff",
      password: "test-password-123",
    });
    expect(login.status).toBe(200);
    const token = login.body!.token!;
    expect((await call("GET", "/api/v1/fleet/summary", token)).status).toBe(200);

    proxy.cut();
    const cutAt = Date.now();
    for (const [method, path, body] of [
      ["GET", "/api/v1/fleet/summary"],
      ["GET", "/api/v1/devices"],
      ["POST", "/api/v1/auth/login", { username: "staff", password: "test-password-123" }],
    ] as const) {
      const answer = await call(method, path, path.includes("login") ? undefined : token, body);
      expect(answer.status, `${method} ${path}`).toBe(503);
      expect(answer.body).toMatchObject({ error: "database-unavailable" });
    }
    const unavailableMs = Date.now() - cutAt;
    // The process serves what does not need the database, and the alert monitor's failed passes did not crash it.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fetch(`${httpUrl}/openapi.json`)).status).toBe(200);

    proxy.restore();
    const restoredAt = Date.now();
    await waitFor(
      "the API answers again",
      async () => (await call("GET", "/api/v1/fleet/summary", token)).status === 200,
      20_000,
      200,
    );
    console.log(
      `database fault: 503s within ${unavailableMs} ms of the cut; recovered ${Date.now() - restoredAt} ms after the database returned`,
    );
  }, 60_000);
});
