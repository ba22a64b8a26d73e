// Calls from home nobody answered, newest first, each with "call back" (calls that camera home).
import { useT, useServices } from "../context.ts";
import { timeAgo } from "../format.ts";
import { useLiveEvents, useLoad, useTick } from "../hooks.ts";
import type { CallView } from "../types.ts";

export function MissedCalls() {
  const { t, lang } = useT();
  const { api } = useServices();
  const now = useTick();
  const missed = useLoad((signal) => api.get<{ items: CallView[] }>("/calls?state=missed&limit=5", { signal }), []);
  useLiveEvents((message) => {
    if (message.type === "call.updated" && message.call.state === "missed") missed.reload();
  });
  const items = missed.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section class="card missed-calls" aria-labelledby="missed-title" data-testid="missed-calls">
      <h2 id="missed-title">{t("call.missedTitle")}</h2>
      <ul>
        {items.map((c) => (
          <li key={c.id}>
            <span>
              {t("call.missedFrom", { elder: c.elderName, camera: c.label ?? t("family.camera") })}{" "}
              <small class="muted">{timeAgo(c.startedAt, lang, now)}</small>
            </span>
            <a class="button small" href={`/family/camera/${encodeURIComponent(c.deviceId)}?callHome=1`}>
              {t("call.callBack")}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
