// 望乡 viewer: WHEP against the gateway's relay. Video and the home's sound come in; the family member's
// microphone goes out only while the talk button is held (no RTP at all otherwise, to save 4G data).
// Plain ES module, no build step. URL: index.html#camera=<id>&token=<viewer token>[&api=/api/v1][&ice=relay]
// The token is read from the fragment only: a fragment never leaves the browser, so it is in no request,
// no server or proxy log and no Referer.

const fragment = new URLSearchParams(location.hash.slice(1));
const query = new URLSearchParams(location.search);
const param = (name) => fragment.get(name) ?? query.get(name);
const cameraId = param("camera") ?? "";
const token = fragment.get("token") ?? "";
const apiBase = param("api") ?? "/api/v1";
const iceTransportPolicy = param("ice") === "relay" ? "relay" : "all";
// Once read, the token leaves the address bar (and the history entry).
if (fragment.has("token")) history.replaceState(null, "", `${location.pathname}${location.search}`);
const whepUrl = `${apiBase}/whep/${encodeURIComponent(cameraId)}`;

const video = document.getElementById("video");
const stateText = document.getElementById("state");
const watchButton = document.getElementById("watch");
const talkButton = document.getElementById("talk");

const STATE_TEXT = {
  idle: "点击“开始观看” (Tap Watch)",
  requesting: "正在请求画面… (Requesting)",
  new: "准备中… (Starting)",
  connecting: "连接中… (Connecting)",
  connected: "已连接 (Live)",
  disconnected: "网络不稳，正在恢复… (Unstable network)",
  failed: "连接失败，正在重试… (Failed, retrying)",
  reconnecting: "重新连接中… (Reconnecting)",
  "audio-only": "网络较差，仅播放声音 (Poor network: audio only)",
  closed: "已结束 (Ended)",
  error: "出错了 (Error)",
};

/** Numbers a test (or a curious engineer in devtools) can read. */
const metrics = {
  tapAt: null,
  offerAt: null,
  relayMs: null,
  answerAt: null,
  connectedAt: null,
  firstFrameAt: null,
  sessionUrl: null,
  error: null,
  /** Sessions started again after the path broke, and whether the picture is paused for a weak downlink. */
  reconnects: 0,
  audioOnly: false,
};
window.wangxiang = {
  metrics,
  get pc() {
    return pc;
  },
};

let pc = null;
let audioSender = null;
let microphone = null;
let retryTimer = null;
let disconnectedTimer = null;
let attempt = 0;
let watching = false;

/** How long `disconnected` may last before we stop hoping ICE recovers by itself and start again. */
const DISCONNECTED_GRACE_MS = 2000;
/** How long a connected session may bring no packets at all before it counts as broken. */
const MEDIA_SILENCE_MS = 3000;

function showState(state, detail) {
  stateText.dataset.state = state;
  stateText.textContent = (STATE_TEXT[state] ?? state) + (detail ? ` — ${detail}` : "");
}

/** WHIP/WHEP advertise ICE servers (TURN) as Link headers; an OPTIONS request fetches them first. */
function parseIceLinks(header) {
  if (!header) return [];
  return header.split(/,(?=\s*<)/).flatMap((link) => {
    const url = /<([^>]+)>/.exec(link)?.[1];
    if (!url || !/rel="ice-server"/.test(link)) return [];
    const attribute = (name) => new RegExp(`${name}="([^"]*)"`).exec(link)?.[1];
    const server = { urls: url };
    if (attribute("username") !== undefined) {
      server.username = attribute("username");
      server.credential = attribute("credential") ?? "";
    }
    return [server];
  });
}

async function iceServers() {
  const reply = await fetch(whepUrl, { method: "OPTIONS", headers: { authorization: `Bearer ${token}` } });
  return parseIceLinks(reply.headers.get("link"));
}

/** Non-trickle: wait for candidates (host ones take milliseconds), but never long for a slow TURN server. */
function gathered(peer, capMs) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      peer.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (peer.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, capMs);
    peer.addEventListener("icegatheringstatechange", check);
  });
}

