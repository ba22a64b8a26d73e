// The phones and browsers signed in to one's account (GET /auth/sessions): which, when last used, until when
// this one stays signed in; sign out any one of them, or all the others (a lost or lent phone).
import type { z } from "zod";
import type { sessionView } from "../../../protocol/accounts.ts";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useAction, useLoad } from "../hooks.ts";
import { ErrorText } from "./Layout.tsx";

export type SessionView = z.infer<typeof sessionView>;

/** A phone or browser as a person would name it, from the User-Agent it signed in with. */
export function clientKind(userAgent: string | null): "android" | "iphone" | "ipad" | "computer" | "unknown" {
  if (!userAgent) return "unknown";
  if (/iPhone/i.test(userAgent)) return "iphone";
  if (/iPad/i.test(userAgent)) return "ipad";
  if (/Android/i.test(userAgent)) return "android";
  if (/Windows|Macintosh|Linux|CrOS/i.test(userAgent)) return "computer";
  return "unknown";
}
const inWeChat = (userAgent: string | null) => Boolean(userAgent && /MicroMessenger/i.test(userAgent));

export function SessionsCard() {
  const { t } = useT();
  const { api } = useServices();
  const list = useLoad((signal) => api.get<{ items: SessionView[] }>("/auth/sessions", { signal }), []);
  const others = useAction(async () => {
    await api.request("POST", "/auth/sessions/sign-out-others");
    list.reload();
  });
  // This phone first, then the others as the server sorts them (the most recently used first).
  const items = [...(list.data?.items ?? [])].sort((a, b) => Number(b.current) - Number(a.current));
  return (
    <section class="card stack" data-testid="sessions">
      <h2>{t("sessions.title")}</h2>
      <p class="muted">{t("sessions.hint")}</p>
      <ul class="list">
        {items.map((s) => (
          <SessionRow key={s.id} session={s} onEnded={list.reload} />
        ))}
      </ul>
      {items.some((s) => !s.current) ? (
        <button type="button" name="sign-out-others" disabled={others.busy} onClick={() => void others.run()}>
          {t("sessions.signOutOthers")}
        </button>
      ) : null}
      <ErrorText error={list.error ?? others.error} />
    </section>
  );
}

function SessionRow({ session, onEnded }: { session: SessionView; onEnded: () => void }) {
  const { t, lang } = useT();
  const { api, session: mine } = useServices();
  const end = useAction(async () => {
    await api.request("DELETE", `/auth/sessions/${encodeURIComponent(session.id)}`);
    if (session.current) mine.set(null);
    else onEnded();
  });
  return (
    <li class="session-row" data-session={session.current ? "current" : "other"}>
      <div>
        <strong>
          {t(`sessions.kind.${clientKind(session.client)}`)}
          {inWeChat(session.client) ? t("sessions.inWeChat") : ""}
        </strong>
        {session.current ? <span class="badge">{t("sessions.current")}</span> : null}
      </div>
      <small class="muted">
        {t("sessions.lastUsed", { when: dateTime(session.lastUsedAt ?? session.createdAt, lang) })}
        {" · "}
        {t("sessions.until", { when: dateTime(session.expiresAt, lang) })}
      </small>
      <button type="button" class="small" disabled={end.busy} onClick={() => void end.run()}>
        {session.current ? t("sessions.signOutThis") : t("sessions.signOut")}
      </button>
      <ErrorText error={end.error} />
    </li>
  );
}
