import { type ClientAddress, formatAddress, networkBytes, parseBareAddress } from "../anonymize/ip.ts";
import { toCsv } from "../export/csv.ts";

/**
 * The security view's block list: addresses and prefixes chosen there (or typed), normalized into CIDR blocks and
 * written for a firewall — nginx `deny` lines, a plain CIDR list, or CSV. Pure; bundled into the page, which builds
 * the file in the browser (the addresses are already there: nothing new leaves the server).
 *
 * Normalization, so that the file blocks exactly what was meant and nothing twice:
 * - an address is a /32 (IPv4) or /128 (IPv6) block; `a.b.c.d/n` and `v6/n` are blocks of that length;
 * - host bits below the prefix are cleared (`203.0.113.7/24` → `203.0.113.0/24`), and said so;
 * - IPv6 is written in RFC 5952 form (lower case, longest zero run compressed); IPv4-mapped IPv6
 *   (`::ffff:203.0.113.7`, `::ffff:203.0.113.0/120`) is the IPv4 address or block it maps;
 * - optionally each address is widened to its network (`widen`: e.g. /24 and /64);
 * - duplicates, and blocks inside another block of the list, are dropped;
 * - IPv4 blocks come first, then IPv6, each in address order.
 * Refused, each with its reason: anything that is no address (host names, ports, brackets, zone ids), a prefix length
 * out of range, and blocks wider than /8 (IPv4) or /16 (IPv6), which would block a large part of the internet.
 */

export type BlockKind = ClientAddress["kind"];

export interface Block {
  readonly kind: BlockKind;
  /** The network address's bytes (4 or 16), host bits zero. */
  readonly network: Uint8Array;
  readonly bits: number;
  /** `203.0.113.0/24`, `2001:db8::/48`. */
  readonly cidr: string;
  /** First and last address of the block. */
  readonly first: string;
  readonly last: string;
}

export interface BlockProblem {
  /** The entry as given (shown to the person who typed or chose it, in their browser). */
  readonly entry: string;
  readonly reason: string;
}

export interface BlockList {
  readonly blocks: readonly Block[];
  readonly problems: readonly BlockProblem[];
  /** Entries whose host bits were cleared (`203.0.113.7/24` → `203.0.113.0/24`). */
  readonly adjusted: readonly { readonly entry: string; readonly cidr: string }[];
  /** Entries dropped as the same block as, or inside, another block of the list. */
  readonly covered: readonly { readonly entry: string; readonly by: string }[];
}

export interface WidenTo {
  /** Widen every IPv4 address (and narrower block) to this prefix length, e.g. 24; undefined: as given. */
  readonly ipv4?: number;
  /** The same for IPv6, e.g. 64. */
  readonly ipv6?: number;
}

/** The widest blocks a list may hold: wider ones would block a large part of the internet. */
export const WIDEST_PREFIX: Readonly<Record<BlockKind, number>> = { ipv4: 8, ipv6: 16 };
const MAX_BITS: Readonly<Record<BlockKind, number>> = { ipv4: 32, ipv6: 128 };

export const BLOCK_LIST_FORMATS = ["nginx", "cidr", "csv"] as const;
export type BlockListFormat = (typeof BLOCK_LIST_FORMATS)[number];

function lastBytes(network: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(network);
  for (let bit = bits; bit < out.length * 8; bit++) {
    const at = bit >> 3;
    out[at] = (out[at] ?? 0) | (0x80 >> (bit & 7));
  }
  return out;
}

function makeBlock(kind: BlockKind, bytes: Uint8Array, bits: number): Block {
  const network = networkBytes(bytes, bits);
  const text = formatAddress(network);
  return {
    kind,
    network,
    bits,
    cidr: `${text}/${bits}`,
    first: text,
    last: formatAddress(lastBytes(network, bits)),
  };
}

type Parsed =
  | { readonly ok: true; readonly block: Block; readonly adjusted: boolean }
  | { readonly ok: false; readonly reason: string };

