// The county's fleet console: online/offline by village, open alerts to acknowledge, the cameras offline longest,
// and the whole list as CSV. Live events patch the alerts and trigger a refetch of the counts.
import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { useServices, useT } from "../context.ts";
import { duration, timeAgo } from "../format.ts";
import { useAction, useLiveEvents, useLoad, useTick } from "../hooks.ts";
import type { AlertView, DeviceView, FleetSummary, Page } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { devicesToCsv, download } from "./csv.ts";
import { DeviceSearch } from "./DeviceLists.tsx";

export function StaffConsole() {
  const { t, lang } = useT();
  const { api } = useServices();
  const summary = useLoad((signal) => api.get<FleetSummary>("/fleet/summary", { signal }), []);
  const offline = useLoad(
    (signal) => api.get<Page<DeviceView>>("/devices?sort=offline-longest&limit=50", { signal }),
    [],
  );
  const alerts = useLoad((signal) => api.get<Page<AlertView>>("/alerts?state=open&limit=100", { signal }), []);
  const [alertList, setAlertList] = useState<AlertView[]>([]);
  useEffect(() => setAlertList(alerts.data?.items ?? []), [alerts.data]);

  // Many cameras can change at once (a village's power cut): refetch the counts once per burst.
  const refetchTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useLiveEvents((message) => {
    if (message.type === "device.connection" || message.type === "device.camera" || message.type.startsWith("alert.")) {
      clearTimeout(refetchTimer.current);
      refetchTimer.current = setTimeout(() => {
        summary.reload();
        offline.reload();
      }, 800);
    }
    if (message.type === "alert.raised" || message.type === "alert.repeated" || message.type === "alert.acknowledged") {
      const alert = message.alert;
      setAlertList((list) => {
        // The monitor's events do not name who acknowledged: keep the name this list already has.
        const known = list.find((a) => a.id === alert.id)?.acknowledgedByName ?? null;
        const merged = { ...alert, acknowledgedByName: alert.acknowledgedByName ?? known };
        return [merged, ...list.filter((a) => a.id !== alert.id)].sort((a, b) => b.raisedAt.localeCompare(a.raisedAt));
      });
    }
    if (message.type === "alert.resolved") setAlertList((list) => list.filter((a) => a.id !== message.alert.id));
  });
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  const exportCsv = useAction(async () => {
    const all: DeviceView[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: Page<DeviceView> = await api.get<Page<DeviceView>>(
        `/devices?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    download(t("staff.csvFileName", { date: new Date().toISOString().slice(0, 10) }), devicesToCsv(all, t, lang));
  });
  const query = new URLSearchParams(useLocation().query as Record<string, string>).get("q") ?? "";

  return (
    <Layout title={t("staff.title")}>
      <ErrorText error={summary.error ?? alerts.error ?? offline.error} />
      <a class="card row-link" href="/staff/batches">
        {t("batch.link")}
      </a>
      <a class="card row-link" href="/staff/wellbeing">
        {t("wellbeing.checksLink")}
      </a>
      {summary.data ? <Totals summary={summary.data} /> : <Loading />}
      <DeviceSearch initial={query} />
      <Alerts
        alerts={alertList}
        onAcknowledged={(a) => setAlertList((list) => list.map((x) => (x.id === a.id ? a : x)))}
      />
      <OfflineList devices={offline.data?.items ?? null} />
      {summary.data ? <Villages summary={summary.data} /> : null}
      <section class="card stack">
        <button type="button" disabled={exportCsv.busy} onClick={() => void exportCsv.run()}>
          {exportCsv.busy ? t("common.wait") : t("staff.exportCsv")}
        </button>
        <ErrorText error={exportCsv.error} />
      </section>
    </Layout>
  );
}

function Totals({ summary }: { summary: FleetSummary }) {
  const { t } = useT();
  return (
    <section class="totals" aria-label={t("staff.totals")}>
      <div class="total online">
        <b data-testid="online-count">{summary.online}</b>
        <span>{t("state.online")}</span>
      </div>
      <div class={`total offline${summary.offline ? "" : " zero"}`}>
        <b data-testid="offline-count">{summary.offline}</b>
        <span>{t("state.offline")}</span>
      </div>
      <div class={`total offline${summary.neverOnline ? "" : " zero"}`}>
        <b data-testid="never-online-count">{summary.neverOnline}</b>
        <span>{t("staff.neverOnline")}</span>
      </div>
      <div class={`total alerts${summary.openAlerts ? "" : " zero"}`}>
        <b>{summary.openAlerts}</b>
        <span>{t("staff.openAlerts")}</span>
      </div>
    </section>
  );
}

function Alerts({ alerts, onAcknowledged }: { alerts: AlertView[]; onAcknowledged: (alert: AlertView) => void }) {
  const { t } = useT();
  const { api } = useServices();
  const now = useTick();
  const ack = useAction(async (id: string) =>
    onAcknowledged(await api.request<AlertView>("POST", `/alerts/${id}/ack`, { retry: true })),
  );
  return (
    <section class="stack" aria-labelledby="alerts-title">
      <h2 id="alerts-title">{t("staff.alerts")}</h2>
      {alerts.length === 0 ? <p class="muted">{t("staff.noAlerts")}</p> : null}
      {alerts.map((a) => (
        <AlertCard key={a.id} alert={a} now={now} busy={ack.busy} onAcknowledge={() => void ack.run(a.id)} />
      ))}
      <ErrorText error={ack.error} />
    </section>
  );
}

/** One alert: which camera, whose home, who to call about it, and who is on it. */
function AlertCard(props: { alert: AlertView; now: number; busy: boolean; onAcknowledge: () => void }) {
  const { t, lang } = useT();
  const { alert: a, now } = props;
  return (
    <article class={`card alert${a.acknowledgedAt ? " acked" : ""}`} data-alert={a.id} data-kind={a.kind}>
      <div class="row spread">
        <a href={`/staff/device/${a.deviceId}`}>
          <strong>{a.serial}</strong>
        </a>
        <span class="badge badge-offline">{t(`staff.alertKind.${a.kind}`)}</span>
      </div>
      <p>
        {a.elderName ? t("family.homeOf", { elder: a.elderName }) : t("staff.noVillage")}
        {a.village ? ` · ${a.village}` : ""}
      </p>
      {a.contactPhone ? (
        <p>
          {t("staff.callContact", { name: a.contactName ?? "" })}{" "}
          <a href={`tel:${a.contactPhone.replace(/[^+0-9]/g, "")}`}>{a.contactPhone}</a>
        </p>
      ) : null}
      <p class="muted">
        {t(a.kind === "never-online" ? "staff.neverOnlineHint" : "staff.raised", {
          when: timeAgo(a.raisedAt, lang, now),
        })}
      </p>
      {a.acknowledgedAt ? (
        <p class="ok">{t("staff.acknowledgedBy", { who: a.acknowledgedByName ?? t("staff.someone") })}</p>
      ) : (
        <button type="button" class="primary" disabled={props.busy} onClick={props.onAcknowledge}>
          {t("staff.acknowledge")}
        </button>
      )}
    </article>
  );
}

function OfflineList({ devices }: { devices: DeviceView[] | null }) {
  const { t, lang } = useT();
  const now = useTick();
  return (
    <section class="stack" aria-labelledby="offline-title">
      <h2 id="offline-title">{t("staff.offlineLongest")}</h2>
      {devices === null ? (
        <Loading />
      ) : devices.length === 0 ? (
        <p class="muted">{t("staff.noneOffline")}</p>
      ) : (
        <ol class="list">
          {devices.map((d) => (
            <li key={d.id}>
              <a class="card row-link" href={`/staff/device/${d.id}`}>
                <strong>{d.serial}</strong>
                <span class="muted">
                  {d.village ?? t("staff.noVillage")} ·{" "}
                  {t("staff.offlineFor", { duration: duration(d.offlineSince, lang, now) })}
                </span>
              </a>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Each village a row to tap: its cameras, with the ones needing a visit counted first. */
function Villages({ summary }: { summary: FleetSummary }) {
  const { t } = useT();
  return (
    <section class="stack" aria-labelledby="villages-title">
      <h2 id="villages-title">{t("staff.byVillage")}</h2>
      <ul class="list">
        {summary.villages.map((v) => (
          <li key={v.village ?? ""}>
            <VillageRow village={v} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function VillageRow({ village: v }: { village: FleetSummary["villages"][number] }) {
  const { t } = useT();
  const counts = (
    <span class="muted">
      {t("staff.villageCounts", { online: v.online, total: v.total })}
      {v.offline ? <span class="bad"> · {t("staff.offlineN", { count: v.offline })}</span> : null}
      {v.neverOnline ? <span class="bad"> · {t("staff.neverOnlineN", { count: v.neverOnline })}</span> : null}
    </span>
  );
  if (v.village === null)
    return (
      <div class="card row-link">
        <strong>{t("staff.noVillage")}</strong>
        {counts}
      </div>
    );
  return (
    <a class="card row-link" href={`/staff/village/${encodeURIComponent(v.village)}`} data-village={v.village}>
      <strong>{v.village} ›</strong>
      {counts}
    </a>
  );
}
