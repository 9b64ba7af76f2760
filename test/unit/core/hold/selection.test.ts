import { describe, expect, it } from "vitest";
import { REDACTED, redactAddresses } from "../../../../functions/core/hold/redact.ts";
import {
  addressMatcher,
  inWindow,
  parseSelection,
  SelectionError,
} from "../../../../functions/core/hold/selection.ts";

describe("parseSelection", () => {
  it("normalizes an address as the security zone stores it", () => {
    // Prepare / Act
    const v6 = parseSelection({ ip: "2001:DB8:0:0::1" });
    const mapped = parseSelection({ ip: "::ffff:203.0.113.7" });

    // Assess
    expect(v6).toEqual({ kind: "ip", value: "2001:db8::1", fromMs: null, toMs: null });
    expect(mapped.value).toBe("203.0.113.7");
  });

  it("clears host bits of a prefix and reads the window", () => {
    // Prepare / Act
    const selection = parseSelection({
      prefix: "203.0.113.77/24",
      from: "2026-11-20",
      to: "2026-11-20T13:30:00Z",
    });

    // Assess
    expect(selection).toEqual({
      kind: "prefix",
      value: "203.0.113.0/24",
      fromMs: Date.UTC(2026, 10, 20),
      toMs: Date.UTC(2026, 10, 20, 13, 30),
    });
  });

  it("refuses mistakes without echoing the address", () => {
    // Prepare
    const bad = [
      { ip: "203.0.113.7:8080" },
      { ip: "203.0.113.7/32" },
      { prefix: "203.0.113.7" },
      { ip: "203.0.113.7", prefix: "203.0.113.0/24" },
      {},
      { ip: "203.0.113.7", from: "yesterday" },
      { ip: "203.0.113.7", from: "2026-11-21", to: "2026-11-20" },
      { ip: "203.0.113.7", from: "2026-11-20T10:00:00" }, // no zone: ambiguous
    ];

    // Act
    const errors = bad.map((input) => {
      try {
        parseSelection(input);
        return null;
      } catch (error) {
        return error;
      }
    });

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(SelectionError);
      expect((error as Error).message).not.toContain("203.0.113");
    }
  });
});

describe("addressMatcher and inWindow", () => {
  it("matches an address, a network of either family, and a half-open window", () => {
    // Prepare
    const one = addressMatcher(parseSelection({ ip: "198.51.100.4" }));
    const net = addressMatcher(parseSelection({ prefix: "2001:db8:aa::/48" }));
    const window = parseSelection({
      ip: "198.51.100.4",
      from: "2026-11-20T10:00:00Z",
      to: "2026-11-20T11:00:00Z",
    });

    // Act / Assess
    expect([one("198.51.100.4"), one("198.51.100.40")]).toEqual([true, false]);
    expect([net("2001:db8:aa:1::9"), net("2001:db8:ab::1"), net("203.0.113.1")]).toEqual([
      true,
      false,
      false,
    ]);
    expect([
      inWindow(window, Date.UTC(2026, 10, 20, 10)),
      inWindow(window, Date.UTC(2026, 10, 20, 11) - 1),
      inWindow(window, Date.UTC(2026, 10, 20, 11)),
    ]).toEqual([true, true, false]);
  });
});

describe("redactAddresses", () => {
  it("removes IPv4, IPv6, ported and mapped addresses and leaves times, dates and versions", () => {
    // Prepare
    const text =
      "brute force from 203.0.113.7 and [2001:db8::1]:443, also ::ffff:198.51.100.2 and 192.0.2.1:8080, at 12:30:45 on 2026-11-20, v1.2.3, 2001:db8::5.";

    // Act
    const redacted = redactAddresses(text);

    // Assess
    expect(redacted).toBe(
      `brute force from ${REDACTED} and [${REDACTED}]:443, also ${REDACTED} and ${REDACTED}, at 12:30:45 on 2026-11-20, v1.2.3, ${REDACTED}.`,
    );
  });

  it("removes dashed, hex, integer, octal, full-width and host-name addresses (issue 16)", () => {
    // Prepare: one address per notation, each a different address.
    const text =
      "seen as 203-0-113-8, ec2-203-0-113-9.compute-1.amazonaws.com, 0xCB00710A, 3405803787, 0313.0.0161.014, " +
      "２０３．０．１１３．１３, 203.0.113.14.nip.io and 2001-db8--15.ipv6-literal.net since 20261120";

    // Act
    const redacted = redactAddresses(text);

    // Assess: every address gone, the date stays.
    expect(redacted).toBe(
      `seen as ${REDACTED}, ec2-${REDACTED}.compute-1.amazonaws.com, ${REDACTED}, ${REDACTED}, ${REDACTED}, ` +
        `${REDACTED}, ${REDACTED}.nip.io and ${REDACTED}.ipv6-literal.net since 20261120`,
    );
  });
});
