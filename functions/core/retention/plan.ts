import type { ObjectVersion } from "../../ports/versioned-store.ts";
import { AUDIT_PREFIX, SWEEP_AUDIT_PREFIX } from "../hold/audit.ts";
import type { Zone } from "../zones.ts";
import { keyTime } from "./partition.ts";
import { expiresAt, type RetentionRules } from "./rules.ts";

/**
 * The pure half of the sweeper: given one object version, the zone ages, the state of every incident and the
 * time, decides whether the version is expired. Whether a version is under a legal hold is asked of the store
 * afterwards (only for the versions this plans to delete): a held version is never deleted, whatever this says.
 *
 * Evidence (`evidence/incident=<ID>/…`) has no age: it is kept while its incident's hold is active, and swept
 * on the first run after `hold release` (see core/hold). Objects of an incident with neither a manifest nor a
 * release record (a `hold create` that crashed before its manifest) are swept once they are a day old, unless held.
 * The audit trail (`evidence/audit/`) is never swept, except the sweeper's own run records
 * (`evidence/audit/sweeps/dt=…/`), which are kept as long as statistics (`statsMonths`).
 */

export type IncidentState = "active" | "released";

export interface PlanContext {
  readonly now: number;
  readonly rules: RetentionRules;
  /** Every incident with a manifest or a release record in `evidence/`. */
  readonly incidents: ReadonlyMap<string, IncidentState>;
}

export type KeepReason =
  | "young" // not expired yet
  | "active-hold" // evidence of an incident whose hold is active
  | "audit" // the audit trail
  | "orphan-grace" // evidence without manifest or release, less than a day old
  | "unrecognised"; // a key outside the zones the sweeper knows, or an unknown evidence key

export type DeleteReason =
  | "expired" // older than its zone's age
  | "released" // evidence of a released incident
  | "orphan"; // evidence without manifest or release, a day old

export type VersionDecision =
  | { readonly action: "keep"; readonly reason: KeepReason; readonly zone: Zone | null }
  | { readonly action: "delete"; readonly reason: DeleteReason; readonly zone: Zone };

const ORPHAN_GRACE_MS = 24 * 3_600_000;

const INCIDENT_KEY = /^evidence\/incident=([^/]+)\/./;

/** The incident an evidence key belongs to, or null. */
export function incidentOfKey(key: string): string | null {
  return INCIDENT_KEY.exec(key)?.[1] ?? null;
}

/**
 * Decides one version. `createdAt` is an extra origin some zones record inside the object (a salt's creation
 * time); it can only make the version older, never younger.
 */
export function decideVersion(version: ObjectVersion, ctx: PlanContext, createdAt?: number): VersionDecision {
  const time = keyTime(version.key);
  if (time === null) return { action: "keep", reason: "unrecognised", zone: null };
  const zone = time.zone;

  if (zone === "evidence") return decideEvidence(version, ctx);

  let origin = version.lastModified;
  // A salt lives from its creation, whatever day it is for (a late log creates the salt of an old day).
  if (time.describedFrom !== null && zone !== "salts") origin = Math.min(origin, time.describedFrom);
  if (createdAt !== undefined && Number.isFinite(createdAt)) origin = Math.min(origin, createdAt);
  const until = expiresAt(origin, ctx.rules[zone]);
  if (until !== null && ctx.now >= until) return { action: "delete", reason: "expired", zone };
  return { action: "keep", reason: "young", zone };
}

function decideEvidence(version: ObjectVersion, ctx: PlanContext): VersionDecision {
  const key = version.key;
  if (key.startsWith(SWEEP_AUDIT_PREFIX)) {
    const time = keyTime(key);
    const origin = Math.min(version.lastModified, time?.describedFrom ?? version.lastModified);
    const until = expiresAt(origin, ctx.rules.stats);
    if (until !== null && ctx.now >= until) return { action: "delete", reason: "expired", zone: "evidence" };
    return { action: "keep", reason: "audit", zone: "evidence" };
  }
  if (key.startsWith(AUDIT_PREFIX)) return { action: "keep", reason: "audit", zone: "evidence" };
  const incident = incidentOfKey(key);
  if (incident === null) return { action: "keep", reason: "unrecognised", zone: "evidence" };
  const state = ctx.incidents.get(incident);
  if (state === "active") return { action: "keep", reason: "active-hold", zone: "evidence" };
  if (state === "released") return { action: "delete", reason: "released", zone: "evidence" };
  if (ctx.now - version.lastModified >= ORPHAN_GRACE_MS)
    return { action: "delete", reason: "orphan", zone: "evidence" };
  return { action: "keep", reason: "orphan-grace", zone: "evidence" };
}

/**
 * The order in which an incident's versions are deleted: data first, then the manifest, the release record last.
 * A sweep that stops midway leaves the release record behind, so the next run still knows the incident was
 * released and finishes the job (resumable); it never leaves a manifest without its release record.
 */
export function evidenceDeleteRank(key: string): number {
  if (key.endsWith("/release.json")) return 2;
  if (key.endsWith("/manifest.json")) return 1;
  return 0;
}
