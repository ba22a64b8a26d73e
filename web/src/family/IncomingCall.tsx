// The incoming-call screen: whatever page a family member has open, the elder's call button rings here.
// One tap answers (CallScreen); the screen goes away when someone else answers or the call rings out.
// A page opened (or reconnected) while home is ringing asks for the ringing call, as the event came before it.
import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { useServices, useT } from "../context.ts";
import { useLiveEvents, useLoad } from "../hooks.ts";
import type { CallView } from "../types.ts";

/**
 * Calls this person put off (稍后再说) stay put off on every page and after a reload: the ringing screen must not
 * come back over the page they went on to. Kept for the browser tab's life; a call rings 45 s at most.
 */
const putOffKey = "wx.putOffCalls";
/** Also kept here, for a browser that refuses storage (a private window): then only a reload forgets them. */
const putOffHere = new Set<string>();
const putOffCalls = {
  read(): string[] {
    try {
      return JSON.parse(sessionStorage.getItem(putOffKey) ?? "[]") as string[];
    } catch {
      return [];
    }
  },
  has(callId: string): boolean {
    return putOffHere.has(callId) || this.read().includes(callId);
  },
  add(callId: string): void {
    putOffHere.add(callId);
    try {
      sessionStorage.setItem(putOffKey, JSON.stringify([...this.read().slice(-19), callId]));
    } catch {
      /* storage refused: put off in this page only */
    }
  },
};

export function IncomingCall() {
  const { t } = useT();
  const { route } = useLocation();
  const { api } = useServices();
  const [call, setCall] = useState<CallView | null>(null);
  // A list asked for before a ring reached the live socket can arrive after it, without that call: it must not
  // take the ringing screen away. Only a list asked for after the ring is news about it.
  const listAskedAt = useRef(0);
  const ringHeardAt = useRef(0);
  const ringing = useLoad((signal) => {
    listAskedAt.current = performance.now();
    return api.get<{ items: CallView[] }>("/calls?state=ringing&limit=5", { signal });
  }, []);
  useEffect(() => {
    const items = ringing.data?.items;
    if (!items) return;
    const waiting = items.find((c) => c.direction === "from-home" && !putOffCalls.has(c.id)) ?? null;
    const listIsOlder = ringHeardAt.current > listAskedAt.current;
    setCall((current) => (current && (listIsOlder || items.some((c) => c.id === current.id)) ? current : waiting));
  }, [ringing.data]);
  useLiveEvents((message) => {
    if (message.type === "call.ringing" && !putOffCalls.has(message.call.id)) {
      ringHeardAt.current = performance.now();
      setCall(message.call);
    }
    if (message.type === "call.updated") setCall((current) => (current?.id === message.call.id ? null : current));
  });
  if (!call) return null;
  const answer = () => {
    setCall(null);
    route(`/family/call/${encodeURIComponent(call.id)}`);
  };
  return (
    <div class="incoming-call" role="alertdialog" aria-labelledby="incoming-title" aria-describedby="incoming-text">
      <div class="ring" aria-hidden="true">
        ☎
      </div>
      <h2 id="incoming-title">{t("call.incomingTitle", { elder: call.elderName })}</h2>
      <p id="incoming-text">{t("call.incomingText", { elder: call.elderName })}</p>
      <p class="muted">{call.label ?? t("family.camera")}</p>
      <button type="button" class="primary answer" onClick={answer}>
        {t("call.answer")}
      </button>
      <button
        type="button"
        class="link"
        onClick={() => {
          putOffCalls.add(call.id);
          setCall(null);
        }}
      >
        {t("call.later")}
      </button>
    </div>
  );
}
