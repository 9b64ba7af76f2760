/**
 * Compaction of one day of `events/`: the many small objects ingestion writes (one or more per input and day,
 * thousands a day with CloudFront) become a few compacted objects, so Athena opens few files.
 *
 * Ingestion names its objects `<inputId>-NNNN.parquet` and overwrites them when the same input is ingested
 * again. A compacted object must therefore stay keyed by input, or a re-ingested input would be counted twice
 * (once inside the compacted object, once in its new small object). So:
 *
 * - a compacted object `compacted-<digest>.parquet` comes with a manifest `_compacted-<digest>.json` listing, per
 *   input, the parts it replaced (key and SHA-256) and the contiguous row range holding their rows;
 *   `<digest>` derives from that list, so the same inputs with the same bytes always give the same name. An input
 *   lives in one compacted object; a day has as many as its rows need ({@link MAX_ROWS_PER_COMPACTED} each,
 *   assigned by {@link planCompaction}), so a compactor that streams needs the same memory for any day;
 * - a small object present next to a compacted one is newer truth for its input: when each of its parts equals, name
 *   and bytes, a part in the manifest (the same input delivered twice, or leftovers of a run that stopped while
 *   deleting) it is just removed; otherwise the input's rows in the compacted object are dropped and the new parts
 *   taken instead, in a new compacted object (only the object that held the input is rewritten);
 * - the order of writes makes every crash recoverable by simply running again: each new object's manifest is
 *   written first (hidden: names starting with `_` are ignored by Athena and by the `*.parquet` globs), then the
 *   compacted object becomes visible in one step (a rename, a PutObject or a CompleteMultipartUpload); only when
 *   every new object of the plan is in place are the objects they replaced deleted (older compacted objects
 *   first, small objects last). Until those deletes finish, readers of `events/` may see rows twice; the
 *   aggregation job compacts before it computes rollups, so `stats/` never does.
 *
 * This module only plans; the adapters read, hash, write and delete.
 */

export const COMPACTED_PREFIX = "compacted-";
export const MANIFEST_PREFIX = "_compacted-";
/** Fewer loose objects than this, with no open compacted object beside them, are left as they are. */
export const MIN_FILES_TO_COMPACT = 2;
/**
 * Rows a compacted object is filled up to (about 33 MB of Parquet at the benchmark's 16.7 MB per million events):
 * a day of 11 M events becomes about six objects, and an input ingested again rewrites one of them.
 */
export const MAX_ROWS_PER_COMPACTED = 2_000_000;

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

/** One compacted object to write: its inputs' rows in input order. */
export interface CompactionTarget {
  readonly sources: readonly RowSource[];
  /** Rows the object will hold (the sum of its sources'). */
  readonly rows: number;
}

export interface CompactionPlan {
  /**
   * `none`: nothing to do. `cleanup`: only delete objects whose rows are all in a compacted object that stays
   * (small objects delivered again, a compacted object a rewrite replaced) and stray manifests. `rewrite`: write
   * the `targets`, then delete.
   */
  readonly action: "none" | "cleanup" | "rewrite";
  /** The compacted objects to write, in this order (empty unless `rewrite`). */
  readonly targets: readonly CompactionTarget[];
  /** Every target's sources, in the targets' order: the rows the rewrite reads. */
  readonly sources: readonly RowSource[];
  /**
   * Compacted objects and manifests to delete once the targets are in place (a target may bear the name of one of
   * them, when its inputs are exactly that object's: the adapter then keeps it).
   */
  readonly deleteCompacted: readonly string[];
  /** Small objects to delete last. */
  readonly deleteLoose: readonly string[];
  /** Manifests without their compacted object (a crash before the rename): deleted in every action. */
  readonly strayManifests: readonly string[];
}

export interface CompactionOptions {
  /** Rows a compacted object is filled up to; default {@link MAX_ROWS_PER_COMPACTED}. */
  readonly maxRowsPerObject?: number;
}

/** The text a compacted object's name is the digest of: its inputs and their parts' bytes, in order. */
export function canonicalInputs(sources: readonly RowSource[]): string {
  return JSON.stringify(sources.map((s) => [s.inputId, s.parts.map((p) => [p.name, p.sha256])]));
}

/** Rows of one input in a rewrite. */
export function sourceRows(source: RowSource): number {
  return source.kind === "range" ? source.rows : source.parts.reduce((sum, p) => sum + p.rows, 0);
}

/**
 * Decides what to do with a day's partition given its small objects and its compacted objects' manifests
 * (each manifest's `file` exists; `orphanManifests` are those whose object does not).
 *
 * A day may hold several compacted objects, each of at most `maxRowsPerObject` rows unless one input alone has
 * more; the rewrite streams, so that bound is not what keeps memory flat: it keeps a rewrite short, since an
 * object that needs no change is left as it is. Which objects a plan writes depends only on the partition's
 * listing (names, bytes, manifests), never on the order things were listed in, so a run that stopped and runs
 * again plans the same:
 *
 * - each input's rows come from one place: its small objects if they are new or other bytes, else the first
 *   compacted object (by name) whose manifest lists it;
 * - a compacted object is *clean* when every input it lists is taken from it; any other is *dirty* (an input
 *   ingested again, or a rewrite that stopped before deleting what it replaced) and is replaced: its remaining
 *   inputs are rewritten, it is deleted;
 * - clean objects of at least half the maximum are *sealed* and stay; smaller ones are *open*: folded into the
 *   rewrite when there is one (or when two are open), so hourly compaction fills one object instead of making
 *   one per hour;
 * - what is rewritten is packed in input order: an input of half the maximum or more gets an object of its own,
 *   smaller ones fill objects up to the maximum. Every object but the last of the small ones is thus more than
 *   half full (sealed next time), and a second pass finds nothing to merge;
 * - a single small object with nothing to fold it into (no open object) is left as it is.
 */
