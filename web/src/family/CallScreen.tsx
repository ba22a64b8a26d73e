// Answering the elder's call (from the incoming-call screen or a push notification): the first member to
// answer gets live view with the microphone held open; anyone later is told the call was taken or ended.
import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import type { CallReachView } from "../../../protocol/phone.ts";
import { ApiFailure } from "../api.ts";
import { useServices, useT } from "../context.ts";
import { useLoad } from "../hooks.ts";
import type { AnsweredCall, DeviceDetail } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { LiveView } from "./LiveView.tsx";

export function CallScreen() {
  const { t } = useT();
  const { api } = useServices();
  const { params } = useRoute();
  const callId = params.callId!;
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

  const taken = error?.code === "call-not-ringing";
  const title = answered ? t("call.withHome", { elder: answered.call.call.elderName }) : t("call.title");
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
      {answered ? (
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
            call={answered.call.grant ? { callId, grant: answered.call.grant } : undefined}
          />
          <CallReach callId={callId} />
        </div>
      ) : null}
    </Layout>
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
