// "Call home" instead of looking in silently: the camera rings, the elder presses its button (or the
// household's auto-answer picks up), then live view opens with the microphone held open.
import { useEffect, useState } from "preact/hooks";
import { ApiFailure } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { useAction, useLiveEvents } from "../hooks.ts";
import type { CallView, DeviceView, ViewGrant } from "../types.ts";
import { ErrorText } from "../ui/Layout.tsx";
import { LiveView } from "./LiveView.tsx";

/** Who ended a call that was answered: this phone, the elder (the button, or privacy mode), or the stream. */
export type CallEnd = "you" | "home" | "privacy";

type Stage =
  | { kind: "idle" }
  | { kind: "ringing"; call: CallView }
  | { kind: "ended"; call: CallView; by?: CallEnd }
  | { kind: "connected"; call: CallView; grant: ViewGrant };

/** The call's stages: placed, ringing until the camera's answer (a live event), then the viewer grant. */
function useCallHome(device: DeviceView, autoStart?: boolean, onConnected?: (connected: boolean) => void) {
  const { api } = useServices();
  const [stage, setStage] = useState<Stage>({ kind: "idle" });
  const [error, setError] = useState<ApiFailure | null>(null);
  const start = useAction(async () => {
    setError(null);
    const call = await api.request<CallView>("POST", `/devices/${encodeURIComponent(device.id)}/call`);
    setStage({ kind: "ringing", call });
  });
  const cancel = useAction(async (call: CallView) => {
    setStage({
      kind: "ended",
      call: await api.request<CallView>("POST", `/calls/${encodeURIComponent(call.id)}/cancel`),
    });
  });
  useEffect(() => onConnected?.(stage.kind === "connected"), [stage.kind]);
  useEffect(() => {
    if (autoStart && device.connection === "online" && !device.privacy) void start.run();
  }, []);
  useLiveEvents((message) => {
    if (message.type !== "call.updated" || stage.kind === "idle" || message.call.id !== stage.call.id) return;
    const call = message.call;
    if (stage.kind === "connected") {
      if (call.state !== "answered") setStage({ kind: "ended", call, by: device.privacy ? "privacy" : "home" });
      return;
    }
    if (stage.kind !== "ringing") return;
    if (call.state !== "answered") return setStage({ kind: "ended", call });
    api.request<ViewGrant>("POST", `/calls/${encodeURIComponent(call.id)}/view`).then(
      (grant) => setStage({ kind: "connected", call, grant }),
      (e: unknown) => setError(e instanceof ApiFailure ? e : null),
    );
  });
  const hungUp = () => setStage((s) => (s.kind === "connected" ? { kind: "ended", call: s.call, by: "you" } : s));
  return { stage, error, start, cancel, hungUp };
}

export function CallHome({
  device,
  autoStart,
  onConnected,
}: {
  device: DeviceView;
  autoStart?: boolean;
  onConnected?: (connected: boolean) => void;
}) {
  const { t } = useT();
  const { stage, error, start, cancel, hungUp } = useCallHome(device, autoStart, onConnected);

  if (stage.kind === "connected") {
    return (
      <div class="stack">
        <p class="ok" role="status">
          {stage.call.autoAnswered ? t("call.homeAutoAnswered") : t("call.homeAnswered")}
        </p>
        <LiveView device={device} call={{ callId: stage.call.id, grant: stage.grant, onHangUp: hungUp }} />
      </div>
    );
  }
  return (
    <section class="card call-home" aria-labelledby="call-home-title">
      <h2 id="call-home-title">{t("call.homeTitle")}</h2>
      {stage.kind === "ringing" ? (
        <>
          <p role="status" class="ringing-home">
            {device.callButton ? t("call.homeRinging") : t("call.homeRingingNoButton")}
          </p>
          <button type="button" class="danger" disabled={cancel.busy} onClick={() => void cancel.run(stage.call)}>
            {t("call.hangUp")}
          </button>
        </>
      ) : (
        <>
          {stage.kind === "ended" ? (
            <p class="hint" role="status" data-testid="call-ended">
              {stage.by ? t(`call.endedBy.${stage.by}`) : t(`call.homeEnded.${stage.call.state}`)}
            </p>
          ) : (
            <p class="muted">{device.callButton ? t("call.homeHint") : t("call.homeHintNoButton")}</p>
          )}
          <button
            type="button"
            class="primary"
            disabled={start.busy || device.connection !== "online" || device.privacy}
            onClick={() => void start.run()}
          >
            {t("call.homeStart")}
          </button>
        </>
      )}
      <ErrorText error={error ?? start.error ?? cancel.error} />
    </section>
  );
}
