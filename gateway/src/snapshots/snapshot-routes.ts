// Snapshot routes: a person asks a camera for a still, family members and staff fetch the latest one (signed
// in, with the Authorization header like every other API call: no token in an image URL), and the camera
// PUTs its JPEG to the one-time URL it was given over MQTT.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import { deviceIdParams, errorReply } from "../../../protocol/http.ts";
import { snapshotUploadParams, snapshotView } from "../../../protocol/snapshots.ts";
import { assertCanReachIntoHome } from "../access/access.ts";
import type { AuditLog } from "../access/audit.ts";
import { requireRole, signedIn, type SignedInUser } from "../access/signed-in.ts";
import { toSnapshotView, type SnapshotService } from "./snapshot-service.ts";

const errors = {
  400: errorReply,
  401: errorReply,
  403: errorReply,
  404: errorReply,
  409: errorReply,
  502: errorReply,
  503: errorReply,
  504: errorReply,
};

export interface SnapshotRoutesOptions {
  db: Database;
  reads: SqlReader;
  audit: AuditLog;
  snapshots: SnapshotService;
  /** May a still of this household be taken or seen now? Throws the refusal (a call window). */
  admitStill(householdId: string): Promise<void>;
}

export async function snapshotsPlugin(app: FastifyInstance, options: SnapshotRoutesOptions): Promise<void> {
  registerViewerRoutes(app, options);
  await app.register(cameraUploadRoutes, { snapshots: options.snapshots });
}

function registerViewerRoutes(
  app: FastifyInstance,
  { db, reads, audit, snapshots, admitStill }: SnapshotRoutesOptions,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** Whoever may reach into this home, at a moment its household allows it. */
  const mayLookAtStills = async (user: SignedInUser, deviceId: string) => {
    const { householdId } = await assertCanReachIntoHome({ db, reads }, user, deviceId);
    if (householdId) await admitStill(householdId);
  };
  r.post(
    "/devices/:deviceId/snapshots",
    {
      schema: {
        tags: ["snapshots"],
        summary: "Ask the camera for a still now; answers once it is stored (403 privacy-mode, 409 camera-offline)",
        params: deviceIdParams,
        response: { 201: snapshotView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const user = signedIn(request);
      await mayLookAtStills(user, request.params.deviceId);
      const view = await snapshots.request(request.params.deviceId, "request", user.username);
      await audit(user.id, "snapshot.request", request.params.deviceId, { snapshotId: view.id });
      return reply.status(201).send(view);
    },
  );
  r.get(
    "/devices/:deviceId/snapshots/latest",
    {
      schema: {
        tags: ["snapshots"],
        summary: "The camera's newest still: when, how large (404 when none, 403 privacy-mode while it is on)",
        params: deviceIdParams,
        response: { 200: snapshotView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      await mayLookAtStills(signedIn(request), request.params.deviceId);
      return toSnapshotView(await snapshots.latest(request.params.deviceId));
    },
  );
  r.get(
    "/devices/:deviceId/snapshots/latest.jpg",
    {
      schema: {
        tags: ["snapshots"],
        summary: "The newest still itself (image/jpeg), for a signed-in fetch; the web app shows it from a blob",
        params: deviceIdParams,
      },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      await mayLookAtStills(signedIn(request), request.params.deviceId);
      const { bytes, snapshot } = await snapshots.latestImage(request.params.deviceId);
      return reply
        .type("image/jpeg")
        .header("cache-control", "private, no-store")
        .header("x-snapshot-taken-at", snapshot.takenAt)
        .send(bytes);
    },
  );
}

/**
 * The camera's upload. Its own scope takes any content type without parsing it: the handler reads the raw
 * body itself, so that a wrong type or an oversized body gets its catalogued answer instead of Fastify's.
 */
async function cameraUploadRoutes(app: FastifyInstance, { snapshots }: { snapshots: SnapshotService }) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.put(
    "/devices/:deviceId/snapshot-uploads/:token",
    {
      schema: {
        tags: ["snapshots"],
        summary: "The camera's one-time upload of a still (image/jpeg); the URL came to it over MQTT",
        description: "No sign-in: the token in the URL is the credential, for one upload by this camera, briefly.",
        params: snapshotUploadParams,
        response: { 201: snapshotView, ...errors, 410: errorReply, 413: errorReply, 415: errorReply },
        security: [],
      },
    },
    async (request, reply) => {
      try {
        const view = await snapshots.acceptUpload({
          deviceId: request.params.deviceId,
          token: request.params.token,
          contentType: request.headers["content-type"],
          body: request.raw,
        });
        return await reply.status(201).send(view);
      } catch (error) {
        // A refused upload's body may not have been read to its end: do not reuse the connection.
        void reply.header("connection", "close");
        throw error;
      }
    },
  );
}
