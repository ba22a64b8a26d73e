// "Invite family": creates an invite code and shows it with its link, to read out, copy or share.
import { useState } from "preact/hooks";
import type { CreatedInviteView } from "../../../protocol/invites.ts";
import { useServices, useT } from "../context.ts";
import { dateTime } from "../format.ts";
import { useAction } from "../hooks.ts";
import { ErrorText } from "./Layout.tsx";

export function InvitePanel({ householdId }: { householdId: string }) {
  const { t, lang } = useT();
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
  const link = invite ? new URL(invite.link, location.href).toString() : "";
  const share = async () => {
    const text = t("invite.shareText", { code: invite!.code, link });
    if (navigator.share) await navigator.share({ title: t("app.name"), text, url: link }).catch(() => {});
    else await navigator.clipboard?.writeText(text).catch(() => {});
  };
  return (
    <details class="card invite-panel">
      <summary>{t("invite.title")}</summary>
      {invite ? (
        <div class="stack" data-testid="invite">
          <p>{t("invite.tellThem")}</p>
          <p class="code big" data-code={invite.code}>
            {invite.code}
          </p>
          <p class="muted break">{link}</p>
          <p class="muted">
            {t("invite.valid", {
              until: dateTime(invite.expiresAt, lang),
              uses: t("invite.usesN", { count: invite.maxUses }),
            })}
          </p>
          <button type="button" onClick={() => void share()}>
            {t("invite.share")}
          </button>
        </div>
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
