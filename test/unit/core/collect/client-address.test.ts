import { describe, expect, it } from "vitest";
import { compileTrustedProxies } from "../../../../functions/core/anonymize/ip.ts";
import { clientAddressOf, parseViewerAddress } from "../../../../functions/core/collect/client-address.ts";
import type { CollectRequest } from "../../../../functions/core/collect/types.ts";

function request(sourceIp: string, headers: Record<string, string> = {}): CollectRequest {
  return { method: "POST", path: "/collect", rawQuery: "", headers, body: null, bodyBytes: 0, sourceIp };
}

describe("parseViewerAddress (CloudFront-Viewer-Address)", () => {
  it.each([
    ["198.51.100.10:46532", "198.51.100.10"],
    ["2001:0db8:85a3:0000:0000:8a2e:0370:7334:46532", "2001:db8:85a3::8a2e:370:7334"],
    ["2001:db8::1:443", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["198.51.100.10", "198.51.100.10"],
  ])("reads %s as %s", (header, expected) => {
    // Act / Assess
    expect(parseViewerAddress(header)?.address).toBe(expected);
  });

  it("refuses what is not an address", () => {
    // Act / Assess
    expect(parseViewerAddress("unknown:80")).toBeNull();
    expect(parseViewerAddress("")).toBeNull();
  });
});

describe("clientAddressOf", () => {
  const none = compileTrustedProxies([]);
  const proxies = compileTrustedProxies(["10.0.0.0/8"]);

  it("takes the platform's peer address and ignores client-written headers", () => {
    // Prepare
    const spoofed = request("203.0.113.7", {
      "x-forwarded-for": "198.51.100.1",
      "cloudfront-viewer-address": "198.51.100.2:1234",
    });
    // Act / Assess
    expect(clientAddressOf(spoofed, none, null)?.address).toBe("203.0.113.7");
    expect(clientAddressOf(spoofed, none, "cloudfront-viewer-address")?.address).toBe("203.0.113.7");
    expect(clientAddressOf(spoofed, proxies, "cloudfront-viewer-address")?.address).toBe("203.0.113.7");
  });

  it("believes X-Forwarded-For, or the named viewer header, only when the peer is a trusted proxy", () => {
    // Prepare
    const viaProxy = request("10.0.0.5", {
      "x-forwarded-for": "198.51.100.1, 10.0.0.9",
      "cloudfront-viewer-address": "198.51.100.2:1234",
    });
    // Act / Assess
    expect(clientAddressOf(viaProxy, proxies, null)?.address).toBe("198.51.100.1");
    expect(clientAddressOf(viaProxy, proxies, "cloudfront-viewer-address")?.address).toBe("198.51.100.2");
  });

  it("returns null when the platform gives no address", () => {
    // Act / Assess
    expect(clientAddressOf(request(""), none, null)).toBeNull();
  });
});
