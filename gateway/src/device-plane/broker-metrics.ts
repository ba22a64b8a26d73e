// Exposes the embedded broker's counters as Prometheus metrics, read at scrape time.
import { Gauge } from "prom-client";
import type { WangxiangBroker } from "../../../broker/src/broker.ts";

export function brokerMetricsCollector(broker: WangxiangBroker): Gauge<"counter"> {
  return new Gauge({
    name: "wx_broker",
    help: "Embedded MQTT broker counters (connections, refusals, ACL denials, messages) and connected devices",
    labelNames: ["counter"],
    registers: [],
    collect() {
      for (const [counter, value] of Object.entries(broker.metrics)) {
        if (typeof value === "number") this.set({ counter }, value);
      }
    },
  });
}
