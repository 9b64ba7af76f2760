import type { Clock } from "../../ports/clock.ts";
import type { ObjectVersion, VersionedStore } from "../../ports/versioned-store.ts";
import { type AuditEvent, appendAudit, readAudit } from "./audit.ts";
import {
  checkIncidentId,
  decodeManifest,
  decodeRelease,
  type EvidenceManifest,
  type EvidenceObject,
  encodeJson,
  incidentPrefix,
  manifestKey,
  type ReleaseRecord,
  recordsKey,
  recordsPrefix,
  releaseKey,
  type SourceObject,
} from "./manifest.ts";
import { redactAddresses } from "./redact.ts";
import type { HoldSelection } from "./selection.ts";

/**
 * Legal holds: `create` copies the security records a selection matches into `evidence/incident=<ID>/` under a
 * legal hold, with a manifest; `release` lifts the holds and records who and why, after which the next sweep
 * deletes the bundle. Every create and release is appended to the audit trail (audit.ts).
 *
 * Crash safety, step by step:
 *   create:  records (held: records.parquet, or each object the source wrote) → manifest.json (held) → audit event. Until the manifest exists the incident is
 *            not active; a rerun of `create` removes the leftovers of the crashed attempt and starts again. A rerun
 *            after the manifest was written only adds the missing audit event.
 *   release: lift every hold → release.json → audit event. Until release.json exists the incident is still active
 *            (the sweeper keeps it); a rerun lifts what is left and writes what is missing.
 */

/**
 * The security records a selection matches: DuckDB encodes them as one Parquet file, which the hold writes; on AWS
 * Athena's UNLOAD writes them itself, as objects under `into` (the incident's `records/` prefix), which the hold
 * then places under a legal hold one by one.
 */
export interface EvidenceSource {
  extract(selection: HoldSelection, into: string): Promise<EvidenceExtract>;
}

export type EvidenceExtract = {
  readonly records: number;
  /** The security objects the records were read from, with their checksums at that moment. */
  readonly sources: readonly SourceObject[];
} & (
  | { readonly parquet: Uint8Array }
  | {
      /** Keys of the objects the source wrote under `into` (none for no record). */
      readonly written: readonly string[];
    }
);

export interface HoldDeps {
  /** The store of the `evidence/` zone (on AWS the raw bucket, which has Object Lock). */
  readonly store: VersionedStore;
  /** Where `create` reads the matching security records. */
  readonly source: EvidenceSource;
  readonly clock: Clock;
  /** SHA-256 of bytes as lower-case hex (node:crypto in the wiring). */
  readonly sha256: (bytes: Uint8Array) => string;
  /** How holds are enforced by this store, written into the manifest. */
  readonly protection: EvidenceManifest["protection"];
}

/** A request the caller can fix: no such incident, already held, nothing matches... */
export class HoldError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "HoldError";
  }
}

export interface CreateHoldRequest {
  readonly incident: string;
  readonly selection: HoldSelection;
  readonly reason: string;
  /** The person placing the hold: the OS user locally, the caller's IAM principal on AWS. */
  readonly who: string;
}

export interface CreateHoldResult {
  readonly manifest: EvidenceManifest;
  /** True when an earlier, interrupted create was completed rather than a new hold placed. */
  readonly resumed: boolean;
  readonly auditKey: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

async function versionsOf(store: VersionedStore, prefix: string): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  for await (const version of store.listVersions(prefix)) versions.push(version);
  return versions;
}

function latestVersionId(versions: readonly ObjectVersion[], key: string): string | null {
  const latest = versions.find((v) => v.key === key && v.isLatest);
  return latest === undefined || latest.isDeleteMarker ? null : latest.versionId;
}

function checkReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0)
    throw new HoldError("a reason is required", 'say why, e.g. --reason "ticket SEC-12"');
  if (trimmed.length > 2000) throw new HoldError("the reason is longer than 2000 characters");
  return trimmed;
}

function checkWho(who: string): string {
  const trimmed = who.trim();
  if (trimmed.length === 0) throw new HoldError("the person acting is unknown");
  return trimmed;
}

