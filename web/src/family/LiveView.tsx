// Live view and hold-to-talk for one camera, over WHEP (see whep.ts). A gateway without the relay
// (RELAY_ENABLED=0) answers the grant with 404: pressing Watch then says so plainly instead of spinning.
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { useLiveEvents } from "../hooks.ts";
import type { DeviceView } from "../types.ts";
import type { ViewGrant } from "../types.ts";
import { ApiFailure, type ApiClient } from "../api.ts";
import { WhepError, WhepViewer, type Quality, type WhepGrant, type WhepProblem, type WhepState } from "./whep.ts";

const toWhepGrant = (grant: ViewGrant): WhepGrant => ({
  url: grant.whepUrl,
  token: grant.token,
  iceServers: grant.iceServers,
  expiresAt: grant.expiresAt,
});

/**
 * A call's grant serves every reconnect while it lasts (within a call window a fresh look-in grant would be
 * refused); after it, and outside calls, each connection asks like any viewer.
 */
function grantSource(call: ViewGrant | undefined, ask: () => Promise<WhepGrant>): () => Promise<WhepGrant> {
  const grant = call ? toWhepGrant(call) : null;
  return () => (grant && Date.parse(grant.expiresAt) > Date.now() + 30_000 ? Promise.resolve(grant) : ask());
}

/** Codes by which the gateway refuses this person a viewer token (a camera they may not see is "not found"). */
const refusedToWatch = new Set(["unauthorized", "forbidden", "not-a-member", "not-assigned", "not-found"]);

/** A viewer token for this camera; the gateway's refusals become the messages the family reads. */
async function askToWatch(api: ApiClient, deviceId: string): Promise<WhepGrant> {
  try {
    return toWhepGrant(
      await api.request<ViewGrant>("POST", `/devices/${encodeURIComponent(deviceId)}/view`, { retry: true }),
    );
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    if (error.code === "privacy-mode") throw new WhepError("privacy", error.message, false);
    if (error.code === "call-window") throw new WhepError("call-window", error.message, false);
    if (error.code === "camera-offline" || error.code === "camera-not-claimed")
      throw new WhepError("camera-offline", error.message, false);
    // A gateway without the relay has no such route: the not-found handler says "no route …".
    if (error.code === "not-found" && error.message.startsWith("no route"))
      throw new WhepError("unavailable", error.message, false);
    if (refusedToWatch.has(error.code)) throw new WhepError("forbidden", error.message, false);
    throw new WhepError("network", error.message, true);
  }
}

/** In a call, live view starts at once with the grant the answer gave, and the microphone stays open. */
export interface CallMode {
  callId: string;
  grant: ViewGrant;
  /** This phone hangs up (the request to end the call follows): the screen says who ended it. */
  onHangUp: () => void;
}

/** Why a live view that was running stopped: the frame says it in plain words and offers to watch again. */
export type ViewEnd = "stopped" | "privacy" | "offline";

export function LiveView({
  device,
  onSessionChange,
  call,
}: {
  device: DeviceView;
  onSessionChange?: () => void;
  call?: CallMode | undefined;
}) {
  const { t } = useT();
  const { api, session } = useServices();
  const video = useRef<HTMLVideoElement>(null);
  const section = useRef<HTMLElement>(null);
  const fullScreen = useFullScreen(section);
  const { watching, streamError, setStreamError } = useWatchingNow(device.id);
  const view = useViewer(device, video, call, onSessionChange);
  const { state, running, blocked, ended, muted } = view;
  const watch = () => {
    setStreamError(null);
    view.watch();
  };
  useEffect(() => {
    if (call && !blocked) watch();
  }, []);
  const stop = () => {
    void fullScreen.exit();
    view.stop();
    if (!call) return;
    // Said first: the call's "ended" event may arrive before the answer, and this phone is who hung up.
    call.onHangUp();
    // Hanging up ends the call for the camera too (its screen stops showing who is on the line).
    void api.request("POST", `/calls/${encodeURIComponent(call.callId)}/hang-up`).catch(() => {});
  };

  return (
    <section class="live" aria-labelledby="live-title" ref={section}>
      <h2 id="live-title">{t("live.title")}</h2>
      <VideoFrame
        video={video}
        {...{ state, running, muted, audioOnly: view.audioOnly, quality: view.quality }}
        message={t(frameMessageKey(blocked, view.problem, view.audioOnly, ended))}
      />
      <WatchingNow watching={watching} me={session.current()?.user.id ?? ""} streamError={streamError} />
      {running ? (
        <LiveControls
          {...{ call: call !== undefined, talking: view.talking, talk: view.talk, muted, stop }}
          canTalk={device.talkback}
          fullScreen={fullScreen}
          toggleMute={() => view.setMuted(!muted)}
        />
      ) : (
        <button type="button" class="primary" disabled={blocked !== null} onClick={watch}>
          {ended ? t("live.watchAgain") : t("live.watch")}
        </button>
      )}
    </section>
  );
}

