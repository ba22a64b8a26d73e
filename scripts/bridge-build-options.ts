// How the camera bridge is bundled (npm run build:bridge), shared with the bench, which bundles its bridge child
// the same way so that its memory figures are the installed bridge's. Both choices below are for the box's
// memory (camera-bridge/README.md, Figures):
// - splitting: the media code (werift and its crypto, ~1.2 MB of source) is a chunk of its own, read at the first
//   watch; in one file V8 holds its source from the start although the code does not run until then;
// - minifyWhitespace drops comments: one non-ASCII character anywhere (a "§" in a dependency's comment) makes
//   V8 keep the whole source at two bytes per character. Names are kept, so stack traces still read.
import type { BuildOptions } from "esbuild";

export const bridgeBuildOptions: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  splitting: true,
  outExtension: { ".js": ".mjs" },
  minifyWhitespace: true,
  legalComments: "none",
  // Some dependencies (pino's) still call require(): give the ES module one.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: "warning",
};
