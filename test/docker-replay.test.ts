// The Docker replay's reading of Dockerfile and .dockerignore (the replay itself runs in .ci/run: it needs
// root and several minutes). Checked on the project's own files, and on Docker's documented rules.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isIgnored, parseDockerignore } from "../deploy/src/dockerignore.ts";
import { parseDockerfile, substitute } from "../deploy/src/dockerfile.ts";
import { aptPackages } from "../deploy/src/replay.ts";

describe("Dockerfile reading", () => {
  const stages = parseDockerfile(readFileSync("Dockerfile", "utf8"));

  it("finds the project's two stages, the runtime copying the build's /app and running as node", () => {
    expect(stages.map((s) => `${s.name}:${s.image}`)).toEqual([
      "build:node:20-bookworm-slim",
      "runtime:node:20-bookworm-slim",
    ]);
    const runtime = stages[1]!.instructions;
    expect(runtime).toContainEqual(
      expect.objectContaining({ kind: "COPY", from: "build", sources: ["/app"], dest: "/app" }),
    );
    expect(runtime.filter((i) => i.kind === "USER").at(-1)).toMatchObject({ user: "node" });
    expect(runtime.at(-1)).toMatchObject({ kind: "CMD", shell: false });
  });

  it("installs the mediasoup worker's build packages in the build stage and its libraries in the runtime", () => {
    const apt = (stage: number) =>
      stages[stage]!.instructions.flatMap((i) =>
        i.kind === "RUN" && i.shell ? (aptPackages(i.command[0]!) ?? []) : [],
      );
    expect(apt(0)).toEqual(
      expect.arrayContaining([
        "python3",
        "make",
        "g++",
        "ninja-build",
        "meson",
        "pkg-config",
        "libuv1-dev",
        "libssl-dev",
        "libsrtp2-dev",
        "libusrsctp-dev",
        "libabsl-dev",
        "libflatbuffers-dev",
        "flatbuffers-compiler",
      ]),
    );
    expect(apt(1)).toEqual(
      expect.arrayContaining(["libuv1", "libssl3", "libsrtp2-1", "libusrsctp2", "libabsl20220623", "libflatbuffers2"]),
    );
  });

  it("joins continued lines, drops comments, reads both ENV forms and exec-form JSON", () => {
    const [stage] = parseDockerfile(
      '# c\nFROM node:20-bookworm AS a\nENV A=1 B="two words"\nENV C three words\nRUN echo \\\n  # inside\n  hi\nCMD ["node", "x.ts"]\n',
    );
    expect(stage!.instructions).toEqual([
      {
        kind: "ENV",
        line: 3,
        vars: [
          ["A", "1"],
          ["B", "two words"],
        ],
      },
      { kind: "ENV", line: 4, vars: [["C", "three words"]] },
      { kind: "RUN", line: 5, command: ["echo    hi"], shell: true },
      { kind: "CMD", line: 8, command: ["node", "x.ts"], shell: false },
    ]);
  });

  it("refuses what it cannot replay, naming the line", () => {
    expect(() => parseDockerfile("FROM node:20-bookworm\nADD x /x\n")).toThrow(
      /line 2: instruction ADD is not supported/,
    );
    expect(() => parseDockerfile("FROM node:20-bookworm\nRUN --mount=type=cache,target=/x true\n")).toThrow(
      /line 2: RUN --mount=type=cache,target=\/x is not supported/,
    );
    expect(() => parseDockerfile("WORKDIR /app\n")).toThrow(/line 1: WORKDIR before the first FROM/);
    expect(() => parseDockerfile('FROM node:20-bookworm\nCMD ["node", 1]\n')).toThrow(/line 2: exec form must be/);
    expect(() => parseDockerfile("FROM node:20-bookworm\nCOPY a b c\n")).toThrow(/destination ending in \//);
  });

  it("substitutes $NAME and ${NAME}", () => {
    expect(substitute("$HOME/x/${APP}", { HOME: "/root", APP: "wx" })).toBe("/root/x/wx");
  });
});

describe(".dockerignore reading", () => {
  it("keeps data, builds, secrets and tests out of the project's image context, and sources in", () => {
    const rules = parseDockerignore(readFileSync(".dockerignore", "utf8"));
    for (const path of [
      "node_modules/x/index.js",
      "data/wangxiang.db",
      "web/dist/index.html",
      ".env",
      ".env.production",
      ".git/HEAD",
      "test/admin.test.ts",
      "generated/sqlite/client.ts",
    ]) {
      expect(isIgnored(rules, path), path).toBe(true);
    }
    for (const path of [
      "web/src/main.tsx",
      "gateway/src/main.ts",
      "prisma/sqlite/schema.prisma",
      "package.json",
      "admin/src/main.ts",
      "scripts/migrate.ts",
    ]) {
      expect(isIgnored(rules, path), path).toBe(false);
    }
  });

  it("follows Docker's rules: last match wins, ! re-includes, * stays in one directory, ** crosses them", () => {
    const rules = parseDockerignore("*.md\n!README.md\ndocs/*\n**/*.log\n# comment\n/tmp/\n");
    expect(isIgnored(rules, "NOTES.md")).toBe(true);
    expect(isIgnored(rules, "README.md")).toBe(false);
    expect(isIgnored(rules, "sub/NOTES.md")).toBe(false);
    expect(isIgnored(rules, "docs/a/b.txt")).toBe(true);
    expect(isIgnored(rules, "a/b/c.log")).toBe(true);
    expect(isIgnored(rules, "x.log")).toBe(true);
    expect(isIgnored(rules, "tmp/x")).toBe(true);
  });
});
