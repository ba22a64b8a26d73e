// npm run build:bridge — the camera bridge as plain JavaScript (camera-bridge/dist/: bridge.mjs and the chunks it
// loads) for the small box next to the cameras: no TypeScript loader at run time (tsx costs ~33 MB of RSS and
// seconds of start on a Raspberry Pi), and nothing native in it, so the same files run on arm64 and x86-64
// (node dist/bridge.mjs). The options, and why: bridge-build-options.ts.
import { rmSync } from "node:fs";
import { build } from "esbuild";
import { bridgeBuildOptions } from "./bridge-build-options.ts";

rmSync("camera-bridge/dist", { recursive: true, force: true });
await build({
  ...bridgeBuildOptions,
  entryPoints: { bridge: "camera-bridge/src/main.ts" },
  outdir: "camera-bridge/dist",
});
console.log("camera-bridge/dist/bridge.mjs and its chunks written");
