// Privacy mode on the camera page. Privacy the family switched on is theirs to switch off; privacy the elder chose
// (the camera's button, or a declined call) is the elder's: the family can only ask, and the camera says who asks.
import { useState } from "preact/hooks";
import { ApiFailure } from "../api.ts";
import type { CommandView, DeviceDetail } from "../types.ts";
import { useServices, useT } from "../context.ts";
import { useAction } from "../hooks.ts";
import { ErrorText } from "../ui/Layout.tsx";

export function PrivacyControl({ device, onChanged }: { device: DeviceDetail; onChanged: () => void }) {
  const { t } = useT();
  const { api } = useServices();
  const path = `/devices/${encodeURIComponent(device.id)}`;
  const [asked, setAsked] = useState(false);
  const privacy = useAction(async (enabled: boolean) => {
    const command = await api.request<CommandView>("POST", `${path}/commands`, {
      body: { name: "privacy", params: { enabled } },
    });
    if (command.status === "succeeded") onChanged();
    else throw new ApiFailure(0, `command-${command.status}`, command.error ?? command.status);
  });
  const ask = useAction(async () => {
    await api.request("POST", `${path}/privacy-request`);
    setAsked(true);
  });
  const offline = device.connection !== "online";

  return (
    <dd>
      <span data-testid="privacy">
        {device.privacyByElder
          ? t("camera.privacyByElderLong")
          : device.privacy
            ? t("camera.privacyOnLong")
            : t("camera.privacyOffLong")}
      </span>
      {device.privacyByElder ? (
        <button type="button" class="small" disabled={ask.busy || offline} onClick={() => void ask.run()}>
          {ask.busy ? t("common.wait") : t("camera.privacyAsk")}
        </button>
      ) : (
        <button
          type="button"
          class="small"
          disabled={privacy.busy || offline}
          onClick={() => void privacy.run(!device.privacy)}
        >
          {privacy.busy ? t("common.wait") : device.privacy ? t("camera.privacyTurnOff") : t("camera.privacyTurnOn")}
        </button>
      )}
      {asked && device.privacyByElder ? (
        <p class="note" role="status" data-testid="privacy-asked">
          {t("camera.privacyAsked")}
        </p>
      ) : null}
      <ErrorText error={privacy.error ?? ask.error} />
    </dd>
  );
}
