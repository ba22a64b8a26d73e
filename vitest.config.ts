import { defineConfig } from "vitest/config";

// Media, browser, fault and fuzz tests measure time (frames within seconds, reconnects within a minute) or load
// the machine on purpose: they run one file at a time, after everything else, so parallel files cannot starve
// them. The rest run two files at a time: most of their time is spent waiting on sockets, processes and timers,
// and vitest's default on 2 cores (cores − 1) ran them one by one.
const timing = [
  "test/browser-*.test.ts",
  "test/live-view*.test.ts",
  "test/relay.test.ts",
  "test/web-*.test.ts",
  "test/cluster*.test.ts",
];
// The fault and fuzz files load the machine hardest (2,000 cameras, 10,000 requests): each keeps a process of its
// own, so nothing they leave running can slow the files after them.
const stress = ["test/faults-*.test.ts", "test/fuzz-*.test.ts"];

// Each file used to get a fresh process that imported the gateway, Prisma's two clients and playwright again:
// 2–5 s a file on this machine, about a third of the run. Files now share their worker's module cache (the code
// keeps no module-level state: every test builds its own stack, database and browser), except the stress files.
const shared = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: "forks" as const,
  isolate: false,
  globalSetup: ["test/helpers/global-setup.ts"],
};

export default defineConfig({
  test: {
    // The second reporter ends the run with the suites skipped for a missing tool (chromium, coturn, ffmpeg).
    reporters: ["default", "./test/helpers/missing-tools-reporter.ts"],
    projects: [
      {
        test: {
          ...shared,
          name: "core",
          include: ["test/**/*.test.ts", "**/src/**/*.test.ts"],
          exclude: ["node_modules/**", ...timing, ...stress],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      { test: { ...shared, name: "timing", include: timing, fileParallelism: false, sequence: { groupOrder: 1 } } },
      {
        test: {
          ...shared,
          name: "stress",
          include: stress,
          isolate: true,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
