import type { ObjectVersion, VersionedStore } from "../../ports/versioned-store.ts";
import { appendAudit, appendSweepRecord } from "../hold/audit.ts";
import { redactAddresses } from "../hold/redact.ts";
import { ZONES, type Zone } from "../zones.ts";
import {
  decideVersion,
  evidenceDeleteRank,
  type IncidentState,
  incidentOfKey,
  type PlanContext,
} from "./plan.ts";
import type { RetentionRules } from "./rules.ts";

/**
 * The sweeper: deletes every object version older than its zone's age (plan.ts), never a version under a legal
 * hold, and records what it deleted and skipped — counts and keys, never an IP address.
 *
 * - Idempotent and resumable: it decides from what is in the store now; a version already gone counts as done,
 *   and a run that stopped midway leaves nothing the next run cannot finish (evidence is deleted data first,
 *   release record last; see plan.ts).
 * - Failures of one version (a refusal, a network error) are recorded and the sweep goes on; a zone that cannot be
 *   listed is recorded and the other zones are still swept.
 * - Before deleting a version of a store that can hold, its legal hold is read; a held version is skipped and
 *   reported. If a hold is placed between that read and the delete, the store refuses (`denied`): that is
 *   reported as held too, never retried with a bypass.
 */

/** The zones in the order they are swept. */
export const SWEPT_ZONES: readonly Zone[] = [
  "incoming",
  "security",
  "rejects",
  "events",
  "stats",
  "salts",
  "checkpoints",
  "evidence",
];

export interface SweepDeps {
  /** The store holding a zone (one local lake, or the raw and analytics buckets on AWS). */
  readonly storeFor: (zone: Zone) => VersionedStore;
  readonly rules: RetentionRules;
  /** Named in audit events: "logsieve-sweeper", or the function's identity. */
  readonly actor?: string;
}

export interface SweepOptions {
  /** The sweep's "now", epoch ms (the injected clock, or `--now`). */
  readonly now: number;
  /** Plan and read holds, delete nothing, write nothing. */
  readonly dryRun?: boolean;
  /** At most this many keys per list in the report (counts are always complete). Default 10 000. */
  readonly maxKeys?: number;
}

export interface VersionRef {
  readonly key: string;
  readonly versionId: string;
}

export interface SkippedRef extends VersionRef {
  /** `legal-hold`: the version itself is held; `active-hold`: evidence of an incident whose hold is active. */
  readonly why: "legal-hold" | "active-hold";
}

export interface SweepError {
  readonly zone: Zone;
  /** The key (or the zone prefix when listing failed). */
  readonly key: string;
  readonly versionId: string | null;
  /** The error's name or code (`AccessDenied`, `ECONNRESET`, ...). */
  readonly code: string;
  /** Its message, with anything that looks like an address removed. */
  readonly message: string;
}

export type ZoneCounts = Record<Zone, number>;

export interface SweepReport {
  readonly now: string;
  readonly dryRun: boolean;
  /** Versions deleted (in a dry run: that would be deleted), per zone. */
  readonly deleted: ZoneCounts;
  /** Expired versions not deleted because of a hold, per zone (evidence of active incidents included). */
  readonly skippedHeld: ZoneCounts;
  /** Versions seen and kept because they are young enough (or are the audit trail), per zone. */
  readonly kept: ZoneCounts;
  readonly keys: { readonly deleted: VersionRef[]; readonly skippedHeld: SkippedRef[] };
  /** True when a key list was cut at `maxKeys`. */
  readonly keysTruncated: boolean;
  readonly errors: SweepError[];
  /** Incidents whose evidence was deleted in this run. */
  readonly incidentsSwept: string[];
  /** The run record written to the audit trail (null in a dry run or when nothing happened). */
  readonly recordKey: string | null;
}

const zeroCounts = (): ZoneCounts => Object.fromEntries(ZONES.map((z) => [z, 0])) as ZoneCounts;

const decoder = new TextDecoder();

function errorInfo(error: unknown): { code: string; message: string } {
  const e = error as { name?: unknown; code?: unknown; Code?: unknown; message?: unknown } | null;
  const code =
    typeof e?.code === "string"
      ? e.code
      : typeof e?.Code === "string"
        ? e.Code
        : typeof e?.name === "string"
          ? e.name
          : "Error";
  const message = typeof e?.message === "string" ? e.message : String(error);
  return { code: redactAddresses(code), message: redactAddresses(message).slice(0, 500) };
}

/** Incident states from the evidence zone: a manifest and no release record = active; a release record = released. */
export async function readIncidentStates(store: VersionedStore): Promise<Map<string, IncidentState>> {
  const files = new Map<string, { manifest: boolean; release: boolean }>();
  for await (const version of store.listVersions("evidence/incident=")) {
    if (!version.isLatest || version.isDeleteMarker) continue;
    const incident = incidentOfKey(version.key);
    if (incident === null) continue;
    const entry = files.get(incident) ?? { manifest: false, release: false };
    if (version.key.endsWith("/manifest.json")) entry.manifest = true;
    if (version.key.endsWith("/release.json")) entry.release = true;
    files.set(incident, entry);
  }
  const states = new Map<string, IncidentState>();
  for (const [incident, entry] of files) {
    if (entry.release) states.set(incident, "released");
    else if (entry.manifest) states.set(incident, "active");
  }
  return states;
}

/** The creation time a salt object records (`createdAt`, epoch ms), if it is readable. */
async function saltCreatedAt(store: VersionedStore, key: string): Promise<number | undefined> {
  const bytes = await store.get(key);
  if (bytes === null) return undefined;
  try {
    const parsed = JSON.parse(decoder.decode(bytes)) as { createdAt?: unknown };
    const value = parsed.createdAt;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "string" && Number.isFinite(Date.parse(value))) return Date.parse(value);
  } catch {
    // Not JSON: its age is its lastModified alone.
  }
  return undefined;
}

