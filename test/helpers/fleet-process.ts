// A simulated fleet in its own process (forked with tsx), so thousands of cameras do not share the test's
// event loop. Talks over IPC: {type:"start", ...} → periodic {type:"status"}; {type:"report"} → {type:"report"}.
import { createFleet, type Fleet } from "../../firmware-sim/src/fleet.ts";

export interface FleetStart {
  type: "start";
  stateDir: string;
  gatewayUrl: string;
  mqttUrl: string;
  cameras: { serial: string; claimCode: string }[];
  heartbeatIntervalS: number;
  keepaliveS: number;
  reconnectBackoff: { baseMs: number; capMs: number };
  persistentSession: boolean;
  /** Cameras switch on spread over this window. */
  startSpreadMs: number;
}

export interface FleetReport {
  type: "report";
  /** Every time a camera came online (epoch ms), by serial. */
  onlineAt: Record<string, number[]>;
  /** Every time a camera lost its connection. */
  lostAt: Record<string, number[]>;
  commandsHandled: number;
  duplicateCommands: number;
  online: number;
}

let fleet: Fleet | null = null;
const onlineAt: Record<string, number[]> = {};
const lostAt: Record<string, number[]> = {};

function online(): number {
  return fleet ? fleet.summary().online : 0;
}

process.on("message", async (message: FleetStart | { type: "report" } | { type: "stop" }) => {
  if (message.type === "start") {
    fleet = createFleet({
      stateDir: message.stateDir,
      gatewayUrl: message.gatewayUrl,
      mqttUrl: message.mqttUrl,
      cameras: message.cameras,
      heartbeatIntervalS: message.heartbeatIntervalS,
      keepaliveS: message.keepaliveS,
      reconnectBackoff: message.reconnectBackoff,
      persistentSession: message.persistentSession,
      startSpreadMs: message.startSpreadMs,
      connectTimeoutMs: 20_000,
    });
    for (const camera of fleet.cameras) {
      camera.events.on("state", (state, previous) => {
        if (state === "online") (onlineAt[camera.serial] ??= []).push(Date.now());
        if (previous === "online") (lostAt[camera.serial] ??= []).push(Date.now());
      });
    }
    await fleet.start();
    setInterval(() => process.send?.({ type: "status", online: online() }), 250).unref();
  } else if (message.type === "report" && fleet) {
    const cameras = fleet.cameras.map((c) => c.snapshot());
    const report: FleetReport = {
      type: "report",
      onlineAt,
      lostAt,
      online: online(),
      commandsHandled: cameras.reduce((n, c) => n + c.counters.commandsHandled, 0),
      duplicateCommands: cameras.reduce((n, c) => n + c.counters.duplicateCommands, 0),
    };
    process.send?.(report);
  } else if (message.type === "stop") {
    process.exit(0);
  }
});
process.send?.({ type: "ready" });