export async function createHold(deps: HoldDeps, request: CreateHoldRequest): Promise<CreateHoldResult> {
  const { store, clock, sha256 } = deps;
  const incident = checkIncidentId(request.incident);
  const reason = checkReason(request.reason);
  const who = checkWho(request.who);
  if (!store.supportsLegalHold) {
    throw new HoldError(
      "this store cannot place legal holds",
      "the evidence zone needs an Object Lock bucket",
    );
  }
  const prefix = incidentPrefix(incident);
  const existing = await versionsOf(store, prefix);
  if (latestVersionId(existing, releaseKey(incident)) !== null) {
    throw new HoldError(`incident ${incident} was released`, "use a new incident id for a new hold");
  }
  const manifestVersion = latestVersionId(existing, manifestKey(incident));
  if (manifestVersion !== null) {
    // Placed before; complete the audit trail if the earlier run stopped before it.
    const manifestBytes = await store.get(manifestKey(incident));
    if (manifestBytes === null)
      throw new HoldError(`incident ${incident}: its manifest vanished while reading`);
    const manifest = decodeManifest(manifestBytes, manifestKey(incident));
    const { events } = await readAudit(store, { incident });
    if (events.some((e) => e.event === "hold-created")) {
      throw new HoldError(
        `incident ${incident} is already on hold`,
        `see \`logsieve hold show ${incident}\``,
      );
    }
    const auditKey = await appendAudit(store, clock.now(), createdEvent(manifest, sha256(manifestBytes)));
    return { manifest, resumed: true, auditKey };
  }
  // Leftovers of a create that stopped before its manifest: never an active hold, so removed and redone.
  for (const version of existing) {
    if (!version.isDeleteMarker && (await store.getLegalHold(version.key, version.versionId)) === "ON") {
      await store.putLegalHold(version.key, version.versionId, "OFF");
    }
    await store.deleteVersion(version.key, version.versionId);
  }

  const extract = await deps.source.extract(request.selection, recordsPrefix(incident));
  if (extract.records === 0) {
    throw new HoldError(
      "no security record matches the selection",
      "check --ip/--prefix and --from/--to; records older than the security window are already gone",
    );
  }
  const createdAt = clock.now();
  const objects: EvidenceObject[] = [];
  if ("parquet" in extract) {
    const records = await store.putWithLegalHold(recordsKey(incident), extract.parquet, {
      contentType: "application/vnd.apache.parquet",
    });
    objects.push({
      key: recordsKey(incident),
      versionId: records.versionId,
      size: extract.parquet.byteLength,
      sha256: sha256(extract.parquet),
    });
  } else {
    for (const key of extract.written) objects.push(await holdWritten(deps, key));
  }
  const manifest: EvidenceManifest = {
    format: "logsieve-evidence/1",
    incident,
    createdAt: iso(createdAt),
    createdBy: who,
    reason,
    selection: {
      kind: request.selection.kind,
      value: request.selection.value,
      from: request.selection.fromMs === null ? null : iso(request.selection.fromMs),
      to: request.selection.toMs === null ? null : iso(request.selection.toMs),
    },
    records: extract.records,
    protection: deps.protection,
    objects,
    sources: [...extract.sources],
  };
  const manifestBytes = encodeJson(manifest);
  await store.putWithLegalHold(manifestKey(incident), manifestBytes, { contentType: "application/json" });
  const auditKey = await appendAudit(store, createdAt, createdEvent(manifest, sha256(manifestBytes)));
  return { manifest, resumed: false, auditKey };
}

/** Places the legal hold on the latest version of an object the source wrote, and hashes what is held. */
async function holdWritten(deps: HoldDeps, key: string): Promise<EvidenceObject> {
  const versionId = latestVersionId(await versionsOf(deps.store, key), key);
  if (versionId === null) throw new Error(`evidence object ${key} vanished before its legal hold`);
  await deps.store.putLegalHold(key, versionId, "ON");
  const bytes = await deps.store.get(key);
  if (bytes === null) throw new Error(`evidence object ${key} vanished while hashing`);
  return { key, versionId, size: bytes.byteLength, sha256: deps.sha256(bytes) };
}

