// A TCP port nothing listens on right now, for a process that must be told its port before it starts (a private
// Mosquitto, Janus, a gateway restarted on the same port). Another process may take it first: use it at once.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
