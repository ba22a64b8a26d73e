// A test ONVIF device service: there is no ONVIF device service in Debian, so this is the bridge's protocol peer
// for the few operations it uses. It answers SOAP 1.2 GetCapabilities, GetProfiles, GetStreamUri, GetSnapshotUri
// SetSynchronizationPoint and SystemReboot, checks every request's WS-Security UsernameToken digest (Base64(SHA-1(nonce + created +
// password)), refusing a wrong one with the ter:NotAuthorized fault), and serves the snapshot behind HTTP digest
// authentication (RFC 7616, qop=auth) as cameras do. The stream URI it hands out is a real RTSP server's.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface OnvifDeviceOptions {
  username: string;
  password: string;
  /** What GetStreamUri answers (the test RTSP camera's URL). */
  streamUri: string;
  /** The JPEG the snapshot URI serves. */
  jpeg: Buffer;
  /** Whether SystemReboot is offered (ActionNotSupported otherwise). */
  reboot?: boolean;
  /** Each SetSynchronizationPoint, after it is counted: the test camera's encoder is asked for a keyframe. */
  onKeyframeRequest?(profile: string): void;
}

export interface OnvifDevice {
  readonly url: string;
  readonly requests: { operation: string; authorized: boolean }[];
  readonly snapshots: { authorized: boolean }[];
  reboots: number;
  /** SetSynchronizationPoint requests (keyframe requests) by profile token. */
  keyframeRequests: string[];
  close(): Promise<void>;
}

const soap = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" ` +
  `xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ` +
  `xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error">` +
  `<env:Body>${body}</env:Body></env:Envelope>`;

const fault = (subcode: string, text: string) =>
  soap(
    `<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>${subcode}</env:Value>` +
      `</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">${text}</env:Text></env:Reason></env:Fault>`,
  );

const textOf = (xml: string, local: string) =>
  new RegExp(`<(?:[\\w-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${local}>`).exec(xml)?.[1];

/** The WS-Security check a camera does: the digest must be of this nonce, this time and the right password. */
function usernameTokenValid(xml: string, options: OnvifDeviceOptions): boolean {
  const [username, digest, nonce, created] = ["Username", "Password", "Nonce", "Created"].map((n) => textOf(xml, n));
  if (username !== options.username || !digest || !nonce || !created) return false;
  const expected = createHash("sha1")
    .update(Buffer.concat([Buffer.from(nonce, "base64"), Buffer.from(created), Buffer.from(options.password)]))
    .digest("base64");
  return expected === digest && Math.abs(Date.now() - Date.parse(created)) < 5 * 60_000;
}

function operationOf(xml: string): string {
  const body = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(xml);
  return body?.[1] ?? "unknown";
}

function answer(xml: string, options: OnvifDeviceOptions, base: string, device: OnvifDevice): string {
  const operation = operationOf(xml);
  switch (operation) {
    case "GetCapabilities":
      return soap(
        `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>${base}/onvif/media</tt:XAddr>` +
          `</tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
      );
    case "GetProfiles":
      return soap(
        `<trt:GetProfilesResponse><trt:Profiles token="main_profile" fixed="true"><tt:Name>main</tt:Name>` +
          `</trt:Profiles><trt:Profiles token="sub_profile"><tt:Name>sub</tt:Name></trt:Profiles></trt:GetProfilesResponse>`,
      );
    case "GetStreamUri":
      return soap(
        `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${options.streamUri}</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>`,
      );
    case "GetSnapshotUri":
      return soap(
        `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${base}/snapshot.jpg</tt:Uri></trt:MediaUri></trt:GetSnapshotUriResponse>`,
      );
    case "SetSynchronizationPoint":
      device.keyframeRequests.push(textOf(xml, "ProfileToken") ?? "");
      options.onKeyframeRequest?.(textOf(xml, "ProfileToken") ?? "");
      return soap(`<trt:SetSynchronizationPointResponse/>`);
    case "SystemReboot":
      if (!options.reboot) return "";
      device.reboots += 1;
      return soap(
        `<tds:SystemRebootResponse><tds:Message>Rebooting in 30 seconds</tds:Message></tds:SystemRebootResponse>`,
      );
    default:
      return "";
  }
}

/** HTTP digest as cameras do it for their snapshot URI: a fresh nonce per challenge, qop=auth, MD5. */
function digestValid(header: string | undefined, options: OnvifDeviceOptions, nonces: Set<string>): boolean {
  if (!header?.startsWith("Digest ")) return false;
  const f = Object.fromEntries([...header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3]]));
  if (f.username !== options.username || !nonces.has(f.nonce ?? "")) return false;
  const md5 = (s: string) => createHash("md5").update(s).digest("hex");
  const ha1 = md5(`${options.username}:${f.realm}:${options.password}`);
  const ha2 = md5(`GET:${f.uri}`);
  return f.response === md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${ha2}`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startOnvifDevice(options: OnvifDeviceOptions): Promise<OnvifDevice> {
  const nonces = new Set<string>();
  let base = "";
  const device: OnvifDevice = {
    url: "",
    requests: [],
    snapshots: [],
    reboots: 0,
    keyframeRequests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const snapshot = (req: IncomingMessage, res: ServerResponse) => {
    const authorized = digestValid(req.headers.authorization, options, nonces);
    device.snapshots.push({ authorized });
    if (authorized) return void res.writeHead(200, { "content-type": "image/jpeg" }).end(options.jpeg);
    const nonce = randomBytes(12).toString("hex");
    nonces.add(nonce);
    res.writeHead(401, { "www-authenticate": `Digest realm="test-camera", qop="auth", nonce="${nonce}"` }).end();
  };
  const service = async (req: IncomingMessage, res: ServerResponse) => {
    const xml = await readBody(req);
    const operation = operationOf(xml);
    const authorized = usernameTokenValid(xml, options);
    device.requests.push({ operation, authorized });
    const reply = authorized ? answer(xml, options, base, device) : fault("ter:NotAuthorized", "Sender not authorized");
    const status = !authorized || reply === "" ? 400 : 200;
    res.writeHead(status, { "content-type": "application/soap+xml; charset=utf-8" });
    res.end(reply || fault("ter:ActionNotSupported", "Optional action not implemented"));
  };
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/snapshot.jpg") return snapshot(req, res);
    if (req.method === "POST" && req.url?.startsWith("/onvif/")) return void service(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  (device as { url: string }).url = `${base}/onvif/device_service`;
  return device;
}
