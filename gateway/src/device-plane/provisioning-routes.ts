// Installer and camera endpoints for putting cameras into households.
import { DomainError, retryLater } from "../../../protocol/errors.ts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  bindDeviceBody,
  claimBody,
  claimReply,
  deviceDetailView,
  deviceIdParams,
  errorReply,
  householdDeviceParams,
  householdIdParams,
  moveDeviceBody,
  registerDeviceBody,
  registerDeviceReply,
  renameDeviceBody,
  replaceDeviceBody,
} from "../../../protocol/http.ts";
import { assertCanReachIntoHome, assertCanSeeHousehold, assertCanWorkOnDevice } from "../access/access.ts";
import type { ProvisioningDeps } from "./provisioning.ts";
import { localGuessLimiters, type GuessLimiter, type GuessLimiterFactory } from "../access/attempt-limiter.ts";
import {
  bindDevice,
  claimDevice,
  moveDevice,
  rearmDevice,
  registerDevice,
  removeDevice,
  renameDevice,
  replaceDevice,
  revokeDevice,
} from "./provisioning.ts";
import { loadDeviceDetail } from "./fleet-service.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 429: errorReply };

/** What a camera is told when it claims. */
export interface CameraSettings {
  /** The broker address for a camera that reached the gateway at this host name (cameras use TLS whenever the broker offers it). */
  mqttUrlFor(host: string): string;
  heartbeatIntervalS: number;
  keepaliveS: number;
}

export interface ProvisioningRoutesOptions {
  provisioning: ProvisioningDeps;
  claimFailuresPer15Min: number;
  cameraSettings: CameraSettings;
  /** Where wrong claim codes are counted: this process (default) or the cluster's Redis. */
  guessLimiters?: GuessLimiterFactory;
}

const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;
type PossessionCheck = <T>(request: FastifyRequest, work: () => Promise<T>) => Promise<T>;

export async function provisioningPlugin(
  app: FastifyInstance,
  {
    provisioning,
    claimFailuresPer15Min,
    cameraSettings,
    guessLimiters = localGuessLimiters,
  }: ProvisioningRoutesOptions,
): Promise<void> {
  const r = zodRoutes(app);
  registerCameraClaim(r, provisioning, guessLimiters("claim", claimFailuresPer15Min), cameraSettings);
  // Installers prove possession of a box with its claim code too: their guesses are limited the same way.
  const provingPossession = possessionCheck(guessLimiters("bind", claimFailuresPer15Min));
  registerInstallRoutes(r, provisioning, provingPossession);
  registerHouseholdCameraRoutes(r, provisioning, provingPossession);
  registerDeviceLifeRoutes(r, provisioning);
  registerRename(r, provisioning);
}

/** Runs work that checks a claim code; a wrong code counts as a guess against the installer and address. */
function possessionCheck(bindLimiter: GuessLimiter): PossessionCheck {
  return async (request, work) => {
    const attempt = await bindLimiter.reserve(`installer:${signedIn(request).id}`, request.ip);
    if (!attempt.ok) throw retryLater(attempt.retryAfterS, "too many wrong claim codes");
    try {
      const result = await work();
      attempt.succeeded();
      return result;
    } catch (error) {
      if ((error as { code?: string }).code !== "claim-code-wrong") attempt.succeeded();
      throw error;
    }
  };
}

function registerCameraClaim(
  r: ZodRoutes,
  provisioning: ProvisioningDeps,
  claimLimiter: GuessLimiter,
  cameraSettings: CameraSettings,
): void {
  r.post(
    "/devices/claim",
    {
      schema: {
        tags: ["provisioning"],
        summary: "A camera exchanges its serial and claim code for its own MQTT credentials (once)",
        body: claimBody,
        response: { 200: claimReply, ...errors },
      },
    },
    async (request) => {
      const { serial, claimCode } = request.body;
      const attempt = await claimLimiter.reserve(`serial:${serial}`, request.ip);
      if (!attempt.ok) throw retryLater(attempt.retryAfterS, "too many failed claims");
      try {
        const { deviceId, password } = await claimDevice(provisioning, serial, claimCode);
        attempt.succeeded();
        const host = (request.headers.host ?? "127.0.0.1").replace(/:\d+$/, "");
        return {
          deviceId,
          mqttUsername: deviceId,
          mqttPassword: password,
          mqttUrl: cameraSettings.mqttUrlFor(host),
          heartbeatIntervalS: cameraSettings.heartbeatIntervalS,
          keepaliveS: cameraSettings.keepaliveS,
        };
      } catch (error) {
        // The code was right (used, revoked): not a guess.
        if ((error as { code?: string }).code !== "claim-code-wrong") attempt.succeeded();
        throw error;
      }
    },
  );
}