async function watch() {
  clearTimeout(retryTimer);
  watching = true;
  showState(attempt > 0 ? "reconnecting" : "requesting");
  const peer = new RTCPeerConnection({
    iceServers: await iceServers(),
    iceTransportPolicy,
    bundlePolicy: "max-bundle",
  });
  pc = peer;
  peer.addTransceiver("video", { direction: "recvonly" });
  // sendrecv from the start, with no track: holding the talk button later needs no renegotiation.
  audioSender = peer.addTransceiver("audio", { direction: "sendrecv" }).sender;
  if (microphone && talkButton.getAttribute("aria-pressed") === "true") await audioSender.replaceTrack(microphone);

  const stream = new MediaStream();
  peer.ontrack = (event) => {
    stream.addTrack(event.track);
    if (video.srcObject !== stream) video.srcObject = stream;
    video.play().catch(() => {
      video.muted = true;
      video.play().catch(() => {});
    });
  };
  peer.onconnectionstatechange = () => {
    if (peer !== pc) return;
    const state = peer.connectionState;
    clearTimeout(disconnectedTimer);
    if (state === "connected") {
      metrics.connectedAt ??= performance.now();
      talkButton.disabled = false;
      attempt = 0;
      showState(metrics.audioOnly ? "audio-only" : "connected");
    } else if (state === "disconnected") {
      // Often a blip (a lost ICE check, a cell hand-over) that ICE rides out; if not, start again.
      showState("disconnected");
      disconnectedTimer = setTimeout(() => {
        if (peer === pc && peer.connectionState === "disconnected") reconnect("disconnected");
      }, DISCONNECTED_GRACE_MS);
    } else if (state === "failed") {
      reconnect("failed");
    } else {
      showState(state);
    }
  };

  await peer.setLocalDescription(await peer.createOffer());
  // Host candidates behind Chromium's mDNS names take ~200 ms; the relay also learns our address from our
  // connectivity checks (peer-reflexive), so we need not wait long. TURN allocations are worth waiting for.
  await gathered(peer, Number(param("gatherMs") ?? (iceTransportPolicy === "relay" ? 2000 : 300)));
  metrics.offerAt = performance.now();
  const reply = await fetch(whepUrl, {
    method: "POST",
    headers: { "content-type": "application/sdp", authorization: `Bearer ${token}` },
    body: peer.localDescription.sdp,
  });
  if (reply.status !== 201) {
    const problem = await reply.json().catch(() => ({}));
    const error = new Error(problem.message ?? `HTTP ${reply.status}`);
    // 401/403: the token expired or the camera went private; trying again will not help.
    error.final = reply.status === 401 || reply.status === 403;
    throw error;
  }
  metrics.relayMs = Number(/dur=([\d.]+)/.exec(reply.headers.get("server-timing") ?? "")?.[1] ?? NaN);
  metrics.sessionUrl = new URL(reply.headers.get("location"), new URL(whepUrl, location.href)).toString();
  await peer.setRemoteDescription({ type: "answer", sdp: await reply.text() });
  metrics.answerAt = performance.now();
  if (peer.connectionState !== "new") showState(peer.connectionState);
}

/**
 * The path broke (network change, relay restart): drop this session and open a new one with the same
 * grant token, after an exponential back-off with jitter (0.5 s, 1 s, 2 s … 15 s, each ±50 %) so a
 * relay that restarts is not hit by every viewer at the same instant.
 */
function reconnect(why) {
  if (!watching) return;
  leave();
  watching = true;
  metrics.reconnects++;
  const delay = Math.min(500 * 2 ** attempt, 15_000) * (0.5 + Math.random());
  attempt++;
  console.info(`wangxiang: ${why}, reconnecting in ${delay.toFixed(0)} ms (attempt ${attempt})`);
  showState("reconnecting");
  retryTimer = setTimeout(() => watch().catch(retryOrFail), delay);
}

function retryOrFail(error) {
  if (error?.final || !watching) return fail(error);
  reconnect(`error: ${error?.message ?? error}`);
}

// Back on a network after being off: try at once instead of waiting out the back-off.
window.addEventListener("online", () => {
  if (watching && !pc) {
    clearTimeout(retryTimer);
    watch().catch(retryOrFail);
  }
});

/**
 * The relay stops sending video to a viewer whose downlink cannot carry it and keeps the sound going.
 * The page sees it as pictures no longer decoding while audio still arrives, and says so.
 */