/** One entry: an address or a CIDR block, as typed or chosen. */
export function parseBlock(entry: string): Parsed {
  const text = entry.trim();
  if (text.length === 0 || text.length > 64)
    return { ok: false, reason: "not an IPv4 or IPv6 address or block" };
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseBareAddress(addressText);
  if (address === null) {
    return {
      ok: false,
      reason: "not an IPv4 or IPv6 address or block (no host names, ports, brackets or zones)",
    };
  }
  const max = MAX_BITS[address.kind];
  let bits = max;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText)) return { ok: false, reason: "the prefix length must be a number" };
    bits = Number(lengthText);
    if (address.kind === "ipv4" && addressText.includes(":")) {
      // An IPv4-mapped block (::ffff:203.0.113.0/120) is the IPv4 block it maps.
      if (bits < 96 || bits > 128) return { ok: false, reason: "an IPv4-mapped block needs /96 to /128" };
      bits -= 96;
    }
    if (bits > max)
      return {
        ok: false,
        reason: `the prefix length of an ${address.kind === "ipv4" ? "IPv4" : "IPv6"} block is at most ${max}`,
      };
  }
  if (bits < WIDEST_PREFIX[address.kind]) {
    return {
      ok: false,
      reason: `wider than /${WIDEST_PREFIX[address.kind]}: that would block a large part of the internet`,
    };
  }
  const block = makeBlock(address.kind, address.bytes, bits);
  const adjusted = block.network.some((byte, i) => byte !== address.bytes[i]);
  return { ok: true, block, adjusted };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether `outer` contains `inner` (same family, not longer, same network at outer's length). */
export function contains(outer: Block, inner: Block): boolean {
  if (outer.kind !== inner.kind || outer.bits > inner.bits) return false;
  return compareBytes(networkBytes(inner.network, outer.bits), outer.network) === 0;
}

/** Normalizes the entries into the blocks of a list (see the module's comment). */
export function buildBlockList(entries: readonly string[], widen: WidenTo = {}): BlockList {
  const problems: BlockProblem[] = [];
  const adjusted: { entry: string; cidr: string }[] = [];
  const candidates: { entry: string; block: Block }[] = [];
  for (const entry of entries) {
    if (entry.trim().length === 0) continue;
    const parsed = parseBlock(entry);
    if (!parsed.ok) {
      problems.push({ entry, reason: parsed.reason });
      continue;
    }
    let block = parsed.block;
    const to = block.kind === "ipv4" ? widen.ipv4 : widen.ipv6;
    if (to !== undefined && to < block.bits)
      block = makeBlock(block.kind, block.network, Math.max(to, WIDEST_PREFIX[block.kind]));
    else if (parsed.adjusted) adjusted.push({ entry, cidr: block.cidr });
    candidates.push({ entry, block });
  }
  // Widest first, so that a block is kept before anything inside it is looked at.
  candidates.sort(
    (a, b) =>
      (a.block.kind === b.block.kind ? 0 : a.block.kind === "ipv4" ? -1 : 1) ||
      a.block.bits - b.block.bits ||
      compareBytes(a.block.network, b.block.network),
  );
  const kept: Block[] = [];
  const covered: { entry: string; by: string }[] = [];
  for (const { entry, block } of candidates) {
    const outer = kept.find((k) => contains(k, block));
    if (outer !== undefined) covered.push({ entry, by: outer.cidr });
    else kept.push(block);
  }
  kept.sort(
    (a, b) =>
      (a.kind === b.kind ? 0 : a.kind === "ipv4" ? -1 : 1) ||
      compareBytes(a.network, b.network) ||
      a.bits - b.bits,
  );
  return { blocks: kept, problems, adjusted, covered };
}

/** A block as nginx writes it: a single address without its length, a network as CIDR. */
function nginxTarget(block: Block): string {
  return block.bits === MAX_BITS[block.kind] ? block.first : block.cidr;
}

/**
 * The file: `nginx` (`deny …;` lines under a comment, for `include` in an http, server or location block), `cidr`
 * (one CIDR per line: ipset, iptables, cloud firewalls, AWS WAF IP sets), or `csv` (cidr, family, prefix length,
 * first and last address).
 */
export function renderBlockList(
  blocks: readonly Block[],
  format: BlockListFormat,
  meta: { readonly generatedAt: string },
): string {
  switch (format) {
    case "nginx":
      return [
        `# logsieve block list: ${blocks.length} ${blocks.length === 1 ? "entry" : "entries"}, ${meta.generatedAt}`,
        "# include it in an http, server or location block: include /etc/nginx/conf.d/logsieve-deny.conf;",
        ...blocks.map((block) => `deny ${nginxTarget(block)};`),
        "",
      ].join("\n");
    case "cidr":
      return blocks.map((block) => `${block.cidr}\n`).join("");
    case "csv":
      return toCsv(
        ["cidr", "ip_version", "prefix_length", "first_address", "last_address"],
        blocks.map((block) => ({
          cidr: block.cidr,
          ip_version: block.kind === "ipv4" ? 4 : 6,
          prefix_length: block.bits,
          first_address: block.first,
          last_address: block.last,
        })),
      );
  }
}

/** The download name of a block list. */
export function blockListFileName(format: BlockListFormat, day: string): string {
  const extension = format === "nginx" ? "conf" : format === "cidr" ? "txt" : "csv";
  return `logsieve-blocklist-${day.replace(/[^0-9-]/g, "")}.${extension}`;
}
