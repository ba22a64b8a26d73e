// What staff may do to accounts, and what follows: disabling ends the account's sessions, live sockets and live
// views at once; assignments change what an installer's live sockets may see; a new password signs them out.
import { hashSecret, randomId } from "../../../core/secrets.ts";
import { DomainError, notFoundError } from "../../../protocol/errors.ts";
import type { Role } from "../../../protocol/http.ts";
import { maskPhone } from "../../../protocol/phone.ts";
import type { LiveSessions } from "../events/live-sessions.ts";
import type { AccountStore, AssignmentRow, AssignmentTarget, UserRow } from "./account-store.ts";
import type { AuditLog } from "./audit.ts";
import { assertStrongPassword } from "./signed-in.ts";
import type { SessionSummary, Sessions, SignedInUser } from "./sessions.ts";

export interface AccountServiceOptions {
  store: AccountStore;
  audit: AuditLog;
  /** Where sessions end: on every gateway, live sockets included. */
  sessions: Sessions;
  /** Live sockets re-read what their user may see (an installer's assignments changed). */
  liveSessions: LiveSessions;
  /** Ends all of a person's live views now (absent without the relay). */
  cutViewer(userId: string): Promise<void>;
}

export function toAccountView(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role as Role,
    createdAt: u.createdAt.toISOString(),
    disabledAt: u.disabledAt?.toISOString() ?? null,
    phone: u.phone && u.phoneVerifiedAt ? maskPhone(u.phone) : null,
  };
}

export function toAssignmentView(a: AssignmentRow) {
  return {
    id: a.id,
    installerId: a.installerId,
    village: a.village,
    householdId: a.householdId,
    householdName: a.household ? `${a.household.village} · ${a.household.elderName}` : null,
    createdAt: a.createdAt.toISOString(),
  };
}

export interface NewAccount {
  username: string;
  displayName: string;
  password: string;
  role: Role;
}

export class AccountService {
  readonly #o: AccountServiceOptions;

  constructor(options: AccountServiceOptions) {
    this.#o = options;
  }

  async list(role: Role | undefined) {
    return (await this.#o.store.users(role)).map(toAccountView);
  }

  async create(actor: SignedInUser, account: NewAccount) {
    const { store, audit } = this.#o;
    assertStrongPassword(account.password, account.role);
    if (await store.usernameTaken(account.username)) throw new DomainError("username-taken");
    const user = await store.createUser({
      id: randomId("usr_"),
      username: account.username,
      displayName: account.displayName,
      role: account.role,
      passwordHash: await hashSecret(account.password),
    });
    await audit(actor.id, "user.create", user.id, { role: account.role });
    return toAccountView(user);
  }

  /** The account cannot sign in, and its sessions, live sockets and live views end now. */
  async disable(actor: SignedInUser, userId: string) {
    if (userId === actor.id) throw new DomainError("cannot-disable-self");
    const user = await this.#setDisabled(userId, new Date());
    await this.#o.sessions.end({ userId: user.id }, "account-disabled");
    await this.#o.cutViewer(user.id);
    await this.#o.audit(actor.id, "user.disable", user.id);
    return toAccountView(user);
  }

  /** Enabling only lets the account sign in again. */
  async enable(actor: SignedInUser, userId: string) {
    const user = await this.#setDisabled(userId, null);
    await this.#o.audit(actor.id, "user.enable", user.id);
    return toAccountView(user);
  }

  async #setDisabled(userId: string, disabledAt: Date | null): Promise<UserRow> {
    const user = await this.#o.store.setDisabled(userId, disabledAt);
    if (!user) throw notFoundError("user");
    return user;
  }

  async assignmentsOf(installerId: string) {
    return (await this.#o.store.assignmentsOf(installerId)).map(toAssignmentView);
  }

  /** An installer (nobody else) is assigned a village or an existing household. */
  async assign(actor: SignedInUser, installerId: string, where: { householdId: string } | { village: string }) {
    const { store, audit, liveSessions } = this.#o;
    const installer = await store.roleOf(installerId);
    if (!installer) throw notFoundError("user");
    if (installer.role !== "installer") throw new DomainError("not-installer");
    const target: AssignmentTarget =
      "householdId" in where
        ? { householdId: where.householdId, village: null }
        : { householdId: null, village: where.village };
    if (target.householdId && !(await store.householdExists(target.householdId))) throw notFoundError("household");
    const created = await store.addAssignment(installerId, target, { id: randomId("asg_"), createdBy: actor.id });
    liveSessions.refreshUser(installerId);
    await audit(actor.id, "installer.assign", installerId, target);
    return toAssignmentView(created);
  }

  async unassign(actor: SignedInUser, installerId: string, assignmentId: string): Promise<void> {
    if (!(await this.#o.store.removeAssignment(installerId, assignmentId))) throw notFoundError("assignment");
    this.#o.liveSessions.refreshUser(installerId);
    await this.#o.audit(actor.id, "installer.unassign", installerId, { assignmentId });
  }

  /** The phones and browsers an account is signed in on. */
  async sessionsOf(userId: string): Promise<SessionSummary[]> {
    const user = await this.#existing(userId);
    return this.#o.sessions.list(user.id);
  }

  /** A lost phone: the account is signed out everywhere at once; answers how many sessions ended. */
  async signOutEverywhere(actor: SignedInUser, userId: string): Promise<number> {
    const user = await this.#existing(userId);
    const ended = await this.#o.sessions.end({ userId: user.id }, "session-revoked");
    await this.#o.audit(actor.id, "user.sign-out-everywhere", user.id, { ended });
    return ended;
  }

  /** A new password for someone who cannot get in (never one's own: that is the account page); they are signed out. */
  async setPassword(actor: SignedInUser, userId: string, newPassword: string): Promise<void> {
    if (userId === actor.id)
      throw new DomainError("forbidden", { message: "change your own password on the account page" });
    const user = await this.#existing(userId);
    assertStrongPassword(newPassword, user.role);
    await this.#o.store.setPasswordHash(user.id, await hashSecret(newPassword));
    await this.#o.sessions.end({ userId: user.id }, "password-changed");
    await this.#o.audit(actor.id, "user.reset-password", user.id);
  }

  async #existing(userId: string): Promise<{ id: string; role: string }> {
    const user = await this.#o.store.roleOf(userId);
    if (!user) throw notFoundError("user");
    return user;
  }
}
