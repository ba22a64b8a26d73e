// Every error code a Wangxiang service answers with, in one place: the HTTP status it travels with and an
// English message for people reading logs or curl output. Clients branch on the code, never on the status or
// the message; the web app translates by code (web/src/locales, `errors.<code>`). Services throw a
// DomainError with a code from here, and one place per server maps it to the JSON error reply.
import { z } from "zod";
import { textFaultMessages } from "./text.ts";

export interface ErrorDefinition {
  status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 500 | 502 | 503 | 504;
  /** The default message; a thrower may give a more precise one. */
  message: string;
}

export const errorCatalogue = {
  // ── requests the server cannot read ──
  "invalid-request": { status: 400, message: "the request does not match its schema" },
  "bad-request": { status: 400, message: "the request cannot be understood" },
  "bad-url": { status: 400, message: "the URL cannot be read" },
  "nul-character": { status: 400, message: textFaultMessages["nul-character"] },
  "unpaired-surrogate": { status: 400, message: textFaultMessages["unpaired-surrogate"] },
  "bad-cursor": { status: 400, message: "cursor is not one this server gave out" },
  "invalid-message": { status: 400, message: "the WebSocket message does not match its schema" },
  "bad-sdp": { status: 400, message: "send an SDP offer with media sections, ICE credentials and a DTLS fingerprint" },
  "payload-too-large": { status: 413, message: "the request body is too large" },
  "unsupported-media-type": { status: 415, message: "this content type is not accepted here" },
  // ── who is asking ──
  unauthorized: { status: 401, message: "sign in first" },
  forbidden: { status: 403, message: "you may not do this" },
  "not-a-member": { status: 403, message: "only the household's family members can watch this camera" },
  "not-family": { status: 400, message: "only family accounts can be household members" },
  "too-many-requests": { status: 429, message: "too many attempts; wait and try again" },
  "not-assigned": { status: 403, message: "this household is not assigned to you; ask the service centre" },
  "wrong-password": { status: 400, message: "the current password is not right" },
  "weak-password": {
    status: 400,
    message:
      "this password is too easy to guess (too short, one digit over and over, a run such as 12345678, or a common one)",
  },
  "sms-code-wrong": { status: 401, message: "the code is wrong or no longer valid; ask for a new one" },
  "cannot-disable-self": { status: 400, message: "you cannot disable your own account" },
  "not-installer": { status: 400, message: "only installers are assigned villages or households" },
  "push-endpoint-refused": {
    status: 400,
    message: "this push address is not a public push service this deployment trusts",
  },
  "request-id-taken": { status: 409, message: "this requestId was used for another household; make a new one" },
  // ── things that are not there, or not any more ──
  "not-found": { status: 404, message: "not found" },
  "session-not-found": { status: 404, message: "this media session has ended" },
  "invite-not-found": { status: 404, message: "no invite with this code; check the letters" },
  "labels-purged": {
    status: 410,
    message:
      "this label sheet was deleted after its retention period (it held claim codes); re-arm the cameras for new codes",
  },
  "invite-expired": { status: 410, message: "this invite has expired, been used up or withdrawn; ask for a new one" },
  // ── state that forbids the request ──
  conflict: { status: 409, message: "this was changed by another request at the same moment; try again" },
  "username-taken": { status: 409, message: "this username is taken; choose another" },
  "phone-taken": { status: 409, message: "this mobile number belongs to another account; sign in with it instead" },
  "serial-exists": { status: 409, message: "this serial is already registered" },
  "qr-unreadable": { status: 400, message: "this QR code is not a Wangxiang camera code" },
  "claim-code-wrong": { status: 401, message: "the claim code does not match this serial" },
  "claim-code-used": { status: 409, message: "this camera has already been claimed" },
  "device-revoked": { status: 403, message: "this camera has been revoked" },
  "device-in-other-household": { status: 409, message: "this camera belongs to another household; move it instead" },
  "device-not-installed": { status: 409, message: "this camera is not installed in a household" },
  "same-device": { status: 400, message: "the replacement is the same camera" },
  "camera-not-claimed": { status: 409, message: "this camera has not been set up yet" },
  "camera-offline": { status: 409, message: "the camera is offline" },
  "wellbeing-check-closed": { status: 409, message: "this check has already been answered or closed itself" },
  "camera-online": { status: 409, message: "the camera is connected; only staff can re-arm a working camera" },
  "batch-upload-raced": { status: 409, message: "the same upload is being registered by another request; try again" },
  "call-busy": { status: 409, message: "a call to this camera is already ringing" },
  "call-not-ringing": { status: 409, message: "this call is no longer ringing: it was answered, missed or ended" },
  "call-window": {
    status: 403,
    message: "the household asks for a call at this hour: call home instead of looking in",
  },
  "privacy-mode": { status: 403, message: "the camera is in privacy mode; nobody can watch until it is switched off" },
  "privacy-by-elder": {
    status: 403,
    message: "the elder switched privacy mode on; only they can switch it off (ask them from the app)",
  },
  "call-over": { status: 403, message: "this call has ended; call again to see home" },
  "too-many-stills": { status: 429, message: "stills of this camera were asked for too often; wait a little" },
  "too-many-views": { status: 429, message: "too many live views are open at once; close one first" },
  "site-check-running": { status: 409, message: "a check of this camera is already running; wait for its verdict" },
  // ── snapshot uploads (the camera's one-time upload URL, gateway/src/snapshots/) ──
  "snapshot-token-invalid": { status: 401, message: "this upload URL is not one the gateway gave out" },
  "snapshot-token-used": { status: 409, message: "this upload URL has been used; each works once" },
  "snapshot-token-expired": { status: 410, message: "this upload URL has expired; the camera must be asked again" },
  "snapshot-wrong-camera": { status: 403, message: "this upload URL was given to another camera" },
  "snapshot-too-large": { status: 413, message: "the still is larger than the upload limit" },
  "snapshot-not-jpeg": { status: 415, message: "send the still as image/jpeg" },
  "snapshot-bad-jpeg": { status: 400, message: "the bytes are not a whole JPEG of sane dimensions" },
  "batch-too-large": { status: 400, message: "too many serials in one upload; split the delivery" },
  "batch-empty": { status: 400, message: "the upload holds no serials" },
  // ── the server side could not do it ──
  "label-font-missing": { status: 503, message: "the font for label sheets is not installed (LABEL_FONT_FILE)" },
  "camera-did-not-answer": { status: 504, message: "the camera did not answer in time" },
  "camera-did-not-stream": { status: 504, message: "the camera did not start its stream in time" },
  "broker-unavailable": { status: 503, message: "the message broker is not reachable" },
  "database-unavailable": { status: 503, message: "the database is not answering; try again shortly" },
  "snapshot-failed": { status: 502, message: "the camera could not take or send its still" },
  "relay-failed": { status: 502, message: "the media relay could not take this session" },
  "relay-restarted": { status: 503, message: "the live-view relay restarted; viewers reconnect" },
  "stream-owner-unreachable": {
    status: 503,
    message: "the server holding this camera's stream is not answering; try again shortly",
  },
  "shutting-down": { status: 503, message: "the server is shutting down; try again in a moment" },
  internal: { status: 500, message: "something went wrong on our side" },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]];

