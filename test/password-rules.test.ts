import { describe, expect, it } from "vitest";
import { MIN_PASSWORD_LENGTH, weakPasswordReason } from "../protocol/password-rules.ts";

describe("weak passwords", () => {
  it("refuses the passwords people pick first, each with its reason", () => {
    expect(weakPasswordReason("1234567")).toBe("too-short");
    expect(weakPasswordReason("88888888")).toBe("one-character");
    expect(weakPasswordReason("12345678")).toBe("sequence");
    expect(weakPasswordReason("87654321")).toBe("sequence");
    expect(weakPasswordReason("abcdefgh")).toBe("sequence");
    expect(weakPasswordReason("12121212")).toBe("repeated");
    expect(weakPasswordReason("abcabcabc")).toBe("repeated");
    expect(weakPasswordReason("Password")).toBe("common");
    expect(weakPasswordReason("woaini1314")).toBe("common");
    expect(weakPasswordReason("1q2w3e4r")).toBe("common");
  });

  it("accepts a password nobody would guess first, and staff need twelve characters", () => {
    expect(weakPasswordReason("xiaomei-1987")).toBeNull();
    expect(weakPasswordReason("杨家堂屋门前桃树")).toBeNull();
    expect(weakPasswordReason("xiaomei-198", MIN_PASSWORD_LENGTH.work)).toBe("too-short");
    expect(weakPasswordReason("xiaomei-1987", MIN_PASSWORD_LENGTH.work)).toBeNull();
  });
});
