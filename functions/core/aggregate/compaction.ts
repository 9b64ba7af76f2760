/**
 * Compaction of one day of `events/`: the many small objects ingestion writes (one or more per input and day,
 * thousands a day with CloudFront) become one compacted object, so Athena opens few files.
 *
 * Ingestion names its objects `<inputId>-NNNN.parquet` and overwrites them when the same input is ingested
 * again. A compacted object must therefore stay keyed by input, or a re-ingested input would be counted twice
 * (once inside the compacted object, once in its new small object). So:
 *
 * - a compacted object `compacted-<digest>.parquet` comes with a manifest `_compacted-<digest>.json` listing, per
 *   input, the parts it replaced (key and SHA-256) and the contiguous row range holding their rows;
 *   `<digest>` derives from that list, so the same inputs with the same bytes always give the same name;
 * - a small object present next to a compacted one is newer truth for its input: when each of its parts equals, name
 *   and bytes, a part in the manifest (the same input delivered twice, or leftovers of a run that stopped while
 *   deleting) it is just removed; otherwise the input's rows in the compacted object are dropped and the new parts
 *   taken instead, in a new compacted object;
 * - the order of writes makes every crash recoverable by simply running again: the manifest is written first
 *   (hidden: names starting with `_` are ignored by Athena and by the `*.parquet` globs), then the compacted
 *   object becomes visible in one rename, then the objects it replaced are deleted (older compacted objects
 *   first, small objects last). Until those deletes finish, readers of `events/` may see rows twice; the
 *   aggregation job compacts before it computes rollups, so `stats/` never does.
 *
 * This module only plans; the adapter reads, hashes, writes and deletes.
 */

export const COMPACTED_PREFIX = "compacted-";
export const MANIFEST_PREFIX = "_compacted-";
/** Fewer loose objects than this, with no compacted object beside them, are left as they are. */
export const MIN_FILES_TO_COMPACT = 2;

export interface PartRef {
  /** The object's file name inside the partition, e.g. `3f2a...-0000.parquet`. */
  readonly name: string;
  readonly sha256: string;
}

export interface ManifestInput {
  readonly inputId: string;
  readonly parts: readonly PartRef[];
  /** First row of this input in the compacted object (0-based) and its number of rows. */
  readonly offset: number;
  readonly rows: number;
}

export interface CompactionManifest {
  readonly version: 1;
  readonly day: string;
  /** File name of the compacted object this manifest describes. */
  readonly file: string;
  readonly inputs: readonly ManifestInput[];
}

/** A small object as ingestion wrote it, with the digest of its bytes and its row count. */
export interface LooseObject {
  readonly name: string;
  readonly inputId: string;
  readonly part: number;
  readonly sha256: string;
  readonly rows: number;
}

export type EventsObjectKind =
  | { readonly kind: "loose"; readonly inputId: string; readonly part: number }
  | { readonly kind: "compacted"; readonly digest: string }
  | { readonly kind: "manifest"; readonly digest: string }
  | { readonly kind: "other" };

const LOOSE = /^(.+)-(\d{4,})\.parquet$/;
const COMPACTED = /^compacted-([0-9a-f]{16,64})\.parquet$/;
const MANIFEST = /^_compacted-([0-9a-f]{16,64})\.json$/;

/** What a file name inside an `events/dt=.../` partition is. */
export function classifyEventsObject(name: string): EventsObjectKind {
  const manifest = MANIFEST.exec(name);
  if (manifest !== null) return { kind: "manifest", digest: manifest[1] as string };
  const compacted = COMPACTED.exec(name);
  if (compacted !== null) return { kind: "compacted", digest: compacted[1] as string };
  if (name.startsWith("_") || name.startsWith(".") || !name.endsWith(".parquet")) return { kind: "other" };
  const loose = LOOSE.exec(name);
  if (loose !== null)
    return { kind: "loose", inputId: loose[1] as string, part: Number.parseInt(loose[2] as string, 10) };
  // A Parquet object named otherwise (copied in by hand): one input of its own.
  return { kind: "loose", inputId: name.slice(0, -".parquet".length), part: 0 };
}

export function compactedName(digest: string): string {
  return `${COMPACTED_PREFIX}${digest}.parquet`;
}

export function manifestName(digest: string): string {
  return `${MANIFEST_PREFIX}${digest}.json`;
}

/** Where the rows of one input come from in a rewrite: its small objects, or a range of a compacted object. */
export type RowSource =
  | { readonly kind: "loose"; readonly inputId: string; readonly parts: readonly LooseObject[] }
  | {
      readonly kind: "range";
      readonly inputId: string;
      readonly file: string;
      readonly offset: number;
      readonly rows: number;
      readonly parts: readonly PartRef[];
    };

export interface CompactionPlan {
  /**
   * `none`: nothing to do. `cleanup`: only delete objects already contained in the compacted object (and stray
   * manifests). `rewrite`: write a new compacted object from `sources`, then delete.
   */
  readonly action: "none" | "cleanup" | "rewrite";
  /** Inputs in the order their rows go into the new compacted object (by input id). */
  readonly sources: readonly RowSource[];
  /** The canonical text whose digest names the new compacted object (see {@link canonicalInputs}). */
  readonly canonical: string;
  /** Compacted objects and manifests to delete once the new object is in place (never the new one's own names). */
  readonly deleteCompacted: readonly string[];
  /** Small objects to delete last. */
  readonly deleteLoose: readonly string[];
  /** Manifests without their compacted object (a crash before the rename): deleted in every action. */
  readonly strayManifests: readonly string[];
}