export const errorCode = z.enum(errorCodes).describe("machine-readable code; the catalogue is protocol/errors.ts");

/** The one JSON error shape, with the code restricted to the catalogue (so OpenAPI lists every code). */
export const catalogueErrorReply = z.object({
  error: errorCode,
  message: z.string().describe("what went wrong, for a person"),
  details: z.unknown().optional(),
});
export type CatalogueErrorReply = z.infer<typeof catalogueErrorReply>;

/**
 * What a service or route throws when a request cannot be done; the server's error handler turns it into a reply.
 * The status is the catalogue's, always; the message is the catalogue's unless the thrower adds facts the code
 * cannot carry (what was not found, which role is needed), never a copy of it.
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly code: ErrorCode;
  readonly status: ErrorDefinition["status"];
  readonly details: unknown;

  constructor(code: ErrorCode, options: { message?: string; details?: unknown; cause?: unknown } = {}) {
    const definition: ErrorDefinition = errorCatalogue[code];
    super(options.message ?? definition.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = definition.status;
    this.details = options.details;
  }

  toReply(): CatalogueErrorReply {
    return {
      error: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCatalogue, value);
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** The reply for a code alone, e.g. where a handler answers without throwing. */
export function errorReplyFor(code: ErrorCode, message?: string): CatalogueErrorReply {
  return { error: code, message: message ?? errorCatalogue[code].message };
}

/** Too many attempts: the client may try again in `retryAfterS` (the reply's Retry-After header says so too). */
export function retryLater(retryAfterS: number, what: string): DomainError {
  return new DomainError("too-many-requests", {
    message: `${what}; try again in ${retryAfterS} s`,
    details: { retryAfterS },
  });
}

/** "Not found", naming what was looked for; also the answer for what the asker may not know exists. */
export function notFoundError(what: string): DomainError {
  return new DomainError("not-found", { message: `${what} not found` });
}
