// The gateway built but not started, on a fresh database with the demo data, its routes answered through
// Fastify's app.inject(): for route and service tests whose subject is HTTP and stored state. No broker, relay,
// ingest worker or port is started (routes that need them answer "not started"): a whole stack (startStack) is
// for the tests that need cameras, live sockets or a real socket.
import { rm } from "node:fs/promises";
import type { Database } from "../../core/database.ts";
import type { Gateway } from "../../gateway/src/app.ts";
import { seedDemoData, type DemoSeed } from "../../gateway/src/seed.ts";
import { buildTestGateway, demoPassword, type Stack, type StackOptions, type TestJson } from "./stack.ts";

export type RouteStack = Pick<Stack, "api" | "login" | "stop"> & {
  gateway: Gateway;
  db: Database;
  /** Null with SEED_DEMO_DATA=0. */
  seed: DemoSeed;
};

export async function buildRouteStack(
  env: Record<string, string> = {},
  options: StackOptions = {},
): Promise<RouteStack> {
  const { gateway, config, db, testDb, snapshotDir } = await buildTestGateway(env, options);
  const seed = config.SEED_DEMO_DATA ? await seedDemoData(db, config.WX_DEMO_PASSWORD) : null;
  const api: Stack["api"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const reply = await gateway.app.inject({
      method: method as "GET",
      url: path,
      headers,
      ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
    });
    return { status: reply.statusCode, body: parsedBody(reply.body) };
  };
  return {
    gateway,
    db,
    seed: seed!,
    api,
    async login(username, password = demoPassword) {
      const res = await api("POST", "/api/v1/auth/login", { body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async stop() {
      await gateway.stop();
      await db.$disconnect();
      await testDb.drop();
      await rm(snapshotDir, { recursive: true, force: true });
    },
  };
}

/** JSON when the reply is JSON, else its text (as the whole stack's api() does). */
function parsedBody(text: string): TestJson {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}