function createdEvent(manifest: EvidenceManifest, manifestSha256: string): AuditEvent {
  return {
    event: "hold-created",
    at: manifest.createdAt,
    by: manifest.createdBy,
    incident: manifest.incident,
    reason: manifest.reason,
    selection: { kind: manifest.selection.kind, from: manifest.selection.from, to: manifest.selection.to },
    records: manifest.records,
    objects: manifest.objects.length,
    manifestSha256,
  };
}

export interface ReleaseHoldRequest {
  readonly incident: string;
  readonly reason: string;
  readonly who: string;
}

export interface ReleaseHoldResult {
  readonly release: ReleaseRecord;
  /** True when the incident had been released before (a rerun): holds left over were lifted, nothing else. */
  readonly alreadyReleased: boolean;
  readonly versionsReleased: number;
  readonly auditKey: string | null;
}

export async function releaseHold(
  deps: Pick<HoldDeps, "store" | "clock">,
  request: ReleaseHoldRequest,
): Promise<ReleaseHoldResult> {
  const { store, clock } = deps;
  const incident = checkIncidentId(request.incident);
  const reason = checkReason(request.reason);
  const who = checkWho(request.who);
  const versions = await versionsOf(store, incidentPrefix(incident));
  if (!versions.some((v) => !v.isDeleteMarker)) {
    throw new HoldError(`no evidence for incident ${incident}`, "see `logsieve hold list`");
  }
  const lifted: { key: string; versionId: string }[] = [];
  for (const version of versions) {
    if (version.isDeleteMarker) continue;
    if ((await store.getLegalHold(version.key, version.versionId)) === "ON") {
      await store.putLegalHold(version.key, version.versionId, "OFF");
      lifted.push({ key: version.key, versionId: version.versionId });
    }
  }
  const existing = latestVersionId(versions, releaseKey(incident));
  if (existing !== null) {
    const bytes = await store.get(releaseKey(incident));
    if (bytes !== null) {
      const release = decodeRelease(bytes, releaseKey(incident));
      const { events } = await readAudit(store, { incident });
      const audited = events.some((e) => e.event === "hold-released");
      const auditKey = audited ? null : await appendAudit(store, clock.now(), releasedEvent(release));
      return { release, alreadyReleased: true, versionsReleased: lifted.length, auditKey };
    }
  }
  const releasedAt = clock.now();
  const release: ReleaseRecord = {
    format: "logsieve-evidence-release/1",
    incident,
    releasedAt: iso(releasedAt),
    releasedBy: who,
    reason,
    released: lifted,
  };
  await store.put(releaseKey(incident), encodeJson(release), { contentType: "application/json" });
  const auditKey = await appendAudit(store, releasedAt, releasedEvent(release));
  return { release, alreadyReleased: false, versionsReleased: lifted.length, auditKey };
}

function releasedEvent(release: ReleaseRecord): AuditEvent {
  return {
    event: "hold-released",
    at: release.releasedAt,
    by: release.releasedBy,
    incident: release.incident,
    reason: release.reason,
    versionsReleased: release.released.length,
  };
}

export type HoldStatus = "active" | "released" | "incomplete";

export interface HoldSummary {
  readonly incident: string;
  /** active: manifest, no release; released: waiting for the next sweep; incomplete: a create that stopped. */
  readonly status: HoldStatus;
  readonly createdAt: string | null;
  readonly createdBy: string | null;
  /** Without addresses (redacted): this is printed. */
  readonly reason: string | null;
  readonly selectionKind: "ip" | "prefix" | null;
  readonly records: number | null;
  readonly releasedAt: string | null;
  readonly releasedBy: string | null;
}

