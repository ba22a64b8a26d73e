// The system tools some tests need, where they are looked for and the Debian package that brings each.
// Tests skip their suites when a tool is missing (describe.skipIf); missing-tools-reporter.ts says which.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface Tool {
  name: string;
  paths: string[];
  aptPackage: string;
  /** How a test file that needs the tool shows it. */
  mentioned: RegExp;
}

/** The newest PostgreSQL server Debian installed (/usr/lib/postgresql/<major>/bin), if any. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return majors.map((m) => join(root, m, "bin")).find((bin) => existsSync(join(bin, "postgres")));
}

export const tools: Tool[] = [
  { name: "chromium", paths: ["/usr/bin/chromium"], aptPackage: "chromium", mentioned: /hasChromium|chromium/i },
  { name: "coturn", paths: ["/usr/bin/turnserver"], aptPackage: "coturn", mentioned: /hasCoturn|turnserver|coturn/i },
  { name: "ffmpeg", paths: ["/usr/bin/ffmpeg"], aptPackage: "ffmpeg", mentioned: /hasFfmpeg|ffmpeg/i },
  { name: "redis", paths: ["/usr/bin/redis-server"], aptPackage: "redis-server", mentioned: /hasRedis|testRedis/ },
  {
    name: "postgresql",
    paths: [postgresBinDir() ?? "/usr/lib/postgresql/<major>/bin/postgres"],
    aptPackage: "postgresql",
    mentioned: /hasPostgres|testPostgres/,
  },
  { name: "pdftoppm", paths: ["/usr/bin/pdftoppm"], aptPackage: "poppler-utils", mentioned: /hasPdftoppm|pdftoppm/i },
  {
    // The test IP camera (test/helpers/rtsp-camera-server.py): GStreamer's RTSP server driven from Debian's python3.
    name: "gst-rtsp-server",
    paths: ["x86_64", "aarch64"].map((arch) => `/usr/lib/${arch}-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib`),
    aptPackage:
      "gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-plugins-bad",
    mentioned: /hasRtspCameraServer/,
  },
];

// WX_TEST_MISSING_TOOLS=chromium,coturn runs the suite as a machine without them would (skips and report).
const hidden = new Set(
  (process.env.WX_TEST_MISSING_TOOLS ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean),
);

export function isInstalled(tool: Tool): boolean {
  return !hidden.has(tool.name) && tool.paths.some((p) => existsSync(p));
}

export function toolInstalled(name: string): boolean {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`unknown tool ${name}: add it to test/helpers/tools.ts`);
  return isInstalled(tool);
}

/** The one command that installs these tools (README: all of them). */
export function installCommand(which: Tool[] = tools): string {
  return `sudo apt-get install -y --no-install-recommends ${which.map((t) => t.aptPackage).join(" ")}`;
}
