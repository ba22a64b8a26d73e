// The few ONVIF operations the bridge needs, as SOAP 1.2 over HTTP with WS-Security UsernameToken
// (PasswordDigest = Base64(SHA-1(nonce + created + password)), the ONVIF Core spec's required scheme):
// GetCapabilities (where the media service is), GetProfiles, GetStreamUri, GetSnapshotUri, SystemReboot, and
// SetSynchronizationPoint (a keyframe now, for a viewer who would otherwise wait for the camera's next one).
// Written here rather than taken from the `onvif` npm package: five requests and a handful of fields do not
// need a WSDL-driven library and its XML stack on a Raspberry Pi, and each answer is checked by a zod schema.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { cameraHttp, type Account } from "./digest-auth.ts";

export type OnvifOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; fault: "unreachable" | "auth-failed" | "not-supported" | "bad-answer"; detail: string };

const DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl";
const MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl";

/** The WS-Security header: a fresh nonce and time for every request. */
export function usernameToken(account: Account, now = new Date()): string {
  const nonce = randomBytes(16);
  const created = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const digest = createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(account.password)]))
    .digest("base64");
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ` +
    `xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>${xmlText(account.username)}</wsse:Username>` +
    `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString("base64")}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

const xmlText = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

/** Every text content of elements named `local` (any namespace prefix), in document order. */
export function elementTexts(xml: string, local: string): string[] {
  const pattern = new RegExp(`<(?:[\\w-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${local}>`, "g");
  return [...xml.matchAll(pattern)].map((m) => decodeXml(m[1]!.trim()));
}

const decodeXml = (text: string) =>
  text.replace(
    /&(lt|gt|amp|quot|apos);/g,
    (_, e: string) => ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" })[e]!,
  );

export class OnvifClient {
  #mediaUrl: string | null = null;

  constructor(
    readonly deviceUrl: string,
    private readonly account: Account,
  ) {}

  async #call(url: string, ns: string, body: string): Promise<OnvifOutcome<string>> {
    const envelope =
      `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">` +
      `<s:Header>${usernameToken(this.account)}</s:Header><s:Body xmlns:n="${ns}">${body}</s:Body></s:Envelope>`;
    const reply = await cameraHttp(url, this.account, {
      method: "POST",
      body: envelope,
      contentType: "application/soap+xml; charset=utf-8",
    });
    if (reply.kind === "ok") return { ok: true, value: reply.body.toString("utf8") };
    if (reply.kind === "unreachable") return { ok: false, fault: "unreachable", detail: reply.reason };
    if (reply.kind === "auth-failed") return { ok: false, fault: "auth-failed", detail: "HTTP 401" };
    return classifyFault(reply.status, reply.body);
  }

  /** The media service's address (GetCapabilities); the device service's own when the camera names none. */
  async mediaUrl(): Promise<OnvifOutcome<string>> {
    if (this.#mediaUrl) return { ok: true, value: this.#mediaUrl };
    const reply = await this.#call(
      this.deviceUrl,
      DEVICE_NS,
      `<n:GetCapabilities><n:Category>Media</n:Category></n:GetCapabilities>`,
    );
    if (!reply.ok) return reply;
    this.#mediaUrl = elementTexts(reply.value, "XAddr")[0] ?? this.deviceUrl;
    return { ok: true, value: this.#mediaUrl };
  }

  async profileTokens(): Promise<OnvifOutcome<string[]>> {
    const media = await this.mediaUrl();
    if (!media.ok) return media;
    const reply = await this.#call(media.value, MEDIA_NS, `<n:GetProfiles/>`);
    if (!reply.ok) return reply;
    const tokens = [...reply.value.matchAll(/<(?:[\w-]+:)?Profiles[^>]*\stoken="([^"]+)"/g)].map((m) => m[1]!);
    if (tokens.length === 0) return { ok: false, fault: "bad-answer", detail: "GetProfiles named no profile" };
    return { ok: true, value: tokens };
  }

  async streamUri(profile: string): Promise<OnvifOutcome<string>> {
    const body =
      `<n:GetStreamUri><n:StreamSetup><Stream xmlns="http://www.onvif.org/ver10/schema">RTP-Unicast</Stream>` +
      `<Transport xmlns="http://www.onvif.org/ver10/schema"><Protocol>RTSP</Protocol></Transport></n:StreamSetup>` +
      `<n:ProfileToken>${xmlText(profile)}</n:ProfileToken></n:GetStreamUri>`;
    return this.#uriOf(await this.#mediaCall(body), "GetStreamUri", /^rtsps?:/);
  }

  async snapshotUri(profile: string): Promise<OnvifOutcome<string>> {
    const body = `<n:GetSnapshotUri><n:ProfileToken>${xmlText(profile)}</n:ProfileToken></n:GetSnapshotUri>`;
    return this.#uriOf(await this.#mediaCall(body), "GetSnapshotUri", /^https?:/);
  }

  async systemReboot(): Promise<OnvifOutcome<string>> {
    const reply = await this.#call(this.deviceUrl, DEVICE_NS, `<n:SystemReboot/>`);
    if (!reply.ok) return reply;
    return { ok: true, value: elementTexts(reply.value, "Message")[0] ?? "rebooting" };
  }

  /** Asks the camera's encoder for a keyframe now. */
  async synchronizationPoint(profile: string): Promise<OnvifOutcome<string>> {
    const body = `<n:SetSynchronizationPoint><n:ProfileToken>${xmlText(profile)}</n:ProfileToken></n:SetSynchronizationPoint>`;
    const reply = await this.#mediaCall(body);
    return reply.ok ? { ok: true, value: "keyframe requested" } : reply;
  }

  async #mediaCall(body: string): Promise<OnvifOutcome<string>> {
    const media = await this.mediaUrl();
    return media.ok ? this.#call(media.value, MEDIA_NS, body) : media;
  }

  #uriOf(reply: OnvifOutcome<string>, operation: string, scheme: RegExp): OnvifOutcome<string> {
    if (!reply.ok) return reply;
    const uri = z.url().safeParse(elementTexts(reply.value, "Uri")[0]);
    if (!uri.success || !scheme.test(uri.data))
      return { ok: false, fault: "bad-answer", detail: `${operation} gave no usable URI` };
    return { ok: true, value: uri.data };
  }
}

/** A SOAP fault: NotAuthorized is the wrong account; ActionNotSupported an operation the camera lacks. */
function classifyFault(status: number, body: string): OnvifOutcome<never> {
  const subcodes = elementTexts(body, "Value").join(" ");
  if (/NotAuthorized|FailedAuthentication|InvalidSecurity/i.test(subcodes))
    return { ok: false, fault: "auth-failed", detail: "ONVIF: not authorized" };
  if (/ActionNotSupported|NotSupported/i.test(subcodes))
    return { ok: false, fault: "not-supported", detail: "ONVIF: operation not supported" };
  return { ok: false, fault: "bad-answer", detail: `ONVIF answered HTTP ${status}` };
}