/**
 * One WHEP viewer and what the card shows of it: its state, why it stopped (this person, privacy, the camera
 * gone), quality, sound only, the talk button. Privacy or the camera going offline stops it at once.
 */
function useViewer(
  device: DeviceView,
  video: RefObject<HTMLVideoElement | null>,
  call: CallMode | undefined,
  onSessionChange: (() => void) | undefined,
) {
  const { api } = useServices();
  const viewer = useRef<WhepViewer | null>(null);
  const [state, setState] = useState<WhepState>("idle");
  const [problem, setProblem] = useState<WhepProblem | null>(null);
  const [ended, setEnded] = useState<ViewEnd | null>(null);
  const [quality, setQuality] = useState<{ q: Quality; kbps: number } | null>(null);
  const [audioOnly, setAudioOnly] = useState(false);
  const [talking, setTalking] = useState(false);
  const [muted, setMuted] = useState(false);
  useEffect(() => () => void viewer.current?.stop(), []);
  const blocked = device.connection !== "online" ? "offline" : device.privacy ? "privacy" : null;
  const running = state === "connecting" || state === "live" || state === "reconnecting";
  useEffect(() => {
    if (!blocked || !viewer.current) return;
    if (running) setEnded(blocked);
    void viewer.current.stop();
  }, [blocked]);
  const talk = (on: boolean) => {
    setTalking(on);
    void viewer.current?.setTalking(on);
  };
  const watch = () => {
    setProblem(null);
    setEnded(null);
    viewer.current = new WhepViewer(
      { grant: grantSource(call?.grant, () => askToWatch(api, device.id)) },
      {
        onState: (next, why) => {
          setState(next);
          setProblem(why ?? null);
          if (next === "live" && call && device.talkback) talk(true);
          if (next === "live" || next === "closed") onSessionChange?.();
        },
        onStream: (stream) => playInto(video.current, stream, () => setMuted(true)),
        onQuality: (q, kbps) => setQuality({ q, kbps }),
        onAudioOnly: setAudioOnly,
      },
    );
    void viewer.current.start();
  };
  const stop = () => {
    void viewer.current?.stop();
    if (!call) setEnded("stopped");
  };
  return { state, running, blocked, problem, ended, quality, audioOnly, talking, talk, muted, setMuted, watch, stop };
}

/** Full screen takes the whole live card (picture, talk, hang-up), and says whether it is on. */
function useFullScreen(section: RefObject<HTMLElement | null>) {
  const [on, setOn] = useState(false);
  useEffect(() => {
    const changed = () => setOn(document.fullscreenElement !== null && document.fullscreenElement === section.current);
    document.addEventListener("fullscreenchange", changed);
    return () => document.removeEventListener("fullscreenchange", changed);
  }, []);
  return {
    on,
    enter: () => section.current?.requestFullscreen?.().catch(() => {}) ?? Promise.resolve(),
    exit: () => (document.fullscreenElement ? document.exitFullscreen().catch(() => {}) : Promise.resolve()),
  };
}

/** Autoplay with sound may be refused until the user interacts: play muted then, and say so. */
function playInto(el: HTMLVideoElement | null, stream: MediaStream, onMuted: () => void): void {
  if (!el) return;
  if (el.srcObject !== stream) el.srcObject = stream;
  el.play().catch(() => {
    el.muted = true;
    onMuted();
    void el.play().catch(() => {});
  });
}

function frameMessageKey(
  blocked: string | null,
  problem: WhepProblem | null,
  audioOnly: boolean,
  ended: ViewEnd | null,
): string {
  if (ended) return `live.ended.${ended}`;
  if (blocked) return `live.blocked.${blocked}`;
  if (problem) return `live.problem.${problem}`;
  return audioOnly ? "live.audioOnly" : "live.tapToWatch";
}

