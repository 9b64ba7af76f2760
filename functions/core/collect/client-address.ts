import {
  type ClientAddress,
  parseClientAddress,
  resolveClientAddress,
  type TrustedProxies,
} from "../anonymize/ip.ts";
import type { CollectRequest } from "./types.ts";

/**
 * A viewer-address header as CloudFront writes it: `ip:port`, where an IPv6 address is NOT bracketed
 * (`2001:db8::1:443`). The port is always there, so the last `:digits` is cut first; a bracketed form and a
 * bare address are accepted too.
 */
export function parseViewerAddress(value: string): ClientAddress | null {
  const text = value.trim();
  const lastColon = text.lastIndexOf(":");
  if (lastColon > 0 && /^\d{1,5}$/.test(text.slice(lastColon + 1))) {
    const withoutPort = parseClientAddress(text.slice(0, lastColon));
    if (withoutPort !== null) return withoutPort;
  }
  return parseClientAddress(text);
}

/**
 * The client address of a collector request. The platform's peer address (`requestContext.http.sourceIp`, set
 * from the TCP connection) is the truth. Only when that peer is one of the configuration's trusted proxies is
 * more believed: the viewer-address header the deployment names (CloudFront's `cloudfront-viewer-address`, which
 * CloudFront overwrites and a client cannot forge; docs/DEPLOY.md), else `X-Forwarded-For`, walked from the right
 * past trusted proxies. Null when nothing parses.
 */
export function clientAddressOf(
  request: CollectRequest,
  trusted: TrustedProxies,
  viewerHeader: string | null,
): ClientAddress | null {
  const peer = parseClientAddress(request.sourceIp);
  if (peer === null) return null;
  if (trusted.blocks.length === 0 || !trusted.contains(peer)) return peer;
  if (viewerHeader !== null) {
    const value = request.headers[viewerHeader];
    if (value !== undefined && value.length > 0) {
      const viewer = parseViewerAddress(value);
      if (viewer !== null) return viewer;
    }
  }
  return resolveClientAddress(request.sourceIp, request.headers["x-forwarded-for"] ?? null, trusted);
}
