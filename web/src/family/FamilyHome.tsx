// The migrant worker's home screen: the cameras in their parents' home, whether each is on, when it was last
// seen, and its latest still.
import { useServices, useT } from "../context.ts";
import { timeAgo } from "../format.ts";
import { useLoad, useTick } from "../hooks.ts";
import { useLiveDevices } from "../live-devices.ts";
import type { DeviceView, HouseholdView, Page } from "../types.ts";
import { InvitePanel } from "../ui/InvitePanel.tsx";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { CallSettings } from "./CallSettings.tsx";
import { MissedCalls } from "./MissedCalls.tsx";
import { Notices } from "./Notices.tsx";
import { WellbeingStrip } from "./WellbeingStrip.tsx";
import { PushSetup } from "./PushSetup.tsx";
import { PrivacyBadge, StateBadge } from "../ui/StateBadge.tsx";
import { SnapshotThumb } from "../ui/Snapshot.tsx";

export function FamilyHome() {
  const { t } = useT();
  const { api } = useServices();
  const households = useLoad((signal) => api.get<Page<HouseholdView>>("/households", { signal }), []);
  const devices = useLoad((signal) => api.get<Page<DeviceView>>("/devices?limit=100", { signal }), []);
  const list = useLiveDevices(devices.data?.items);

  return (
    <Layout title={t("family.title")}>
      <ErrorText error={households.error ?? devices.error} />
      {households.loading && !households.data ? <Loading /> : null}
      <MissedCalls />
      {households.data?.items.length === 0 ? (
        <p class="lead">
          {t("family.noHousehold")} <a href="/join">{t("auth.haveInvite")}</a>
        </p>
      ) : null}
      {households.data?.items.map((h) => (
        <section key={h.id} class="stack">
          <h2>
            {t("family.homeOf", { elder: h.elderName })} <small class="muted">{h.village}</small>
          </h2>
          {list
            .filter((d) => d.householdId === h.id)
            .map((d) => (
              <CameraCard key={d.id} device={d} />
            ))}
          {devices.data && !list.some((d) => d.householdId === h.id) ? (
            <p class="muted">{t("family.noCameras")}</p>
          ) : null}
          <WellbeingStrip householdId={h.id} />
          <InvitePanel householdId={h.id} />
          <CallSettings
            householdId={h.id}
            callButton={!devices.data || list.some((d) => d.householdId === h.id && d.callButton)}
          />
          <Notices householdId={h.id} />
        </section>
      ))}
      {households.data?.items.length ? (
        <PushSetup callButton={!devices.data || list.some((d) => d.callButton)} />
      ) : null}
    </Layout>
  );
}

function CameraCard({ device }: { device: DeviceView }) {
  const { t, lang } = useT();
  const now = useTick();
  const seen = timeAgo(device.lastSeenAt, lang, now);
  return (
    <a class="card camera-card" href={`/family/camera/${device.id}`} data-device={device.id}>
      <SnapshotThumb deviceId={device.id} privacy={device.privacy} />
      <div class="camera-info">
        <strong>{device.label ?? t("family.camera")}</strong>
        <div class="row">
          <StateBadge connection={device.connection} />
          <PrivacyBadge on={device.privacy} />
        </div>
        <small class="muted">{seen ? t("camera.lastSeen", { when: seen }) : t("camera.neverSeen")}</small>
      </div>
    </a>
  );
}
