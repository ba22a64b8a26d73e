// Answering the elder's call (from the incoming-call screen or a push notification): the first member to
// answer gets live view with the microphone held open; anyone later is told the call was taken or ended.
import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import type { CallReachView } from "../../../protocol/phone.ts";
import { ApiFailure } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { useLiveEvents, useLoad } from "../hooks.ts";
import type { AnsweredCall, DeviceDetail } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import type { CallEnd } from "./CallHome.tsx";
import { LiveView } from "./LiveView.tsx";

export function CallScreen() {
  const { t } = useT();
  const { params } = useRoute();
  const callId = params.callId!;
  const { answered, error } = useAnswer(callId);
  const [ended, setEnded] = useState<CallEnd | null>(null);
  useLiveEvents((message) => {
    if (message.type === "call.updated" && message.call.id === callId && message.call.state !== "answered")
      setEnded((by) => by ?? "home");
  });

  const taken = error?.code === "call-not-ringing";
  const elder = answered?.call.call.elderName;
  const title = !elder ? t("call.title") : ended ? t("call.endedWith", { elder }) : t("call.withHome", { elder });
  return (
    <Layout title={title} back="/family">
      {taken ? (
        <p class="lead" role="status">
          {t("call.taken")} <a href="/family">{t("call.backHome")}</a>
        </p>
      ) : (
        <ErrorText error={error} />
      )}
      {!answered && !error ? <Loading /> : null}
      {taken ? <CallReach callId={callId} /> : null}
      {answered && ended ? <CallEnded by={ended} deviceId={answered.device.id} /> : null}
      {answered && !ended ? (
        <div class="stack">
          <p class="muted" role="status">
            {t("call.answeredHint")}
          </p>
          {answered.call.grant ? null : (
            <p class="error" role="alert">
              {t("call.noVideo")}
            </p>
          )}
          <LiveView
            device={answered.device}
            call={
              answered.call.grant ? { callId, grant: answered.call.grant, onHangUp: () => setEnded("you") } : undefined
            }
          />
          <CallReach callId={callId} />
        </div>
      ) : null}
    </Layout>
  );
}

/** Answers the call once (the first member to answer gets the grant), and loads the camera it came from. */
function useAnswer(callId: string) {
  const { api } = useServices();
  const [answered, setAnswered] = useState<{ call: AnsweredCall; device: DeviceDetail } | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const reply = await api.request<AnsweredCall>("POST", `/calls/${encodeURIComponent(callId)}/answer`);
      const device = await api.get<DeviceDetail>(`/devices/${encodeURIComponent(reply.call.deviceId)}`);
      if (!cancelled) setAnswered({ call: reply, device });
    })().catch((e: unknown) => {
      if (!cancelled) setError(e instanceof ApiFailure ? e : new ApiFailure(0, "network", String(e)));
    });
    return () => {
      cancelled = true;
    };
  }, [callId]);
  return { answered, error };
}

/** After the call: who ended it, and the next things to do (call home again, or back to the home screen). */
function CallEnded({ by, deviceId }: { by: CallEnd; deviceId: string }) {
  const { t } = useT();
  return (
    <section class="card stack" data-testid="call-ended">
      <p class="lead" role="status">
        {t(`call.endedBy.${by}`)}
      </p>
      <a class="button primary" href={`/family/camera/${encodeURIComponent(deviceId)}?callHome=1`}>
        {t("call.homeStart")}
      </a>
      <a class="button" href="/family">
        {t("call.backHome")}
      </a>
    </section>
  );
}

/** Which channels the call went out on (push, SMS, a voice call, to whom) and who answered. */
function CallReach({ callId }: { callId: string }) {
  const { t } = useT();
  const { api } = useServices();
  const reach = useLoad(
    (signal) => api.get<CallReachView>(`/calls/${encodeURIComponent(callId)}/reach`, { signal }),
    [callId],
  );
  if (!reach.data) return null;
  const { answeredByName, items } = reach.data;
  const names = (channel: "sms" | "voice") =>
    items
      .filter((m) => m.channel === channel && m.state === "sent")
      .map((m) => m.name)
      .join("、");
  const sms = names("sms");
  const voice = names("voice");
  return (
    <section class="card call-reach" data-testid="call-reach">
      <p>{t("call.reachPush")}</p>
      {sms ? <p>{t("call.reachSms", { names: sms })}</p> : null}
      {voice ? <p>{t("call.reachVoice", { names: voice })}</p> : null}
      {answeredByName ? <p>{t("call.reachAnswered", { name: answeredByName })}</p> : null}
    </section>
  );
}
