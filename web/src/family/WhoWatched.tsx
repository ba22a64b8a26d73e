// Who in the family watched this camera, when, for how long, and whether they talked (the gateway's view log).
import type { ViewLogEntry } from "../types.ts";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useLoad } from "../hooks.ts";

export function WhoWatched({ deviceId, refresh }: { deviceId: string; refresh: number }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const log = useLoad(
    (signal) =>
      api.get<{ items: ViewLogEntry[] }>(`/devices/${encodeURIComponent(deviceId)}/view-log?limit=20`, { signal }),
    [deviceId, refresh],
  );
  // A gateway without live view has no log: say nothing rather than show an error.
  if (log.error) return null;
  return (
    <section class="card" aria-labelledby="who-watched">
      <h2 id="who-watched">{t("camera.whoWatched")}</h2>
      {log.data?.items.length === 0 ? <p class="muted">{t("camera.nobodyWatched")}</p> : null}
      <ul class="commands" data-testid="view-log">
        {log.data?.items.map((v) => (
          <li key={v.id}>
            <strong>{v.displayName}</strong> · {dateTime(v.startedAt, lang)} ·{" "}
            {v.durationS === null
              ? t("camera.watching")
              : v.durationS < 60
                ? t("camera.watchedSeconds", { count: v.durationS })
                : t("camera.watchedMinutes", { count: Math.round(v.durationS / 60) })}
            {v.talked ? ` · ${t("camera.talked")}` : ""}
          </li>
        ))}
      </ul>
    </section>
  );
}
