// The installer's on-site check of a home: command round trips (with the camera's clock and Wi-Fi signal),
// then a short real stream through the relay, measured where it arrives; the verdict is stored with the
// household for staff to see later. One check per camera at a time.
import type { Database } from "../../../core/database.ts";
import { randomId } from "../../../core/secrets.ts";
import { clockProbeResult, type DeviceCommand } from "../../../protocol/device-messages.ts";
import type { SiteCheckMeasurements, SiteCheckView } from "../../../protocol/site-check.ts";
import type { toCommandView } from "../http/views.ts";
import type { SignedInUser } from "../access/signed-in.ts";
import { assertCanWorkOnDevice } from "../access/access.ts";
import { DomainError, type ErrorCode, isDomainError, notFoundError } from "../../../protocol/errors.ts";
import type { UplinkReadings } from "../live-view/live-view-service.ts";
import { judgeSiteCheck } from "./verdict.ts";
import { measurementsFrom, roundTrips, type ProbeSample } from "./measurements.ts";
import { toSiteCheckView, type RunningCheck } from "./site-check-view.ts";
import { displayNamesOf } from "../access/display-names.ts";

export interface SiteCheckServiceOptions {
  db: Database;
  sendCommand(deviceId: string, command: DeviceCommand, requestedBy: string): Promise<ReturnType<typeof toCommandView>>;
  /** The live-view relay's measurement of a test stream (rejects when live view is off on this server). */
  measureUplink(deviceId: string, durationS: number, onMeasuring: () => void): Promise<UplinkReadings>;
  log: { error(o: object, msg: string): void; info(o: object, msg: string): void };
  /** Seconds of stream measured (SITE_CHECK_STREAM_S). */
  streamS: number;
  /** Command round trips measured before the stream. */
  probes?: number;
}

export class SiteCheckService {
  /** Checks under way on this gateway, by camera. */
  private readonly running = new Map<string, RunningCheck>();

  constructor(private readonly options: SiteCheckServiceOptions) {}

  /** Starts a check and answers at once; the installer's app follows it with view(). */
  async start(user: SignedInUser, deviceId: string): Promise<SiteCheckView> {
    const device = await this.checkable(user, deviceId);
    if (this.running.has(deviceId)) throw new DomainError("site-check-running");
    const check: RunningCheck = {
      id: randomId("chk_", 16),
      deviceId,
      phase: "probing",
      phaseStartedAt: Date.now(),
      probesDone: 0,
      probes: this.options.probes ?? 5,
      streamS: this.options.streamS,
    };
    this.running.set(deviceId, check);
    try {
      await this.options.db.siteCheck.create({
        data: { id: check.id, deviceId, householdId: device.householdId, requestedBy: user.username },
      });
    } catch (error) {
      this.running.delete(deviceId);
      throw error;
    }
    void this.run(check).finally(() => this.running.delete(deviceId));
    return this.view(user, check.id);
  }

  async view(user: SignedInUser, checkId: string): Promise<SiteCheckView> {
    const row = await this.options.db.siteCheck.findUnique({ where: { id: checkId } });
    if (!row) throw notFoundError("check");
    await assertCanWorkOnDevice(this.options.db, user, row.deviceId);
    const names = await displayNamesOf(this.options.db, [row.requestedBy]);
    return toSiteCheckView(row, this.running.get(row.deviceId), names.get(row.requestedBy) ?? null);
  }

  /** Recent checks of a household's or a camera's, newest first (the caller checked access). */
  async list(where: { householdId: string } | { deviceId: string }): Promise<SiteCheckView[]> {
    const rows = await this.options.db.siteCheck.findMany({ where, orderBy: { startedAt: "desc" }, take: 50 });
    const names = await displayNamesOf(
      this.options.db,
      rows.map((row) => row.requestedBy),
    );
    return rows.map((row) => toSiteCheckView(row, this.running.get(row.deviceId), names.get(row.requestedBy) ?? null));
  }

