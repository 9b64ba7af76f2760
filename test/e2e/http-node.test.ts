import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpApp } from "../../functions/apps/http/app.ts";
import {
  closeServer,
  createNodeServer,
  listen,
  nodePlatform,
  peerAddress,
} from "../../functions/apps/http/node.ts";
import { harness, json, UA_CHROME } from "../unit/apps/collect/harness.ts";

/**
 * The HTTP app on node (what `logsieve serve` runs) over real sockets: the client address is the socket's peer —
 * an IPv4 client on a dual-stack socket without its `::ffff:` prefix — never a header; a chunked body over the
 * platform cap is refused while it streams in.
 */

const PAGE = "https://example.com/node";
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function serve(host: string, maxBodyBytes?: number) {
  const h = harness({ config: { sites: ["example.com"] } });
  const app = createHttpApp({
    platform: nodePlatform,
    logger: h.logger,
    collect: h.routes,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  });
  const server = createNodeServer(app);
  const address: AddressInfo = await listen(server, host, 0);
  stops.push(() => closeServer(server));
  return { h, port: address.port };
}

/** Whether this machine has IPv6 loopback (a dual-stack socket needs it). */
async function hasIpv6(): Promise<boolean> {
  try {
    const { port } = await serve("::1");
    return port > 0;
  } catch {
    return false;
  }
}

describe("the HTTP app on node", () => {
  it("strips ::ffff: from an IPv4-mapped peer", () => {
    // Act / Assess
    expect(peerAddress("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(peerAddress("::FFFF:198.51.100.1")).toBe("198.51.100.1");
    expect(peerAddress("2001:db8::1")).toBe("2001:db8::1");
    expect(peerAddress("::ffff:2001:db8::1")).toBe("::ffff:2001:db8::1");
    expect(peerAddress(undefined)).toBe("");
  });

  it("takes the client address from the socket, also on a dual-stack socket, and not from X-Forwarded-For", async () => {
    // Prepare: a dual-stack socket where the machine has IPv6, else an IPv4 one.
    const host = (await hasIpv6()) ? "::" : "127.0.0.1";
    const { h, port } = await serve(host);
    // Act
    const response = await fetch(`http://127.0.0.1:${port}/collect`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": UA_CHROME,
        "x-forwarded-for": "198.51.100.7",
      },
      body: json({ site: "example.com", url: PAGE, consent: { statistics: true } }),
    });
    // Assess
    expect(response.status).toBe(202);
    expect(h.sink.rows.map((r) => r.ip_prefix)).toEqual(["127.0.0.0/24"]);
  });

  it("refuses a chunked body over the platform cap while it streams in", async () => {
    // Prepare
    const { h, port } = await serve("127.0.0.1", 1024);
    // Act: no Content-Length, so node sends the body chunked.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/collect" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write("x".repeat(512));
      req.end();
    });
    // Assess
    expect(status).toBe(413);
    expect(h.counters().requests).toBe(0);
  });
});
