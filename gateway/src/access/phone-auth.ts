// Sign-in with a mobile number and an SMS code (手机号 + 验证码): ask for a code, then sign in with it, join a
// household by invite with it (a new family account), add the number to one's own account, or set a new password
// when it is forgotten (忘记密码: the code goes to the account's verified number, with the same limits).
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { hashSecret, randomId, randomToken } from "../../../core/secrets.ts";
import type { Sessions } from "./sessions.ts";
import type { Database } from "../../../core/database.ts";
import { DomainError } from "../../../protocol/errors.ts";
import { errorReply, loginReply, type Role } from "../../../protocol/http.ts";
import {
  myPhoneView,
  phoneSignInBody,
  phoneSignUpBody,
  phoneSignUpReply,
  requestCodeBody,
  resetPasswordByCodeBody,
  requestCodeReply,
  verifyPhoneBody,
} from "../../../protocol/phone.ts";
import type { AuditLog } from "./audit.ts";
import { assertStrongPassword, clientOf, requireRole, signedIn } from "./signed-in.ts";
import type { GuessLimiterFactory } from "./attempt-limiter.ts";
import { localGuessLimiters } from "./attempt-limiter.ts";
import { consumeUse } from "./invite-store.ts";
import { usableInviteFinder } from "./invite-service.ts";
import type { PhoneCodes } from "./phone-codes.ts";

export interface PhoneAuthOptions {
  db: Database;
  audit: AuditLog;
  codes: PhoneCodes;
  sessions: Sessions;
  claimFailuresPer15Min: number;
  guessLimiters?: GuessLimiterFactory;
}

const errors = { 400: errorReply, 401: errorReply, 404: errorReply, 409: errorReply, 410: errorReply, 429: errorReply };
const zodRoutes = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();
type ZodRoutes = ReturnType<typeof zodRoutes>;

const userOf = (u: { id: string; username: string; displayName: string; role: string }) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role as Role,
});

export async function phoneAuthPlugin(app: FastifyInstance, options: PhoneAuthOptions): Promise<void> {
  const r = zodRoutes(app);
  registerCodeRequest(r, options);
  registerPhoneSignIn(r, options);
  registerPhoneSignUp(r, options);
  registerOwnNumber(r, options);
  registerPasswordReset(r, options);
}

/** Whether a code for this number and purpose would reach someone entitled to it (else it is not sent). */
async function shouldDeliver(db: Database, phone: string, purpose: string, userId: string | null): Promise<boolean> {
  const owner = await db.user.findUnique({
    where: { phone },
    select: { id: true, disabledAt: true, phoneVerifiedAt: true },
  });
  if (purpose === "sign-in" || purpose === "reset-password")
    return Boolean(owner?.phoneVerifiedAt && !owner.disabledAt);
  if (purpose === "verify") return !owner || owner.id === userId;
  return true; // sign-up: whether the number is free is told only to whoever holds the code
}

function registerCodeRequest(r: ZodRoutes, { db, codes }: PhoneAuthOptions): void {
  r.post(
    "/auth/phone/code",
    {
      schema: {
        tags: ["auth"],
        summary: "Send a 6-digit code to a mobile number (the same answer whether or not it has an account)",
        body: requestCodeBody,
        response: { 202: requestCodeReply, ...errors },
      },
    },
    async (request, reply) => {
      const { phone, purpose } = request.body;
      // Adding a number to an account needs the account; the others are how people without one get in.
      const userId = purpose === "verify" ? signedIn(request).id : null;
      const deliver = await shouldDeliver(db, phone, purpose, userId);
      const issued = await codes.issue({ phone, purpose, address: request.ip, userId, deliver });
      return reply.status(202).send({ sent: true as const, ...issued });
    },
  );
}

function registerPhoneSignIn(r: ZodRoutes, { db, codes, sessions, audit }: PhoneAuthOptions): void {
  r.post(
    "/auth/phone/login",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign in with a mobile number and the code sent to it",
        body: phoneSignInBody,
        response: { 200: loginReply, ...errors },
      },
    },
    async (request) => {
      const { phone, code } = request.body;
      await codes.check(phone, "sign-in", code);
      const user = await db.user.findUnique({ where: { phone } });
      // A code only goes to a verified, enabled account; anything else here changed since, and answers alike.
      if (!user?.phoneVerifiedAt || user.disabledAt) throw new DomainError("sms-code-wrong");
      const session = await sessions.open(user, clientOf(request));
      await audit(user.id, "user.sign-in-by-code", user.id);
      return { token: session.token, expiresAt: session.expiresAt.toISOString(), user: userOf(user) };
    },
  );
}

