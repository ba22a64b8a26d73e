// The reference of the API bench: Fastify 5 with nothing of ours, answering {"hello":"world"} with a JSON schema,
// in a process of its own like the gateway. Says "ready" with its port over IPC and stops on "stop".
import Fastify from "fastify";

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get(
    "/",
    { schema: { response: { 200: { type: "object", properties: { hello: { type: "string" } } } } } },
    async () => ({ hello: "world" }),
  );
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  process.send?.({ type: "ready", httpPort: typeof address === "object" && address ? address.port : 0 });
  process.on("message", (message: { type: string }) => {
    if (message.type === "stop") void app.close().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