/** Every incident with evidence in the lake, in id order. */
export async function listHolds(deps: Pick<HoldDeps, "store">): Promise<HoldSummary[]> {
  const incidents = new Map<string, { manifest: boolean; release: boolean }>();
  for await (const version of deps.store.listVersions("evidence/incident=")) {
    const match = /^evidence\/incident=([^/]+)\/(.+)$/.exec(version.key);
    if (match === null) continue;
    const id = match[1] ?? "";
    const entry = incidents.get(id) ?? { manifest: false, release: false };
    if (version.isLatest && !version.isDeleteMarker) {
      if (match[2] === "manifest.json") entry.manifest = true;
      if (match[2] === "release.json") entry.release = true;
    }
    incidents.set(id, entry);
  }
  const summaries: HoldSummary[] = [];
  for (const [incident, entry] of [...incidents].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const manifest = entry.manifest ? await readManifest(deps.store, incident) : null;
    const release = entry.release ? await readRelease(deps.store, incident) : null;
    summaries.push({
      incident,
      status: release !== null ? "released" : manifest !== null ? "active" : "incomplete",
      createdAt: manifest?.createdAt ?? null,
      createdBy: manifest?.createdBy ?? null,
      reason: manifest === null ? null : redactAddresses(manifest.reason),
      selectionKind: manifest?.selection.kind ?? null,
      records: manifest?.records ?? null,
      releasedAt: release?.releasedAt ?? null,
      releasedBy: release?.releasedBy ?? null,
    });
  }
  return summaries;
}

async function readManifest(store: VersionedStore, incident: string): Promise<EvidenceManifest | null> {
  const bytes = await store.get(manifestKey(incident));
  return bytes === null ? null : decodeManifest(bytes, manifestKey(incident));
}

async function readRelease(store: VersionedStore, incident: string): Promise<ReleaseRecord | null> {
  const bytes = await store.get(releaseKey(incident));
  return bytes === null ? null : decodeRelease(bytes, releaseKey(incident));
}

export interface EvidenceObjectState {
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
  readonly legalHold: "ON" | "OFF";
  /** The object's SHA-256 matches the manifest: true/false; null for objects the manifest does not list. */
  readonly intact: boolean | null;
}

export interface HoldDetails {
  readonly summary: HoldSummary;
  readonly manifest: EvidenceManifest | null;
  readonly release: ReleaseRecord | null;
  readonly objects: readonly EvidenceObjectState[];
  readonly audit: readonly AuditEvent[];
}

/** One incident with its objects checked against the manifest's checksums, and its audit events. */
export async function showHold(
  deps: Pick<HoldDeps, "store" | "sha256">,
  incident: string,
): Promise<HoldDetails> {
  checkIncidentId(incident);
  const summary = (await listHolds(deps)).find((s) => s.incident === incident);
  const { events } = await readAudit(deps.store, { incident });
  if (summary === undefined) {
    if (events.length === 0) throw new HoldError(`no incident ${incident}`, "see `logsieve hold list`");
    // Swept after release: only the audit trail remains.
    return {
      summary: {
        incident,
        status: "released",
        createdAt: null,
        createdBy: null,
        reason: null,
        selectionKind: null,
        records: null,
        releasedAt: null,
        releasedBy: null,
      },
      manifest: null,
      release: null,
      objects: [],
      audit: events,
    };
  }
  const manifest = await readManifest(deps.store, incident);
  const release = await readRelease(deps.store, incident);
  const objects: EvidenceObjectState[] = [];
  for (const version of await versionsOf(deps.store, incidentPrefix(incident))) {
    if (version.isDeleteMarker) continue;
    const listed = manifest?.objects.find((o) => o.key === version.key && o.versionId === version.versionId);
    let intact: boolean | null = null;
    if (listed !== undefined && version.isLatest) {
      const bytes = await deps.store.get(version.key);
      intact = bytes !== null && deps.sha256(bytes) === listed.sha256;
    }
    objects.push({
      key: version.key,
      versionId: version.versionId,
      size: version.size,
      legalHold: await deps.store.getLegalHold(version.key, version.versionId),
      intact,
    });
  }
  return { summary, manifest, release, objects, audit: events };
}
