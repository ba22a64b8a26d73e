// Vite build of the web client → web/dist, served by the gateway (gateway/src/plugins/web.ts).
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { createLogger, defineConfig, type Logger } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { precompress } from "./precompress.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
  },
  customLogger: quietLogger(),
  plugins: [
    preact(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: null,
      manifest: {
        name: "望乡 Wangxiang",
        short_name: "望乡",
        description: "看看家：在外务工的家人随时看到家里 · See home from far away",
        lang: "zh-CN",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#f7f4ef",
        theme_color: "#7a2a10",
        icons: [
          { src: "/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
      workbox: {
        // Only the family shell is precached: the installer's and staff's chunks (one per role, see App.tsx), the
        // QR decoder and the charts are fetched by those who use them, then kept by the runtime cache below.
        globPatterns: ["index.html", "assets/index-*.{js,css}", "*.{svg,png}"],
        // Calls and notices arrive by Web Push: the worker shows them and opens the page a tap asks for.
        importScripts: ["/push-sw.js"],
        navigateFallback: "/index.html",
        // The API, the live socket and the relay's own viewer page are never answered from the cache.
        navigateFallbackDenylist: [/^\/api\//, /^\/viewer\//, /^\/openapi/, /^\/healthz/, /^\/metrics/],
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.startsWith("/assets/"),
            handler: "CacheFirst",
            options: { cacheName: "wx-role-chunks", expiration: { maxEntries: 40 } },
          },
        ],
      },
    }),
    precompress(),
  ],
  server: { proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } } },
});

/** zod's sources carry comments Rollup reports as misplaced annotations on every build: harmless noise. */
function quietLogger(): Logger {
  const logger = createLogger();
  const warn = logger.warn.bind(logger);
  logger.warn = (message, options) => {
    if (!message.includes("contains an annotation that Rollup cannot interpret")) warn(message, options);
  };
  return logger;
}
