import { describe, expect, it } from "vitest";
import { topicMatches } from "./memory-persistence.ts";

describe("topicMatches", () => {
  it("follows MQTT 3.1.1 filter rules", () => {
    expect(topicMatches("devices/a/status", "devices/a/status")).toBe(true);
    expect(topicMatches("devices/+/status", "devices/a/status")).toBe(true);
    expect(topicMatches("devices/+/status", "devices/a/b/status")).toBe(false);
    expect(topicMatches("devices/#", "devices")).toBe(true);
    expect(topicMatches("devices/#", "devices/a/b")).toBe(true);
    expect(topicMatches("devices/+", "devices/a/b")).toBe(false);
    expect(topicMatches("devices/a", "devices/a/b")).toBe(false);
    expect(topicMatches("#", "$SYS/broker/uptime")).toBe(false);
    expect(topicMatches("$SYS/#", "$SYS/broker/uptime")).toBe(true);
  });
});
