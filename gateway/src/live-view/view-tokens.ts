// Short-lived tokens for the relay, signed (HMAC-SHA256) so any gateway holding the key can check them:
// a viewer token is bound to one user and one camera; a publish token to one camera and one stream start.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

const viewerClaims = z.object({
  k: z.literal("view"),
  cam: z.string(),
  uid: z.string(),
  name: z.string(),
  /** The sign-in session it was granted to: it is good only while that session is. */
  sid: z.string(),
  exp: z.number(),
  /** How the view starts: a look-in, or part of a call (a call window lets those through). */
  via: z.enum(["look-in", "call", "answered-call"]).default("look-in"),
  /** The call it was granted for: it is good only while that call is. */
  call: z.string().optional(),
});
const publishClaims = z.object({ k: z.literal("pub"), cam: z.string(), nonce: z.string(), exp: z.number() });
export type ViewerClaims = z.infer<typeof viewerClaims>;

export class ViewTokens {
  private readonly key: Buffer;

  constructor(
    secret: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.key = secret ? Buffer.from(secret, "utf8") : randomBytes(32);
  }

  issueViewer(grant: Omit<ViewerClaims, "k" | "exp">, ttlMs: number): { token: string; expiresAt: Date } {
    const exp = this.now() + ttlMs;
    return { token: this.sign({ k: "view", ...grant, exp }), expiresAt: new Date(exp) };
  }

  issuePublish(cameraId: string, ttlMs: number): { token: string; nonce: string } {
    const nonce = randomBytes(12).toString("base64url");
    return { token: this.sign({ k: "pub", cam: cameraId, nonce, exp: this.now() + ttlMs }), nonce };
  }

  verifyViewer(token: string, cameraId: string): ViewerClaims | null {
    const claims = this.verify(token, viewerClaims);
    return claims && claims.cam === cameraId ? claims : null;
  }

  verifyPublish(token: string, cameraId: string): { nonce: string } | null {
    const claims = this.verify(token, publishClaims);
    return claims && claims.cam === cameraId ? { nonce: claims.nonce } : null;
  }

  private sign(claims: object): string {
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    return `${body}.${createHmac("sha256", this.key).update(body).digest("base64url")}`;
  }

  private verify<T extends { exp: number }>(token: string, schema: z.ZodType<T>): T | null {
    const [body, signature, extra] = token.split(".");
    if (!body || !signature || extra !== undefined) return null;
    const expected = createHmac("sha256", this.key).update(body).digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success || parsed.data.exp <= this.now()) return null;
    return parsed.data;
  }
}
