// npm run build:bridge — the camera bridge as one plain JavaScript file (camera-bridge/dist/bridge.mjs) for the
// small box next to the cameras: no TypeScript loader at run time (tsx costs ~33 MB of RSS and seconds of start
// on a Raspberry Pi), and nothing native in it, so the same file runs on arm64 and x86-64 (node dist/bridge.mjs).
import { build } from "esbuild";

await build({
  entryPoints: ["camera-bridge/src/main.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile: "camera-bridge/dist/bridge.mjs",
  // Some dependencies (pino's) still call require(): give the ES module one.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: "warning",
});
console.log("camera-bridge/dist/bridge.mjs written");
