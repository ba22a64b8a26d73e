// Request URLs as they may appear in a log: a secret can ride in a query string (a token) or in a path
// segment (an invite code in /join/<code>), so query values and those segments are replaced.
const REDACTED = "[redacted]";

/**
 * Paths whose last segment is a secret code: invites (`/api/v1/invites/accept` is a route, not a code) and a
 * camera's one-time snapshot upload URL.
 */
const secretSegments: RegExp[] = [
  /^(\/join\/)[^/?#]+/,
  /^(\/api\/v1\/invites\/)(?!accept(?:[/?#]|$))[^/?#]+/,
  /^(\/api\/v1\/devices\/[^/?#]+\/snapshot-uploads\/)[^/?#]+/,
];

export function redactUrl(url: string): string {
  const queryAt = url.indexOf("?");
  let path = queryAt === -1 ? url : url.slice(0, queryAt);
  for (const pattern of secretSegments) path = path.replace(pattern, `$1${REDACTED}`);
  if (queryAt === -1) return path;
  const keys = url
    .slice(queryAt + 1)
    .split("&")
    .filter(Boolean)
    .map((pair) => pair.split("=")[0]);
  return `${path}?${keys.map((key) => `${key}=${REDACTED}`).join("&")}`;
}

/** pino serializer for fastify's `req`: what the default logs, with the URL redacted. */
export function redactedRequest(request: {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
