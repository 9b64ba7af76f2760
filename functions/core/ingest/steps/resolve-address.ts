import { type ClientAddress, resolveClientAddress } from "../../anonymize/ip.ts";
import type { AccessRecord } from "../../types.ts";
import type { RawLine } from "../lines.ts";
import type { IngestRun } from "../run.ts";
import { rejectLine } from "./reject.ts";

const BAD_CLIENT_IP_DETAIL = "the client address is not a valid IPv4 or IPv6 address";

/**
 * Step 2: who the client is. The logged peer address, or, when the peer is a trusted proxy (`trustedProxies`), the
 * first untrusted address of X-Forwarded-For from the right (anonymize/ip.ts). A peer that is not a strict IPv4 or
 * IPv6 address rejects the line with `bad_client_ip`: without an address there is nothing to truncate, count or
 * review. Returns null when the line ended.
 */
export function resolveAddress(run: IngestRun, line: RawLine, record: AccessRecord): ClientAddress | null {
  const address = resolveClientAddress(record.clientIp, record.forwardedFor, run.trusted);
  if (address === null) rejectLine(run, line, "bad_client_ip", BAD_CLIENT_IP_DETAIL);
  return address;
}
