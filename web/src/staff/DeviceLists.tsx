// Reaching any camera in two taps: a village's cameras (from the console's village rows), and a search by
// serial, place, elder's name, village or contact number.
import { useEffect, useMemo, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { useServices, useT } from "../context.ts";
import { timeAgo } from "../format.ts";
import { useLoad, useTick } from "../hooks.ts";
import { useLiveDevices } from "../live-devices.ts";
import type { DeviceView, Page } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { StateBadge } from "../ui/StateBadge.tsx";

/** One camera as a row to tap: place or serial, whose home, its state and when it was last seen. */
export function DeviceRow({ device: d, now }: { device: DeviceView; now: number }) {
  const { t, lang } = useT();
  const seen = timeAgo(d.lastSeenAt, lang, now);
  return (
    <a class="card row-link" href={`/staff/device/${d.id}`} data-device={d.id}>
      <span class="row spread">
        <strong>{d.label ?? d.serial}</strong>
        <StateBadge connection={d.connection} />
      </span>
      <span class="muted">
        {d.label ? `${d.serial} · ` : ""}
        {d.elderName ? t("family.homeOf", { elder: d.elderName }) : t("staff.noVillage")}
        {d.village ? ` · ${d.village}` : ""}
      </span>
      <span class="muted">
        {d.connection === "unknown"
          ? t("staff.neverOnlineLong")
          : seen
            ? t("camera.lastSeen", { when: seen })
            : t("camera.neverSeen")}
      </span>
    </a>
  );
}

function DeviceList({ devices }: { devices: DeviceView[] }) {
  const now = useTick();
  const live = useLiveDevices(devices);
  return (
    <ul class="list">
      {live.map((d) => (
        <li key={d.id}>
          <DeviceRow device={d} now={now} />
        </li>
      ))}
    </ul>
  );
}

/** The console's search box; the words are kept in the address (`/staff?q=`), so back returns to the results. */
export function DeviceSearch({ initial }: { initial: string }) {
  const { t } = useT();
  const { api } = useServices();
  const { route, url } = useLocation();
  const [typed, setTyped] = useState(initial);
  const [q, setQ] = useState(initial.trim());
  useEffect(() => {
    const timer = setTimeout(() => setQ(typed.trim()), 300);
    return () => clearTimeout(timer);
  }, [typed]);
  useEffect(() => {
    const wanted = q ? `/staff?q=${encodeURIComponent(q)}` : "/staff";
    if (wanted !== url) route(wanted, true);
  }, [q]);
  const found = useLoad(
    (signal) =>
      q ? api.get<Page<DeviceView>>(`/devices?limit=50&q=${encodeURIComponent(q)}`, { signal }) : Promise.resolve(null),
    [q],
  );
  return (
    <section class="stack" aria-labelledby="search-title">
      <label class="search" id="search-title">
        {t("staff.search")}
        <input
          type="search"
          name="q"
          value={typed}
          placeholder={t("staff.searchHint")}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
      </label>
      <ErrorText error={found.error} />
      {found.data ? (
        found.data.items.length === 0 ? (
          <p class="muted">{t("staff.searchNone")}</p>
        ) : (
          <DeviceList devices={found.data.items} />
        )
      ) : null}
    </section>
  );
}

/** The router may or may not have decoded the segment already; a name with "%" in it must survive either way. */
function decodedOnce(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const visitFirst = { offline: 0, unknown: 1, online: 2 } as const;

/** `/staff/village/<name>`: the village's cameras, those needing a visit first. */
export function VillageScreen() {
  const { t } = useT();
  const { api } = useServices();
  const village = decodedOnce(useRoute().params.village ?? "");
  const devices = useLoad(
    (signal) => api.get<Page<DeviceView>>(`/devices?limit=500&village=${encodeURIComponent(village)}`, { signal }),
    [village],
  );
  const sorted = useMemo(
    () => [...(devices.data?.items ?? [])].sort((a, b) => visitFirst[a.connection] - visitFirst[b.connection]),
    [devices.data],
  );
  return (
    <Layout title={village} back="/staff">
      <ErrorText error={devices.error} />
      {devices.data ? null : <Loading />}
      {devices.data?.items.length === 0 ? <p class="muted">{t("staff.villageEmpty")}</p> : null}
      <DeviceList devices={sorted} />
    </Layout>
  );
}