/** The text a compacted object's name is the digest of: its inputs and their parts' bytes, in order. */
export function canonicalInputs(sources: readonly RowSource[]): string {
  return JSON.stringify(sources.map((s) => [s.inputId, s.parts.map((p) => [p.name, p.sha256])]));
}

/**
 * Decides what to do with a day's partition given its small objects and its compacted objects' manifests
 * (each manifest's `file` exists; `orphanManifests` are those whose object does not).
 */
export function planCompaction(
  loose: readonly LooseObject[],
  manifests: readonly CompactionManifest[],
  orphanManifests: readonly string[] = [],
): CompactionPlan {
  const looseByInput = new Map<string, LooseObject[]>();
  for (const object of loose) {
    const list = looseByInput.get(object.inputId) ?? [];
    list.push(object);
    looseByInput.set(object.inputId, list);
  }
  for (const list of looseByInput.values()) list.sort((a, b) => a.part - b.part);

  // Each input's rows in a compacted object; of two manifests naming one input (a rewrite interrupted before
  // the old object was deleted), the first by file name is taken: both were made from the same parts.
  const sortedManifests = [...manifests].sort((a, b) => compare(a.file, b.file));
  const inherited = new Map<string, RowSource & { kind: "range" }>();
  for (const manifest of sortedManifests) {
    for (const input of manifest.inputs) {
      if (!inherited.has(input.inputId)) {
        inherited.set(input.inputId, {
          kind: "range",
          inputId: input.inputId,
          file: manifest.file,
          ...pick(input),
        });
      }
    }
  }

  const duplicates: string[] = [];
  const sources: RowSource[] = [];
  let changed = false;
  const inputIds = new Set([...looseByInput.keys(), ...inherited.keys()]);
  for (const inputId of [...inputIds].sort(compare)) {
    const parts = looseByInput.get(inputId);
    const previous = inherited.get(inputId);
    if (parts === undefined) {
      if (previous !== undefined) sources.push(previous);
      continue;
    }
    if (previous !== undefined && alreadyCompacted(parts, previous.parts)) {
      // The same input delivered again, byte for byte, or parts a run left behind when it stopped while deleting
      // what it had folded in: their rows are already in the compacted object.
      duplicates.push(...parts.map((p) => p.name));
      sources.push(previous);
      continue;
    }
    changed = true;
    sources.push({ kind: "loose", inputId, parts });
  }

  const canonical = canonicalInputs(sources);
  const compactedFiles = sortedManifests.map((m) => m.file);
  const looseNames = loose.map((o) => o.name);
  const manifestFiles = (file: string): string[] => [
    file,
    `${MANIFEST_PREFIX}${file.slice(COMPACTED_PREFIX.length, -".parquet".length)}.json`,
  ];

  const needsRewrite =
    changed && (compactedFiles.length > 0 || looseNames.length - duplicates.length >= MIN_FILES_TO_COMPACT);
  if (needsRewrite || compactedFiles.length > 1) {
    return {
      action: "rewrite",
      sources,
      canonical,
      deleteCompacted: compactedFiles.flatMap(manifestFiles),
      deleteLoose: sources
        .flatMap((s) => (s.kind === "loose" ? s.parts.map((p) => p.name) : []))
        .concat(duplicates),
      strayManifests: orphanManifests,
    };
  }
  if (duplicates.length > 0 || orphanManifests.length > 0) {
    return {
      action: "cleanup",
      sources,
      canonical,
      deleteCompacted: [],
      deleteLoose: duplicates,
      strayManifests: orphanManifests,
    };
  }
  return { action: "none", sources, canonical, deleteCompacted: [], deleteLoose: [], strayManifests: [] };
}

function pick(input: ManifestInput): { offset: number; rows: number; parts: readonly PartRef[] } {
  return { offset: input.offset, rows: input.rows, parts: input.parts };
}

/** True when every small object is, name and bytes, one of the parts the manifest lists for its input. */
function alreadyCompacted(parts: readonly LooseObject[], refs: readonly PartRef[]): boolean {
  return parts.every((p) => refs.some((r) => r.name === p.name && r.sha256 === p.sha256));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The manifest of a new compacted object: each source's rows follow the previous source's. */
export function buildManifest(day: string, file: string, sources: readonly RowSource[]): CompactionManifest {
  let offset = 0;
  const inputs: ManifestInput[] = sources.map((source) => {
    const rows = source.kind === "range" ? source.rows : source.parts.reduce((sum, p) => sum + p.rows, 0);
    const parts = source.parts.map((p) => ({ name: p.name, sha256: p.sha256 }));
    const input = { inputId: source.inputId, parts, offset, rows };
    offset += rows;
    return input;
  });
  return { version: 1, day, file, inputs };
}

/** Reads a manifest's JSON, or null when it is not one (then it is treated like a missing manifest). */
export function parseManifest(text: string): CompactionManifest | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const m = raw as Partial<CompactionManifest>;
  if (
    m.version !== 1 ||
    typeof m.day !== "string" ||
    typeof m.file !== "string" ||
    !Array.isArray(m.inputs)
  ) {
    return null;
  }
  for (const input of m.inputs) {
    if (
      typeof input?.inputId !== "string" ||
      !Number.isSafeInteger(input.offset) ||
      !Number.isSafeInteger(input.rows) ||
      !Array.isArray(input.parts) ||
      !(input.parts as unknown[]).every(
        (p) =>
          typeof (p as PartRef | null)?.name === "string" &&
          typeof (p as PartRef | null)?.sha256 === "string",
      )
    ) {
      return null;
    }
  }
  return m as CompactionManifest;
}