let lastSample = null;
setInterval(async () => {
  const peer = pc;
  if (peer && lastSample && lastSample.peer !== peer) lastSample = null;
  if (!peer || peer.connectionState !== "connected") return;
  let frames = 0,
    audio = 0,
    video = 0;
  (await peer.getStats()).forEach((report) => {
    if (report.type !== "inbound-rtp") return;
    if (report.kind === "video") {
      frames = report.framesDecoded ?? 0;
      video = report.packetsReceived ?? 0;
    }
    if (report.kind === "audio") audio = report.packetsReceived ?? 0;
  });
  const sample = { peer, frames, audio, video, at: performance.now(), stalledSince: null, silentSince: null };
  if (lastSample?.peer === peer) {
    // The camera's sound never stops (Opus sends at least every 400 ms even in silence), so nothing at
    // all for 3 s means the path is gone: ICE would say "disconnected" only seconds later.
    const silent = audio > 0 && audio === lastSample.audio && video === lastSample.video;
    sample.silentSince = silent ? (lastSample.silentSince ?? lastSample.at) : null;
    if (silent && sample.at - sample.silentSince >= MEDIA_SILENCE_MS) return reconnect("no media");
    const stalled = frames === lastSample.frames && audio > lastSample.audio;
    sample.stalledSince = stalled ? (lastSample.stalledSince ?? lastSample.at) : null;
    const audioOnly = sample.stalledSince !== null && sample.at - sample.stalledSince >= 1500;
    if (audioOnly !== metrics.audioOnly && peer === pc) {
      metrics.audioOnly = audioOnly;
      showState(audioOnly ? "audio-only" : "connected");
    }
  }
  lastSample = sample;
}, 1000);

function leave() {
  watching = false;
  clearTimeout(retryTimer);
  clearTimeout(disconnectedTimer);
  if (metrics.sessionUrl) {
    // keepalive: this also runs while the page is being closed.
    fetch(metrics.sessionUrl, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
      keepalive: true,
    }).catch(() => {});
    metrics.sessionUrl = null;
  }
  pc?.close();
  pc = null;
  metrics.audioOnly = false;
  talkButton.disabled = true;
}

function fail(error) {
  watching = false;
  metrics.error = String(error?.message ?? error);
  showState("error", metrics.error);
  watchButton.disabled = false;
}

function onFirstFrame() {
  const mark = () => {
    metrics.firstFrameAt ??= performance.now();
  };
  if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(mark);
  else video.addEventListener("loadeddata", mark, { once: true });
}

watchButton.addEventListener("click", () => {
  metrics.tapAt = performance.now();
  metrics.firstFrameAt = null;
  watchButton.disabled = true;
  attempt = 0;
  onFirstFrame();
  watch().catch(retryOrFail);
});

// ── hold to talk ─────────────────────────────────────────────────────
async function startTalking() {
  if (talkButton.disabled || talkButton.getAttribute("aria-pressed") === "true") return;
  talkButton.setAttribute("aria-pressed", "true");
  talkButton.textContent = "松开结束 (Release to stop)";
  try {
    microphone ??= (
      await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      })
    ).getAudioTracks()[0];
    // Released while the permission prompt was up: do not start sending after all.
    if (talkButton.getAttribute("aria-pressed") !== "true") return;
    microphone.enabled = true;
    await audioSender?.replaceTrack(microphone);
  } catch (error) {
    stopTalking();
    showState("error", `麦克风不可用 (microphone unavailable): ${error.message ?? error}`);
  }
}

function stopTalking() {
  talkButton.setAttribute("aria-pressed", "false");
  talkButton.textContent = "按住说话 (Hold to talk)";
  if (microphone) microphone.enabled = false;
  audioSender?.replaceTrack(null).catch(() => {});
}

talkButton.addEventListener("pointerdown", (event) => {
  talkButton.setPointerCapture(event.pointerId);
  startTalking();
});
for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) talkButton.addEventListener(type, stopTalking);
talkButton.addEventListener("contextmenu", (event) => event.preventDefault()); // long-press menu on Android
talkButton.addEventListener("keydown", (event) => {
  if (event.key === " " || event.key === "Enter") {
    event.preventDefault();
    startTalking();
  }
});
talkButton.addEventListener("keyup", (event) => {
  if (event.key === " " || event.key === "Enter") stopTalking();
});

window.addEventListener("pagehide", leave);

if (!cameraId || !token) {
  watchButton.disabled = true;
  showState("error", "链接缺少摄像头或令牌 (missing camera or token in the link)");
}
