import { partitionPrefix, utcDay, utcHour } from "../zones.ts";

/**
 * The canary of `logsieve aws smoke`: one made-up access, written as a vhost-combined log line, that a smoke run
 * uploads into the raw bucket's incoming/ and then looks for in the security zone.
 *
 * It describes nobody: the client is a documentation address (192.0.2.0/24, RFC 5737) and the virtual host a name
 * under `.invalid` (RFC 2606), which is none of the configured sites, so ingestion keeps the line in `security/`
 * only (`unknown_site`: no event, nothing in `stats/`; docs/PRIVACY.md "Sites"). The path carries the run's id, so
 * the security query that finds it names a path, never an address.
 */

/** Where canaries are uploaded: a prefix of its own, so that the SecurityAnalyst may remove them (and nothing else). */
export const SMOKE_CANARY_PREFIX = "incoming/logsieve-smoke/";

export interface Canary {
  /** The object key in the raw bucket. */
  readonly key: string;
  /** The log file's bytes: one line and its terminator. */
  readonly body: string;
  /** The request's path, unique to the run. */
  readonly target: string;
  /** The UTC day and hour of the access: the security/ partition its record lands in. */
  readonly day: string;
  readonly hour: string;
  /** `security/dt=<day>/hour=<hour>/`. */
  readonly securityPartition: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** The canary of a run: `runId` is random hex (at least 8 characters), `nowMs` the upload time. */
export function smokeCanary(runId: string, nowMs: number): Canary {
  if (!/^[0-9a-f]{8,32}$/.test(runId)) throw new Error("a smoke run id is 8 to 32 lower-case hex characters");
  const at = new Date(Math.floor(nowMs / 1000) * 1000);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const stamp = `${p2(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${p2(at.getUTCHours())}:${p2(at.getUTCMinutes())}:${p2(at.getUTCSeconds())} +0000`;
  // The last octet from the run id, so two runs at once are two clients; 1..254 stays inside the block.
  const octet = (Number.parseInt(runId.slice(0, 2), 16) % 254) + 1;
  const target = `/logsieve-smoke/${runId}`;
  const line = `smoke-${runId}.logsieve.invalid:443 192.0.2.${octet} - - [${stamp}] "GET ${target} HTTP/1.1" 204 0 "-" "logsieve-smoke/1 (operator check)"`;
  return {
    key: `${SMOKE_CANARY_PREFIX}${runId}.log`,
    body: `${line}\n`,
    target,
    day: utcDay(at.getTime()),
    hour: utcHour(at.getTime()),
    securityPartition: partitionPrefix("security", at.getTime()),
  };
}
