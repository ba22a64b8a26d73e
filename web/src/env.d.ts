/// <reference types="vite/client" />

/** qr-scanner's worker module (no types of its own): imported only to have it fetched and cached in advance. */
declare module "qr-scanner/qr-scanner-worker.min.js";
