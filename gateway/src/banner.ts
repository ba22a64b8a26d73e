// What `npm start` prints: where things listen and, on first start, the demo accounts and camera codes.
import type { GatewayConfig } from "./config.ts";
import type { DemoSeed } from "./seed.ts";

export function printBanner(
  config: GatewayConfig,
  started: { httpPort: number; mqttPort: number; mqttTlsPort: number; seed: DemoSeed | null },
): void {
  const scheme = config.broker.tls ? "https" : "http";
  const lines = [
    "",
    "望乡 Wangxiang is running",
    `  web + API   ${scheme}://127.0.0.1:${started.httpPort}/   (OpenAPI: /openapi.json, metrics: /metrics)`,
    `  MQTT        mqtt://127.0.0.1:${started.mqttPort}${started.mqttTlsPort ? `   MQTT over TLS: mqtts://127.0.0.1:${started.mqttTlsPort}` : ""}`,
    `  database    ${config.DATABASE_URL.replace(/\/\/[^@]*@/, "//***@")}`,
    config.SMS_PROVIDER === "none"
      ? "  SMS         none (SMS_PROVIDER): no sign-in by code; the elder's call reaches only open apps and Web Push"
      : `  SMS         ${config.SMS_PROVIDER}   voice calls: ${config.VOICE_PROVIDER}`,
  ];
  if (started.seed) {
    lines.push("", "Demo data created (first start only):");
    for (const a of started.seed.accounts)
      lines.push(`  ${a.role.padEnd(9)} username ${a.username.padEnd(10)} password ${a.password}`);
    lines.push(`  household  ${started.seed.householdId} (青平镇普仁村, 黄兴容)`, "  cameras (serial, claim code):");
    for (const c of started.seed.cameras) lines.push(`    ${c.serial}  ${c.claimCode}`);
  }
  lines.push("", "Simulated cameras:  npm run sim -- --cameras 20", "");
  console.log(lines.join("\n"));
}
