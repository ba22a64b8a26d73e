// Snapshots against a real stack: a simulated camera answers take-snapshot with a real JPEG over real HTTP,
// a plain MQTT client plays a camera whose uploads the test writes itself (every bad input), the disk store
// is a temporary folder, and /metrics counts each outcome.
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCamera, type Camera } from "../firmware-sim/src/camera.ts";
import { createCredentialsStore } from "../device-client/src/credentials-store.ts";
import { defaultStillFiles } from "../firmware-sim/src/stills.ts";
import { commandRequestMessage, deviceCommandResponseTopic, deviceCommandTopic } from "../protocol/index.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack } from "./helpers/stack.ts";

const maxBytes = 64 * 1024;

/** A family account in a household of its own (an invite from the installer, accepted by registering). */
async function familyOfAnotherHousehold(stack: Stack): Promise<string> {
  const installer = await stack.login("installer");
  const household = await stack.api("POST", "/api/v1/households", {
    token: installer,
    body: { village: "别的村", elderName: "王奶奶", contactPhone: "13800000001" },
  });
  const invite = await stack.api("POST", `/api/v1/households/${household.body.id}/invites`, {
    token: installer,
    body: { relation: "儿子" },
  });
  const registered = await stack.api("POST", "/api/v1/auth/register", {
    body: { username: "stranger", password: "site-work-2026", displayName: "王强", inviteCode: invite.body.code },
  });
  expect(registered.status).toBe(201);
  return registered.body.token as string;
}

