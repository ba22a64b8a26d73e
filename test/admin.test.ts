// `npm run admin`: the first staff account of a deployment, made from the shell as an operator would, then
// used to sign in through the gateway's routes on the same database (SQLite, or PostgreSQL with TEST_DATABASE_URL).
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRouteStack, type RouteStack } from "./helpers/route-stack.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cliDatabaseUrl(db: TestDatabase): string {
  if (!db.pgSchema) return db.url;
  const url = new URL(db.url);
  url.searchParams.set("schema", db.pgSchema);
  return url.toString();
}

function admin(db: TestDatabase, args: string[], stdin = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "admin/src/main.ts", ...args], {
      env: { ...process.env, DATABASE_URL: cliDatabaseUrl(db) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe("npm run admin", { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let stack: RouteStack;
  beforeAll(async () => {
    db = await createTestDatabase();
    stack = await buildRouteStack({ SEED_DEMO_DATA: "0" }, { database: db });
  });
  afterAll(async () => stack?.stop());

  const signIn = (username: string, password: string) =>
    stack.api("POST", "/api/v1/auth/login", { body: { username, password } });

  it("creates the first staff account from a piped password, and the gateway lets it sign in as staff", async () => {
    expect(await stack.db.user.count()).toBe(0);
    const run = await admin(
      db,
      ["create-user", "--role", "staff", "--username", "county-duty", "--display-name", "值班员"],
      "a long enough password 1\n",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Created staff account county-duty \(usr_\w+\)/);
    expect(run.stdout).not.toContain("a long enough password 1");
    const login = await signIn("county-duty", "a long enough password 1");
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ username: "county-duty", role: "staff", displayName: "值班员" });
    expect((await signIn("county-duty", "a long enough password 2")).status).toBe(401);
  });

  it("refuses a password on the command line, a short or guessable one, an unknown role and a taken name, creating nothing", async () => {
    const before = await stack.db.user.count();
    // Independent refusals: run side by side (each CLI start costs a second or more on a busy machine).
    const [onArgv, short, guessable, family, taken, noPassword] = await Promise.all([
      admin(db, [
        "create-user",
        "--role",
        "staff",
        "--username",
        "argv-user",
        "--password",
        "a long enough password 1",
      ]),
      admin(db, ["create-user", "--role", "staff", "--username", "short-user"], "short\n"),
      admin(db, ["create-user", "--role", "staff", "--username", "guess-user"], "111111111111\n"),
      admin(db, ["create-user", "--role", "family", "--username", "fam-user"], "a long enough password 1\n"),
      admin(db, ["create-user", "--role", "installer", "--username", "county-duty"], "a long enough password 1\n"),
      admin(db, ["create-user", "--role", "staff", "--username", "empty-stdin"]),
    ]);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toMatch(/shell history/);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 12 characters/);
    expect(guessable.code).toBe(2);
    expect(guessable.stderr).toMatch(/too easy to guess/);
    expect(family.code).toBe(2);
    expect(family.stderr).toMatch(/staff or installer/);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/already exists/);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/no password on stdin/);
    expect(await stack.db.user.count()).toBe(before);
  });

  it("generates a password, printed once, that signs in", async () => {
    const run = await admin(db, ["create-user", "--role", "installer", "--username", "li-shifu", "--generate"]);
    expect(run.code).toBe(0);
    const password = /Password \(shown once, store it now\): (\S+)/.exec(run.stdout)?.[1];
    expect(password).toHaveLength(20);
    const login = await signIn("li-shifu", password!);
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe("installer");
  });

  it("resets a password and signs the account out everywhere", async () => {
    const token = (await signIn("county-duty", "a long enough password 1")).body.token as string;
    expect((await stack.api("GET", "/api/v1/auth/me", { token })).status).toBe(200);
    const run = await admin(db, ["reset-password", "--username", "county-duty"], "the new password 12345\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Password of county-duty changed; [1-9]\d* session\(s\) signed out/);
    expect((await stack.api("GET", "/api/v1/auth/me", { token })).status).toBe(401);
    expect((await signIn("county-duty", "a long enough password 1")).status).toBe(401);
    expect((await signIn("county-duty", "the new password 12345")).status).toBe(200);
    const unknown = await admin(db, ["reset-password", "--username", "nobody"], "the new password 12345\n");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no user nobody/);
  });

  it("lists the accounts with their roles and live sessions", async () => {
    const run = await admin(db, ["list-users"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^staff\s+county-duty\s+\d{4}-\d\d-\d\d\s+1 active session\(s\)\s+值班员$/m);
    expect(run.stdout).toMatch(/^installer\s+li-shifu\s/m);
    expect(run.stdout).toMatch(/2 account\(s\)/);
  });
});