  /** At start: checks a previous gateway process was running when it ended can never finish. */
  async closeOrphaned(): Promise<number> {
    const closed = await this.options.db.siteCheck.updateMany({
      where: { state: "running" },
      data: { state: "failed", finishedAt: new Date(), error: "shutting-down" satisfies ErrorCode },
    });
    return closed.count;
  }

  /** Shutdown: checks still running are recorded as failed now; their late outcomes no longer count. */
  async stop(): Promise<void> {
    const ids = [...this.running.values()].map((check) => check.id);
    this.running.clear();
    if (ids.length)
      await this.options.db.siteCheck.updateMany({
        where: { id: { in: ids }, state: "running" },
        data: { state: "failed", finishedAt: new Date(), error: "shutting-down" satisfies ErrorCode },
      });
  }

  private async checkable(user: SignedInUser, deviceId: string) {
    if (user.role === "family")
      throw new DomainError("forbidden", { message: "on-site checks are for installers and staff" });
    await assertCanWorkOnDevice(this.options.db, user, deviceId);
    const device = await this.options.db.device.findUniqueOrThrow({
      where: { id: deviceId },
      select: { householdId: true, claimState: true, connection: true, privacy: true },
    });
    if (!device.householdId) throw new DomainError("device-not-installed");
    if (device.claimState !== "claimed") throw new DomainError("camera-not-claimed");
    if (device.connection !== "online")
      throw new DomainError("camera-offline", {
        message: "the camera is offline; switch it on and wait until it is online",
      });
    if (device.privacy)
      throw new DomainError("privacy-mode", {
        message: "the camera is in privacy mode; switch privacy off to check the home's network",
      });
    return { householdId: device.householdId };
  }

  private async run(check: RunningCheck): Promise<void> {
    try {
      const probes = await this.probe(check);
      check.phase = "streaming";
      check.phaseStartedAt = Date.now();
      const readings = await this.options.measureUplink(check.deviceId, check.streamS, () => {
        check.phaseStartedAt = Date.now();
      });
      check.phase = "judging";
      await this.finish(check, measurementsFrom(readings, roundTrips(probes)));
    } catch (error) {
      await this.fail(check, error as Error);
    }
  }

  /** Sequential clock probes: each round trip, the camera's clock against the middle of it, its signal. */
  private async probe(check: RunningCheck): Promise<ProbeSample[]> {
    const samples: ProbeSample[] = [];
    for (let i = 0; i < check.probes; i++) {
      const sentAt = Date.now();
      const answer = await this.options.sendCommand(check.deviceId, { name: "clock-probe", params: {} }, "site-check");
      const receivedAt = Date.now();
      check.probesDone = i + 1;
      const result = clockProbeResult.safeParse(answer.result);
      if (answer.status !== "succeeded" || !result.success) continue;
      samples.push({ sentAt, receivedAt, cameraAt: Date.parse(result.data.at), rssi: result.data.rssi });
    }
    return samples;
  }

  private async finish(check: RunningCheck, measurements: SiteCheckMeasurements): Promise<void> {
    const { verdict, advice } = judgeSiteCheck(measurements);
    await this.options.db.siteCheck.updateMany({
      where: { id: check.id, state: "running" },
      data: {
        state: "done",
        finishedAt: new Date(),
        verdict,
        advice: JSON.stringify(advice),
        measurements: JSON.stringify(measurements),
      },
    });
    this.options.log.info({ checkId: check.id, deviceId: check.deviceId, verdict, advice }, "on-site check done");
  }

  private async fail(check: RunningCheck, error: Error): Promise<void> {
    this.options.log.info({ checkId: check.id, err: error.message }, "on-site check failed");
    const code: ErrorCode = isDomainError(error) ? error.code : "internal";
    await this.options.db.siteCheck
      .updateMany({
        where: { id: check.id, state: "running" },
        data: { state: "failed", finishedAt: new Date(), error: code },
      })
      .catch((err: unknown) => this.options.log.error({ err }, "could not record a failed on-site check"));
  }
}
