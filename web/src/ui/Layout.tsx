import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import type { LiveState } from "../live.ts";

/** The page frame: title, back link, language switch, sign-out, and whether live updates are flowing. */
export function Layout({ title, back, children }: { title: string; back?: string; children: ComponentChildren }) {
  const { t, lang } = useT();
  const { i18n, session, live } = useServices();
  const [liveState, setLiveState] = useState<LiveState>(live.state());
  useEffect(() => live.onState(setLiveState), [live]);
  useEffect(() => { document.title = `${title} · ${t("app.name")}`; }, [title, lang]);
  const signedIn = session.current();
  return (
    <div class="page">
      <header class="topbar">
        {back ? <a class="back" href={back} aria-label={t("common.back")}>‹</a> : <span class="logo" aria-hidden="true">望</span>}
        <h1>{title}</h1>
        <button type="button" class="lang" onClick={() => i18n.changeLanguage(lang === "en" ? "zh-CN" : "en")} aria-label={t("common.switchLanguage")}>
          {lang === "en" ? "中文" : "EN"}
        </button>
      </header>
      {signedIn && liveState !== "open" ? <p class="offline-bar" role="status">{t(liveState === "connecting" ? "live.connecting" : "live.down")}</p> : null}
      <main>{children}</main>
      {signedIn ? (
        <footer class="footer">
          <span>{signedIn.user.displayName}</span>
          <button type="button" class="link" onClick={() => session.set(null)}>{t("auth.signOut")}</button>
        </footer>
      ) : null}
    </div>
  );
}

export function ErrorText({ error }: { error: { code: string; message: string } | null }) {
  const { t } = useT();
  const { i18n } = useServices();
  if (!error) return null;
  const key = `errors.${error.code}`;
  return <p class="error" role="alert">{i18n.exists(key) ? t(key) : error.message}</p>;
}

export function Loading() {
  const { t } = useT();
  return <p class="muted" aria-busy="true">{t("common.loading")}</p>;
}
