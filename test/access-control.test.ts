// Nobody reaches a camera or a home that is not theirs. Two households, each with a family account and an online
// camera; every cross-household path is tried — HTTP, the live WebSocket, MQTT and WebRTC signaling — and must be
// refused, in the way that hides whether the other home exists at all. Then the role checks.
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ViewTokens } from "../gateway/src/live-view/view-tokens.ts";
import {
  deviceCommandResponseTopic,
  deviceCommandTopic,
  deviceEventsTopic,
  deviceStatusTopic,
  deviceTelemetryTopic,
} from "../protocol/topics.ts";
import { startNodeViewer } from "./relay-stack.ts";
import {
  createHouseholdWithFamily,
  installCameraInto,
  openLiveSocket,
  registerAndClaim,
  type RecordingSocket,
} from "./helpers/security-fixtures.ts";
import { connectAsDevice, installDemoCamera, startStack, waitFor, type Stack, type TestJson } from "./helpers/stack.ts";

const VIEW_SECRET = "access-control-test-view-secret";
const NO_CAMERA = "cam_000000000000";
const NO_HOUSEHOLD = "hh_doesnotexist0000";

/** Does a live message concern this camera? */
const mentions = (message: TestJson, deviceId: string) =>
  message.deviceId === deviceId || message.alert?.deviceId === deviceId || message.command?.deviceId === deviceId;