async function metric(stack: Stack, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

function put(url: string, body: Buffer | string, contentType = "image/jpeg") {
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  return fetch(url, { method: "PUT", headers: { "content-type": contentType }, body: payload });
}

describe("snapshots", () => {
  let stack: Stack;
  let camera: Camera;
  let simDeviceId: string;
  let rawDeviceId: string;
  let rawCamera: MqttClient;
  let family: string;
  let stateDir: string;
  let still: Buffer;
  const logLines: string[] = [];

  beforeAll(async () => {
    stack = await startStack(
      { SNAPSHOT_MAX_BYTES: String(maxBytes), LOG_LEVEL: "info", COMMAND_TIMEOUT_MS: "8000" },
      { logStream: { write: (line) => void logLines.push(line) } },
    );
    still = await readFile(defaultStillFiles[0]!);
    const installer = await stack.login("installer");
    const box = stack.seed.cameras[0]!;
    const bound = await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { serial: box.serial, claimCode: box.claimCode, label: "堂屋" },
    });
    simDeviceId = bound.body.id;
    stateDir = await mkdtemp(join(tmpdir(), "wx-sim-"));
    camera = createCamera({
      serial: box.serial,
      claimCode: box.claimCode,
      gatewayUrl: stack.httpUrl,
      store: createCredentialsStore(stateDir),
      heartbeatIntervalS: 1,
    });
    await camera.start();
    const raw = await installDemoCamera(stack, 1);
    rawDeviceId = raw.deviceId;
    rawCamera = await connectAsDevice(stack, raw.deviceId, raw.password);
    await new Promise<void>((resolve, reject) =>
      rawCamera.subscribe(deviceCommandTopic(rawDeviceId), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
    await waitFor("both cameras online", async () => {
      const online = await stack.db.device.count({ where: { connection: "online" } });
      return online === 2;
    });
    family = await stack.login("family");
  }, 60_000);

  afterAll(async () => {
    rawCamera?.end(true);
    await camera?.stop();
    await stack?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  /**
   * Asks the plain-MQTT camera for a still; hands the upload URL it was sent to `upload`, then answers the
   * command as a camera would (ok after a stored upload). Returns the reply to the person's request.
   */
  async function viaRawCamera(upload: (url: string) => Promise<boolean>) {
    const command = new Promise<{ correlationId: string; uploadUrl: string }>((resolve) => {
      const onMessage = (_topic: string, payload: Buffer) => {
        const parsed = commandRequestMessage.parse(JSON.parse(String(payload)));
        if (parsed.name !== "take-snapshot") return;
        rawCamera.off("message", onMessage);
        resolve({ correlationId: parsed.correlationId, uploadUrl: parsed.params.uploadUrl });
      };
      rawCamera.on("message", onMessage);
    });
    const reply = stack.api("POST", `/api/v1/devices/${rawDeviceId}/snapshots`, { token: family });
    const { correlationId, uploadUrl } = await command;
    const ok = await upload(uploadUrl);
    rawCamera.publish(
      deviceCommandResponseTopic(rawDeviceId),
      JSON.stringify({ correlationId, ok, ...(ok ? { result: {} } : { error: "upload refused" }) }),
    );
    return { reply: await reply, uploadUrl };
  }

  it("the family asks for a still: the simulated camera posts a real JPEG, the family and staff fetch it", async () => {
    const before = await metric(stack, "wx_snapshot_uploads_total", 'outcome="stored"');
    const taken = await stack.api("POST", `/api/v1/devices/${simDeviceId}/snapshots`, { token: family });
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({ deviceId: simDeviceId, width: 640, height: 360, reason: "request" });
    expect(taken.body.sizeBytes).toBeGreaterThan(1000);
    expect(camera.snapshot().counters.stillsPosted).toBe(1);

    for (const token of [family, await stack.login("staff")]) {
      const latest = await stack.api("GET", `/api/v1/devices/${simDeviceId}/snapshots/latest`, { token });
      expect(latest).toEqual({ status: 200, body: taken.body });
      const image = await fetch(`${stack.httpUrl}/api/v1/devices/${simDeviceId}/snapshots/latest.jpg`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/jpeg");
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(bytes.length).toBe(taken.body.sizeBytes);
      expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    }
    const unsigned = await fetch(`${stack.httpUrl}/api/v1/devices/${simDeviceId}/snapshots/latest.jpg`);
    expect(unsigned.status).toBe(401);
    expect(await metric(stack, "wx_snapshot_uploads_total", 'outcome="stored"')).toBe(before + 1);
    // The command log keeps the command, not the secret URL.
    const commands = await stack.api("GET", `/api/v1/devices/${simDeviceId}/commands`, {
      token: await stack.login("staff"),
    });
    expect(commands.body.items[0]).toMatchObject({ name: "take-snapshot", params: { uploadUrl: "(redacted)" } });
  });

  it("a good upload is stored once: the same URL again is refused, and the token never reaches the log", async () => {
    let again: Response | undefined;
    const { reply, uploadUrl } = await viaRawCamera(async (url) => {
      const first = await put(url, still);
      again = await put(url, still);
      return first.status === 201;
    });
    expect(reply.status).toBe(201);
    expect(again!.status).toBe(409);
    expect(await again!.json()).toMatchObject({ error: "snapshot-token-used" });
    const token = uploadUrl.split("/").pop()!;
    expect(token.length).toBeGreaterThanOrEqual(30);
    await waitFor("the request lines logged", () => logLines.some((l) => l.includes("snapshot-uploads/[redacted]")));
    expect(logLines.filter((l) => l.includes(token))).toEqual([]);
  });

  it("answers every bad upload with its code, counts it, and stores nothing", async () => {
    const storedBefore = await stack.db.snapshot.count({ where: { deviceId: rawDeviceId } });
    const truncated = still.subarray(0, still.length - 2);
    const huge = Buffer.concat([still.subarray(0, -2), Buffer.alloc(maxBytes), still.subarray(-2)]);
    const wideFrame = Buffer.from(still);
    const sof = wideFrame.indexOf(Buffer.from([0xff, 0xc0]));
    wideFrame.writeUInt16BE(9000, sof + 7);
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    const cases: { name: string; send(url: string): Promise<Response>; status: number; error: string }[] = [
      {
        name: "text, not image/jpeg",
        send: (url) => put(url, "hello", "text/plain"),
        status: 415,
        error: "snapshot-not-jpeg",
      },
      { name: "over the size limit", send: (url) => put(url, huge), status: 413, error: "snapshot-too-large" },
      { name: "PNG bytes called JPEG", send: (url) => put(url, png), status: 400, error: "snapshot-bad-jpeg" },
      { name: "cut short (no EOI)", send: (url) => put(url, truncated), status: 400, error: "snapshot-bad-jpeg" },
      { name: "9000 px wide", send: (url) => put(url, wideFrame), status: 400, error: "snapshot-bad-jpeg" },
      {
        name: "another camera's URL",
        send: (url) => put(url.replace(rawDeviceId, simDeviceId), still),
        status: 403,
        error: "snapshot-wrong-camera",
      },
      {
        name: "a token nobody gave out",
        send: (url) => put(url.replace(/[^/]+$/, "made-up-token-000000000000"), still),
        status: 401,
        error: "snapshot-token-invalid",
      },
      {
        name: "an expired URL",
        send: async (url) => {
          await stack.db.snapshotUpload.updateMany({ where: { usedAt: null }, data: { expiresAt: new Date(0) } });
          return put(url, still);
        },
        status: 410,
        error: "snapshot-token-expired",
      },
    ];
    for (const bad of cases) {
      const before = await metric(stack, "wx_snapshot_uploads_total", `outcome="${bad.error}"`);
      let answer: { status: number; body: unknown } | undefined;
      const { reply } = await viaRawCamera(async (url) => {
        const response = await bad.send(url);
        answer = { status: response.status, body: await response.json() };
        return false;
      });
      expect({ case: bad.name, ...answer }).toMatchObject({
        case: bad.name,
        status: bad.status,
        body: { error: bad.error },
      });
      expect(reply).toMatchObject({ status: 502, body: { error: "snapshot-failed" } });
      expect(await metric(stack, "wx_snapshot_uploads_total", `outcome="${bad.error}"`)).toBe(before + 1);
    }
    expect(await stack.db.snapshot.count({ where: { deviceId: rawDeviceId } })).toBe(storedBefore);
  });

  it("privacy mode: the gateway does not ask, does not accept, and hides the stored still", async () => {
    const on = await stack.api("POST", `/api/v1/devices/${simDeviceId}/commands`, {
      token: family,
      body: { name: "privacy", params: { enabled: true } },
    });
    expect(on.body.status).toBe("succeeded");
    const asksBefore = await stack.db.command.count({ where: { deviceId: simDeviceId, name: "take-snapshot" } });
    const refused = await stack.api("POST", `/api/v1/devices/${simDeviceId}/snapshots`, { token: family });
    expect(refused).toMatchObject({ status: 403, body: { error: "privacy-mode" } });
    expect(await stack.db.command.count({ where: { deviceId: simDeviceId, name: "take-snapshot" } })).toBe(asksBefore);
    const hidden = await stack.api("GET", `/api/v1/devices/${simDeviceId}/snapshots/latest`, { token: family });
    expect(hidden).toMatchObject({ status: 403, body: { error: "privacy-mode" } });

    // An upload URL given out before privacy was switched on is refused once it is on.
    await stack.db.device.update({ where: { id: rawDeviceId }, data: { privacy: false } });
    const { reply } = await viaRawCamera(async (url) => {
      await stack.db.device.update({ where: { id: rawDeviceId }, data: { privacy: true } });
      const response = await put(url, still);
      expect(await response.json()).toMatchObject({ error: "privacy-mode" });
      return false;
    });
    expect(reply.status).toBe(502);
    await stack.db.device.update({ where: { id: rawDeviceId }, data: { privacy: false } });

    await stack.api("POST", `/api/v1/devices/${simDeviceId}/commands`, {
      token: family,
      body: { name: "privacy", params: { enabled: false } },
    });
    const back = await stack.api("GET", `/api/v1/devices/${simDeviceId}/snapshots/latest`, { token: family });
    expect(back.status).toBe(200);
  });

  it("another household's member gets exactly the answer for a camera that does not exist", async () => {
    const stranger = await familyOfAnotherHousehold(stack);
    const routes: [string, string][] = [
      ["GET", "snapshots/latest"],
      ["GET", "snapshots/latest.jpg"],
      ["POST", "snapshots"],
    ];
    for (const [method, path] of routes) {
      const theirs = await stack.api(method, `/api/v1/devices/${simDeviceId}/${path}`, { token: stranger });
      const missing = await stack.api(method, `/api/v1/devices/cam_000000000000/${path}`, { token: stranger });
      expect(theirs).toEqual(missing);
      expect(theirs.status).toBe(404);
    }
  });

  it("the periodic round asks each due camera once, and the sweep deletes stills past retention", async () => {
    // The plain-MQTT camera in privacy mode is not due; the simulated one is, and posts its still.
    await stack.db.device.update({ where: { id: rawDeviceId }, data: { privacy: true } });
    const asked = await stack.gateway.snapshotSchedule.askDueCameras(new Date(Date.now() + 3600_000));
    expect(asked).toBe(1);
    const periodic = await stack.db.snapshot.findFirst({ where: { deviceId: simDeviceId, reason: "periodic" } });
    expect(periodic).toMatchObject({ width: 640, height: 360 });

    const old = await stack.db.snapshot.findMany({ where: { deviceId: simDeviceId }, orderBy: { takenAt: "asc" } });
    const longAgo = new Date(Date.now() - 30 * 86_400_000);
    await stack.db.snapshot.update({ where: { id: old[0]!.id }, data: { takenAt: longAgo } });
    const deleted = await stack.gateway.snapshots.sweep();
    expect(deleted).toBe(1);
    expect(await stack.db.snapshot.findUnique({ where: { id: old[0]!.id } })).toBeNull();
    expect(await stack.db.snapshot.count({ where: { deviceId: simDeviceId } })).toBe(old.length - 1);
  });
});

describe("snapshot retention at start", () => {
  it("sweeps old stills (and files with no row) when the gateway starts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wx-snapshots-start-"));
    const cameraDir = join(dir, "cam_abcdefabcdef");
    await mkdir(cameraDir);
    const orphan = join(cameraDir, "snp_old0000000000000.jpg");
    const fresh = join(cameraDir, "snp_new0000000000000.jpg");
    await writeFile(orphan, "old");
    await writeFile(fresh, "new");
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    await utimes(orphan, monthAgo, monthAgo);
    const stack = await startStack({ SNAPSHOT_DIR: dir, SNAPSHOT_RETENTION_DAYS: "7" });
    try {
      await waitFor("the start sweep", async () => !(await readdir(cameraDir)).includes("snp_old0000000000000.jpg"));
      expect(await readdir(cameraDir)).toEqual(["snp_new0000000000000.jpg"]);
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("periodic stills", () => {
  it("the leader's timer asks an online camera again every interval", async () => {
    const stack = await startStack({ SNAPSHOT_INTERVAL_MIN: "0.02" }); // every 1.2 s
    const stateDir = await mkdtemp(join(tmpdir(), "wx-sim-"));
    const box = stack.seed.cameras[0]!;
    const installer = await stack.login("installer");
    await stack.api("POST", `/api/v1/households/${stack.seed.householdId}/devices`, {
      token: installer,
      body: { serial: box.serial, claimCode: box.claimCode },
    });
    const camera = createCamera({
      serial: box.serial,
      claimCode: box.claimCode,
      gatewayUrl: stack.httpUrl,
      store: createCredentialsStore(stateDir),
      heartbeatIntervalS: 1,
    });
    try {
      await camera.start();
      await waitFor(
        "two periodic stills",
        async () => (await stack.db.snapshot.count({ where: { reason: "periodic" } })) >= 2,
        30_000,
      );
      // The gateway stores a still when its upload arrives, a moment before the camera hears the upload's answer.
      await waitFor("the camera counted both", () => camera.snapshot().counters.stillsPosted >= 2);
    } finally {
      await camera.stop();
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 60_000);
});
