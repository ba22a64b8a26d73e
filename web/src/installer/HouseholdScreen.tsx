// One household on site: its cameras with live state, add a camera (scan or type), replace, move, remove;
// invite the family.
import { useEffect, useRef, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { useServices, useT } from "../context.ts";
import { signalWord, timeAgo } from "../format.ts";
import { useAction, useLoad, useTick } from "../hooks.ts";
import { useLiveDevices } from "../live-devices.ts";
import type { DeviceDetail, DeviceView, HouseholdDetail, HouseholdView, Page } from "../types.ts";
import { CameraName } from "../ui/CameraName.tsx";
import { InvitePanel } from "../ui/InvitePanel.tsx";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { StateBadge } from "../ui/StateBadge.tsx";
import { parseBoxQr } from "../../../protocol/http.ts";
import { CameraCodeForm, type BoxCode } from "./CameraCodeForm.tsx";
import { SiteCheckPanel } from "./SiteCheck.tsx";
import { cachedGet, isNetworkFailure, useBindQueue, type QueuedBind } from "./offline.ts";

export const householdPath = (id: string) => `/households/${id}`;
export const householdDevicesPath = (id: string) => `/devices?householdId=${id}&limit=100`;
const serialOf = (code: BoxCode) => ("serial" in code ? code.serial : (parseBoxQr(code.qr)?.serial ?? "?"));

export function HouseholdScreen() {
  const { t } = useT();
  const { api } = useServices();
  const householdId = useRoute().params.householdId!;
  const household = useLoad(
    (signal) => cachedGet<HouseholdDetail>(api, householdPath(householdId), signal),
    [householdId],
  );
  const devices = useLoad(
    (signal) => cachedGet<Page<DeviceView>>(api, householdDevicesPath(householdId), signal),
    [householdId],
  );
  const list = useLiveDevices(devices.data?.items);
  const [justAdded, setJustAdded] = useState<string | null>(null);
  const queue = useBindQueue(api, (device) => {
    setJustAdded(device.id);
    devices.reload();
  });
  const { add, outcome, formKey } = useAddCamera(householdId, queue.enqueue, (id) => {
    if (id) setJustAdded(id);
    devices.reload();
  });
  const queued = queue.items.filter((i) => i.householdId === householdId);
  const h = household.data;
  return (
    <Layout title={h ? h.elderName : t("installer.household")} back="/installer">
      <ErrorText error={household.error ?? devices.error} />
      {!h ? (
        <Loading />
      ) : (
        <div class="stack">
          <p class="muted">
            {h.village}
            {h.address ? ` · ${h.address}` : ""} · {h.contactName ?? ""} {h.contactPhone}
          </p>
          <section class="stack">
            <h2>{t("installer.camerasTitle")}</h2>
            {list.length === 0 && devices.data ? <p class="muted">{t("family.noCameras")}</p> : null}
            {list.map((d) => (
              <InstalledCamera
                key={d.id}
                device={d}
                householdId={householdId}
                highlight={d.id === justAdded}
                onChanged={devices.reload}
              />
            ))}
          </section>
          {queued.length ? <QueuedBinds items={queued} onDismiss={(id) => void queue.dismiss(id)} /> : null}
          <section class="card stack">
            <h2>{t("installer.addCamera")}</h2>
            <CameraCodeForm
              key={formKey}
              busy={add.busy}
              submitLabel={t("installer.bind")}
              onSubmit={(code) => void add.run(code)}
            />
            {outcome ? (
              <BindOutcomeText outcome={outcome} elder={h.elderName} devices={list} key={outcome.serial} />
            ) : null}
            <ErrorText error={add.error} />
          </section>
          <HouseholdMembers householdId={householdId} members={h.members} onChanged={household.reload} />
          <InvitePanel householdId={householdId} />
        </div>
      )}
    </Layout>
  );
}

/**
 * Binds a box, or queues it with no signal (binding is idempotent, so the queue may send what a lost reply already
 * did); says what happened, and empties the form for the next box.
 */
function useAddCamera(
  householdId: string,
  enqueue: (householdId: string, code: BoxCode, serial: string) => Promise<void>,
  onDone: (boundId: string | null) => void,
) {
  const { api } = useServices();
  const [outcome, setOutcome] = useState<BindOutcome | null>(null);
  const [formKey, setFormKey] = useState(0);
  const add = useAction(async (code: BoxCode) => {
    const queueIt = async () => {
      await enqueue(householdId, code, serialOf(code));
      setOutcome({ queued: true, serial: serialOf(code), label: code.label ?? null });
    };
    let boundId: string | null = null;
    try {
      if (!navigator.onLine) await queueIt();
      else {
        const bound = await api.request<DeviceDetail>("POST", `/households/${householdId}/devices`, { body: code });
        boundId = bound.id;
        setOutcome({ queued: false, id: bound.id, serial: bound.serial, label: bound.label });
      }
    } catch (error) {
      if (!isNetworkFailure(error)) throw error;
      await queueIt();
    }
    setFormKey((k) => k + 1);
    onDone(boundId);
  });
  return { add, outcome, formKey };
}

type BindOutcome =
  | { queued: false; id: string; serial: string; label: string | null }
  | {
      queued: true;
      serial: string;
      label: string | null;
    };

/**
 * What the bind just did, said below the button the installer pressed (the form empties for the next box, and
 * the camera's card may be above the screen): which camera, which home, and then whether it came online.
 */
function BindOutcomeText({ outcome, elder, devices }: { outcome: BindOutcome; elder: string; devices: DeviceView[] }) {
  const { t } = useT();
  const shown = useRef<HTMLParagraphElement>(null);
  useEffect(() => shown.current?.scrollIntoView({ block: "center" }), []);
  const name = outcome.label ? `${outcome.label}（${outcome.serial}）` : outcome.serial;
  const online = !outcome.queued && devices.find((d) => d.id === outcome.id)?.connection === "online";
  const text = outcome.queued
    ? t("installer.boundQueued", { name })
    : online
      ? t("installer.boundOnline", { name })
      : t("installer.bound", { name, elder });
  return (
    <p ref={shown} class={online ? "ok" : "hint"} role="status" data-testid="bind-outcome">
      {text}
    </p>
  );
}

/** The family members, each removable on the spot (a wrong person who used the invite). */
function HouseholdMembers({
  householdId,
  members,
  onChanged,
}: {
  householdId: string;
  members: HouseholdDetail["members"];
  onChanged: () => void;
}) {
  const { t } = useT();
  const { api } = useServices();
  const removeMember = useAction(async (userId: string) => {
    await api.request("DELETE", `/households/${householdId}/members/${userId}`);
    onChanged();
  });
  return (
    <section class="card">
      <h2>{t("installer.members")}</h2>
      {members.length === 0 ? (
        <p class="muted">{t("installer.noMembers")}</p>
      ) : (
        <ul>
          {members.map((m) => (
            <li key={m.userId}>
              {m.displayName}
              {m.relation ? ` (${m.relation})` : ""}{" "}
              <button
                type="button"
                class="link"
                data-remove-member={m.username}
                disabled={removeMember.busy}
                onClick={() =>
                  confirm(t("members.removeConfirm", { name: m.displayName })) && void removeMember.run(m.userId)
                }
              >
                {t("members.remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorText error={removeMember.error} />
    </section>
  );
}

function InstalledCamera({
  device,
  householdId,
  highlight,
  onChanged,
}: {
  device: DeviceView;
  householdId: string;
  highlight: boolean;
  onChanged: () => void;
}) {
  const { t, lang } = useT();
  const { api } = useServices();
  const now = useTick(10_000);
  const [panel, setPanel] = useState<"none" | "replace" | "move">("none");
  const path = `/devices/${encodeURIComponent(device.id)}`;
  const replace = useAction(async (code: BoxCode) => {
    await api.request("POST", `${path}/replace`, { body: code, retry: true });
    setPanel("none");
    onChanged();
  });
  const move = useAction(async (target: string) => {
    await api.request("POST", `${path}/move`, { body: { householdId: target }, retry: true });
    onChanged();
  });
  const remove = useAction(async () => {
    if (!confirm(t("installer.removeConfirm", { serial: device.serial }))) return;
    await api.request("DELETE", `/households/${householdId}/devices/${encodeURIComponent(device.id)}`, { retry: true });
    onChanged();
  });
  const seen = timeAgo(device.lastSeenAt, lang, now);
  return (
    <article class={`card device${highlight ? " highlight" : ""}`} data-device={device.id} data-serial={device.serial}>
      <div class="row spread">
        <strong>{device.label ?? device.serial}</strong>
        <StateBadge connection={device.connection} />
      </div>
      <p class="muted">
        {device.label ? `${device.serial} · ` : ""}
        {seen ? t("camera.lastSeen", { when: seen }) : t("camera.neverSeen")}
        {device.rssi !== null ? ` · ${t(`signal.${signalWord(device.rssi)}`)}` : ""}
      </p>
      <dl class="facts">
        <dt>{t("camera.name")}</dt>
        <CameraName device={device} onRenamed={onChanged} />
      </dl>
      {highlight ? (
        <p class={device.connection === "online" ? "ok" : "hint"} role="status">
          {device.connection === "online" ? t("installer.cameraOnline") : t("installer.waitingOnline")}
        </p>
      ) : null}
      <div class="row wrap">
        <button type="button" class="small" onClick={() => setPanel(panel === "replace" ? "none" : "replace")}>
          {t("installer.replace")}
        </button>
        <button type="button" class="small" onClick={() => setPanel(panel === "move" ? "none" : "move")}>
          {t("installer.move")}
        </button>
        <button type="button" class="small danger" disabled={remove.busy} onClick={() => void remove.run()}>
          {t("installer.remove")}
        </button>
      </div>
      {panel === "replace" ? (
        <CameraCodeForm
          busy={replace.busy}
          submitLabel={t("installer.replace")}
          onSubmit={(c) => void replace.run(c)}
          onCancel={() => setPanel("none")}
        />
      ) : null}
      {panel === "move" ? (
        <MovePicker current={householdId} busy={move.busy} onPick={(id) => void move.run(id)} />
      ) : null}
      <SiteCheckPanel deviceId={device.id} online={device.connection === "online"} />
      <ErrorText error={replace.error ?? move.error ?? remove.error} />
    </article>
  );
}

function MovePicker({
  current,
  busy,
  onPick,
}: {
  current: string;
  busy: boolean;
  onPick: (householdId: string) => void;
}) {
  const { t } = useT();
  const { api } = useServices();
  const households = useLoad((signal) => api.get<Page<HouseholdView>>("/households?limit=200", { signal }), []);
  const [target, setTarget] = useState("");
  return (
    <div class="stack">
      <label>
        {t("installer.moveTo")}
        <select value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
          <option value="">—</option>
          {households.data?.items
            .filter((h) => h.id !== current)
            .map((h) => (
              <option key={h.id} value={h.id}>
                {h.village} · {h.elderName}
              </option>
            ))}
        </select>
      </label>
      <button type="button" class="primary" disabled={!target || busy} onClick={() => onPick(target)}>
        {t("installer.move")}
      </button>
    </div>
  );
}

/** Binds made with no signal: waiting, or refused when they were sent (said plainly, with what to do). */
function QueuedBinds({ items, onDismiss }: { items: QueuedBind[]; onDismiss: (id: string) => void }) {
  const { t, lang } = useT();
  const now = useTick(10_000);
  const waiting = items.filter((i) => !i.conflict).length;
  return (
    <section class="card stack queue" aria-live="polite" data-testid="bind-queue">
      <h2>{waiting ? t("offline.queueTitle", { count: waiting }) : t("offline.conflictTitle")}</h2>
      {waiting ? <p class="hint">{t("offline.queueHint")}</p> : null}
      <ul class="list">
        {items.map((i) => (
          <li key={i.id} data-queued={i.serial} class={i.conflict ? "conflict" : "waiting"}>
            <strong>{i.serial}</strong>{" "}
            <span class="muted">{t("offline.queuedAt", { when: timeAgo(i.queuedAt, lang, now) })}</span>
            {i.conflict ? (
              <div class="stack">
                <p class="error" role="alert">
                  {t(`offline.conflict.${i.conflict.code}`, {
                    defaultValue: t(`errors.${i.conflict.code}`, { defaultValue: t("errors.unknown") }),
                  })}
                </p>
                <button type="button" class="small" onClick={() => onDismiss(i.id)}>
                  {t("offline.dismiss")}
                </button>
              </div>
            ) : (
              <p class="hint">{t("offline.waiting")}</p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
