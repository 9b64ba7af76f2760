import {
  compileTrustedProxies,
  formatAddress,
  parseClientAddress,
  type TrustedProxies,
  TrustedProxyError,
} from "../anonymize/ip.ts";

/**
 * Which security records a legal hold keeps: one client address (`--ip`) or one network (`--prefix`, CIDR), within
 * an optional time window `[from, to)`. Errors name the option, never the value (it is an address).
 */

export interface HoldSelection {
  readonly kind: "ip" | "prefix";
  /** The normalized address (as `security.client_ip` stores it) or the CIDR block with its host bits cleared. */
  readonly value: string;
  /** Inclusive lower bound of `ts`, epoch ms; null: from the oldest record. */
  readonly fromMs: number | null;
  /** Exclusive upper bound of `ts`, epoch ms; null: up to the newest record. */
  readonly toMs: number | null;
}

export interface SelectionInput {
  readonly ip?: string;
  readonly prefix?: string;
  readonly from?: string;
  readonly to?: string;
}

export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectionError";
  }
}

/** An ISO-8601 instant with a time zone (`2026-11-20T13:00:00Z`) or a UTC day (`2026-11-20`). */
export function parseInstant(text: string, option: string): number {
  const trimmed = text.trim();
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(trimmed);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed);
  const ms = dayOnly || zoned ? Date.parse(dayOnly ? `${trimmed}T00:00:00Z` : trimmed) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new SelectionError(
      `${option} must be an ISO-8601 time with a zone, such as 2026-11-20T13:00:00Z, or a day such as 2026-11-20`,
    );
  }
  return ms;
}

export function parseSelection(input: SelectionInput): HoldSelection {
  const hasIp = input.ip !== undefined && input.ip !== "";
  const hasPrefix = input.prefix !== undefined && input.prefix !== "";
  if (hasIp === hasPrefix) throw new SelectionError("give exactly one of --ip and --prefix");
  const fromMs = input.from === undefined ? null : parseInstant(input.from, "--from");
  const toMs = input.to === undefined ? null : parseInstant(input.to, "--to");
  if (fromMs !== null && toMs !== null && fromMs >= toMs)
    throw new SelectionError("--from must be before --to");

  const option = hasIp ? "--ip" : "--prefix";
  const text = (hasIp ? (input.ip ?? "") : (input.prefix ?? "")).trim();
  const expected = hasIp
    ? "--ip must be one IPv4 or IPv6 address, without port, brackets or prefix length"
    : "--prefix must be a CIDR block such as 192.0.2.0/24 or 2001:db8::/32";
  if (hasIp === text.includes("/")) throw new SelectionError(expected);
  let block: TrustedProxies["blocks"][number] | undefined;
  try {
    // The trusted-proxy parser reads exactly a bare address or a CIDR block (no port, brackets or zone id).
    block = compileTrustedProxies([text]).blocks[0];
  } catch (error) {
    if (error instanceof TrustedProxyError) throw new SelectionError(expected);
    throw error;
  }
  if (block === undefined) throw new SelectionError(`${option}: nothing to select`);
  const network = formatAddress(block.network);
  return { kind: hasIp ? "ip" : "prefix", value: hasIp ? network : `${network}/${block.bits}`, fromMs, toMs };
}

/** A predicate over normalized addresses (`security.client_ip`) for this selection's address or network. */
export function addressMatcher(selection: HoldSelection): (clientIp: string) => boolean {
  if (selection.kind === "ip") return (clientIp) => clientIp === selection.value;
  const blocks = compileTrustedProxies([selection.value]);
  return (clientIp) => {
    const address = parseClientAddress(clientIp);
    return address !== null && blocks.contains(address);
  };
}

/** True when an access at `ts` (epoch ms) is inside the selection's window. */
export function inWindow(selection: HoldSelection, ts: number): boolean {
  return (
    (selection.fromMs === null || ts >= selection.fromMs) && (selection.toMs === null || ts < selection.toMs)
  );
}