interface Candidate {
  readonly zone: Zone;
  readonly version: ObjectVersion;
}

export async function sweep(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  const dryRun = options.dryRun ?? false;
  const maxKeys = options.maxKeys ?? 10_000;
  const actor = deps.actor ?? "logsieve-sweeper";
  const deleted = zeroCounts();
  const skippedHeld = zeroCounts();
  const kept = zeroCounts();
  const deletedKeys: VersionRef[] = [];
  const skippedKeys: SkippedRef[] = [];
  const errors: SweepError[] = [];
  let keysTruncated = false;
  const sweptByIncident = new Map<string, string[]>();

  const noteDeleted = (ref: VersionRef) => {
    if (deletedKeys.length < maxKeys)
      deletedKeys.push({ key: redactAddresses(ref.key), versionId: ref.versionId });
    else keysTruncated = true;
  };
  const noteSkipped = (ref: SkippedRef) => {
    if (skippedKeys.length < maxKeys) skippedKeys.push({ ...ref, key: redactAddresses(ref.key) });
    else keysTruncated = true;
  };

  let incidents: Map<string, IncidentState>;
  try {
    incidents = await readIncidentStates(deps.storeFor("evidence"));
  } catch (error) {
    // Without the incident states, evidence cannot be judged: it is left alone this run; other zones are swept.
    errors.push({ zone: "evidence", key: "evidence/", versionId: null, ...errorInfo(error) });
    incidents = new Map();
  }
  const evidenceReadable = errors.length === 0;
  const ctx: PlanContext = { now: options.now, rules: deps.rules, incidents };

  for (const zone of SWEPT_ZONES) {
    if (zone === "evidence" && !evidenceReadable) continue;
    const store = deps.storeFor(zone);
    const candidates: Candidate[] = [];
    try {
      for await (const version of store.listVersions(`${zone}/`)) {
        let decision = decideVersion(version, ctx);
        if (decision.action === "keep" && zone === "salts" && version.isLatest && !version.isDeleteMarker) {
          decision = decideVersion(version, ctx, await saltCreatedAt(store, version.key));
        }
        if (decision.action === "delete") {
          candidates.push({ zone, version });
        } else if (decision.reason === "active-hold") {
          skippedHeld[zone]++;
          noteSkipped({ key: version.key, versionId: version.versionId, why: "active-hold" });
        } else {
          kept[zone]++;
        }
      }
    } catch (error) {
      errors.push({ zone, key: `${zone}/`, versionId: null, ...errorInfo(error) });
    }
    if (zone === "evidence") {
      candidates.sort((a, b) => {
        const ia = incidentOfKey(a.version.key) ?? "";
        const ib = incidentOfKey(b.version.key) ?? "";
        if (ia !== ib) return ia < ib ? -1 : 1;
        return evidenceDeleteRank(a.version.key) - evidenceDeleteRank(b.version.key);
      });
    }

    for (const { version } of candidates) {
      const ref = { key: version.key, versionId: version.versionId };
      try {
        if (!version.isDeleteMarker && store.supportsLegalHold) {
          if ((await store.getLegalHold(version.key, version.versionId)) === "ON") {
            skippedHeld[zone]++;
            noteSkipped({ ...ref, why: "legal-hold" });
            continue;
          }
        }
        if (dryRun) {
          deleted[zone]++;
          noteDeleted(ref);
          continue;
        }
        const outcome = await store.deleteVersion(version.key, version.versionId);
        if (outcome === "deleted") {
          deleted[zone]++;
          noteDeleted(ref);
          const incident = zone === "evidence" ? incidentOfKey(version.key) : null;
          if (incident !== null)
            sweptByIncident.set(incident, [...(sweptByIncident.get(incident) ?? []), version.key]);
        } else if (outcome === "denied") {
          const heldNow =
            store.supportsLegalHold && (await store.getLegalHold(version.key, version.versionId)) === "ON";
          if (heldNow) {
            skippedHeld[zone]++;
            noteSkipped({ ...ref, why: "legal-hold" });
          } else {
            errors.push({
              zone,
              ...ref,
              code: "AccessDenied",
              message: "the store refused to delete this version (a permission, or a hold placed meanwhile)",
            });
          }
        }
        // "missing": gone already (a rerun after a crash, a concurrent sweep): nothing to do, nothing to count.
      } catch (error) {
        errors.push({ zone, ...ref, ...errorInfo(error) });
      }
    }
  }

  const total = Object.values(deleted).reduce((a, b) => a + b, 0);
  const report: SweepReport = {
    now: new Date(options.now).toISOString(),
    dryRun,
    deleted,
    skippedHeld,
    kept,
    keys: { deleted: deletedKeys, skippedHeld: skippedKeys },
    keysTruncated,
    errors,
    incidentsSwept: [...sweptByIncident.keys()].sort(),
    recordKey: null,
  };
  if (dryRun || (total === 0 && errors.length === 0)) return report;

  const auditStore = deps.storeFor("evidence");
  try {
    for (const [incident, keys] of sweptByIncident) {
      await appendAudit(auditStore, options.now, {
        event: "evidence-swept",
        at: report.now,
        by: actor,
        incident,
        versionsDeleted: keys.length,
        keys,
      });
    }
    const { recordKey: _omit, ...record } = report;
    const recordKey = await appendSweepRecord(auditStore, options.now, { by: actor, ...record });
    return { ...report, recordKey };
  } catch (error) {
    return {
      ...report,
      errors: [...errors, { zone: "evidence", key: "evidence/audit/", versionId: null, ...errorInfo(error) }],
    };
  }
}