/** An installer's work on boxes: a new one registered, a broken one replaced. */
function registerInstallRoutes(r: ZodRoutes, provisioning: ProvisioningDeps, provingPossession: PossessionCheck): void {
  const db = provisioning.db;
  r.post(
    "/devices",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Register a camera serial (a new box); the claim code is generated unless given",
        body: registerDeviceBody,
        response: { 201: registerDeviceReply, ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request, reply) =>
      reply.status(201).send(await registerDevice(provisioning, signedIn(request).id, request.body)),
  );

  r.post(
    "/devices/:deviceId/replace",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Replace a broken camera by a new box; the old one is revoked",
        params: deviceIdParams,
        body: replaceDeviceBody,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request) => {
      await assertCanWorkOnDevice(db, signedIn(request), request.params.deviceId);
      return loadDeviceDetail(
        db,
        await provingPossession(request, () =>
          replaceDevice(provisioning, signedIn(request), request.params.deviceId, request.body),
        ),
      );
    },
  );
}

/** A household's cameras: a box bound to it (proving the installer holds it), or removed from it. */
function registerHouseholdCameraRoutes(
  r: ZodRoutes,
  provisioning: ProvisioningDeps,
  provingPossession: PossessionCheck,
): void {
  const db = provisioning.db;
  r.post(
    "/households/:householdId/devices",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Bind a camera to a household by serial + claim code or the box's QR text (idempotent)",
        params: householdIdParams,
        body: bindDeviceBody,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request) => {
      await assertCanSeeHousehold(provisioning.db, signedIn(request), request.params.householdId);
      const deviceId = await provingPossession(request, () =>
        bindDevice(provisioning, signedIn(request).id, request.params.householdId, request.body),
      );
      return loadDeviceDetail(provisioning.db, deviceId);
    },
  );

  r.delete(
    "/households/:householdId/devices/:deviceId",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Remove a camera from a household (its credentials are dropped; the box can be installed again)",
        params: householdDeviceParams,
        response: { 204: z.null(), ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request, reply) => {
      await assertCanSeeHousehold(db, signedIn(request), request.params.householdId);
      await removeDevice(provisioning, signedIn(request).id, request.params.householdId, request.params.deviceId);
      return reply.status(204).send(null);
    },
  );
}

/** A bound camera's later life: moved, revoked, re-armed. */
function registerDeviceLifeRoutes(r: ZodRoutes, provisioning: ProvisioningDeps): void {
  const db = provisioning.db;
  r.post(
    "/devices/:deviceId/move",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Move a camera to another household",
        params: deviceIdParams,
        body: moveDeviceBody,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request) => {
      const user = signedIn(request);
      await assertCanWorkOnDevice(db, user, request.params.deviceId);
      if (user.role === "installer") await assertCanSeeHousehold(db, user, request.body.householdId);
      await moveDevice(provisioning, user.id, request.params.deviceId, request.body.householdId);
      return loadDeviceDetail(provisioning.db, request.params.deviceId);
    },
  );

  r.post(
    "/devices/:deviceId/revoke",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Revoke a camera: its credentials stop working and its session is dropped now",
        params: deviceIdParams,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole("staff"),
    },
    async (request) => {
      await loadDeviceDetail(provisioning.db, request.params.deviceId);
      await revokeDevice(provisioning, signedIn(request).id, request.params.deviceId);
      return loadDeviceDetail(provisioning.db, request.params.deviceId);
    },
  );

  r.post(
    "/devices/:deviceId/rearm",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Let a camera claim again (after a factory reset, or to undo a revocation)",
        params: deviceIdParams,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole("installer", "staff"),
    },
    async (request) => {
      const user = signedIn(request);
      const device = await assertCanWorkOnDevice(db, user, request.params.deviceId);
      if (user.role !== "staff") {
        if (device.claimState === "revoked")
          throw new DomainError("forbidden", { message: "only staff can undo a revocation" });
        // Re-arming drops a camera's credentials: while it is connected that is a revocation, which is staff's.
        if (device.connection === "online")
          throw new DomainError("camera-online", {
            message: "this camera is connected; re-arm it after a factory reset, when it is offline, or ask staff",
          });
      }
      await rearmDevice(provisioning, signedIn(request).id, request.params.deviceId);
      return loadDeviceDetail(provisioning.db, request.params.deviceId);
    },
  );
}

/** A camera's name, changed by anyone who reaches into its home (family, its installers, staff). */
function registerRename(r: ZodRoutes, provisioning: ProvisioningDeps): void {
  const db = provisioning.db;
  r.patch(
    "/devices/:deviceId",
    {
      schema: {
        tags: ["provisioning"],
        summary: "Rename a camera (its household's members, installers assigned to it, staff)",
        params: deviceIdParams,
        body: renameDeviceBody,
        response: { 200: deviceDetailView, ...errors },
      },
      preHandler: requireRole("family", "installer", "staff"),
    },
    async (request) => {
      const user = signedIn(request);
      await assertCanReachIntoHome(provisioning, user, request.params.deviceId);
      await renameDevice(provisioning, user.id, request.params.deviceId, request.body.label);
      return loadDeviceDetail(db, request.params.deviceId);
    },
  );
}
