// The error catalogue: its shape, DomainError, and that it covers every code the services answer with today.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  catalogueErrorReply,
  DomainError,
  errorCatalogue,
  errorCode,
  errorCodes,
  errorReplyFor,
  isDomainError,
  isErrorCode,
} from "../protocol/errors.ts";
import { batchRowError } from "../protocol/batches.ts";
import { en } from "../web/src/locales/en.ts";
import { zhCN } from "../web/src/locales/zh-CN.ts";

const root = join(import.meta.dirname, "..");

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

interface CodeUse {
  code: string;
  status: number | null;
  where: string;
}

// The ways a code is written at a call site: DomainError (gateway and relay services and routes), the relay's
// fail() (the catalogue's status for a code), literal replies and WebSocket messages.
const patterns: { regex: RegExp; status?: number }[] = [
  { regex: /\bfail\([^;,]*?,\s*"([a-z-]+)"/g },
  { regex: /\berror: "([a-z][a-z-]+)"/g },
  { regex: /new DomainError\(\s*"([a-z-]+)"/g },
];

async function codesInUse(folders: string[]): Promise<CodeUse[]> {
  const uses: CodeUse[] = [];
  for (const folder of folders) {
    for (const file of await sourceFiles(folder)) {
      const text = await readFile(file, "utf8");
      for (const { regex, status } of patterns) {
        for (const match of text.matchAll(regex)) {
          const [explicitStatus, code] =
            match.length === 3 ? [Number(match[1]), match[2]!] : [status ?? null, match[1]!];
          uses.push({
            code,
            status: explicitStatus,
            where: `${file.slice(root.length + 1)}:${text.slice(0, match.index).split("\n").length}`,
          });
        }
      }
    }
  }
  return uses;
}

/** Codes the web app makes up on its own side (no server sends them). */
const webOnlyCodes = [
  "network",
  "command-failed",
  "command-timed-out",
  "unknown",
  "notifications-denied",
  "push-unavailable",
];
/** A batch upload's per-row problems (protocol/batches.ts): part of a 200 report, not error replies. */
const rowProblems: string[] = batchRowError.options;

describe("error catalogue", () => {
  it("gives every code an error status and a message", () => {
    for (const [code, definition] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(definition.status).toBeGreaterThanOrEqual(400);
      expect(definition.status).toBeLessThan(600);
      expect(definition.message.length).toBeGreaterThan(5);
    }
  });

  it("covers every code that gateway, relay and web send or test for today", async () => {
    const uses = await codesInUse(["gateway/src", "relay/src", "web/src"]);
    expect(uses.length).toBeGreaterThan(30); // the scan still finds the call sites
    const unknown = uses.filter(
      (use) => !isErrorCode(use.code) && !webOnlyCodes.includes(use.code) && !rowProblems.includes(use.code),
    );
    expect(unknown).toEqual([]);
  });

  it("leaves the status to the catalogue: no call site picks one, and no message copies the catalogue's", async () => {
    const found: string[] = [];
    for (const folder of ["gateway/src", "relay/src"]) {
      for (const file of await sourceFiles(folder)) {
        const text = await readFile(file, "utf8");
        const where = (index: number) => `${file.slice(root.length + 1)}:${text.slice(0, index).split("\n").length}`;
        // The helpers that let a thrower choose the status (gone from gateway/src/http/errors.ts).
        for (const m of text.matchAll(/\b(ApiError|apiError|notFound|conflict|badRequest|tooManyRequests)\(/g))
          found.push(`${where(m.index)} ${m[1]}()`);
        for (const m of text.matchAll(/new DomainError\(\s*"([a-z-]+)",\s*\{[^}]*?message:\s*"([^"]*)"/g))
          if (isErrorCode(m[1]) && errorCatalogue[m[1]].message === m[2])
            found.push(`${where(m.index)} copies ${m[1]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("has a translation for every code the web app shows, in both languages", () => {
    for (const locale of [en, zhCN]) {
      const translated = Object.keys(locale.errors);
      expect(translated.filter((code) => !isErrorCode(code) && !webOnlyCodes.includes(code))).toEqual([]);
    }
    expect(Object.keys(zhCN.errors).sort()).toEqual(Object.keys(en.errors).sort());
  });

  it("its z.enum accepts the catalogue's codes only, and OpenAPI lists them", () => {
    expect(errorCode.options).toEqual(errorCodes);
    expect(errorCode.safeParse("claim-code-used").success).toBe(true);
    expect(errorCode.safeParse("claim-code-typo").success).toBe(false);
    const schema = z.toJSONSchema(catalogueErrorReply) as unknown as { properties: { error: { enum: string[] } } };
    expect(schema.properties.error.enum).toEqual(errorCodes);
  });
});

describe("DomainError", () => {
  it("takes status and message from the catalogue", () => {
    const error = new DomainError("claim-code-used");
    expect(error).toBeInstanceOf(Error);
    expect(isDomainError(error)).toBe(true);
    expect(error).toMatchObject({
      name: "DomainError",
      code: "claim-code-used",
      status: 409,
      message: "this camera has already been claimed",
    });
    expect(error.toReply()).toEqual({ error: "claim-code-used", message: "this camera has already been claimed" });
  });

  it("carries a precise message, details and a cause, and its reply matches the schema", () => {
    const cause = new Error("socket hang up");
    const error = new DomainError("camera-did-not-answer", {
      message: "camera did not answer within 10 s",
      details: { command: "c1" },
      cause,
    });
    expect(error.status).toBe(504);
    expect(error.cause).toBe(cause);
    const reply = error.toReply();
    expect(reply).toEqual({
      error: "camera-did-not-answer",
      message: "camera did not answer within 10 s",
      details: { command: "c1" },
    });
    expect(catalogueErrorReply.parse(reply)).toEqual(reply);
  });

  it("is told apart from other errors", () => {
    expect(isDomainError(new Error("x"))).toBe(false);
    expect(isDomainError({ code: "not-found", status: 404 })).toBe(false);
    expect(isErrorCode("not-found")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
    expect(errorReplyFor("shutting-down")).toEqual({
      error: "shutting-down",
      message: errorCatalogue["shutting-down"].message,
    });
  });
});
