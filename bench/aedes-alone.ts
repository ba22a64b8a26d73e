// The floor under Wangxiang's broker: aedes with nothing of ours around it, in its own process, so the bench
// can tell what a CONNECT and a connection cost in aedes and Node's sockets from what our broker and gateway add.
// No authentication, no ACL, no gateway; three settings as our broker has them, so that the difference is ours:
// delivery concurrency (MQTT_DELIVERY_CONCURRENCY, read as the broker reads it), retained messages looked up
// by topic (aedes' memory persistence tests every retained topic per SUBSCRIBE, O(N) per camera), and
// mqtt-packet's number cache off. Sends {"port": N} on its IPC channel; answers "heap" with its JS heap in use
// after GCs (run with --expose-gc), the figure ours is compared with.
import { createServer } from "node:net";
import { Aedes } from "aedes";
import mqttPacket from "mqtt-packet";
import { brokerEnvSchema } from "../broker/src/config.ts";
import { indexRetainedMessages, type RetainedStore } from "../broker/src/memory-persistence.ts";

async function settledHeapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  (mqttPacket.writeToStream as { cacheNumbers?: boolean }).cacheNumbers = false;
  const concurrency = brokerEnvSchema.parse(process.env).MQTT_DELIVERY_CONCURRENCY;
  const aedes = await Aedes.createBroker({ concurrency });
  indexRetainedMessages((aedes as unknown as { persistence: RetainedStore }).persistence);
  const server = createServer((socket) => aedes.handle(socket));
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    process.send?.({ port: address.port });
  });
  process.on("message", (message) => {
    if (message === "heap") void settledHeapUsed().then((heapUsed) => process.send?.({ heapUsed }));
  });
  process.on("SIGTERM", () => {
    server.close();
    aedes.close(() => process.exit(0));
  });
  process.on("disconnect", () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
