// One camera for staff: health, uptime over 24 h / 7 d / 30 d with a chart, heartbeat history, and commands
// (reboot, privacy, firmware update) whose results arrive live.
import { useMemo, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { useServices, useT } from "../context.ts";
import { dateTime, dayTime, duration, percent, signalWord, timeAgo } from "../format.ts";
import { useAction, useLiveEvents, useLoad, useTick } from "../hooks.ts";
import { useLiveDevice } from "../live-devices.ts";
import type { CommandView, DeviceDetail, Heartbeat, SiteCheckView, StatusChange } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { CameraName } from "../ui/CameraName.tsx";
import { SiteCheckResult } from "../ui/SiteCheckResult.tsx";
import { StateBadge } from "../ui/StateBadge.tsx";
import { SnapshotPanel } from "../ui/Snapshot.tsx";
import { TimeChart } from "./TimeChart.tsx";
import { onlineSeries } from "./uptime-series.ts";

/** The Wi-Fi signal in words; 有线 for a bridged camera whose heartbeats carry none (it is on Ethernet). */
function signalText(device: DeviceDetail, t: ReturnType<typeof useT>["t"]): string {
  if (device.rssi !== null) return t(`signal.${signalWord(device.rssi)}`);
  return device.camera && device.lastHeartbeatAt ? t("signal.wired") : "—";
}

export function DeviceScreen() {
  const { t, lang } = useT();
  const { api, session } = useServices();
  const deviceId = useRoute().params.deviceId!;
  const path = `/devices/${encodeURIComponent(deviceId)}`;
  const detail = useLoad((signal) => api.get<DeviceDetail>(path, { signal }), [deviceId]);
  const device = useLiveDevice(detail.data);
  const now = useTick();
  if (!device)
    return (
      <Layout title={t("staff.device")} back="/staff">
        <ErrorText error={detail.error} />
        <Loading />
      </Layout>
    );
  const staff = session.current()?.user.role === "staff";
  return (
    <Layout title={device.label ?? device.serial} back="/staff">
      <div class="stack">
        <dl class="facts card">
          <dt>{t("camera.name")}</dt>
          <CameraName device={device} onRenamed={detail.reload} />
          <dt>{t("camera.state")}</dt>
          <dd>
            <StateBadge connection={device.connection} />
            {device.offlineSince
              ? ` ${t("staff.offlineFor", { duration: duration(device.offlineSince, lang, now) })}`
              : ""}
          </dd>
          <BridgedCameraFacts device={device} now={now} />
          <dt>{t("camera.lastSeenLabel")}</dt>
          <dd>{timeAgo(device.lastSeenAt, lang, now) ?? t("camera.neverSeen")}</dd>
          <dt>{t("staff.place")}</dt>
          <dd>
            {device.village ?? "—"} · {device.elderName ?? "—"}
          </dd>
          <dt>{t("staff.firmware")}</dt>
          <dd>{device.firmware ?? "—"}</dd>
          <dt>{t("staff.signalTemp")}</dt>
          <dd>
            {signalText(device, t)} · {device.temperatureC ?? "—"} °C
          </dd>
          <dt>{t("camera.privacy")}</dt>
          <dd>{device.privacy ? t("camera.privacyOnLong") : t("camera.privacyOffLong")}</dd>
          <dt>{t("staff.uptime")}</dt>
          <dd>
            {t("staff.uptimeValue", {
              h24: percent(detail.data!.uptime.h24),
              d7: percent(detail.data!.uptime.d7),
              d30: percent(detail.data!.uptime.d30),
            })}
          </dd>
          {detail.data!.uptime.unknownS.d30 > 0 && (
            <>
              <dt>{t("staff.gatewayDown")}</dt>
              <dd>
                {t("staff.gatewayDownValue", {
                  h24: minutes(detail.data!.uptime.unknownS.h24),
                  d30: minutes(detail.data!.uptime.unknownS.d30),
                })}
              </dd>
            </>
          )}
        </dl>
        <SnapshotPanel deviceId={deviceId} online={device.connection === "online"} privacy={device.privacy} />
        <Commands
          path={path}
          deviceId={deviceId}
          staff={staff}
          online={device.connection === "online"}
          privacy={device.privacy}
        />
        <SiteChecks path={path} now={now} />
        <History path={path} />
      </div>
    </Layout>
  );
}

/** A camera behind a bridge: how the bridge last found it (the device can be online while its camera is not). */
function BridgedCameraFacts({ device, now }: { device: DeviceDetail; now: number }) {
  const { t, lang } = useT();
  if (!device.camera) return null;
  const { health, since } = device.camera;
  return (
    <>
      <dt>{t("staff.bridgedCamera")}</dt>
      <dd data-camera-health={health}>
        {t(`staff.cameraHealth-${health}`)}
        {health === "ok" ? "" : ` · ${t("staff.cameraHealthSince", { duration: duration(since, lang, now) })}`}
      </dd>
      <dt>{t("staff.talkback")}</dt>
      <dd>{device.talkback ? t("staff.talkbackYes") : t("staff.talkbackNo")}</dd>
    </>
  );
}

/** The installers' on-site checks of this camera, newest first. */
function SiteChecks({ path, now }: { path: string; now: number }) {
  const { t } = useT();
  const { api } = useServices();
  const checks = useLoad((signal) => api.get<{ items: SiteCheckView[] }>(`${path}/site-checks`, { signal }), [path]);
  return (
    <section class="card stack" data-testid="site-checks">
      <h2>{t("siteCheck.title")}</h2>
      <ErrorText error={checks.error} />
      {checks.data?.items.length === 0 ? <p class="muted">{t("siteCheck.none")}</p> : null}
      {checks.data?.items.map((check) =>
        check.state === "running" ? (
          <p key={check.id} class="muted">
            {t("siteCheck.running")}
          </p>
        ) : (
          <SiteCheckResult key={check.id} check={check} now={now} />
        ),
      )}
    </section>
  );
}

function History({ path }: { path: string }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const since = useMemo(() => new Date(Date.now() - 86_400_000).toISOString(), []);
  const changes = useLoad(
    (signal) => api.get<{ items: StatusChange[] }>(`${path}/status-history?since=${since}&limit=2000`, { signal }),
    [path],
  );
  const beats = useLoad(
    (signal) => api.get<{ items: Heartbeat[] }>(`${path}/heartbeats?limit=200`, { signal }),
    [path],
  );
  const uptime = useMemo(() => {
    if (!changes.data) return null;
    const now = Date.now();
    const s = onlineSeries(changes.data.items, Date.parse(since), now);
    return {
      times: s.times,
      since: s.since,
      range: [Date.parse(since) / 1000, now / 1000] as [number, number],
      series: [{ label: t("state.online"), stroke: "#0b6b2f", stepped: true, values: s.values }],
    };
  }, [changes.data, lang]);
  const signal = useMemo(() => {
    // A wired camera (a bridged IP camera on Ethernet) reports no signal: no chart of nothing.
    if (!beats.data?.items.some((b) => b.rssi !== null)) return null;
    const ordered = [...beats.data.items].reverse();
    const times = ordered.map((b) => Date.parse(b.at) / 1000);
    const now = Date.now() / 1000;
    return {
      times,
      // At least the last hour: one heartbeat alone would otherwise be drawn over years.
      range: [Math.min(times[0]!, now - 3600), now] as [number, number],
      series: [{ label: t("staff.signalStrength"), stroke: "#7a2a10", values: ordered.map((b) => b.rssi) }],
    };
  }, [beats.data, lang]);
  return (
    <>
      <section class="card">
        <h2>{t("staff.uptimeChart")}</h2>
        {uptime ? (
          <TimeChart
            times={uptime.times}
            series={uptime.series}
            lang={lang}
            height={120}
            xRange={uptime.range}
            yRange={[0, 1]}
            yTicks={{ 0: t("state.offline"), 1: t("state.online") }}
          />
        ) : (
          <Loading />
        )}
        {uptime?.since ? (
          <p class="muted">{t("staff.recordSince", { when: dayTime(new Date(uptime.since).toISOString(), lang) })}</p>
        ) : null}
      </section>
      <section class="card">
        <h2>{t("staff.heartbeats")}</h2>
        {signal ? (
          <>
            <p class="muted">{t("staff.signalChart")}</p>
            <TimeChart times={signal.times} series={signal.series} lang={lang} xRange={signal.range} />
          </>
        ) : null}
        {beats.data?.items.length === 0 ? <p class="muted">{t("staff.noHeartbeats")}</p> : null}
        <HeartbeatTable beats={beats.data?.items ?? []} />
      </section>
    </>
  );
}

function HeartbeatTable({ beats }: { beats: Heartbeat[] }) {
  const { t, lang } = useT();
  return (
    <table class="table compact">
      <thead>
        <tr>
          <th>{t("staff.time")}</th>
          <th>{t("staff.signal")}</th>
          <th>°C</th>
          <th>{t("staff.storage")}</th>
        </tr>
      </thead>
      <tbody>
        {beats.slice(0, 15).map((b) => (
          <tr key={b.at}>
            <td>{dateTime(b.at, lang)}</td>
            <td>{b.rssi === null ? t("signal.wired") : t(`signal.${signalWord(b.rssi)}Short`, { rssi: b.rssi })}</td>
            <td>{b.temperatureC}</td>
            <td>{b.freeStorageMb} MB</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Commands({
  path,
  deviceId,
  staff,
  online,
  privacy,
}: {
  path: string;
  deviceId: string;
  staff: boolean;
  online: boolean;
  privacy: boolean;
}) {
  const { t } = useT();
  const { api } = useServices();
  const history = useLoad((signal) => api.get<{ items: CommandView[] }>(`${path}/commands`, { signal }), [path]);
  const [live, setLive] = useState<CommandView[]>([]);
  useLiveEvents((m) => {
    if (m.type === "command.finished" && m.command.deviceId === deviceId)
      setLive((l) => [m.command, ...l.filter((c) => c.id !== m.command.id)]);
  });
  // The POST waits for the camera's answer; the same result also arrives on the socket for other consoles.
  const send = useAction(async (body: unknown) => {
    const result = await api.request<CommandView>("POST", `${path}/commands`, { body });
    setLive((l) => [result, ...l.filter((c) => c.id !== result.id)]);
  });
  const seen = new Set(live.map((c) => c.id));
  const all = [...live, ...(history.data?.items ?? []).filter((c) => !seen.has(c.id))].slice(0, 10);
  return (
    <section class="card stack">
      <h2>{t("staff.commands")}</h2>
      <div class="row wrap">
        <button
          type="button"
          disabled={send.busy || !online}
          onClick={() => void send.run({ name: "reboot", params: {} })}
        >
          {t("staff.reboot")}
        </button>
        <button
          type="button"
          disabled={send.busy || !online}
          onClick={() => void send.run({ name: "privacy", params: { enabled: !privacy } })}
        >
          {privacy ? t("camera.privacyTurnOff") : t("camera.privacyTurnOn")}
        </button>
      </div>
      {staff ? (
        <FirmwareUpdateForm
          busy={send.busy || !online}
          onSend={(params) => void send.run({ name: "firmware-update", params })}
        />
      ) : null}
      {send.busy ? (
        <p class="hint" role="status">
          {t("staff.waitingCamera")}
        </p>
      ) : null}
      <ErrorText error={send.error} />
      <CommandList commands={all} />
    </section>
  );
}

/** A firmware update (staff only): the image's URL, its SHA-256 and the version it installs. */
function FirmwareUpdateForm({
  busy,
  onSend,
}: {
  busy: boolean;
  onSend: (params: { url: string; sha256: string; version: string }) => void;
}) {
  const { t } = useT();
  const [firmware, setFirmware] = useState({ url: "", sha256: "", version: "" });
  return (
    <details>
      <summary>{t("staff.firmwareUpdate")}</summary>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          onSend(firmware);
        }}
      >
        <label>
          {t("staff.firmwareUrl")}
          <input
            type="url"
            required
            value={firmware.url}
            onInput={(e) => setFirmware({ ...firmware, url: e.currentTarget.value })}
          />
        </label>
        <label>
          {t("staff.firmwareSha")}
          <input
            required
            pattern="[a-f0-9]{64}"
            value={firmware.sha256}
            onInput={(e) => setFirmware({ ...firmware, sha256: e.currentTarget.value.trim() })}
          />
        </label>
        <label>
          {t("staff.version")}
          <input
            required
            maxLength={40}
            value={firmware.version}
            onInput={(e) => setFirmware({ ...firmware, version: e.currentTarget.value })}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {t("staff.sendUpdate")}
        </button>
      </form>
    </details>
  );
}

function CommandList({ commands }: { commands: CommandView[] }) {
  const { t, lang } = useT();
  return (
    <ul class="commands">
      {commands.map((c) => (
        <li key={c.id} data-status={c.status}>
          <strong>{t(`staff.command.${c.name}`)}</strong> ·{" "}
          <span class={c.status === "succeeded" ? "ok" : c.status === "pending" ? "hint" : "bad"}>
            {t(`staff.status.${c.status}`)}
          </span>
          <small class="muted">
            {" "}
            {dateTime(c.createdAt, lang)}
            {c.requestedByName ? ` · ${c.requestedByName}` : ""}
            {c.error ? ` · ${t(`errors.${c.error}`, { defaultValue: t("errors.unknown") })}` : ""}
          </small>
        </li>
      ))}
    </ul>
  );
}

/** Gateway downtime in whole minutes, at least 1 when there was any. */
function minutes(seconds: number): number {
  return seconds > 0 ? Math.max(1, Math.round(seconds / 60)) : 0;
}