function LiveControls(props: {
  call: boolean;
  /** False for a camera with no speaker to talk through (a bridged IP camera without a backchannel). */
  canTalk: boolean;
  talking: boolean;
  talk: (on: boolean) => void;
  muted: boolean;
  toggleMute: () => void;
  fullScreen: { on: boolean; enter: () => Promise<void>; exit: () => Promise<void> };
  stop: () => void;
}) {
  const { t } = useT();
  const { fullScreen } = props;
  return (
    <div class="controls">
      {props.canTalk ? (
        <TalkButton call={props.call} talking={props.talking} talk={props.talk} />
      ) : (
        <p class="muted">{t("live.noTalkback")}</p>
      )}
      <div class="row">
        <button type="button" onClick={props.toggleMute} aria-pressed={props.muted}>
          {props.muted ? t("live.unmute") : t("live.mute")}
        </button>
        <button type="button" onClick={() => void (fullScreen.on ? fullScreen.exit() : fullScreen.enter())}>
          {fullScreen.on ? t("live.exitFullScreen") : t("live.fullScreen")}
        </button>
        <button type="button" class={props.call ? "danger" : ""} onClick={props.stop}>
          {props.call ? t("call.hangUp") : t("live.stop")}
        </button>
      </div>
    </div>
  );
}

function VideoFrame({
  video,
  state,
  running,
  muted,
  audioOnly,
  quality,
  message,
}: {
  video: RefObject<HTMLVideoElement | null>;
  state: WhepState;
  running: boolean;
  muted: boolean;
  audioOnly: boolean;
  quality: { q: Quality; kbps: number } | null;
  message: string;
}) {
  const { t } = useT();
  return (
    <div class="video-frame" data-state={state}>
      <video ref={video} playsInline muted={muted} hidden={!running || audioOnly} />
      {!running || audioOnly ? <p class="video-message">{message}</p> : null}
      {running ? (
        <span class="live-state" role="status">
          {t(`live.state.${state}`)}
          {quality ? ` · ${t(`live.quality.${quality.q}`)}` : ""}
        </span>
      ) : null}
    </div>
  );
}

/** "正在看：你、杨小梅（在说话）": each person once, "你" for this phone, the talker marked beside their name. */
function WatchingNow({
  watching,
  me,
  streamError,
}: {
  watching: { viewers: { viewerId: string; displayName: string }[]; talking: string | null };
  me: string;
  streamError: string | null;
}) {
  const { t } = useT();
  const seen = new Set<string>();
  const names = watching.viewers
    .filter((v) => !seen.has(v.viewerId) && seen.add(v.viewerId))
    .sort((a, b) => Number(b.viewerId === me) - Number(a.viewerId === me))
    .map((v) => {
      const name = v.viewerId === me ? t("live.you") : v.displayName;
      return v.viewerId === watching.talking ? t("live.talkingNow", { name }) : name;
    });
  return (
    <>
      {names.length > 0 ? (
        <p class="muted" role="status" data-testid="watching">
          {t("live.watchingNow", { names: names.join("、") })}
        </p>
      ) : null}
      {streamError ? (
        <p class="error" role="alert">
          {t(`errors.${streamError}`, { defaultValue: t("live.problem.network") })}
        </p>
      ) : null}
    </>
  );
}

/** In a call the microphone is a switch (held open); otherwise it is on only while the button is held. */
function TalkButton({ call, talking, talk }: { call: boolean; talking: boolean; talk: (on: boolean) => void }) {
  const { t } = useT();
  if (call) {
    return (
      <button
        type="button"
        class={talking ? "talk talking" : "talk"}
        aria-pressed={talking}
        onClick={() => talk(!talking)}
      >
        {talking ? t("call.micOn") : t("call.micOff")}
      </button>
    );
  }
  return (
    <button
      type="button"
      class={talking ? "talk talking" : "talk"}
      aria-pressed={talking}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        talk(true);
      }}
      onPointerUp={() => talk(false)}
      onPointerCancel={() => talk(false)}
      onContextMenu={(e) => e.preventDefault()}
    >
      {talking ? t("live.release") : t("live.holdToTalk")}
    </button>
  );
}

/** Who else watches this camera and who talks (live socket), and the stream's last error. */
function useWatchingNow(deviceId: string) {
  const [watching, setWatching] = useState<{
    viewers: { viewerId: string; displayName: string }[];
    talking: string | null;
  }>({ viewers: [], talking: null });
  const [streamError, setStreamError] = useState<string | null>(null);
  useLiveEvents((message) => {
    if (message.type === "view.viewers" && message.deviceId === deviceId)
      setWatching({ viewers: message.viewers, talking: message.talking });
    // The code, not the server's English: the screen says it in the reader's language.
    if (message.type === "view.error" && message.deviceId === deviceId) setStreamError(message.error);
  });
  return { watching, streamError, setStreamError };
}
