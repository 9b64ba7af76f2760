import type { ClientAddress } from "../../anonymize/ip.ts";
import type { Enricher } from "../../enrich/enrich.ts";
import type { AccessRecord, Enrichment } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 4: what the full address (country, provider) and the raw user agent (browser, OS, device, bot and why) say,
 * learned in memory before anything is truncated (core/enrich/). Nothing of it holds the address itself.
 *
 * A page and its assets come one after the other from one client with one agent (on the elastic log 57 % of lines
 * have the peer of the line before, 58 % its agent): when the line has the very address object and agent of the line
 * before (resolve-address.ts hands out the same object for the same peer text, the parser one string object per
 * agent text) and the same enricher, the answer is the one before — the enricher is a pure function of the two, so
 * the geo lookups, the agent cache and the new object are skipped. What is kept between two lines is what the
 * address step keeps anyway: the last address, in memory only.
 */
export function enrichRecord(run: IngestRun, record: AccessRecord, address: ClientAddress): Enrichment {
  const enrich = run.enrich;
  const userAgent = record.userAgent;
  if (address === lastAddress && userAgent === lastAgent && enrich === lastEnricher && lastAnswer !== null) {
    return lastAnswer;
  }
  const answer = enrich(address, userAgent);
  lastAddress = address;
  lastAgent = userAgent;
  lastEnricher = enrich;
  lastAnswer = answer;
  return answer;
}

let lastAddress: ClientAddress | undefined;
let lastAgent: string | null | undefined;
let lastEnricher: Enricher | undefined;
let lastAnswer: Enrichment | null = null;
