// Simulator configuration: environment first, command-line flags override, one zod schema decides.
import { parseArgs } from "node:util";
import { z } from "zod";

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be at least 1`);

export const simConfigSchema = z.object({
  cameras: positiveInt("cameras").max(5_000, "cameras: at most 5000 per process").default(3),
  gatewayUrl: z
    .url({ protocol: /^https?$/, error: "gateway must be an http(s) URL, e.g. http://127.0.0.1:8080" })
    .default("http://127.0.0.1:8080"),
  stateDir: z.string().min(1).default("./data/sim"),
  /** Overrides the heartbeat interval the gateway hands out at claim time. */
  heartbeatS: positiveInt("heartbeat").max(3_600).optional(),
  /** Overrides the broker URL from the claim reply. */
  mqttUrl: z
    .url({ protocol: /^(mqtts?|wss?|tcp)$/, error: "mqtt-url must look like mqtt://127.0.0.1:1883" })
    .optional(),
  installerUser: z.string().min(1).default("installer"),
  installerPassword: z.string().min(1).default("wangxiang-demo"),
  serialPrefix: z
    .string()
    .regex(/^[0-9A-Z]{4}$/, "serial-prefix is 4 capital letters or digits")
    .default("SIM1"),
  firmware: z.string().min(1).max(40).default("1.4.2"),
  /** Cameras switch on spread over this many ms (a village's power coming back). */
  startSpreadMs: z.coerce.number().int().min(0).default(2_000),
  statusIntervalS: positiveInt("status-interval").default(5),
  /** Movement per minute from each household's simulated routine, reported this often (0: off). */
  activityReportMin: z.coerce
    .number({ error: "activity-report-min must be a number" })
    .int()
    .min(0)
    .max(60, "activity-report-min: at most 60")
    .default(5),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type SimConfig = z.infer<typeof simConfigSchema>;

/** Each setting: its CLI flag and its environment variable. */
const sources: Record<keyof SimConfig, { flag: string; env: string }> = {
  cameras: { flag: "cameras", env: "WX_SIM_CAMERAS" },
  gatewayUrl: { flag: "gateway", env: "WX_SIM_GATEWAY_URL" },
  stateDir: { flag: "state-dir", env: "WX_SIM_STATE_DIR" },
  heartbeatS: { flag: "heartbeat", env: "WX_SIM_HEARTBEAT_S" },
  mqttUrl: { flag: "mqtt-url", env: "WX_SIM_MQTT_URL" },
  installerUser: { flag: "installer-user", env: "WX_DEMO_INSTALLER_USER" },
  installerPassword: { flag: "installer-password", env: "WX_DEMO_INSTALLER_PASSWORD" },
  serialPrefix: { flag: "serial-prefix", env: "WX_SIM_SERIAL_PREFIX" },
  firmware: { flag: "firmware", env: "WX_SIM_FIRMWARE" },
  startSpreadMs: { flag: "start-spread-ms", env: "WX_SIM_START_SPREAD_MS" },
  statusIntervalS: { flag: "status-interval", env: "WX_SIM_STATUS_INTERVAL_S" },
  activityReportMin: { flag: "activity-report-min", env: "WX_SIM_ACTIVITY_REPORT_MIN" },
  logLevel: { flag: "log-level", env: "WX_SIM_LOG_LEVEL" },
};

export const simUsage = `usage: npm run sim -- [options]
${Object.values(sources)
  .map(({ flag, env }) => `  --${flag.padEnd(20)} (env ${env})`)
  .join("\n")}
  --help`;

export class SimConfigError extends Error {
  override name = "SimConfigError";
}

/** Reads the configuration; throws SimConfigError with a message meant for a person. Returns null for --help. */
export function loadSimConfig(argv: readonly string[], env: Record<string, string | undefined>): SimConfig | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(Object.values(sources).map(({ flag }) => [flag, { type: "string" as const }])),
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new SimConfigError(`${(error as Error).message}\n${simUsage}`);
  }
  if (values.help) return null;
  const raw: Record<string, string | undefined> = {};
  for (const [key, { flag, env: name }] of Object.entries(sources)) {
    const value = (values[flag] as string | undefined) ?? env[name];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = simConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new SimConfigError(`invalid simulator configuration:\n${z.prettifyError(parsed.error)}\n${simUsage}`);
  return parsed.data;
}
