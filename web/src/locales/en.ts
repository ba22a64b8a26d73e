import type { zhCN } from "./zh-CN.ts";

type Same<T> = { [K in keyof T]: T[K] extends string ? string : Same<T[K]> };

export const en: Same<typeof zhCN> = {
  app: { name: "Wangxiang", tagline: "Working far away? See home any time." },
  common: { back: "Back", cancel: "Cancel", loading: "Loading…", next: "Next", save: "Save", sending: "Sending…", soon: "coming soon", switchLanguage: "切换到中文", wait: "Please wait…" },
  auth: { title: "Sign in", username: "Username", password: "Password", signIn: "Sign in", signOut: "Sign out", newHere: "New here?", haveInvite: "I have an invite code" },
  state: { online: "Online", offline: "Offline", unknown: "Not connected yet" },
  live: {
    down: "Connection lost, reconnecting; what you see may be out of date.",
    title: "Live view", watchingNow: "Watching: {{names}}", talkingNow: "{{name}} is talking", watch: "Watch", stop: "Stop", holdToTalk: "Hold to talk", release: "Release to stop",
    mute: "Mute", unmute: "Sound on", fullScreen: "Full screen", tapToWatch: "Tap Watch to see home",
    audioOnly: "Poor network: sound only for now; the picture comes back by itself when the network recovers.",
    blocked: { offline: "The camera is offline; live view is not possible now.", privacy: "Privacy mode is on at home; the camera shows no picture." },
    problem: {
      unavailable: "Live view is not enabled on this server.", privacy: "Privacy mode is on at home; the camera shows no picture.", forbidden: "You may not watch this camera.",
      "camera-offline": "The camera is offline; live view is not possible now.", network: "Bad network, could not connect. Try again later.", microphone: "Cannot use the microphone; allow it in the browser.",
    },
    state: { idle: "Not started", connecting: "Connecting…", live: "Live", reconnecting: "Unstable network, recovering…", failed: "Could not connect", closed: "Ended" },
    quality: { good: "good picture", fair: "fair picture", poor: "poor network" },
  },
  family: {
    title: "My home", homeOf: "{{elder}}'s home", camera: "Camera", noSnapshot: "No picture yet", noCameras: "No camera is installed in this home yet.",
    noHousehold: "You have not joined a home yet. Ask the installer or a relative for an invite code.",
  },
  camera: {
    state: "State", lastSeenLabel: "Last seen", lastSeen: "Last seen {{when}}", neverSeen: "Never connected yet", home: "Home",
    privacy: "Privacy mode", privacyOn: "Privacy mode", privacyOnLong: "On (not filming)", privacyOffLong: "Off",
    privacyTurnOn: "Turn privacy on", privacyTurnOff: "Turn privacy off",
    whoWatched: "Who watched", talked: "talked", watchedSeconds: "{{count}} s", watchedMinutes: "{{count}} min", watching: "watching now", nobodyWatched: "Nobody has watched yet.",
  },
  invite: {
    title: "Invite family", create: "Create invite code", uses: "How many people", usesN_one: "{{count}} person", usesN_other: "{{count}} people", share: "Share invite",
    tellThem: "Tell your relative this code, or send the link below:", valid: "Valid until {{until}}, for up to {{uses}}",
    shareText: "See home with Wangxiang. Invite code: {{code}}, link: {{link}}",
  },
  join: {
    title: "Join a home", enterCode: "Enter the 8-character invite code from the installer or a relative.", code: "Invite code", tryAnother: "Try another code",
    invitedTo: "You are invited to", home: "{{elder}}'s home", familyOnly: "Only family accounts can join a home with an invite.", accept: "Join this home",
    createAccount: "Create an account and join", displayName: "Your name", displayNameHint: "e.g. Yang Xiaomei", relation: "Relation to the elder", relationHint: "e.g. son, daughter",
    passwordHint: "at least 8 characters", registerAndJoin: "Create account and join", haveAccount: "Already have an account?",
  },
  household: { village: "Village", elderName: "Elder's name", contactName: "Contact", contactPhone: "Phone", address: "Address", requestId: "Request" },
  installer: {
    title: "Install: households", newHousehold: "New household", search: "Search", searchHint: "elder, village or phone", household: "Household",
    cameras_one: "{{count}} camera", cameras_other: "{{count}} cameras", camerasTitle: "Cameras", addCamera: "Add a camera", bind: "Add to this home",
    members: "Family members", noMembers: "No family member yet. Create an invite below.", replace: "Replace", move: "Move", moveTo: "Move to household",
    remove: "Remove", removeConfirm: "Remove {{serial}} from this home?", signal: "signal {{rssi}} dBm",
    waitingOnline: "Added. Power the camera on and wait for it to come online…", cameraOnline: "Camera is online ✓",
  },
  scan: {
    scan: "Scan", type: "Type", serial: "Serial", claimCode: "Claim code", label: "Place (optional)", labelHint: "e.g. living room",
    aim: "Point the phone's camera at the QR code on the box.", needsHttps: "Scanning needs an HTTPS connection. Type the serial and claim code instead.",
    noCamera: "Cannot open the phone's camera; type the code instead.", notOurs: "This is not a Wangxiang camera's QR code.",
  },
  staff: {
    title: "Fleet console", totals: "Overview", openAlerts: "Open alerts", alerts: "Alerts", noAlerts: "No open alerts.",
    alertOffline: "Offline", raised: "raised {{when}}", acknowledge: "Acknowledge, I'm on it", acknowledgedBy: "Acknowledged by {{who}}",
    offlineLongest: "Offline longest", noneOffline: "Every camera is online.", offlineFor: "offline for {{duration}}", noVillage: "not installed",
    byVillage: "By village", village: "Village", total: "Total", exportCsv: "Export device list (CSV)",
    device: "Camera", place: "Place", firmware: "Firmware", signalTemp: "Signal · temperature", uptime: "Uptime", gatewayDown: "Not watched", gatewayDownValue: "gateway down {{h24}} min in 24 h, {{d30}} min in 30 d (left out of uptime)",
    uptimeChart: "Online over 24 h", heartbeats: "Heartbeats", noHeartbeats: "No heartbeats yet.", time: "Time", storage: "Free storage",
    commands: "Commands", reboot: "Reboot", firmwareUpdate: "Firmware update", version: "Version", sendUpdate: "Send update",
    waitingCamera: "Sent, waiting for the camera to answer…",
    command: { reboot: "Reboot", privacy: "Privacy", "firmware-update": "Firmware update" },
    status: { pending: "pending", succeeded: "done", failed: "failed", "timed-out": "camera did not answer" },
  },
  call: {
    title: "Call", incomingTitle: "{{elder}}'s home is calling", incomingText: "Someone pressed the call button on the {{camera}} camera.", answer: "Answer", later: "Later",
    withHome: "In a call with {{elder}}'s home", answeredHint: "Your microphone is on: home can hear you.", noVideo: "Answered, but no picture for now (the camera may have just gone offline).",
    taken: "Another family member answered this call, or it has ended.", backHome: "Back to my home",
    micOn: "Microphone on (tap to turn off)", micOff: "Microphone off (tap to turn on)", hangUp: "Hang up",
    homeTitle: "Call home", homeHint: "Ring the camera at home; one press there starts the video call.", homeStart: "Call home", homeRinging: "Calling home… waiting for a press on the camera's button.",
    homeAnswered: "Connected ({{by}}). Your microphone is on.",
    homeEnded: { missed: "Nobody answered at home.", declined: "Home declined; the camera is in privacy mode for a while.", cancelled: "Hung up.", ringing: "", answered: "" },
    missedTitle: "Missed calls", missedFrom: "{{elder}}'s home · {{camera}}", callBack: "Call back",
    pushOffer: "Ring this phone when home presses the call button (even with the app closed).", pushEnable: "Turn on call alerts", pushOn: "Call alerts are on for this phone.",
  },
  callSettings: {
    title: "Call settings", autoAnswer: "Auto-answer when calling home", autoAnswerOff: "Off (the elder presses to answer)", afterSeconds_one: "after {{count}} second of ringing", afterSeconds_other: "after {{count}} seconds of ringing",
    setBy: "Set by {{name}} on {{when}}", declinePrivacy: "After a declined call, privacy mode lasts", minutes_one: "{{count}} minute", minutes_other: "{{count}} minutes",
  },
  errors: {
    network: "Network unreachable; check the connection and try again.", unauthorized: "Wrong username or password.", "too-many-requests": "Too many tries; wait a moment.",
    "invite-not-found": "No invite with this code; check the letters.", "invite-expired": "This invite has expired or been used up; ask for a new one.",
    "username-taken": "This username is taken; choose another.", "claim-code-wrong": "Wrong claim code; check the code on the box.",
    "claim-code-used": "This camera has already been activated.", "device-revoked": "This camera has been revoked; call the service centre.", "not-found": "Not found.",
    "camera-did-not-answer": "The camera did not answer.", forbidden: "You may not do this.", "invalid-request": "Something in the form is not right.",
    "command-failed": "The camera could not do it.", "command-timed-out": "The camera did not answer.",
    "call-not-ringing": "This call is no longer ringing: someone answered it, or it ended.",
  },
};
