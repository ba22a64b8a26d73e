// One camera as the family sees it: live view and hold-to-talk first, calling home, then its name (renamable),
// whether it is on, when it was last seen, privacy mode, the latest still and who in the family watched.
import { useRoute } from "preact-iso";
import type { DeviceDetail } from "../types.ts";
import { useServices, useT } from "../context.ts";
import { dateTime, timeAgo } from "../format.ts";
import { useLoad, useTick } from "../hooks.ts";
import { useLiveDevice } from "../live-devices.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { StateBadge } from "../ui/StateBadge.tsx";
import { SnapshotPanel } from "../ui/Snapshot.tsx";
import { CameraName } from "../ui/CameraName.tsx";
import { CallHome } from "./CallHome.tsx";
import { CallWindowBanner } from "./CallWindowBanner.tsx";
import { PrivacyControl } from "./PrivacyControl.tsx";
import { LiveView } from "./LiveView.tsx";
import { WhoWatched } from "./WhoWatched.tsx";
import { useState } from "preact/hooks";

export function CameraScreen() {
  const { t, lang } = useT();
  const { api } = useServices();
  const { params, query } = useRoute();
  const deviceId = params.deviceId!;
  const loaded = useLoad(
    (signal) => api.get<DeviceDetail>(`/devices/${encodeURIComponent(deviceId)}`, { signal }),
    [deviceId],
  );
  const device = useLiveDevice(loaded.data);
  const now = useTick();
  const [views, setViews] = useState(0);
  const [inCall, setInCall] = useState(false);
  return (
    <Layout title={device?.label ?? t("family.camera")} back="/family">
      <ErrorText error={loaded.error} />
      {!device ? (
        <Loading />
      ) : (
        <div class="stack">
          {inCall ? null : <CallWindowBanner device={device} />}
          {/* Live first: the reason to open this page. Hidden while a call shows its own live view below. */}
          {inCall ? null : <LiveView device={device} onSessionChange={() => setViews((n) => n + 1)} />}
          {/* keyed: "call home" from the banner on this same page mounts it afresh, which starts the call */}
          <CallHome
            key={query.callHome}
            device={device}
            autoStart={query.callHome === "1"}
            onConnected={(connected) => {
              setInCall(connected);
              if (!connected) setViews((n) => n + 1); // a call that ended is in who watched
            }}
          />
          <dl class="facts card">
            <dt>{t("camera.name")}</dt>
            <CameraName device={device} onRenamed={loaded.reload} />
            <dt>{t("camera.state")}</dt>
            <dd>
              <StateBadge connection={device.connection} />
            </dd>
            <dt>{t("camera.lastSeenLabel")}</dt>
            <dd>
              {device.lastSeenAt
                ? `${timeAgo(device.lastSeenAt, lang, now)} (${dateTime(device.lastSeenAt, lang)})`
                : t("camera.neverSeen")}
            </dd>
            <dt>{t("camera.home")}</dt>
            <dd>
              {device.elderName} · {device.village}
            </dd>
            <dt>{t("camera.privacy")}</dt>
            <PrivacyControl device={device} onChanged={loaded.reload} />
          </dl>
          <SnapshotPanel deviceId={device.id} online={device.connection === "online"} privacy={device.privacy} />
          <WhoWatched deviceId={device.id} refresh={views} />
        </div>
      )}
    </Layout>
  );
}