function registerPhoneSignUp(r: ZodRoutes, options: PhoneAuthOptions): void {
  const { db, codes, sessions, audit } = options;
  const guesses = (options.guessLimiters ?? localGuessLimiters)("invite", options.claimFailuresPer15Min);
  const findUsable = usableInviteFinder(db, guesses);
  r.post(
    "/auth/phone/register",
    {
      schema: {
        tags: ["auth", "invites"],
        summary: "Join a household by invite with a mobile number and its code: a new family account, signed in",
        body: phoneSignUpBody,
        response: { 201: phoneSignUpReply, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const invite = await findUsable(request, body.inviteCode);
      await codes.check(body.phone, "sign-up", body.code);
      if (await db.user.findUnique({ where: { phone: body.phone }, select: { id: true } }))
        throw new DomainError("phone-taken");
      const userId = randomId("usr_");
      // No password: this account signs in by code (an unusable random hash keeps the column's rule).
      const passwordHash = await hashSecret(randomToken());
      const session = await db.$transaction(async (tx) => {
        await consumeUse(tx, invite.id);
        await tx.user.create({
          data: {
            id: userId,
            username: `m${randomId("", 10)}`,
            displayName: body.displayName,
            phone: body.phone,
            phoneVerifiedAt: new Date(),
            passwordHash,
            role: "family",
          },
        });
        await tx.householdMember.create({
          data: { householdId: invite.householdId, userId, relation: body.relation ?? invite.relation },
        });
        return sessions.open({ id: userId, role: "family" }, clientOf(request), tx);
      });
      await audit(userId, "user.register-by-phone", invite.householdId, { inviteId: invite.id });
      const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
      return reply.status(201).send({
        token: session.token,
        expiresAt: session.expiresAt.toISOString(),
        householdId: invite.householdId,
        user: userOf(user),
      });
    },
  );
}

/** One's own number: shown unmasked to its owner, added (or changed) with a code sent to it. */
function registerOwnNumber(r: ZodRoutes, { db, codes, audit }: PhoneAuthOptions): void {
  r.get(
    "/auth/phone",
    {
      schema: { tags: ["auth"], summary: "My mobile number", response: { 200: myPhoneView, 401: errorReply } },
      preHandler: requireRole(),
    },
    async (request) => {
      const user = await db.user.findUniqueOrThrow({ where: { id: signedIn(request).id } });
      return { phone: user.phone, verifiedAt: user.phoneVerifiedAt?.toISOString() ?? null };
    },
  );

  r.post(
    "/auth/phone/verify",
    {
      schema: {
        tags: ["auth"],
        summary: "Add a mobile number to my account with the code sent to it",
        body: verifyPhoneBody,
        response: { 200: myPhoneView, ...errors },
      },
      preHandler: requireRole(),
    },
    async (request) => {
      const me = signedIn(request);
      await codes.check(request.body.phone, "verify", request.body.code, me.id);
      const verifiedAt = new Date();
      try {
        await db.user.update({
          where: { id: me.id },
          data: { phone: request.body.phone, phoneVerifiedAt: verifiedAt },
        });
      } catch (error) {
        if ((error as { code?: string }).code === "P2002")
          throw new DomainError("phone-taken", { message: "this number belongs to another account" });
        throw error;
      }
      await audit(me.id, "user.verify-phone", me.id);
      return { phone: request.body.phone, verifiedAt: verifiedAt.toISOString() };
    },
  );
}

/**
 * 忘记密码: the code sent to the account's verified number sets a new password. Every session of the account
 * ends (whoever knew the old password is out), and this phone is signed in with the new one.
 */
function registerPasswordReset(r: ZodRoutes, { db, codes, sessions, audit }: PhoneAuthOptions): void {
  r.post(
    "/auth/password/reset",
    {
      schema: {
        tags: ["auth"],
        summary: "Set a new password with a code sent to the account's mobile number (purpose reset-password)",
        body: resetPasswordByCodeBody,
        response: { 200: loginReply, ...errors },
      },
    },
    async (request) => {
      const { phone, code, newPassword } = request.body;
      const owner = await db.user.findUnique({ where: { phone }, select: { role: true } });
      // Checked before the code is used up, so a refused password does not cost the person their code.
      assertStrongPassword(newPassword, owner?.role ?? "family");
      await codes.check(phone, "reset-password", code);
      const user = await db.user.findUnique({ where: { phone } });
      if (!user?.phoneVerifiedAt || user.disabledAt) throw new DomainError("sms-code-wrong");
      await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashSecret(newPassword) } });
      await sessions.end({ userId: user.id }, "password-changed");
      const session = await sessions.open(user, clientOf(request));
      await audit(user.id, "user.reset-password-by-code", user.id);
      return { token: session.token, expiresAt: session.expiresAt.toISOString(), user: userOf(user) };
    },
  );
}
