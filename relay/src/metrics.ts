// The relay's mediasoup workers as Prometheus metrics, read at scrape time: per worker, its CPU time and
// memory (getrusage of the worker process) and the routers, transports, producers and consumers it carries.
import { Gauge } from "prom-client";
import type { RelayPool } from "./relay-pool.ts";

export function relayMetricsCollector(pool: RelayPool): Gauge<"worker" | "measure"> {
  return new Gauge({
    name: "wx_relay_worker",
    help: "mediasoup relay workers: cpu_user_seconds, cpu_system_seconds, max_rss_bytes, restarts, routers, transports, producers, consumers",
    labelNames: ["worker", "measure"],
    registers: [],
    async collect() {
      this.reset();
      for (const w of await pool.metrics()) {
        const worker = String(w.index);
        const set = (measure: string, value: number) => this.set({ worker, measure }, value);
        set("restarts", w.restarts);
        set("routers", w.routers);
        set("transports", w.transports);
        set("producers", w.producers);
        set("consumers", w.consumers);
        if (w.usage) {
          set("cpu_user_seconds", w.usage.ru_utime / 1000);
          set("cpu_system_seconds", w.usage.ru_stime / 1000);
          set("max_rss_bytes", w.usage.ru_maxrss * 1024);
        }
      }
    },
  });
}
