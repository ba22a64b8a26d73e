// Commands to a camera (reboot, privacy, firmware update) and their results.
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { commandBody, commandView, deviceIdParams, errorReply } from "../../../protocol/http.ts";
import { assertCanReachIntoHome } from "../access/access.ts";
import { elderHoldsPrivacy } from "../../../protocol/privacy.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { Database } from "../../../core/database.ts";
import type { SqlReader } from "../../../core/sql-reader.ts";
import type { AuditLog } from "../access/audit.ts";
import type { CommandDispatcher } from "./command-dispatcher.ts";
import type { DeviceChange } from "./heartbeat-writer.ts";
import { toCommandView } from "../http/views.ts";
import { requireRole, signedIn } from "../access/signed-in.ts";
import { displayNamesOf } from "../access/display-names.ts";

const errors = {
  400: errorReply,
  401: errorReply,
  403: errorReply,
  404: errorReply,
  409: errorReply,
  503: errorReply,
  504: errorReply,
};

export interface CommandRoutesOptions {
  db: Database;
  reads: SqlReader;
  audit: AuditLog;
  commands: CommandDispatcher;
  /** Stores privacy or firmware in order with the heartbeats (a late heartbeat batch must not undo it). */
  applyDeviceChange(deviceId: string, change: DeviceChange): Promise<void>;
  /** Live view ends every stream of a camera put into privacy mode. */
  onPrivacyEnabled(deviceId: string): Promise<void>;
}

export async function commandsPlugin(
  app: FastifyInstance,
  { db, reads, audit, commands, applyDeviceChange, onPrivacyEnabled }: CommandRoutesOptions,
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    "/devices/:deviceId/commands",
    {
      schema: {
        tags: ["commands"],
        summary: "Send a command and wait for the camera's answer (504 camera-did-not-answer after COMMAND_TIMEOUT_MS)",
        params: deviceIdParams,
        body: commandBody,
        response: { 200: commandView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = signedIn(request);
      await assertCanReachIntoHome({ db, reads }, user, request.params.deviceId);
      // The household decides about its own privacy; everything else is the staff's job.
      if (user.role === "family" && request.body.name !== "privacy")
        throw new DomainError("forbidden", { message: "family members can only switch privacy mode" });
      if (user.role === "installer" && request.body.name === "firmware-update")
        throw new DomainError("forbidden", { message: "firmware updates are for staff" });
      if (request.body.name === "privacy" && !request.body.params.enabled)
        await assertNotElderPrivacy(db, request.params.deviceId);
      const result = await commands.send(request.params.deviceId, request.body, user.username);
      if (result.status === "succeeded" && request.body.name === "privacy") {
        await applyDeviceChange(request.params.deviceId, { privacy: request.body.params.enabled });
        if (request.body.params.enabled) await onPrivacyEnabled(request.params.deviceId);
      }
      await audit(user.id, `command.${request.body.name}`, request.params.deviceId, { status: result.status });
      return { ...result, requestedByName: user.displayName };
    },
  );

  r.get(
    "/devices/:deviceId/commands",
    {
      schema: {
        tags: ["commands"],
        summary: "Recent commands to this camera, newest first",
        params: deviceIdParams,
        response: { 200: z.object({ items: z.array(commandView) }), ...errors },
      },
      preHandler: requireRole("staff", "installer"),
    },
    async (request) => {
      await assertCanReachIntoHome({ db, reads }, signedIn(request), request.params.deviceId);
      const rows = await db.command.findMany({
        where: { deviceId: request.params.deviceId },
        orderBy: { createdAt: "desc" },
        take: 100,
      });
      const names = await displayNamesOf(
        db,
        rows.map((c) => c.requestedBy),
      );
      return { items: rows.map((c) => toCommandView(c, names.get(c.requestedBy) ?? null)) };
    },
  );
}

async function assertNotElderPrivacy(db: Database, deviceId: string): Promise<void> {
  const device = await db.device.findUnique({
    where: { id: deviceId },
    select: { privacy: true, privacyByElder: true, privacyUntil: true },
  });
  if (device && elderHoldsPrivacy(device)) throw new DomainError("privacy-by-elder");
}
