// On a camera's page during the household's call window: looking in needs a call, so offer one.
import { useServices, useT } from "../context.ts";
import { useLoad } from "../hooks.ts";
import type { CallWindow, DeviceView } from "../types.ts";

export function CallWindowBanner({ device }: { device: DeviceView }) {
  const { t } = useT();
  const { api } = useServices();
  const householdId = device.householdId;
  const loaded = useLoad(
    (signal) =>
      householdId
        ? api.get<CallWindow>(`/households/${encodeURIComponent(householdId)}/call-window`, { signal })
        : Promise.resolve(null),
    [householdId],
  );
  const w = loaded.data;
  // Offline or private, a call cannot connect either: the page says so elsewhere.
  if (!w?.activeNow || !w.window || device.connection !== "online" || device.privacy) return null;
  return (
    <section class="card call-window-banner" role="status" data-testid="call-window-banner">
      <p>{t("callWindow.banner", { start: w.window.start, end: w.window.end })}</p>
      <a class="button primary" href={`/family/camera/${encodeURIComponent(device.id)}?callHome=1`}>
        {t("call.homeStart")}
      </a>
    </section>
  );
}
