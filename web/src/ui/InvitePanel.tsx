// "Invite family": creates an invite code and shows it with its link and a QR code (to show a relative in
// person), with the phone's share sheet where there is one and a copy button that says it copied.
import { useEffect, useState } from "preact/hooks";
import type { CreatedInviteView } from "../../../protocol/invites.ts";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useAction } from "../hooks.ts";
import { ErrorText } from "./Layout.tsx";

export function InvitePanel({ householdId }: { householdId: string }) {
  const { t } = useT();
  const { api } = useServices();
  const [invite, setInvite] = useState<CreatedInviteView | null>(null);
  const [maxUses, setMaxUses] = useState(1);
  const create = useAction(async () => {
    setInvite(
      await api.request<CreatedInviteView>("POST", `/households/${householdId}/invites`, {
        body: { maxUses, expiresInH: 72 },
      }),
    );
  });
  return (
    <details class="card invite-panel">
      <summary>{t("invite.title")}</summary>
      {invite ? (
        <CreatedInvite invite={invite} />
      ) : (
        <div class="stack">
          <label>
            {t("invite.uses")}
            <select value={String(maxUses)} onChange={(e) => setMaxUses(Number(e.currentTarget.value))}>
              {[1, 3, 5].map((n) => (
                <option key={n} value={n}>
                  {t("invite.usesN", { count: n })}
                </option>
              ))}
            </select>
          </label>
          <ErrorText error={create.error} />
          <button type="button" class="primary" disabled={create.busy} onClick={() => void create.run()}>
            {t("invite.create")}
          </button>
        </div>
      )}
    </details>
  );
}

function CreatedInvite({ invite }: { invite: CreatedInviteView }) {
  const { t, lang } = useT();
  const link = new URL(invite.link, location.href).toString();
  const text = t("invite.shareText", { code: invite.code, link });
  const [copied, setCopied] = useState<boolean | null>(null);
  const canShare = typeof navigator.share === "function";
  return (
    <div class="stack" data-testid="invite">
      <p>{t("invite.tellThem")}</p>
      <p class="code big" data-code={invite.code}>
        {invite.code}
      </p>
      <InviteQr link={link} />
      <p class="muted break">{link}</p>
      <p class="muted">
        {t("invite.valid", {
          until: dateTime(invite.expiresAt, lang),
          uses: t("invite.usesN", { count: invite.maxUses }),
        })}
      </p>
      {canShare ? (
        <button
          type="button"
          class="primary"
          onClick={() => void navigator.share({ title: t("app.name"), text, url: link }).catch(() => {})}
        >
          {t("invite.share")}
        </button>
      ) : null}
      <button type="button" onClick={() => void copyText(text).then(setCopied)}>
        {t("invite.copy")}
      </button>
      {copied === null ? null : (
        <p class={copied ? "ok" : "error"} role="status" data-testid="invite-copied">
          {copied ? t("invite.copied") : t("invite.copyFailed")}
        </p>
      )}
    </div>
  );
}

/** The invite link as a QR code, drawn here (the qrcode library loads only when an invite is made). */
function InviteQr({ link }: { link: string }) {
  const { t } = useT();
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    import("qrcode")
      .then((qr) => qr.toString(link, { type: "svg", margin: 1, errorCorrectionLevel: "M" }))
      .then((drawn) => current && setSvg(drawn))
      .catch(() => current && setSvg(null));
    return () => {
      current = false;
    };
  }, [link]);
  if (!svg) return null;
  return (
    <figure class="invite-qr">
      <img src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} alt={t("invite.qrAlt")} />
      <figcaption class="muted">{t("invite.qrHint")}</figcaption>
    </figure>
  );
}

/** The clipboard API where the page may use it (HTTPS), else the older copy command; false if neither worked. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    return copied;
  }
}
