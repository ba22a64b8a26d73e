// The audit trail: who did what to which subject. Parts that change things get this function, not the database.
import type { Database } from "../../../core/database.ts";

export type AuditLog = (actorId: string | null, action: string, subject: string, detail?: unknown) => Promise<void>;

export function databaseAuditLog(db: Database): AuditLog {
  return async (actorId, action, subject, detail) => {
    await db.auditEntry.create({
      data: { actorId, action, subject, detail: detail === undefined ? null : JSON.stringify(detail) },
    });
  };
}
