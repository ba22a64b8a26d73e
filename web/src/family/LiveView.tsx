// Live view and hold-to-talk for one camera, over WHEP. The relay's WHEP endpoint is being built alongside
// this app: until the gateway serves it, pressing Watch says so plainly instead of spinning.
import { useEffect, useRef, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import type { DeviceView } from "../types.ts";
import { WhepViewer, type Quality, type WhepProblem, type WhepState } from "./whep.ts";

export function LiveView({ device }: { device: DeviceView }) {
  const { t } = useT();
  const { session } = useServices();
  const video = useRef<HTMLVideoElement>(null);
  const viewer = useRef<WhepViewer | null>(null);
  const [state, setState] = useState<WhepState>("idle");
  const [problem, setProblem] = useState<WhepProblem | null>(null);
  const [quality, setQuality] = useState<{ q: Quality; kbps: number } | null>(null);
  const [audioOnly, setAudioOnly] = useState(false);
  const [talking, setTalking] = useState(false);
  const [muted, setMuted] = useState(false);

  useEffect(() => () => void viewer.current?.stop(), []);
  const blocked = device.connection !== "online" ? "offline" : device.privacy ? "privacy" : null;
  useEffect(() => { if (blocked) void viewer.current?.stop(); }, [blocked]);

  const watch = () => {
    setProblem(null);
    viewer.current = new WhepViewer({ url: `/api/v1/whep/${encodeURIComponent(device.id)}`, token: session.current()?.token ?? "" }, {
      onState: (next, why) => { setState(next); setProblem(why ?? null); },
      onStream: (stream) => {
        const el = video.current;
        if (!el) return;
        if (el.srcObject !== stream) el.srcObject = stream;
        el.play().catch(() => { el.muted = true; setMuted(true); void el.play().catch(() => {}); });
      },
      onQuality: (q, kbps) => setQuality({ q, kbps }),
      onAudioOnly: setAudioOnly,
    });
    void viewer.current.start();
  };
  const talk = (on: boolean) => {
    setTalking(on);
    void viewer.current?.setTalking(on);
  };
  const fullScreen = () => void video.current?.parentElement?.requestFullscreen?.().catch(() => {});
  const running = state === "connecting" || state === "live" || state === "reconnecting";

  return (
    <section class="live" aria-labelledby="live-title">
      <h2 id="live-title">{t("live.title")} <span class="tag">{t("live.preview")}</span></h2>
      <div class="video-frame" data-state={state}>
        <video ref={video} playsInline muted={muted} hidden={!running || audioOnly} />
        {!running || audioOnly ? (
          <p class="video-message">
            {blocked ? t(`live.blocked.${blocked}`) : problem ? t(`live.problem.${problem}`) : audioOnly ? t("live.audioOnly") : t("live.tapToWatch")}
          </p>
        ) : null}
        {running ? <span class="live-state" role="status">{t(`live.state.${state}`)}{quality ? ` · ${t(`live.quality.${quality.q}`)}` : ""}</span> : null}
      </div>
      {running ? (
        <div class="controls">
          <button type="button" class={talking ? "talk talking" : "talk"} aria-pressed={talking}
            onPointerDown={(e) => { e.currentTarget.setPointerCapture(e.pointerId); talk(true); }}
            onPointerUp={() => talk(false)} onPointerCancel={() => talk(false)} onContextMenu={(e) => e.preventDefault()}>
            {talking ? t("live.release") : t("live.holdToTalk")}
          </button>
          <div class="row">
            <button type="button" onClick={() => setMuted(!muted)} aria-pressed={muted}>{muted ? t("live.unmute") : t("live.mute")}</button>
            <button type="button" onClick={fullScreen}>{t("live.fullScreen")}</button>
            {audioOnly ? <button type="button" onClick={() => void viewer.current?.retryVideo()}>{t("live.tryVideo")}</button> : null}
            <button type="button" onClick={() => void viewer.current?.stop()}>{t("live.stop")}</button>
          </div>
        </div>
      ) : (
        <button type="button" class="primary" disabled={blocked !== null} onClick={watch}>{t("live.watch")}</button>
      )}
    </section>
  );
}
