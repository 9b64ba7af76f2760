import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactAddresses } from "../../functions/core/hold/redact.ts";
import { referrerHost, scrubPath, scrubValue } from "../../functions/core/scrub/scrub.ts";

/**
 * The scrub policy as properties: an address or an e-mail address, written in any notation of the policy and put
 * anywhere in a path, a query value or a host name, never comes out. The detector is written here, independently
 * of the scrubber: it knows the planted value and looks for its notations in the output.
 */

const RUNS = { numRuns: 3_000, seed: 16_016 } as const;

const byte = fc.integer({ min: 0, max: 255 });
// A first octet of 6 or more: the address as one decimal number has nine or ten digits (never a YYYYMMDD date).
const ipv4 = fc.tuple(fc.integer({ min: 6, max: 223 }), byte, byte, fc.integer({ min: 1, max: 254 }));

const FULL_WIDTH_DIGITS = "０１２３４５６７８９";
const ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
const toDigits = (text: string, digits: string) => text.replace(/[0-9]/g, (d) => digits[Number(d)] as string);
const hex2 = (n: number) => n.toString(16).padStart(2, "0");

type Octets = [number, number, number, number];

const V4_NOTATIONS: Record<string, (o: Octets) => string> = {
  dotted: (o) => o.join("."),
  dashed: (o) => o.join("-"),
  underscored: (o) => o.join("_"),
  leadingZeros: (o) => o.map((n) => String(n).padStart(3, "0")).join("."),
  octal: (o) => o.map((n) => `0${n.toString(8)}`).join("."),
  hexLabels: (o) => o.map((n) => `0x${n.toString(16)}`).join("."),
  hex: (o) => `0x${o.map(hex2).join("")}`,
  integer: (o) => String(((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]),
  mapped: (o) => `::ffff:${o.join(".")}`,
  mappedHex: (o) => `::ffff:${hex2(o[0])}${hex2(o[1])}:${hex2(o[2])}${hex2(o[3])}`,
  ec2Host: (o) => `ec2-${o.join("-")}.eu-central-1.compute.amazonaws.com`,
  nipIo: (o) => `app.${o.join(".")}.nip.io`,
  fullWidth: (o) => toDigits(o.join("．"), FULL_WIDTH_DIGITS),
  arabicIndic: (o) => toDigits(o.join("."), ARABIC_INDIC_DIGITS),
  ideographicDots: (o) => o.join("。"),
  zeroWidth: (o) => o.join(".\u200b"),
  percentDots: (o) => o.join("%2E"),
  doubleEncoded: (o) => o.join("%252E"),
};

/** Every notation of the address the detector looks for, as a reader would see it (see {@link readable}). */
function v4Needles(o: Octets): string[] {
  const core = [
    "dotted",
    "dashed",
    "underscored",
    "leadingZeros",
    "octal",
    "hexLabels",
    "hex",
    "integer",
    "mappedHex",
  ];
  return core.map((name) =>
    readable((V4_NOTATIONS[name] as (o: Octets) => string)(o)).replace(/^(?:0x|::ffff:)/, ""),
  );
}

/** What a reader of the output would see: decoded, folded to ASCII digits and dots, invisible characters gone. */
function readable(text: string): string {
  let out = text;
  for (let i = 0; i < 4; i++) {
    try {
      out = decodeURIComponent(out);
    } catch {
      break;
    }
  }
  return out
    .normalize("NFKC")
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, "")
    .replace(/。/g, ".")
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660))
    .toLowerCase();
}

function leaksV4(output: string, o: Octets): string | null {
  const text = readable(output);
  return v4Needles(o).find((n) => text.includes(n)) ?? null;
}

// Around the planted value: words and separators, never a digit or hex letter touching it (that would change the
// value itself, not hide it).
const around = fc.stringMatching(/^[g-z/_~]{0,12}$/);

