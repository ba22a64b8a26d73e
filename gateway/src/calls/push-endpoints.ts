// Where the gateway may deliver Web Push. A subscription's endpoint is a URL the browser chose, so it is
// checked like any address the server connects to on someone's behalf: https, a host on the deployment's list
// of push services, and (after DNS resolution, at subscription and again at every delivery) a public address.
// Loopback, private, link-local, unique-local and other special ranges are refused, unless the list names that
// very address (an operator's own push relay inside its network).
import type { LookupAddress, LookupOptions } from "node:dns";
import { lookup } from "node:dns";
import { BlockList, isIP } from "node:net";
import { DomainError } from "../../../protocol/errors.ts";

/** The push services of the browsers people use, by host (a leading "*." matches any subdomain). */
export const defaultPushServiceHosts = [
  "fcm.googleapis.com",
  "updates.push.services.mozilla.com",
  "*.push.services.mozilla.com",
  "*.notify.windows.com",
  "web.push.apple.com",
  "*.push.apple.com",
];

const specialRanges = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  specialRanges.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 127], // :: and ::1
  ["64:ff9b::", 96], // NAT64: could lead anywhere
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  specialRanges.addSubnet(network, prefix, "ipv6");

/** True for an address on the public internet; an IPv4 address written as IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && /^::ffff:/i.test(address)) return false; // mapped, but in hex: refuse rather than parse
  return !specialRanges.check(address, family === 4 ? "ipv4" : "ipv6");
}

export class PushEndpointPolicy {
  readonly #hosts: string[];

  constructor(hosts: string[]) {
    this.#hosts = hosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
  }

  /** The service's host is on the list. */
  hostAllowed(host: string): boolean {
    const name = unbracket(host.toLowerCase());
    return this.#hosts.some((pattern) =>
      pattern.startsWith("*.") ? name.endsWith(pattern.slice(1)) : name === unbracket(pattern),
    );
  }

  /** An address the gateway may connect to: public, or listed by itself. */
  addressAllowed(address: string): boolean {
    return isPublicAddress(address) || this.#hosts.includes(address.toLowerCase());
  }

  /** Throws push-endpoint-refused unless the endpoint is https, on the list, and resolves to allowed addresses. */
  async check(endpoint: string): Promise<void> {
    const url = URL.canParse(endpoint) ? new URL(endpoint) : null;
    if (!url || url.protocol !== "https:" || url.username || url.password) throw refused("not an https URL");
    const host = unbracket(url.hostname);
    if (!this.hostAllowed(host)) throw refused("not a push service on PUSH_SERVICE_HOSTS");
    const addresses = isIP(host) ? [host] : await resolveAll(host);
    if (addresses.length === 0 || !addresses.every((a) => this.addressAllowed(a)))
      throw refused("resolves to an address that is not public");
  }

  /**
   * A DNS lookup for the HTTPS agent that only ever answers allowed addresses: the address connected to is the
   * one checked, so a name that resolves differently a moment later (DNS rebinding) cannot slip past.
   */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    lookup(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, "");
      const allowed = found.filter((a) => this.addressAllowed(a.address));
      if (allowed.length === 0)
        return callback(
          Object.assign(new Error(`${hostname} resolves to no public address`), { code: "EREFUSED" }),
          "",
        );
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

function refused(why: string): DomainError {
  return new DomainError("push-endpoint-refused", { details: { why } });
}

const unbracket = (host: string) => host.replace(/^\[(.*)\]$/, "$1");

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve) => {
    lookup(host, { all: true }, (error, found) => resolve(error ? [] : found.map((a) => a.address)));
  });
}