describe("access control across households and devices", () => {
  let stack: Stack;
  let staff: string;
  let installer: string;
  const home = {} as Record<
    "A" | "B",
    {
      householdId: string;
      family: string;
      userId: string;
      camera: { deviceId: string; password: string; serial: string };
      client: MqttClient;
    }
  >;
  const commandsSeenByB: TestJson[] = [];
  const clients: MqttClient[] = [];

  const whep = (cameraId: string, token: string, body = "v=0\r\n") =>
    fetch(`${stack.httpUrl}/api/v1/whep/${cameraId}`, {
      method: "POST",
      headers: { "content-type": "application/sdp", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
  const whip = (cameraId: string, token: string) =>
    fetch(`${stack.httpUrl}/api/v1/whip/${cameraId}`, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${token}` },
      body: "v=0\r\n",
    });
  const detail = async (deviceId: string) =>
    (await stack.api("GET", `/api/v1/devices/${deviceId}`, { token: staff })).body;

  beforeAll(async () => {
    stack = await startStack({
      RELAY_ENABLED: "1",
      RELAY_WORKERS: "1",
      RELAY_HOST_ADDRESSES: "127.0.0.1",
      VIEW_TOKEN_SECRET: VIEW_SECRET,
      OFFLINE_ALERT_AFTER_S: "0.5",
      ALERT_CHECK_INTERVAL_S: "0.2",
      COMMAND_TIMEOUT_MS: "800",
      STREAM_START_TIMEOUT_MS: "800",
      STREAM_STOP_GRACE_S: "1",
    });
    staff = await stack.login("staff");
    installer = await stack.login("installer");
    const familyA = await stack.login("family");
    const me = await stack.api("GET", "/api/v1/auth/me", { token: familyA });
    const b = await createHouseholdWithFamily(stack, {
      village: "沙湾区踏水镇",
      elderName: "李奶奶",
      username: "li-daughter",
      displayName: "李女儿",
    });
    const cameraA = await installDemoCamera(stack, 0);
    const cameraB = await installCameraInto(stack, 1, b.householdId);
    const clientA = await connectAsDevice(stack, cameraA.deviceId, cameraA.password);
    const clientB = await connectAsDevice(stack, cameraB.deviceId, cameraB.password);
    clients.push(clientA, clientB);
    await clientB.subscribeAsync(deviceCommandTopic(cameraB.deviceId), { qos: 1 });
    clientB.on(
      "message",
      (topic, payload) =>
        topic === deviceCommandTopic(cameraB.deviceId) && commandsSeenByB.push(JSON.parse(String(payload))),
    );
    home.A = {
      householdId: stack.seed.householdId,
      family: familyA,
      userId: me.body.id,
      camera: cameraA,
      client: clientA,
    };
    home.B = { householdId: b.householdId, family: b.familyToken, userId: b.userId, camera: cameraB, client: clientB };
    for (const h of [home.A, home.B])
      await waitFor("camera online", async () => (await detail(h.camera.deviceId)).connection === "online");
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await stack?.stop();
  });

  it("HTTP: a family member gets 'not found' for the other household's cameras and home, exactly as for ones that do not exist", async () => {
    type Probe = {
      method: string;
      path: (id: string) => string;
      body?: unknown;
      /** family may use this route on its own things, so a foreign id must look absent */ hidden: boolean;
    };
    const deviceProbes: Probe[] = [
      { method: "GET", path: (id) => `/api/v1/devices/${id}`, hidden: true },
      { method: "GET", path: (id) => `/api/v1/devices/${id}/heartbeats`, hidden: false },
      { method: "GET", path: (id) => `/api/v1/devices/${id}/status-history`, hidden: true },
      { method: "GET", path: (id) => `/api/v1/devices/${id}/commands`, hidden: false },
      {
        method: "POST",
        path: (id) => `/api/v1/devices/${id}/commands`,
        body: { name: "privacy", params: { enabled: true } },
        hidden: true,
      },
      { method: "POST", path: (id) => `/api/v1/devices/${id}/commands`, body: { name: "reboot" }, hidden: true },
      { method: "POST", path: (id) => `/api/v1/devices/${id}/view`, hidden: true },
      { method: "GET", path: (id) => `/api/v1/devices/${id}/view-log`, hidden: true },
      { method: "POST", path: (id) => `/api/v1/devices/${id}/revoke`, hidden: false },
      { method: "POST", path: (id) => `/api/v1/devices/${id}/rearm`, hidden: false },
      {
        method: "POST",
        path: (id) => `/api/v1/devices/${id}/move`,
        body: { householdId: stack.seed.householdId },
        hidden: false,
      },
    ];
    const householdProbes: Probe[] = [
      { method: "GET", path: (id) => `/api/v1/households/${id}`, hidden: true },
      { method: "GET", path: (id) => `/api/v1/households/${id}/view-log`, hidden: true },
      { method: "GET", path: (id) => `/api/v1/households/${id}/invites`, hidden: true },
      { method: "POST", path: (id) => `/api/v1/households/${id}/invites`, body: {}, hidden: true },
      { method: "DELETE", path: (id) => `/api/v1/households/${id}/invites/inv_doesnotexist`, hidden: true },
      { method: "POST", path: (id) => `/api/v1/households/${id}/members`, body: { username: "family" }, hidden: false },
      {
        method: "POST",
        path: (id) => `/api/v1/households/${id}/devices`,
        body: { qr: "WX1;S:WX-2026-AAAAAA;C:AAAA-AAAA" },
        hidden: false,
      },
      { method: "DELETE", path: (id) => `/api/v1/households/${id}/devices/${NO_CAMERA}`, hidden: false },
    ];
    for (const [me, other] of [
      [home.A, home.B],
      [home.B, home.A],
    ] as const) {
      const tryAs = async (probe: Probe, id: string) =>
        stack.api(probe.method, probe.path(id), { token: me.family, ...(probe.body ? { body: probe.body } : {}) });
      for (const [probes, foreign, absent] of [
        [deviceProbes, other.camera.deviceId, NO_CAMERA],
        [householdProbes, other.householdId, NO_HOUSEHOLD],
      ] as const) {
        for (const probe of probes) {
          const what = `${probe.method} ${probe.path(foreign)}`;
          const refused = await tryAs(probe, foreign);
          const nothing = await tryAs(probe, absent);
          expect(refused.status, what).toBe(probe.hidden ? 404 : nothing.status);
          expect([403, 404], what).toContain(refused.status);
          // The refusal says no more than it would for an id that does not exist.
          expect({ status: refused.status, error: refused.body.error }, what).toEqual({
            status: nothing.status,
            error: nothing.body.error,
          });
          expect(JSON.stringify(refused.body), what).not.toContain(other.camera.serial);
        }
      }
      // Positive controls: the same member reaches their own camera and home.
      expect((await stack.api("GET", `/api/v1/devices/${me.camera.deviceId}`, { token: me.family })).status).toBe(200);
      expect((await stack.api("GET", `/api/v1/households/${me.householdId}`, { token: me.family })).status).toBe(200);
      expect(
        (await stack.api("GET", `/api/v1/devices/${me.camera.deviceId}/view-log`, { token: me.family })).status,
      ).toBe(200);

      // Lists and searches show only their own household, whatever the filter asks for.
      const devices = await stack.api("GET", "/api/v1/devices", { token: me.family });
      expect(devices.body.items.map((d: { householdId: string }) => d.householdId)).toEqual(
        devices.body.items.map(() => me.householdId),
      );
      expect(devices.body.items.map((d: { id: string }) => d.id)).toContain(me.camera.deviceId);
      for (const query of [
        `householdId=${other.householdId}`,
        `q=${other.camera.serial}`,
        "claimState=claimed&connection=online",
      ]) {
        const filtered = await stack.api("GET", `/api/v1/devices?${query}`, { token: me.family });
        expect(
          filtered.body.items.map((d: { id: string }) => d.id),
          query,
        ).not.toContain(other.camera.deviceId);
      }
      const households = await stack.api("GET", "/api/v1/households?limit=200", { token: me.family });
      expect(households.body.items.map((h: { id: string }) => h.id)).toEqual([me.householdId]);
      for (const path of ["/api/v1/alerts", "/api/v1/fleet/summary", "/api/v1/alerts/alr_x/ack"]) {
        const res = await stack.api(path.endsWith("ack") ? "POST" : "GET", path, { token: me.family });
        expect(res.status, path).toBe(403);
      }
    }
    // Nothing was done on B's behalf: no command reached its camera, no invite of B was withdrawn.
    expect(commandsSeenByB).toEqual([]);
    expect((await detail(home.B.camera.deviceId)).privacy).toBe(false);
  });

  it("WebSocket: a family member's socket never carries the other household's connection, alert, command or view events", async () => {
    const [a, b, everyone] = await Promise.all([
      openLiveSocket(stack, home.A.family),
      openLiveSocket(stack, home.B.family),
      openLiveSocket(stack, staff),
    ]);
    // Asking for B's camera and village by filter must not widen what A may see.
    a.socket.send(
      JSON.stringify({
        type: "filter",
        deviceIds: [home.A.camera.deviceId, home.B.camera.deviceId],
        villages: ["沙湾区踏水镇", "青平镇普仁村"],
      }),
    );
    a.socket.send(JSON.stringify({ type: "ping", id: "after-filter" }));
    await waitFor("filter applied", () => a.messages.some((m) => m.type === "pong"));
    const cameraB = home.B.camera.deviceId;
    const seen =
      (socket: RecordingSocket, type: string, extra: (m: TestJson) => boolean = () => true) =>
      () =>
        socket.messages.some((m) => m.type === type && mentions(m, cameraB) && extra(m));

    // B's camera loses power: offline, an alert, staff acknowledge it; it comes back: online, alert resolved.
    home.B.client.stream.destroy();
    await waitFor(
      "B offline",
      seen(b, "device.connection", (m) => m.state === "offline"),
    );
    await waitFor("B alert raised", seen(b, "alert.raised"), 10_000);
    const alertId = b.messages.find((m) => m.type === "alert.raised").alert.id;
    expect((await stack.api("POST", `/api/v1/alerts/${alertId}/ack`, { token: staff })).status).toBe(200);
    await waitFor("B alert acknowledged", seen(b, "alert.acknowledged"));
    home.B.client = await connectAsDevice(stack, cameraB, home.B.camera.password);
    clients.push(home.B.client);
    await home.B.client.subscribeAsync(deviceCommandTopic(cameraB), { qos: 1 });
    home.B.client.on(
      "message",
      (topic, payload) => topic === deviceCommandTopic(cameraB) && commandsSeenByB.push(JSON.parse(String(payload))),
    );
    await waitFor(
      "B online",
      seen(b, "device.connection", (m) => m.state === "online"),
    );
    await waitFor("B alert resolved", seen(b, "alert.resolved"));

    // A command to B's camera (unanswered: command.finished timed-out), and B's family watching (view.viewers, view.error).
    expect(
      (await stack.api("POST", `/api/v1/devices/${cameraB}/commands`, { token: staff, body: { name: "reboot" } }))
        .status,
    ).toBe(504);
    await waitFor("B command finished", seen(b, "command.finished"));
    const grant = await stack.api("POST", `/api/v1/devices/${cameraB}/view`, { token: home.B.family });
    expect(grant.status).toBe(200);
    // The relay's answer waits for the camera, which never streams here: the viewer is refused (502) when the start times out.
    const viewer = startNodeViewer(`${stack.httpUrl}${grant.body.whepUrl}`, grant.body.token).then(
      () => 201,
      (error: { status?: number }) => error.status,
    );
    await waitFor(
      "B viewers",
      seen(b, "view.viewers", (m) => m.viewers.length === 1),
    );
    await waitFor("B view error (camera never streams)", seen(b, "view.error"), 10_000);
    expect(await viewer).toBe(502);

    // Control the other way: A's camera goes offline and back; B must not hear of it.
    home.A.client.stream.destroy();
    await waitFor("A offline", () =>
      a.messages.some(
        (m) => m.type === "device.connection" && m.deviceId === home.A.camera.deviceId && m.state === "offline",
      ),
    );
    home.A.client = await connectAsDevice(stack, home.A.camera.deviceId, home.A.camera.password);
    clients.push(home.A.client);
    await waitFor("A online", () =>
      a.messages.some(
        (m) => m.type === "device.connection" && m.deviceId === home.A.camera.deviceId && m.state === "online",
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(a.messages.filter((m) => mentions(m, cameraB))).toEqual([]);
    expect(b.messages.filter((m) => mentions(m, home.A.camera.deviceId))).toEqual([]);
    // Staff saw all of it: the events were there to leak.
    const staffTypes = new Set(everyone.messages.filter((m) => mentions(m, cameraB)).map((m) => m.type));
    for (const type of [
      "device.connection",
      "alert.raised",
      "alert.acknowledged",
      "alert.resolved",
      "command.finished",
      "view.viewers",
      "view.error",
    ])
      expect(staffTypes, type).toContain(type);
    for (const s of [a, b, everyone]) s.socket.close();
  }, 40_000);

  it("MQTT: a camera cannot subscribe to, publish on, will on, or log in as another household's camera, nor answer its commands", async () => {
    const cameraB = home.B.camera.deviceId;
    const intruderCamera = await installDemoCamera(stack, 2); // a second camera of household A
    const intruder = await connectAsDevice(stack, intruderCamera.deviceId, intruderCamera.password);
    clients.push(intruder);
    const broker = stack.gateway.broker!;
    const deniedBefore = broker.metrics.aclDeniedSubscribe;
    for (const filter of [
      deviceCommandTopic(cameraB),
      deviceStatusTopic(cameraB),
      deviceTelemetryTopic(cameraB),
      deviceCommandResponseTopic(cameraB),
      "devices/+/cmd",
      "devices/+/status",
      "devices/#",
      "#",
      "$SYS/#",
    ]) {
      await expect(intruder.subscribeAsync(filter, { qos: 1 }), filter).rejects.toMatchObject({
        packet: { cmd: "suback", granted: [0x80] },
      });
    }
    expect(broker.metrics.aclDeniedSubscribe - deniedBefore).toBe(9);
    expect(intruder.connected).toBe(true);

    // Answering B's command from another camera's response topic, with the right correlation id, is ignored.
    const answerFromIntruder = (topic: string, payload: Buffer) => {
      if (topic !== deviceCommandTopic(cameraB)) return;
      const { correlationId } = JSON.parse(String(payload));
      intruder.publish(
        deviceCommandResponseTopic(intruderCamera.deviceId),
        JSON.stringify({ correlationId, ok: true }),
        { qos: 1 },
      );
    };
    home.B.client.on("message", answerFromIntruder);
    const hijack = await stack.api("POST", `/api/v1/devices/${cameraB}/commands`, {
      token: staff,
      body: { name: "privacy", params: { enabled: true } },
    });
    home.B.client.off("message", answerFromIntruder);
    expect(hijack.status).toBe(504);
    expect((await detail(cameraB)).privacy).toBe(false);

    // Publishing on any of B's topics drops the intruder; nothing reaches the gateway as B.
    const historyBefore = (
      await stack.api("GET", `/api/v1/devices/${cameraB}/status-history?limit=2000`, { token: staff })
    ).body.items.length;
    const now = new Date().toISOString();
    const forged: [string, string][] = [
      [deviceStatusTopic(cameraB), JSON.stringify({ state: "offline", at: now, reason: "shutdown" })],
      [
        deviceTelemetryTopic(cameraB),
        JSON.stringify({
          at: now,
          uptimeS: 1,
          rssi: -50,
          temperatureC: 30,
          firmware: "6.6.6",
          freeStorageMb: 1,
          privacy: false,
        }),
      ],
      [
        deviceEventsTopic(cameraB),
        JSON.stringify({ type: "privacy-changed", at: now, enabled: true, source: "button" }),
      ],
      [deviceCommandResponseTopic(cameraB), JSON.stringify({ correlationId: "cmd_x", ok: true })],
      [
        deviceCommandTopic(cameraB),
        JSON.stringify({
          name: "reboot",
          params: {},
          correlationId: "x",
          responseTopic: deviceCommandResponseTopic(cameraB),
          expiresAt: now,
        }),
      ],
    ];
    const publishDenied = broker.metrics.aclDeniedPublish;
    for (const [topic, payload] of forged) {
      const client = await connectAsDevice(stack, intruderCamera.deviceId, intruderCamera.password);
      clients.push(client);
      const dropped = new Promise<void>((resolve) => client.once("close", () => resolve()));
      client.publish(topic, payload, { qos: 1, retain: true });
      await dropped;
    }
    expect(broker.metrics.aclDeniedPublish - publishDenied).toBe(forged.length);
    const b = await detail(cameraB);
    expect(b).toMatchObject({ connection: "online", privacy: false, lastHeartbeatAt: null });
    expect(b.firmware).not.toBe("6.6.6");
    expect(
      (await stack.api("GET", `/api/v1/devices/${cameraB}/status-history?limit=2000`, { token: staff })).body.items,
    ).toHaveLength(historyBefore);
    expect(commandsSeenByB.filter((c) => c.correlationId === "x")).toEqual([]);

    // A will on B's status, B's client id with A's credentials, B's username with A's password: all refused at CONNECT.
    const refusal = (attempt: Promise<MqttClient>) =>
      attempt.then(
        (c) => {
          clients.push(c);
          return "accepted";
        },
        (e: { code?: number }) => e.code,
      );
    const lostB = {
      topic: deviceStatusTopic(cameraB),
      payload: Buffer.from(JSON.stringify({ state: "offline", at: now, reason: "lost" })),
      qos: 1 as const,
      retain: true,
    };
    expect(
      await refusal(connectAsDevice(stack, intruderCamera.deviceId, intruderCamera.password, { will: lostB })),
    ).toBe(5);
    expect(
      await refusal(connectAsDevice(stack, intruderCamera.deviceId, intruderCamera.password, { clientId: cameraB })),
    ).toBe(2);
    expect(
      await refusal(
        connectAsDevice(stack, intruderCamera.deviceId, intruderCamera.password, {
          username: cameraB,
          clientId: cameraB,
        }),
      ),
    ).toBe(5);
    expect(await refusal(connectAsDevice(stack, cameraB, intruderCamera.password))).toBe(5);
    // B's real session was not taken over by any of this.
    expect(home.B.client.connected).toBe(true);
    expect(broker.connectedDeviceIds()).toContain(cameraB);
    expect((await detail(cameraB)).connection).toBe("online");
  }, 30_000);

  it("WebRTC signaling: viewer tokens open only their own camera, never publish, and cannot be forged, stretched or altered", async () => {
    const [cameraA, cameraB] = [home.A.camera.deviceId, home.B.camera.deviceId];
    const grant = await stack.api("POST", `/api/v1/devices/${cameraA}/view`, { token: home.A.family });
    expect(grant.status).toBe(200);
    const tokenA = grant.body.token as string;

    // A's token on B's camera, even with a real offer.
    await expect(startNodeViewer(`${stack.httpUrl}/api/v1/whep/${cameraB}`, tokenA)).rejects.toMatchObject({
      status: 403,
    });
    // A viewer token cannot publish, on its own camera or another.
    for (const camera of [cameraA, cameraB]) expect((await whip(camera, tokenA)).status).toBe(403);

    const real = new ViewTokens(VIEW_SECRET);
    const [body, signature] = tokenA.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    const reSigned = (c: object) => `${Buffer.from(JSON.stringify(c)).toString("base64url")}.${signature}`;
    // A's live sign-in session: the tokens below fail for what they claim, not for naming no session.
    const grantOf = (cam: string, uid: string) => ({ cam, uid, name: "x", sid: claims.sid, via: "look-in" as const });
    const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
    const bad: [string, string, string][] = [
      [
        "forged with another key",
        cameraB,
        new ViewTokens("not-the-gateway-secret-at-all").issueViewer(grantOf(cameraB, home.B.userId), 60_000).token,
      ],
      [
        "expired",
        cameraA,
        new ViewTokens(VIEW_SECRET, () => Date.now() - 7_200_000).issueViewer(grantOf(cameraA, home.A.userId), 60_000)
          .token,
      ],
      ["camera changed, signature kept", cameraB, reSigned({ ...claims, cam: cameraB })],
      ["lifetime stretched, signature kept", cameraA, reSigned({ ...claims, exp: claims.exp + 86_400_000 })],
      ["signature altered", cameraA, `${body}.${flipped}`],
      ["signature missing", cameraA, `${body}.`],
      ["extra segment", cameraA, `${tokenA}.x`],
      ["a camera's publish token", cameraA, real.issuePublish(cameraA, 60_000).token],
      ["a real-key token for a non-member", cameraB, real.issueViewer(grantOf(cameraB, home.A.userId), 60_000).token],
      ["the sign-in token", cameraA, home.A.family],
    ];
    for (const [what, camera, token] of bad) expect((await whep(camera, token)).status, what).toBe(403);
    expect((await whep(cameraA, "")).status).toBe(401);

    // Who may obtain a token for B's camera: not A's family (404, as if absent), not staff (not a member),
    // not an installer once the install visit is over.
    expect((await stack.api("POST", `/api/v1/devices/${cameraB}/view`, { token: home.A.family })).status).toBe(404);
    expect((await stack.api("POST", `/api/v1/devices/${cameraB}/view`, { token: staff })).body.error).toBe(
      "not-a-member",
    );
    await stack.db.device.update({ where: { id: cameraB }, data: { claimedAt: new Date(Date.now() - 3 * 3_600_000) } });
    expect((await stack.api("POST", `/api/v1/devices/${cameraB}/view`, { token: installer })).body.error).toBe(
      "not-a-member",
    );

    // The real token works on its own camera (the refusals above were about the token, not the offer): it gets past
    // authorisation to the relay, whose answer waits for the camera (MQTT only here, it never streams) and is a 502...
    await expect(startNodeViewer(`${stack.httpUrl}/api/v1/whep/${cameraA}`, tokenA)).rejects.toMatchObject({
      status: 502,
    });
    // ...until the camera moves to another home: the old household's unexpired token no longer opens it.
    expect(
      (
        await stack.api("POST", `/api/v1/devices/${cameraA}/move`, {
          token: staff,
          body: { householdId: home.B.householdId },
        })
      ).status,
    ).toBe(200);
    expect((await whep(cameraA, tokenA)).status).toBe(403);
    expect(
      (
        await stack.api("POST", `/api/v1/devices/${cameraA}/move`, {
          token: staff,
          body: { householdId: home.A.householdId },
        })
      ).status,
    ).toBe(200);
    expect((await stack.api("POST", `/api/v1/devices/${cameraA}/view`, { token: home.A.family })).status).toBe(200);
  }, 30_000);

  it("roles: family members cannot register, revoke, re-arm, reboot or update cameras; installers cannot revoke, undo a revocation or update firmware", async () => {
    const cameraA = home.A.camera.deviceId;
    const firmware = {
      name: "firmware-update",
      params: { url: "https://updates.example.cn/wx-c1-2.0.0.bin", sha256: "a".repeat(64), version: "2.0.0" },
    };
    const familyRefused: [string, string, unknown?][] = [
      ["POST", "/api/v1/devices", { serial: "WX-2026-FAM001" }],
      ["POST", `/api/v1/devices/${cameraA}/revoke`],
      ["POST", `/api/v1/devices/${cameraA}/rearm`],
      ["POST", `/api/v1/devices/${cameraA}/commands`, { name: "reboot" }],
      ["POST", `/api/v1/devices/${cameraA}/commands`, firmware],
      ["POST", `/api/v1/devices/${cameraA}/move`, { householdId: home.B.householdId }],
      ["POST", `/api/v1/devices/${cameraA}/replace`, { qr: "WX1;S:WX-2026-AAAAAA;C:AAAA-AAAA" }],
      ["DELETE", `/api/v1/households/${home.A.householdId}/devices/${cameraA}`],
      ["POST", "/api/v1/households", { village: "v", elderName: "e", contactPhone: "13800000000" }],
      ["POST", `/api/v1/households/${home.A.householdId}/members`, { username: "li-daughter" }],
    ];
    for (const [method, path, body] of familyRefused) {
      const res = await stack.api(method, path, { token: home.A.family, ...(body ? { body } : {}) });
      expect({ what: `${method} ${path}`, status: res.status, error: res.body.error }).toEqual({
        what: `${method} ${path}`,
        status: 403,
        error: "forbidden",
      });
    }
    expect((await stack.api("GET", "/api/v1/devices?q=WX-2026-FAM001", { token: staff })).body.total).toBe(0);

    expect((await stack.api("POST", `/api/v1/devices/${cameraA}/revoke`, { token: installer })).status).toBe(403);
    expect(
      (await stack.api("POST", `/api/v1/devices/${cameraA}/commands`, { token: installer, body: firmware })).status,
    ).toBe(403);
    const after = await detail(cameraA);
    expect(after).toMatchObject({ claimState: "claimed", householdId: home.A.householdId, connection: "online" });

    // A revoked camera stays revoked when an installer tries to re-arm it; staff can.
    const spare = await registerAndClaim(stack, "WX-2026-SPARE1");
    expect((await stack.api("POST", `/api/v1/devices/${spare.deviceId}/revoke`, { token: staff })).status).toBe(200);
    const undo = await stack.api("POST", `/api/v1/devices/${spare.deviceId}/rearm`, { token: installer });
    expect(undo.status).toBe(403);
    expect((await detail(spare.deviceId)).claimState).toBe("revoked");
    expect((await stack.api("POST", `/api/v1/devices/${spare.deviceId}/rearm`, { token: staff })).status).toBe(200);
  });
  it("installers work only in households assigned to them: no members, invites, cameras or details elsewhere, until staff assign them", async () => {
    const b = home.B.householdId;
    const outside: [string, string, unknown?][] = [
      ["GET", `/api/v1/households/${b}`],
      ["POST", `/api/v1/households/${b}/members`, { username: "family" }],
      ["POST", `/api/v1/households/${b}/invites`, {}],
      ["GET", `/api/v1/households/${b}/invites`],
      ["GET", `/api/v1/households/${b}/view-log`],
      ["POST", `/api/v1/households/${b}/devices`, { qr: "WX1;S:WX-2026-AAAAAA;C:AAAA-AAAA" }],
      ["DELETE", `/api/v1/households/${b}/devices/${home.B.camera.deviceId}`],
      ["DELETE", `/api/v1/households/${b}/members/${home.B.userId}`],
      ["POST", `/api/v1/devices/${home.B.camera.deviceId}/move`, { householdId: home.A.householdId }],
      ["POST", `/api/v1/devices/${home.A.camera.deviceId}/move`, { householdId: b }],
      ["POST", `/api/v1/devices/${home.B.camera.deviceId}/rearm`],
      ["POST", `/api/v1/devices/${home.B.camera.deviceId}/replace`, { qr: "WX1;S:WX-2026-AAAAAA;C:AAAA-AAAA" }],
      ["GET", `/api/v1/devices/${home.B.camera.deviceId}/view-log`],
    ];
    for (const [method, path, body] of outside) {
      const res = await stack.api(method, path, { token: installer, ...(body ? { body } : {}) });
      expect({ what: `${method} ${path}`, status: res.status, error: res.body.error }).toEqual({
        what: `${method} ${path}`,
        status: 403,
        error: "not-assigned",
      });
    }
    const listed = await stack.api("GET", "/api/v1/households?limit=200", { token: installer });
    expect(listed.body.items.map((h: { id: string }) => h.id)).not.toContain(b);
    expect(listed.body.items.map((h: { id: string }) => h.id)).toContain(home.A.householdId);
    // Nothing happened to B: no new member, camera still there and connected.
    expect(
      (await stack.api("GET", `/api/v1/households/${b}`, { token: staff })).body.members.map(
        (m: { username: string }) => m.username,
      ),
    ).toEqual(["li-daughter"]);
    expect(await detail(home.B.camera.deviceId)).toMatchObject({ householdId: b, claimState: "claimed" });

    // Only staff assign; once B's village is assigned, the installer works there.
    const me = (await stack.api("GET", "/api/v1/auth/me", { token: installer })).body;
    expect(
      (
        await stack.api("POST", `/api/v1/users/${me.id}/assignments`, {
          token: installer,
          body: { village: "沙湾区踏水镇" },
        })
      ).status,
    ).toBe(403);
    const assigned = await stack.api("POST", `/api/v1/users/${me.id}/assignments`, {
      token: staff,
      body: { village: "沙湾区踏水镇" },
    });
    expect(assigned.status).toBe(201);
    expect((await stack.api("GET", `/api/v1/households/${b}`, { token: installer })).status).toBe(200);
    expect((await stack.api("GET", `/api/v1/households/${b}/invites`, { token: installer })).status).toBe(200);
    expect(
      (await stack.api("DELETE", `/api/v1/users/${me.id}/assignments/${assigned.body.id}`, { token: staff })).status,
    ).toBe(204);
    expect((await stack.api("GET", `/api/v1/households/${b}`, { token: installer })).status).toBe(403);
  });

  it("an installer's test view covers only cameras they bound themselves, and never lets them revoke through re-arm, remove or replace", async () => {
    const staffId = (await stack.api("GET", "/api/v1/auth/me", { token: staff })).body.id;
    // Camera B was bound by staff and claimed just now (install window open): another installer may not watch it.
    await stack.db.device.update({
      where: { id: home.B.camera.deviceId },
      data: { claimedAt: new Date(), boundBy: staffId },
    });
    const me = (await stack.api("GET", "/api/v1/auth/me", { token: installer })).body;
    await stack.api("POST", `/api/v1/users/${me.id}/assignments`, {
      token: staff,
      body: { householdId: home.B.householdId },
    });
    expect(
      (await stack.api("POST", `/api/v1/devices/${home.B.camera.deviceId}/view`, { token: installer })).body.error,
    ).toBe("not-a-member");
    // Camera A was bound by this installer (installDemoCamera): during the window they may test-view it.
    await stack.db.device.update({ where: { id: home.A.camera.deviceId }, data: { claimedAt: new Date() } });
    expect(
      (await stack.api("POST", `/api/v1/devices/${home.A.camera.deviceId}/view`, { token: installer })).status,
    ).toBe(200);

    // Re-arming a connected camera drops its credentials: a revocation, so staff's.
    const rearm = await stack.api("POST", `/api/v1/devices/${home.B.camera.deviceId}/rearm`, { token: installer });
    expect({ status: rearm.status, error: rearm.body.error }).toEqual({ status: 409, error: "camera-online" });
    expect(await detail(home.B.camera.deviceId)).toMatchObject({ claimState: "claimed", connection: "online" });

    // Replacing by an installer re-arms the old box; it is not revoked (only staff revoke).
    const spareBox = stack.seed.cameras[3]!;
    const old = await installDemoCamera(stack, 4);
    const replaced = await stack.api("POST", `/api/v1/devices/${old.deviceId}/replace`, {
      token: installer,
      body: { serial: spareBox.serial, claimCode: spareBox.claimCode },
    });
    expect(replaced.status).toBe(200);
    expect((await detail(old.deviceId)).claimState).toBe("registered");

    // Removing a revoked camera does not lift the revocation.
    await stack.api("POST", `/api/v1/devices/${replaced.body.id}/revoke`, { token: staff });
    expect(
      (
        await stack.api("DELETE", `/api/v1/households/${home.A.householdId}/devices/${replaced.body.id}`, {
          token: installer,
        })
      ).status,
    ).toBe(204);
    expect((await detail(replaced.body.id)).claimState).toBe("revoked");
  });
});
