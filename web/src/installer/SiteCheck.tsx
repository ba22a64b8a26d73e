// "检测网络": the installer checks the home's network with the camera before leaving. The gateway runs the
// check (round trips, then a 10-second stream through the relay); this follows its progress to the verdict.
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { useAction, useTick } from "../hooks.ts";
import type { SiteCheckView } from "../types.ts";
import { ErrorText } from "../ui/Layout.tsx";
import { SiteCheckResult } from "../ui/SiteCheckResult.tsx";

const POLL_MS = 1000;

/** Re-reads a running check every second until it has its outcome. */
function useFollowedCheck(initial: SiteCheckView | null): SiteCheckView | null {
  const { api } = useServices();
  const [check, setCheck] = useState(initial);
  useEffect(() => setCheck(initial), [initial]);
  useEffect(() => {
    if (!check || check.state !== "running") return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<SiteCheckView>(`/site-checks/${encodeURIComponent(check.id)}`, { signal: controller.signal, retry: true })
        .then(setCheck, () => undefined);
    }, POLL_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [check, api]);
  return check;
}

export function SiteCheckPanel({ deviceId, online }: { deviceId: string; online: boolean }) {
  const { t } = useT();
  const { api } = useServices();
  const now = useTick(10_000);
  const start = useAction(() =>
    api.request<SiteCheckView>("POST", `/devices/${encodeURIComponent(deviceId)}/site-checks`),
  );
  const [started, setStarted] = useState<SiteCheckView | null>(null);
  const check = useFollowedCheck(started);
  const running = check?.state === "running";
  return (
    <div class="stack site-check" data-testid="site-check">
      <button
        type="button"
        class="primary"
        disabled={!online || running || start.busy}
        onClick={() => void start.run().then((view) => view && setStarted(view))}
      >
        {running ? t("siteCheck.running") : t("siteCheck.start")}
      </button>
      {!online ? <p class="hint">{t("siteCheck.needsOnline")}</p> : null}
      {running ? (
        <div class="stack" aria-live="polite">
          <progress max={1} value={check.progress} />
          <p class="muted">{t(`siteCheck.phase.${check.phase ?? "probing"}`)}</p>
        </div>
      ) : null}
      {check && !running ? <SiteCheckResult check={check} now={now} /> : null}
      <ErrorText error={start.error} />
    </div>
  );
}
