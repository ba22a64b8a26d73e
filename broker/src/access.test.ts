import { describe, expect, it } from "vitest";
import { brokerDisconnectTopic, deviceCommandTopic, deviceStatusTopic } from "../../protocol/topics.ts";
import { mayPublish, maySubscribe, mayUseWill, type ClientIdentity } from "./access.ts";

const device: ClientIdentity = { kind: "device", deviceId: "cam_aaaaaaaaaaaa", authEpoch: 0 };
const service: ClientIdentity = { kind: "service" };

describe("broker control topic", () => {
  it("only the service may publish on it", () => {
    expect(mayPublish(service, brokerDisconnectTopic)).toBe(true);
    expect(mayPublish(device, brokerDisconnectTopic)).toBe(false);
  });

  it("nobody may subscribe to it, with or without wildcards (the brokers listen internally)", () => {
    for (const identity of [service, device]) {
      for (const filter of [
        brokerDisconnectTopic,
        "wangxiang/#",
        "wangxiang/control/+",
        "#",
        "+/control/disconnect-device",
      ]) {
        expect(maySubscribe(identity, filter)).toBe(false);
      }
    }
  });

  it("nobody may put a will on it (a will fires later, without the service's say)", () => {
    expect(mayUseWill(service, brokerDisconnectTopic)).toBe(false);
    expect(mayUseWill(device, brokerDisconnectTopic)).toBe(false);
  });

  it("leaves the rest as it was: devices their own topics, the service devices/", () => {
    expect(mayPublish(device, deviceStatusTopic("cam_aaaaaaaaaaaa"))).toBe(true);
    expect(mayPublish(device, deviceStatusTopic("cam_bbbbbbbbbbbb"))).toBe(false);
    expect(maySubscribe(device, deviceCommandTopic("cam_aaaaaaaaaaaa"))).toBe(true);
    expect(maySubscribe(service, "devices/+/status")).toBe(true);
    expect(mayPublish(service, "wangxiang/control/other")).toBe(false);
  });
});
