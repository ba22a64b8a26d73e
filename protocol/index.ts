export * from "./topics.ts";
export * from "./device-messages.ts";
export * from "./http.ts";
export * from "./ws.ts";
export * from "./invites.ts";
export * from "./live-view.ts";
export * from "./text.ts";
export * from "./calls.ts";
