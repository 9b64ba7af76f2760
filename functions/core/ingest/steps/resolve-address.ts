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
  const peer = record.clientIp;
  let address: ClientAddress | null;
  if (record.forwardedFor === null) {
    address = peer === lastPeer ? lastAddress : resolveClientAddress(peer, null, run.trusted);
    lastPeer = peer;
    lastAddress = address;
  } else {
    address = resolveClientAddress(peer, record.forwardedFor, run.trusted);
  }
  if (address === null) rejectLine(run, line, "bad_client_ip", BAD_CLIENT_IP_DETAIL);
  return address;
}

/**
 * The last peer text without X-Forwarded-For and what it resolved to (null: not an address). Consecutive lines often
 * come from one client (a page and its assets: 57 % of the elastic log's lines), and the text then says the same
 * address without a second parse or a new byte array; the answer depends on nothing else when there is no
 * X-Forwarded-For (the trusted proxies only choose among its entries). It holds one address, as the line being
 * processed does, in memory only.
 */
let lastPeer: string | undefined;
let lastAddress: ClientAddress | null = null;
