// Staff manage accounts: create installer and staff accounts, disable or enable one, and assign installers
// the villages they work in.
import { useState } from "preact/hooks";
import { useServices, useT } from "../context.ts";
import { useAction, useLoad } from "../hooks.ts";
import type { AccountView, AssignmentView } from "../types.ts";
import { ErrorText, Layout, Loading } from "../ui/Layout.tsx";
import { PasswordInput } from "../ui/PasswordInput.tsx";
import { workPasswordRule } from "../ui/new-password.ts";
import { AccountHelp } from "./AccountHelp.tsx";
import { useAccountStrings } from "../locales/account.ts";

export function AccountsScreen() {
  useAccountStrings();
  const { t } = useT();
  const { api } = useServices();
  const accounts = useLoad((signal) => api.get<{ items: AccountView[] }>("/users", { signal }), []);
  return (
    <Layout title={t("accounts.title")} back="/staff">
      <div class="stack">
        <CreateAccountForm onCreated={accounts.reload} />
        <ErrorText error={accounts.error} />
        {!accounts.data ? (
          <Loading />
        ) : (
          <ul class="list">
            {accounts.data.items.map((a) => (
              <AccountRow key={a.id} account={a} onChanged={accounts.reload} />
            ))}
          </ul>
        )}
      </div>
    </Layout>
  );
}

function CreateAccountForm({ onCreated }: { onCreated: () => void }) {
  const { t } = useT();
  const { api } = useServices();
  const [form, setForm] = useState({
    username: "",
    displayName: "",
    password: "",
    role: "installer" as "installer" | "staff",
  });
  const field = (name: keyof typeof form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [name]: e.currentTarget.value });
  const create = useAction(async () => {
    await api.request("POST", "/users", { body: form });
    setForm({ username: "", displayName: "", password: "", role: form.role });
    onCreated();
  });
  return (
    <form
      class="card stack"
      onSubmit={(e) => {
        e.preventDefault();
        void create.run();
      }}
    >
      <h2>{t("accounts.create")}</h2>
      <label>
        {t("auth.username")}
        <input name="username" autocapitalize="none" required value={form.username} onInput={field("username")} />
      </label>
      <label>
        {t("accounts.displayName")}
        <input name="displayName" required value={form.displayName} onInput={field("displayName")} />
      </label>
      <PasswordInput
        name="password"
        label={t("auth.password")}
        value={form.password}
        onInput={(value) => setForm({ ...form, password: value })}
        rule={workPasswordRule}
      />
      <label>
        {t("accounts.role")}
        <select name="role" value={form.role} onChange={field("role")}>
          <option value="installer">{t("accounts.roleInstaller")}</option>
          <option value="staff">{t("accounts.roleStaff")}</option>
        </select>
      </label>
      <ErrorText error={create.error} />
      <button class="primary" type="submit" disabled={create.busy}>
        {create.busy ? t("common.wait") : t("accounts.create")}
      </button>
    </form>
  );
}

function AccountRow({ account, onChanged }: { account: AccountView; onChanged: () => void }) {
  const { t } = useT();
  const { api } = useServices();
  const toggle = useAction(async () => {
    await api.request("POST", `/users/${account.id}/${account.disabledAt ? "enable" : "disable"}`);
    onChanged();
  });
  return (
    <li class="card stack" data-account={account.username}>
      <div>
        <strong>{account.displayName}</strong>{" "}
        <span class="muted">
          {`@${account.username}`} · {t(`accounts.roleName.${account.role}`)}
          {account.disabledAt ? ` · ${t("accounts.disabled")}` : ""}
        </span>
      </div>
      {account.role === "installer" ? <Assignments installerId={account.id} /> : null}
      <AccountHelp account={account} />
      <ErrorText error={toggle.error} />
      <button
        type="button"
        data-toggle={account.disabledAt ? "enable" : "disable"}
        disabled={toggle.busy}
        onClick={() => void toggle.run()}
      >
        {account.disabledAt ? t("accounts.enable") : t("accounts.disable")}
      </button>
    </li>
  );
}

function Assignments({ installerId }: { installerId: string }) {
  const { t } = useT();
  const { api } = useServices();
  const assignments = useLoad(
    (signal) => api.get<{ items: AssignmentView[] }>(`/users/${installerId}/assignments`, { signal }),
    [installerId],
  );
  const [village, setVillage] = useState("");
  const assign = useAction(async () => {
    await api.request("POST", `/users/${installerId}/assignments`, { body: { village: village.trim() } });
    setVillage("");
    assignments.reload();
  });
  const items = assignments.data?.items ?? [];
  return (
    <div class="stack">
      <p class="muted">
        {t("accounts.assignments")}:{" "}
        {items.length === 0
          ? t("accounts.noAssignments")
          : items.map((a) => a.village ?? a.householdName ?? "—").join("、")}
      </p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void assign.run();
        }}
      >
        <input
          name="village"
          aria-label={t("accounts.village")}
          placeholder={t("accounts.village")}
          required
          value={village}
          onInput={(e) => setVillage(e.currentTarget.value)}
        />
        <button type="submit" disabled={assign.busy}>
          {t("accounts.assign")}
        </button>
      </form>
      <ErrorText error={assign.error ?? assignments.error} />
    </div>
  );
}
