import { describe, expect, it } from "vitest";
import { resolveAddress } from "../../../../../functions/core/ingest/steps/resolve-address.ts";
import { accessRecord, rawLine, stepRun } from "./run-fixture.ts";

describe("resolve address step", () => {
  it("rejects bad_client_ip for an address that is not strict IPv4 or IPv6", async () => {
    // Prepare
    const { run, rows } = stepRun();
    // Act
    const results = ["999.1.1.1", "1.2.3", "example.com", "-"].map((clientIp, i) =>
      resolveAddress(run, rawLine(`line ${i}`, i + 1), accessRecord({ clientIp })),
    );
    // Assess
    expect(results).toEqual([null, null, null, null]);
    expect(run.rejectedByReason).toEqual({ bad_client_ip: 4 });
    expect((await rows("rejects/")).map((r) => r.reason)).toEqual(Array(4).fill("bad_client_ip"));
  });

  it("normalizes the logged address: port, brackets and IPv4-mapped IPv6 removed", () => {
    // Prepare
    const { run } = stepRun();
    const resolve = (clientIp: string) => resolveAddress(run, rawLine("l"), accessRecord({ clientIp }));
    // Act
    const addresses = ["203.0.113.7:51234", "[2001:db8::1]:443", "::ffff:203.0.113.8"].map(resolve);
    // Assess
    expect(addresses.map((a) => a?.address)).toEqual(["203.0.113.7", "2001:db8::1", "203.0.113.8"]);
    expect(run.rejected).toBe(0);
  });

  it("takes the client from X-Forwarded-For only when the peer is a trusted proxy", () => {
    // Prepare
    const trusting = stepRun({ config: { sites: ["example.com"], trustedProxies: ["10.0.0.0/8"] } });
    const record = (clientIp: string) => accessRecord({ clientIp, forwardedFor: "198.51.100.7, 10.0.0.9" });
    // Act
    const viaProxy = resolveAddress(trusting.run, rawLine("l"), record("10.0.0.5"));
    const direct = resolveAddress(trusting.run, rawLine("l"), record("203.0.113.5"));
    const untrusting = resolveAddress(stepRun().run, rawLine("l"), record("10.0.0.5"));
    // Assess
    expect(viaProxy?.address).toBe("198.51.100.7");
    expect(direct?.address).toBe("203.0.113.5");
    expect(untrusting?.address).toBe("10.0.0.5");
  });

  it("answers each line by its own peer and X-Forwarded-For when consecutive lines share the peer's text", () => {
    // Prepare: runs of one peer text (what the step remembers between lines), a trusted proxy among them, and a
    // peer that is not an address right after the same text was one
    const trusting = stepRun({ config: { sites: ["example.com"], trustedProxies: ["10.0.0.0/8"] } });
    const resolve = (clientIp: string, forwardedFor: string | null = null) =>
      resolveAddress(trusting.run, rawLine("l"), accessRecord({ clientIp, forwardedFor }))?.address ?? null;
    // Act
    const answers = [
      resolve("10.0.0.5"),
      resolve("10.0.0.5", "198.51.100.7"),
      resolve("10.0.0.5"),
      resolve("10.0.0.5", "198.51.100.8"),
      resolve("203.0.113.5"),
      resolve("203.0.113.5"),
      resolve("203.0.113.6"),
      resolve("203.0.113.6:8080"),
      resolve("bad"),
      resolve("bad"),
      resolve("203.0.113.6:8080"),
    ];
    // Assess
    expect(answers).toEqual([
      "10.0.0.5",
      "198.51.100.7",
      "10.0.0.5",
      "198.51.100.8",
      "203.0.113.5",
      "203.0.113.5",
      "203.0.113.6",
      "203.0.113.6",
      null,
      null,
      "203.0.113.6",
    ]);
    expect(trusting.run.rejectedByReason).toEqual({ bad_client_ip: 2 });
  });
});
