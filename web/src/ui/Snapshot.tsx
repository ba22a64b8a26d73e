// The camera's latest still, for the family's camera tile and the device views (family and staff). The image
// is fetched with the Authorization header like every API call and shown from a blob URL: no token in an
// image URL. A new still arriving on the live socket replaces it; privacy mode hides it.
import { useEffect, useRef, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { dateTime, timeAgo } from "../format.ts";
import { useAction, useLiveEvents, useTick } from "../hooks.ts";
import type { SnapshotView } from "../types.ts";
import { ErrorText } from "./Layout.tsx";

interface LatestSnapshot {
  snapshot: SnapshotView;
  url: string;
}

/** The newest still of a camera, or null (none yet, privacy mode, or not loadable). */
export function useLatestSnapshot(deviceId: string, privacy: boolean): LatestSnapshot | null {
  const { api } = useServices();
  const [latest, setLatest] = useState<LatestSnapshot | null>(null);
  const [generation, setGeneration] = useState(0);
  const shownUrl = useRef<string | null>(null);
  useLiveEvents((message) => {
    if (message.type === "device.snapshot" && message.snapshot.deviceId === deviceId) setGeneration((g) => g + 1);
  });
  const show = (next: LatestSnapshot | null) => {
    // The old blob URL goes only once the new picture replaces it, so the tile never flashes empty.
    if (shownUrl.current && shownUrl.current !== next?.url) URL.revokeObjectURL(shownUrl.current);
    shownUrl.current = next?.url ?? null;
    setLatest(next);
  };
  useEffect(() => {
    if (privacy) return show(null);
    const controller = new AbortController();
    const path = `/devices/${encodeURIComponent(deviceId)}/snapshots/latest`;
    const signal = controller.signal;
    Promise.all([api.get<SnapshotView>(path, { signal }), api.getBlob(`${path}.jpg`, { signal })]).then(
      ([snapshot, blob]) => !signal.aborted && show({ snapshot, url: URL.createObjectURL(blob) }),
      () => !signal.aborted && show(null),
    );
    return () => controller.abort();
  }, [deviceId, privacy, generation]);
  useEffect(() => () => show(null), []);
  return latest;
}

/** The tile's picture: the still and how long ago it was taken, or the placeholder. */
export function SnapshotThumb({ deviceId, privacy }: { deviceId: string; privacy: boolean }) {
  const { t, lang } = useT();
  const now = useTick();
  const latest = useLatestSnapshot(deviceId, privacy);
  if (!latest)
    return (
      <div class="snapshot" aria-hidden="true" data-snapshot="none">
        <span>⌂</span>
        <small>{privacy ? t("snapshot.hiddenShort") : t("family.noSnapshot")}</small>
      </div>
    );
  const { snapshot, url } = latest;
  return (
    <figure class="snapshot has-still" data-snapshot={snapshot.id}>
      <img src={url} alt={t("snapshot.alt")} width={snapshot.width} height={snapshot.height} />
      <figcaption title={dateTime(snapshot.takenAt, lang)}>
        {t("snapshot.takenAgo", { when: timeAgo(snapshot.takenAt, lang, now) })}
      </figcaption>
    </figure>
  );
}

/** The device view's picture, larger, with its time and a button that asks the camera for a new one. */
export function SnapshotPanel({ deviceId, online, privacy }: { deviceId: string; online: boolean; privacy: boolean }) {
  const { t, lang } = useT();
  const { api } = useServices();
  const latest = useLatestSnapshot(deviceId, privacy);
  // The new still arrives through the live socket too; the answer just says the camera has sent it.
  const take = useAction(() => api.request<SnapshotView>("POST", `/devices/${encodeURIComponent(deviceId)}/snapshots`));
  return (
    <section class="card stack snapshot-panel" data-testid="snapshot-panel">
      <h2>{t("snapshot.title")}</h2>
      {latest ? (
        <figure class="snapshot-large">
          <img src={latest.url} alt={t("snapshot.alt")} width={latest.snapshot.width} height={latest.snapshot.height} />
          <figcaption class="muted">
            {t("snapshot.takenAt", { time: dateTime(latest.snapshot.takenAt, lang) })}
          </figcaption>
        </figure>
      ) : (
        <p class="muted">{privacy ? t("snapshot.hidden") : t("snapshot.none")}</p>
      )}
      <button type="button" class="small" disabled={take.busy || !online || privacy} onClick={() => void take.run()}>
        {take.busy ? t("snapshot.taking") : t("snapshot.take")}
      </button>
      <ErrorText error={take.error} />
    </section>
  );
}
