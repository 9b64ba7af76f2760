import { z } from "zod";

/**
 * The evidence bundle of one incident, `evidence/incident=<ID>/`:
 *   records.parquet  the matching security records (legal hold ON); on AWS Athena's UNLOAD writes them as
 *                    records/<name> objects instead, each under a legal hold
 *   manifest.json    who, when, why, the selection, and the SHA-256 of every object (legal hold ON)
 *   release.json     written by `hold release`: who, when, why (not held; it lets the sweeper finish the job)
 * The manifest is the registry of active holds: an incident with a manifest and no release record is active,
 * and the sweeper deletes nothing of it.
 */

export const INCIDENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class IncidentIdError extends Error {
  constructor() {
    super("an incident id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    this.name = "IncidentIdError";
  }
}

export function checkIncidentId(id: string): string {
  if (!INCIDENT_PATTERN.test(id)) throw new IncidentIdError();
  return id;
}

export const incidentPrefix = (incident: string): string => `evidence/incident=${checkIncidentId(incident)}/`;
export const recordsKey = (incident: string): string => `${incidentPrefix(incident)}records.parquet`;
/** Where an evidence source that writes the records itself (Athena's UNLOAD on AWS) puts its objects. */
export const recordsPrefix = (incident: string): string => `${incidentPrefix(incident)}records/`;
export const manifestKey = (incident: string): string => `${incidentPrefix(incident)}manifest.json`;
export const releaseKey = (incident: string): string => `${incidentPrefix(incident)}release.json`;

const evidenceObject = z.object({
  key: z.string(),
  versionId: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const sourceObject = z.object({
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

export const manifestSchema = z.object({
  format: z.literal("logsieve-evidence/1"),
  incident: z.string().regex(INCIDENT_PATTERN),
  createdAt: z.string(),
  createdBy: z.string(),
  reason: z.string(),
  selection: z.object({
    kind: z.enum(["ip", "prefix"]),
    value: z.string(),
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
  records: z.number().int().nonnegative(),
  /** How the objects are protected: an S3 Object Lock legal hold, or read-only files in the local lake. */
  protection: z.enum(["s3-object-lock-legal-hold", "local-read-only"]),
  objects: z.array(evidenceObject),
  /** The security objects the records were read from, as they were at that moment. */
  sources: z.array(sourceObject),
});

export type EvidenceManifest = z.output<typeof manifestSchema>;
export type EvidenceObject = z.output<typeof evidenceObject>;
export type SourceObject = z.output<typeof sourceObject>;

export const releaseSchema = z.object({
  format: z.literal("logsieve-evidence-release/1"),
  incident: z.string().regex(INCIDENT_PATTERN),
  releasedAt: z.string(),
  releasedBy: z.string(),
  reason: z.string(),
  /** Versions whose legal hold was lifted. */
  released: z.array(z.object({ key: z.string(), versionId: z.string() })),
});

export type ReleaseRecord = z.output<typeof releaseSchema>;

export class EvidenceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvidenceFormatError";
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
}

function decode<T>(schema: z.ZodType<T>, bytes: Uint8Array, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new EvidenceFormatError(`${what} is not valid JSON`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new EvidenceFormatError(
      `${what} is malformed (${first?.path.join(".") ?? "?"}: ${first?.message ?? "?"})`,
    );
  }
  return result.data;
}

export const decodeManifest = (bytes: Uint8Array, key: string): EvidenceManifest =>
  decode(manifestSchema, bytes, key);
export const decodeRelease = (bytes: Uint8Array, key: string): ReleaseRecord =>
  decode(releaseSchema, bytes, key);
