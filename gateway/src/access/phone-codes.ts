// Six-digit codes sent by SMS (验证码): one code works once, for SMS_CODE_TTL_S, for at most SMS_CODE_MAX_TRIES
// checks, compared in constant time. Sending is limited per number (one a minute, a few an hour, a handful a
// day) and per address, counted from the stored code rows so every gateway of a deployment counts the same.
// A code for a number with no account (sign-in) or a number taken by another (adding one's own) is recorded and
// counted like any other but never sent: the answer, its timing and the limits are the same either way.
import { randomInt, timingSafeEqual } from "node:crypto";
import type { Database } from "../../../core/database.ts";
import { hashToken, randomId } from "../../../core/secrets.ts";
import { DomainError } from "../../../protocol/errors.ts";
import type { CodePurpose } from "../../../protocol/phone.ts";

export interface PhoneCodeLimits {
  ttlS: number;
  maxTries: number;
  intervalS: number;
  perNumberHour: number;
  perNumberDay: number;
  perAddressHour: number;
}

export interface PhoneCodesOptions {
  db: Database;
  limits: PhoneCodeLimits;
  /** Sends the code by SMS (once: never retried); resolves whatever the provider did. */
  sendCode(to: { phone: string; userId: string | null }, code: string, ttlMin: number): Promise<unknown>;
  count(event: string): void;
  log: { warn(o: object, msg?: string): void };
}

const HOUR_MS = 3_600_000;
const codeHash = (id: string, code: string) => hashToken(`${id}:${code}`);

export class PhoneCodes {
  readonly #o: PhoneCodesOptions;

  constructor(options: PhoneCodesOptions) {
    this.#o = options;
  }

  /**
   * Records a code for this number and, when `deliver`, sends it (in the background: the reply must not
   * take longer for a number that gets a real SMS). Throws too-many-requests past a limit.
   */
  async issue(request: {
    phone: string;
    purpose: CodePurpose;
    address: string;
    userId: string | null;
    deliver: boolean;
  }): Promise<{ resendAfterS: number; expiresInS: number }> {
    const { db, limits } = this.#o;
    await this.#checkLimits(request.phone, request.address);
    const id = randomId("pc_", 16);
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const now = new Date();
    await db.phoneCode.create({
      data: {
        id,
        phone: request.phone,
        purpose: request.purpose,
        // an undelivered code's hash is of another random code: nothing anyone types can match it
        codeHash: codeHash(id, request.deliver ? code : String(randomInt(0, 1_000_000))),
        address: request.address,
        userId: request.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + limits.ttlS * 1000),
      },
    });
    this.#o.count(request.deliver ? "sent" : "not-sent");
    if (request.deliver)
      this.#o
        .sendCode({ phone: request.phone, userId: request.userId }, code, Math.round(limits.ttlS / 60))
        .catch((error: Error) => this.#o.log.warn({ err: error.message }, "sign-in code not sent"));
    return { resendAfterS: limits.intervalS, expiresInS: limits.ttlS };
  }

  /**
   * Whether `code` is the live code for this number and purpose; a right code is used up. Every check takes a
   * try, right or wrong, before the comparison, so parallel guesses cannot outrun the limit.
   */
  async check(phone: string, purpose: CodePurpose, code: string, userId: string | null = null): Promise<void> {
    const { db, limits } = this.#o;
    const now = new Date();
    const row = await db.phoneCode.findFirst({
      where: { phone, purpose, usedAt: null, expiresAt: { gt: now }, ...(userId ? { userId } : {}) },
      orderBy: { createdAt: "desc" },
    });
    if (!row) return this.#wrong("no-live-code");
    const took = await db.phoneCode.updateMany({
      where: { id: row.id, usedAt: null, tries: { lt: limits.maxTries } },
      data: { tries: { increment: 1 } },
    });
    if (took.count !== 1) return this.#wrong("out-of-tries");
    const expected = Buffer.from(row.codeHash, "hex");
    const given = Buffer.from(codeHash(row.id, code), "hex");
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return this.#wrong("wrong");
    const used = await db.phoneCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now } });
    if (used.count !== 1) return this.#wrong("used");
    // The number is proven: its other codes for this purpose are done too.
    await db.phoneCode.updateMany({ where: { phone, purpose, usedAt: null }, data: { usedAt: now } });
    this.#o.count("right");
  }

  #wrong(event: string): never {
    this.#o.count(event);
    throw new DomainError("sms-code-wrong");
  }

  async #checkLimits(phone: string, address: string): Promise<void> {
    const { db, limits } = this.#o;
    const now = Date.now();
    const since = (ms: number) => ({ gte: new Date(now - ms) });
    const last = await db.phoneCode.findFirst({
      where: { phone, createdAt: since(limits.intervalS * 1000) },
      orderBy: { createdAt: "desc" },
    });
    if (last) this.#limited("number-minute", limits.intervalS - Math.floor((now - last.createdAt.getTime()) / 1000));
    if ((await db.phoneCode.count({ where: { phone, createdAt: since(HOUR_MS) } })) >= limits.perNumberHour)
      this.#limited("number-hour", 3600);
    if ((await db.phoneCode.count({ where: { phone, createdAt: since(24 * HOUR_MS) } })) >= limits.perNumberDay)
      this.#limited("number-day", 86_400);
    if ((await db.phoneCode.count({ where: { address, createdAt: since(HOUR_MS) } })) >= limits.perAddressHour)
      this.#limited("address-hour", 3600);
  }

  #limited(limit: string, retryAfterS: number): never {
    this.#o.count(`limited-${limit}`);
    const wait = Math.max(1, retryAfterS);
    throw new DomainError("too-many-requests", {
      message: `too many codes asked for; try again in ${wait} s`,
      details: { limit, retryAfterS: wait },
    });
  }
}
