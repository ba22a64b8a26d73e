// A stack with the relay on, the demo household's first camera installed as a real simulated camera
// (claims, connects, streams when asked), and the family's live socket recording what it is told.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCamera, type Camera } from "../../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../../device-client/src/credentials-store.ts";
import { liveSocket, startStack, waitFor, type Stack, type TestJson } from "./stack.ts";

export interface StreamingHousehold {
  stack: Stack;
  camera: Camera;
  deviceId: string;
  /** Every message on the family member's live socket, oldest first. */
  live: TestJson[];
  stop(): Promise<void>;
}

export async function startStreamingHousehold(env: Record<string, string> = {}): Promise<StreamingHousehold> {
  const stack = await startStack({
    RELAY_ENABLED: "1",
    RELAY_WORKERS: "1",
    RELAY_HOST_ADDRESSES: "127.0.0.1",
    COMMAND_TIMEOUT_MS: "8000",
    ...env,
  });
  const installer = await stack.login("installer");
  const box = stack.seed.cameras[0]!;
  const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
    token: installer,
    body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" },
  });
  const deviceId: string = bound.body.id;
  const stateDir = mkdtempSync(join(tmpdir(), "wx-sim-"));
  const camera = createCamera({
    serial: box.serial,
    claimCode: box.claimCode,
    gatewayUrl: stack.httpUrl,
    store: createCredentialsStore(stateDir),
    heartbeatIntervalS: 1,
    media: { hostAddresses: ["127.0.0.1"] },
  });
  await camera.start();
  await waitFor(
    "camera online",
    async () => (await stack.db.device.findUnique({ where: { id: deviceId } }))?.connection === "online",
  );
  const live: TestJson[] = [];
  const socket = liveSocket(stack, await stack.login("family"));
  socket.on("message", (data) => live.push(JSON.parse(String(data))));
  await new Promise((resolve) => socket.once("open", resolve));
  return {
    stack,
    camera,
    deviceId,
    live,
    async stop() {
      socket.close();
      await camera.stop();
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