export function planCompaction(
  loose: readonly LooseObject[],
  manifests: readonly CompactionManifest[],
  orphanManifests: readonly string[] = [],
  options: CompactionOptions = {},
): CompactionPlan {
  const maxRows = options.maxRowsPerObject ?? MAX_ROWS_PER_COMPACTED;
  const looseByInput = new Map<string, LooseObject[]>();
  for (const object of loose) {
    const list = looseByInput.get(object.inputId) ?? [];
    list.push(object);
    looseByInput.set(object.inputId, list);
  }
  for (const list of looseByInput.values()) list.sort((a, b) => a.part - b.part || compare(a.name, b.name));

  // Each input's rows in a compacted object; of two manifests naming one input (a rewrite interrupted before
  // the old object was deleted), the first by file name is taken: the other is dirty and replaced.
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
  const chosen = new Map<string, RowSource>();
  const inputIds = new Set([...looseByInput.keys(), ...inherited.keys()]);
  for (const inputId of [...inputIds].sort(compare)) {
    const parts = looseByInput.get(inputId);
    const previous = inherited.get(inputId);
    if (parts === undefined) {
      if (previous !== undefined) chosen.set(inputId, previous);
      continue;
    }
    if (previous !== undefined && alreadyCompacted(parts, previous.parts)) {
      // The same input delivered again, byte for byte, or parts a run left behind when it stopped while deleting
      // what it had folded in: their rows are already in the compacted object.
      duplicates.push(...parts.map((p) => p.name));
      chosen.set(inputId, previous);
      continue;
    }
    chosen.set(inputId, { kind: "loose", inputId, parts });
  }

  const isClean = (m: CompactionManifest): boolean =>
    m.inputs.every((input) => {
      const source = chosen.get(input.inputId);
      return source?.kind === "range" && source.file === m.file;
    });
  const manifestRows = (m: CompactionManifest): number => m.inputs.reduce((sum, i) => sum + i.rows, 0);
  const dirty = sortedManifests.filter((m) => !isClean(m));
  const open = sortedManifests.filter((m) => isClean(m) && manifestRows(m) * 2 < maxRows);
  const dirtyFiles = new Set(dirty.map((m) => m.file));

  // What must be rewritten: new or changed inputs, and what dirty objects hold that is taken from them.
  const needed = [...chosen.values()].filter((s) => s.kind === "loose" || dirtyFiles.has(s.file));
  const looseParts = needed.reduce((sum, s) => sum + (s.kind === "loose" ? s.parts.length : 0), 0);
  const loneObject = dirty.length === 0 && open.length === 0 && looseParts < MIN_FILES_TO_COMPACT;
  const work = (needed.length > 0 || dirty.length > 0) && !loneObject;
  const merged = work || open.length >= 2 ? open : [];
  const mergedFiles = new Set(merged.map((m) => m.file));
  const fold = [...chosen.values()].filter((s) =>
    s.kind === "loose" ? work : (work && dirtyFiles.has(s.file)) || mergedFiles.has(s.file),
  );

  const manifestFiles = (file: string): string[] => [
    file,
    `${MANIFEST_PREFIX}${file.slice(COMPACTED_PREFIX.length, -".parquet".length)}.json`,
  ];
  const targets = packTargets(fold, maxRows);
  const deleteCompacted = [...dirty, ...merged]
    .map((m) => m.file)
    .sort(compare)
    .flatMap(manifestFiles);
  const deleteLoose = fold
    .flatMap((s) => (s.kind === "loose" ? s.parts.map((p) => p.name) : []))
    .concat(duplicates);
  const action =
    targets.length > 0
      ? "rewrite"
      : deleteCompacted.length > 0 || duplicates.length > 0 || orphanManifests.length > 0
        ? "cleanup"
        : "none";
  if (action === "none")
    return { action, targets, sources: [], deleteCompacted: [], deleteLoose: [], strayManifests: [] };
  return {
    action,
    targets,
    sources: targets.flatMap((t) => t.sources),
    deleteCompacted,
    deleteLoose: action === "rewrite" ? deleteLoose : duplicates,
    strayManifests: orphanManifests,
  };
}

/**
 * Sources (in input order) into compacted objects: one of its own for an input of at least half `maxRows`,
 * the others in order until the next would pass `maxRows`.
 */
function packTargets(sources: readonly RowSource[], maxRows: number): CompactionTarget[] {
  const targets: CompactionTarget[] = [];
  let current: RowSource[] = [];
  let currentRows = 0;
  const close = (): void => {
    if (current.length > 0) targets.push({ sources: current, rows: currentRows });
    current = [];
    currentRows = 0;
  };
  for (const source of sources) {
    const rows = sourceRows(source);
    if (rows * 2 >= maxRows) {
      targets.push({ sources: [source], rows });
      continue;
    }
    if (currentRows + rows > maxRows) close();
    current.push(source);
    currentRows += rows;
  }
  close();
  return targets;
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
    const rows = sourceRows(source);
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
