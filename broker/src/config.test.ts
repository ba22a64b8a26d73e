import { describe, expect, it } from "vitest";
import { brokerEnvSchema, readBrokerConfig } from "./config.ts";

describe("readBrokerConfig", () => {
  it("has defaults that work on a fresh machine, and treats empty variables as unset", () => {
    expect(readBrokerConfig({ MQTT_PORT: "" })).toEqual({
      port: 1883,
      host: "0.0.0.0",
      maxPacketBytes: 65_536,
      maxTopicLevels: 8,
      connectRatePerSecond: 1000,
      connectBurst: 2000,
      connectRatePerAddress: 100,
      connectBurstPerAddress: 200,
      credentialReloadS: 300,
      authFailuresPerMinutePerIp: 30,
      keepaliveMaxS: 300,
      deliveryConcurrency: 1000,
      connectTimeoutS: 10,
    });
  });

  it("reads every variable", () => {
    const env = {
      MQTT_PORT: "0",
      MQTT_HOST: "127.0.0.1",
      MQTT_MAX_PACKET_BYTES: "1024",
      MQTT_MAX_TOPIC_LEVELS: "5",
      MQTT_CONNECT_RATE: "7",
      MQTT_CONNECT_BURST: "9",
      MQTT_AUTH_FAILURES_PER_MINUTE: "3",
      MQTT_KEEPALIVE_MAX_S: "120",
      MQTT_DELIVERY_CONCURRENCY: "50",
      MQTT_CONNECT_TIMEOUT_S: "4",
      MQTT_CONNECT_RATE_PER_ADDRESS: "2",
      MQTT_CONNECT_BURST_PER_ADDRESS: "4",
      TLS_CERT_FILE: "/etc/wx/cert.pem",
      TLS_KEY_FILE: "/etc/wx/key.pem",
      MQTTS_PORT: "8884",
      REDIS_URL: "redis://redis:6379/2",
      MQTT_CLUSTER_HEARTBEAT_MS: "1500",
      MQTT_CREDENTIAL_RELOAD_S: "60",
      DEVICE_CREDENTIAL_KEY: "ab".repeat(32),
    };
    // Every variable the schema reads is set here (none left at its default), each to a value of its own.
    expect(Object.keys(env).sort()).toEqual(Object.keys(brokerEnvSchema.shape).sort());
    expect(readBrokerConfig(env)).toEqual({
      port: 0,
      host: "127.0.0.1",
      maxPacketBytes: 1024,
      maxTopicLevels: 5,
      connectRatePerSecond: 7,
      connectBurst: 9,
      connectRatePerAddress: 2,
      connectBurstPerAddress: 4,
      credentialReloadS: 60,
      credentialKey: Buffer.alloc(32, 0xab),
      authFailuresPerMinutePerIp: 3,
      keepaliveMaxS: 120,
      deliveryConcurrency: 50,
      connectTimeoutS: 4,
      tls: { port: 8884, certFile: "/etc/wx/cert.pem", keyFile: "/etc/wx/key.pem" },
      cluster: { redisUrl: "redis://redis:6379/2", heartbeatMs: 1500 },
    });
  });

  it("refuses a short DEVICE_CREDENTIAL_KEY without repeating it", () => {
    let message = "";
    try {
      readBrokerConfig({ DEVICE_CREDENTIAL_KEY: "too-short-key" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("DEVICE_CREDENTIAL_KEY: expected at least 32 random bytes");
    expect(message).not.toContain("too-short-key");
  });

  it("names every bad variable, what it expects and what it got", () => {
    expect(() => readBrokerConfig({ MQTT_PORT: "mqtt", MQTT_MAX_TOPIC_LEVELS: "200" })).toThrow(
      'Bad broker configuration:\n  MQTT_PORT: expected an integer from 0 to 65535 (got "mqtt")\n' +
        '  MQTT_MAX_TOPIC_LEVELS: expected an integer from 1 to 100 (got "200")',
    );
  });
});
