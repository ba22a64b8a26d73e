// What the live view keeps and looks up: the view log (who watched which camera when, how it started and
// ended, whether they talked) and the household a camera belongs to.
import type { Database } from "../../../core/database.ts";
import type { ViewerIdentity } from "../../../relay/src/index.ts";

export class LiveViewStore {
  readonly #db: Database;
  readonly #log: { error(o: object, msg: string): void };

  constructor(db: Database, log: { error(o: object, msg: string): void }) {
    this.#db = db;
    this.#log = log;
  }

  async householdOf(cameraId: string): Promise<string | null> {
    const device = await this.#db.device.findUnique({ where: { id: cameraId }, select: { householdId: true } });
    return device?.householdId ?? null;
  }

  async camerasOf(householdId: string): Promise<Set<string>> {
    const devices = await this.#db.device.findMany({ where: { householdId }, select: { id: true } });
    return new Set(devices.map((d) => d.id));
  }

  /** A view opened (its id is the relay's session id). */
  async opened(view: { sessionId: string; cameraId: string; viewer: ViewerIdentity; startedBy: string }) {
    await this.#db.viewSession.create({
      data: {
        id: view.sessionId,
        deviceId: view.cameraId,
        householdId: await this.householdOf(view.cameraId),
        userId: view.viewer.viewerId,
        displayName: view.viewer.displayName,
        startedAt: new Date(),
        startedBy: view.startedBy,
      },
    });
  }

  /** A view ended; never rejects (a failure is logged). */
  closed(sessionId: string, reason: string): void {
    void this.#db.viewSession
      .updateMany({ where: { id: sessionId, endedAt: null }, data: { endedAt: new Date(), endReason: reason } })
      .catch((err) => this.#log.error({ err }, "could not close a view-log entry"));
  }

  /** These views' viewer held the talk button; never rejects. */
  talked(sessionIds: string[]): void {
    void this.#db.viewSession
      .updateMany({ where: { id: { in: sessionIds } }, data: { talked: true } })
      .catch(() => undefined);
  }

  /** Views still open when this gateway stops end with it. */
  async endAll(sessionIds: string[], reason: string): Promise<void> {
    await this.#db.viewSession.updateMany({
      where: { id: { in: sessionIds }, endedAt: null },
      data: { endedAt: new Date(), endReason: reason },
    });
  }

  /** Every view still open in the log; how many there were. */
  async endOrphaned(reason: string): Promise<number> {
    const closed = await this.#db.viewSession.updateMany({
      where: { endedAt: null },
      data: { endedAt: new Date(), endReason: reason },
    });
    return closed.count;
  }
}
