import { defineConfig } from "vitest/config";

// Media, browser and fault tests measure time (frames within seconds, reconnects within a minute): they run one file
// at a time, after everything else, so parallel files cannot starve them (the fuzz files, which load the machine on
// purpose, are below). The rest run two files at a time: most of their time is spent waiting on sockets, processes
// and timers, and vitest's default on 2 cores (cores − 1) ran them one by one.
const timing = [
  "test/browser-*.test.ts",
  "test/live-view*.test.ts",
  "test/relay.test.ts",
  "test/web-*.test.ts",
  "test/cluster*.test.ts",
];
// The fault and fuzz files load the machine hardest (2,000 cameras, 10,000 requests): each keeps a process of its
// own, so nothing they leave running can slow the files after them. The fuzz files (10,000 requests, payloads,
// packets or messages each, every one answered or refused) time nothing but their own generous limits: they run two
// at a time, each in its own process. The fault files measure recovery times: one at a time, last.
const fuzz = ["test/fuzz-*.test.ts"];
const faults = ["test/faults-*.test.ts"];

// `npm run test:postgres` (TEST_PASS=postgres) runs the suite again on PostgreSQL, minus the files below. The rule: a
// file stays in that pass when any of its assertions is about something the database provider decides — what a
// query returns, a migration, a transaction or uniqueness race, text stored and read back, a session's life, a
// driver read compared with Prisma's (fleet-store, household-store, snapshot-reads). A file leaves it only when its
// subject is provider-independent and the database is at most scaffolding. A new file runs in both passes until
// someone judges it, and adds it here with the reason.
const sqliteOnly = [
  // Pure units, and the import graph: no database at all.
  "**/src/**",
  "test/import-*",
  "test/missing-tools-reporter*",
  "test/core-events.test.ts",
  "test/lifecycle.test.ts",
  "test/password-rules.test.ts",
  "test/protocol-errors.test.ts",
  // HTTP and process plumbing with no database: the request log, the security headers against helmet's, the
  // standalone broker's log lines, signal handling, the providers' SDKs against the loopback provider, and the
  // stream-owner records in Redis with the routing hook.
  "test/request-log.test.ts",
  "test/security-headers.test.ts",
  "test/log-output.test.ts",
  "test/signals.test.ts",
  "test/message-providers.test.ts",
  "test/stream-routing.test.ts",
  // The broker and its raw packets; the simulator; the build and Docker replay.
  "test/broker.test.ts",
  "test/fuzz-mqtt-packets.test.ts",
  "test/sim*.test.ts",
  "test/docker-replay*",
  // Stacks whose database is scaffolding: the live socket's protocol under fuzzing (sessions on PostgreSQL are
  // accounts-sessions' and security's), a stop with a request in flight, and guess counters shared through Redis.
  "test/fuzz-ws.test.ts",
  "test/gateway-stop.test.ts",
  "test/cluster-guess-limits.test.ts",
  // Media and the browser: frames, relays, bridges, and the UI over the same routes whose storage the API tests
  // cover on PostgreSQL.
  "test/browser-*",
  "test/web-*",
  "test/live-view*",
  "test/cluster-live-view*",
  "test/relay*",
  "test/site-check*",
  "test/camera-bridge*",
  // Fault files: each starts what it breaks (brokers, gateways, relays). faults-database already runs against the
  // machine's PostgreSQL in the SQLite pass (TEST_POSTGRES_URL).
  "test/faults-*",
];
const passExclude = process.env.TEST_PASS === "postgres" ? sqliteOnly : [];

// Each file used to get a fresh process that imported the gateway, Prisma's two clients and playwright again:
// 2–5 s a file on this machine, about a third of the run. Files now share their worker's module cache (the code
// keeps no module-level state: every test builds its own stack, database and browser), except the fuzz and fault files.
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
          exclude: ["node_modules/**", ...timing, ...fuzz, ...faults, ...passExclude],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "timing",
          include: timing,
          exclude: ["node_modules/**", ...passExclude],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: "fuzz",
          include: fuzz,
          exclude: ["node_modules/**", ...passExclude],
          isolate: true,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          ...shared,
          name: "faults",
          include: faults,
          exclude: ["node_modules/**", ...passExclude],
          isolate: true,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
