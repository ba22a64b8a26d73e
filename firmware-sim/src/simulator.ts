// What `npm run sim` does: find or register serials, run a fleet, print a status line every few seconds.
import type { SimConfig } from "./config.ts";
import { createCredentialsStore } from "../../device-client/src/credentials-store.ts";
import { createFleet, type Fleet, type FleetSummary } from "./fleet.ts";
import { registerSimCameras } from "./installer-api.ts";
import type { Logger } from "../../device-client/src/log.ts";
import type { Camera } from "./camera-types.ts";

export interface Simulator {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** null until start() has chosen the cameras. */
  summary(): FleetSummary | null;
  /** The cameras, once started (empty before). */
  cameras(): readonly Camera[];
}

export interface SimulatorDeps {
  log: Logger;
  /** Where the status line goes. Default: stdout. */
  writeStatus?: (line: string) => void;
  fetch?: typeof fetch;
}

export function formatStatusLine(summary: FleetSummary): string {
  const others = Object.entries(summary.byState)
    .filter(([state, count]) => count > 0 && state !== "online" && state !== "refused")
    .map(([state, count]) => `${state} ${count}`);
  return `[sim ${new Date().toISOString().slice(11, 19)}] cameras ${summary.total} · claimed ${summary.claimed} · online ${summary.online} · refused ${summary.refused}${others.length ? " · " + others.join(" · ") : ""}`;
}

export function createSimulator(config: SimConfig, deps: SimulatorDeps): Simulator {
  const { log } = deps;
  const writeStatus = deps.writeStatus ?? ((line: string) => process.stdout.write(line + "\n"));
  const aborter = new AbortController();
  let fleet: Fleet | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function chooseCameras(): Promise<Array<{ serial: string; claimCode: string; firmware?: string }>> {
    const store = createCredentialsStore(config.stateDir);
    const { states, unreadable } = await store.list();
    if (unreadable.length) log.warn({ files: unreadable }, "ignoring unreadable state files");
    // Claimed cameras first: those need nothing from the installer API.
    const known = [...states]
      .sort((a, b) => Number(b.credentials !== null) - Number(a.credentials !== null))
      .slice(0, config.cameras);
    const missing = config.cameras - known.length;
    if (known.length)
      log.info({ reused: known.length, stateDir: config.stateDir }, "reusing cameras from the state directory");
    const fresh =
      missing > 0
        ? await registerSimCameras({
            gatewayUrl: config.gatewayUrl,
            count: missing,
            username: config.installerUser,
            password: config.installerPassword,
            serialPrefix: config.serialPrefix,
            log,
            signal: aborter.signal,
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
          })
        : [];
    // Cameras from the factory get the configured firmware; a stored (maybe updated) version wins anyway.
    return [
      ...known.map(({ serial, claimCode, firmware }) => ({ serial, claimCode, firmware })),
      ...fresh.map((c) => ({ ...c, firmware: config.firmware })),
    ];
  }

  return {
    async start() {
      const cameras = await chooseCameras();
      if (stopped) return; // stop() came while the installer API was answering: start nothing
      fleet = createFleet({
        gatewayUrl: config.gatewayUrl,
        stateDir: config.stateDir,
        cameras,
        log,
        startSpreadMs: config.startSpreadMs,
        ...(config.heartbeatS ? { heartbeatIntervalS: config.heartbeatS } : {}),
        activityReportMin: config.activityReportMin,
        ...(config.mqttUrl ? { mqttUrl: config.mqttUrl } : {}),
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      await fleet.start();
      const current = fleet;
      statusTimer = setInterval(() => writeStatus(formatStatusLine(current.summary())), config.statusIntervalS * 1000);
    },

    async stop() {
      stopped = true;
      aborter.abort();
      if (statusTimer) clearInterval(statusTimer);
      statusTimer = null;
      if (fleet) {
        await fleet.stop();
        writeStatus(formatStatusLine(fleet.summary()));
      }
    },

    summary: () => fleet?.summary() ?? null,
    cameras: () => fleet?.cameras ?? [],
  };
}