describe("scrubbing never lets an IPv4 address through, in any notation", () => {
  const notation = fc.constantFrom(...Object.keys(V4_NOTATIONS));

  it("in a path", () => {
    fc.assert(
      fc.property(ipv4, notation, around, around, (o, name, before, after) => {
        const planted = (V4_NOTATIONS[name] as (o: Octets) => string)(o as Octets);
        const raw = `/${before}/${planted}/${after}`;
        // Positive control: the detector finds the planted address before scrubbing.
        expect(leaksV4(raw, o as Octets), `${name}: ${planted}`).not.toBeNull();
        const out = scrubPath(raw);
        expect(leaksV4(out, o as Octets), `${name}: ${planted} → ${out}`).toBeNull();
      }),
      RUNS,
    );
  });

  it("in a kept query value", () => {
    fc.assert(
      fc.property(ipv4, notation, around, (o, name, before) => {
        const planted = (V4_NOTATIONS[name] as (o: Octets) => string)(o as Octets);
        expect(leaksV4(`${before}+${planted}`, o as Octets), `${name}: ${planted}`).not.toBeNull();
        const out = scrubValue(`${before}+${planted}`);
        expect(leaksV4(out, o as Octets), `${name}: ${planted} → ${out}`).toBeNull();
      }),
      RUNS,
    );
  });

  it("in a referrer's host name", () => {
    const hostNotation = fc.constantFrom(
      "dotted",
      "dashed",
      "hex",
      "integer",
      "ec2Host",
      "nipIo",
      "fullWidth",
    );
    fc.assert(
      fc.property(ipv4, hostNotation, (o, name) => {
        const planted = (V4_NOTATIONS[name] as (o: Octets) => string)(o as Octets);
        expect(leaksV4(planted, o as Octets), `${name}: ${planted}`).not.toBeNull();
        const out = referrerHost(`https://${planted}/path`) ?? "";
        expect(leaksV4(out, o as Octets), `${name}: ${planted} → ${out}`).toBeNull();
      }),
      RUNS,
    );
  });

  it("in the redactor's text (holds, audit)", () => {
    const redactable = fc.constantFrom(
      "dotted",
      "dashed",
      "hex",
      "integer",
      "mapped",
      "ec2Host",
      "nipIo",
      "fullWidth",
      "arabicIndic",
      "octal",
    );
    fc.assert(
      fc.property(ipv4, redactable, (o, name) => {
        const planted = (V4_NOTATIONS[name] as (o: Octets) => string)(o as Octets);
        expect(leaksV4(planted, o as Octets), `${name}: ${planted}`).not.toBeNull();
        const out = redactAddresses(`brute force from ${planted}, see ticket`);
        expect(leaksV4(out, o as Octets), `${name}: ${planted} → ${out}`).toBeNull();
      }),
      RUNS,
    );
  });
});

describe("scrubbing never lets an IPv6 address through", () => {
  const groups = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
  const notations: Record<string, (g: number[]) => string> = {
    full: (g) => g.map((x) => x.toString(16).padStart(4, "0")).join(":"),
    short: (g) => g.map((x) => x.toString(16)).join(":"),
    compressed: (g) =>
      `${g
        .slice(0, 3)
        .map((x) => x.toString(16))
        .join(":")}::${(g[7] as number).toString(16)}`,
    dashed: (g) => `${g.map((x) => x.toString(16)).join("-")}.ipv6-literal.net`,
    dashedCompressed: (g) =>
      `${g
        .slice(0, 3)
        .map((x) => x.toString(16))
        .join("-")}--${(g[7] as number).toString(16)}.ipv6-literal.net`,
  };

  it("in a path", () => {
    fc.assert(
      fc.property(groups, fc.constantFrom(...Object.keys(notations)), (g, name) => {
        // Distinctive groups: at least one with a digit, so the address is not a run of words.
        fc.pre(g.slice(0, 3).some((x) => /[0-9]/.test(x.toString(16))));
        const planted = (notations[name] as (g: number[]) => string)(g);
        const separator = name.startsWith("dashed") ? "-" : ":";
        const pad = name === "full" ? 4 : 1;
        const network = (g.slice(0, 2) as number[])
          .map((x) => x.toString(16).padStart(pad, "0"))
          .join(separator);
        // Positive control: the detector finds the network part before scrubbing.
        expect(planted.includes(network)).toBe(true);
        const out = scrubPath(`/lookup/${planted}/x`).toLowerCase();
        expect(out.includes(network), `${planted} → ${out}`).toBe(false);
      }),
      RUNS,
    );
  });
});

describe("scrubbing never lets an e-mail address through", () => {
  const local = fc.stringMatching(/^[a-z][a-z0-9._+-]{2,18}[a-z0-9]$/);
  const domain = fc.constantFrom(
    "example.org",
    "bücher.de",
    "例子.广告",
    "xn--bcher-kva.de",
    "mail.example.co.uk",
  );
  const notations: Record<string, (l: string, d: string) => string> = {
    plain: (l, d) => `${l}@${d}`,
    percent: (l, d) => `${l}%40${encodeURIComponent(d)}`,
    double: (l, d) => `${l}%2540${d}`,
    triple: (l, d) => `${l}%252540${d}`,
    entity: (l, d) => `${l}%26%2364%3B${d}`,
    fullWidth: (l, d) => `${l}%EF%BC%A0${d}`,
    at: (l, d) => `${l}(at)${d}`,
    bracketAt: (l, d) => `${l}%20%5Bat%5D%20${d}`,
  };

  it("in a path or a kept value", () => {
    fc.assert(
      fc.property(
        fc.constant("q"),
        local,
        domain,
        fc.constantFrom(...Object.keys(notations)),
        (mark, l, d, name) => {
          // The local part starts with a mark so the detector cannot confuse it with the surrounding words.
          const user = `${mark}${l}`;
          const planted = (notations[name] as (l: string, d: string) => string)(user, d);
          expect(readable(planted).includes(user), `control: ${planted}`).toBe(true);
          const path = readable(scrubPath(`/u/${planted}/x`));
          const value = readable(scrubValue(planted));
          expect(path.includes(user), `${planted} → ${path}`).toBe(false);
          expect(value.includes(user), `${planted} → ${value}`).toBe(false);
        },
      ),
      RUNS,
    );
  });
});
