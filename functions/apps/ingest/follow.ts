import { type FileHandle, open, stat } from "node:fs/promises";
import { basename } from "node:path";
import { compressionOf } from "../../adapters/input/decompress.ts";
import { plainFileInput } from "../../adapters/input/resumable-input.ts";
import type { StreamLock } from "../../core/ingest/checkpoint-book.ts";
import {
  type ResolvedStream,
  type ResumableInput,
  type ResumableSummary,
  readBatch,
  resolveStream,
} from "../../core/ingest/resume.ts";
import type { FormatChoice } from "../../core/parse/index.ts";
import type { LocalLogsieve } from "./local.ts";

/**
 * `logsieve ingest --follow`: tails live logs like `tail -F` and writes what is complete in small batches.
 *
 * - Every `batchMs` (at most 10 s) each file is read from its stream's checkpoint to its last complete line, as one
 *   batch (a backlog in several, of at most `maxBatchBytes`): objects stored, then the checkpoint moved
 *   (core/ingest/resume.ts). A line waits at most `batchMs` plus the time to write it.
 * - Rotation: the file is followed through its open handle, so a rename (`access.log` → `access.log.1`) loses
 *   nothing: once the path names another file, the old one is still read for `rotationGraceMs` (the server may
 *   write to it until it reopens its log), then the new file is opened. A file cut back below what was read
 *   (copytruncate) is read again from its start as the new stream it is, and said so.
 * - `kill -9` at any moment loses and doubles nothing: a batch interrupted before its checkpoint moved is redone by
 *   the next run under the same object keys (the batch intent). SIGINT/SIGTERM stop after the batch being written
 *   and a last one with the lines complete by then — in a file rotated in during the grace too.
 * - Each followed stream's lock is held for the whole session (renewed at every batch): a second follower or an
 *   `ingest` of the same log waits for this one to end (or fails, from another process).
 */

export interface FollowSettings {
  readonly files: readonly string[];
  readonly format?: FormatChoice;
  readonly site?: string;
  /** Longest time between two batches of a file (≤ 10 s). */
  readonly batchMs: number;
  /** Content bytes per batch at most, so a backlog is written in several batches. */
  readonly maxBatchBytes?: number;
  /** How long a rotated file is still read once its path names another file. */
  readonly rotationGraceMs?: number;
}

export type FollowEvent =
  | { readonly kind: "batch"; readonly file: string; readonly summary: ResumableSummary }
  | {
      readonly kind: "following";
      readonly file: string;
      readonly stream: string;
      /** Where reading starts: the checkpoint's offset (0 for a new stream). */
      readonly offset: number;
      readonly lines: number;
    }
  | { readonly kind: "rotated"; readonly file: string }
  | { readonly kind: "truncated"; readonly file: string; readonly offset: number }
  | { readonly kind: "waiting"; readonly file: string; readonly why: WaitingWhy }
  | { readonly kind: "skipped"; readonly file: string; readonly why: string };

export type WaitingWhy = "missing" | "no complete line yet" | "the same log as another file followed here";

export interface FollowTotals {
  readonly batches: number;
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly dropped: number;
}

const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;
const DEFAULT_ROTATION_GRACE_MS = 5_000;

interface Followed {
  readonly path: string;
  readonly name: string;
  handle: FileHandle | null;
  device: number;
  inode: number;
  input: ResumableInput | null;
  stream: ResolvedStream | null;
  lock: StreamLock | null;
  /** When the path was first seen naming another file than the one followed; null while it names ours. */
  rotatedAt: number | null;
  /** Set when the file is not followed any more (compressed, not a regular file). */
  done: boolean;
  /** The last event that said why the file is waiting (said once, not at every tick). */
  waitingWhy: string | null;
  /** The file's size when it was last read to its end: nothing to do while it stays so. */
  readSize: number;
}

/** Follows the files until `stop` is aborted; reports every batch and every change of a file. */
export async function follow(
  logsieve: LocalLogsieve,
  settings: FollowSettings,
  report: (event: FollowEvent) => void,
  stop: AbortSignal,
): Promise<FollowTotals> {
  const files: Followed[] = settings.files.map((path) => ({
    path,
    name: basename(path),
    handle: null,
    device: 0,
    inode: 0,
    input: null,
    stream: null,
    lock: null,
    rotatedAt: null,
    done: false,
    waitingWhy: null,
    readSize: -1,
  }));
  const totals = { batches: 0, lines: 0, accepted: 0, rejected: 0, dropped: 0 };
  const following = new Set<string>();
  const context: StepContext = { logsieve, settings, report, totals, following };
  try {
    while (!stop.aborted) {
      for (const file of files) if (!file.done) await step(file, context, logsieve.clock.now());
      await sleep(settings.batchMs, stop);
    }
    // Stopping: a last batch each with the lines complete by now — of a rotated file, its rest and then the lines
    // of the file its path names now (no grace: nothing will be read after this).
    for (const file of files) {
      if (file.done) continue;
      await step(file, context, logsieve.clock.now(), true);
      if (file.handle === null && !file.done) await step(file, context, logsieve.clock.now(), true);
    }
  } finally {
    for (const file of files) await release(file, following);
  }
  return totals;
}

interface StepContext {
  readonly logsieve: LocalLogsieve;
  readonly settings: FollowSettings;
  readonly report: (event: FollowEvent) => void;
  readonly totals: { batches: number; lines: number; accepted: number; rejected: number; dropped: number };
  /** Streams followed in this session (a file given twice, or a copy, is followed once). */
  readonly following: Set<string>;
}

/**
 * One look at one file: open it, find its stream, write what is complete, notice rotation and truncation. `last`:
 * the follower is stopping, so a rotated file is let go at once (its rest is read first) instead of after the grace.
 */
async function step(file: Followed, context: StepContext, now: number, last = false): Promise<void> {
  const { logsieve, settings, report } = context;
  if (file.handle === null && !(await openFile(file, context))) return;
  const handle = file.handle as FileHandle;
  const input = file.input as ResumableInput;

  if (file.stream === null) {
    const head = await input.head();
    const resolved = head === null ? null : await resolveStream(input, head, logsieve.checkpoints);
    if (resolved === null) {
      waiting(file, "no complete line yet", report);
      return;
    }
    if (context.following.has(resolved.stream)) {
      // Another path given holds the same log (`--follow access.log access.log.1` between two rotations): it is
      // read there; this path is looked at again at the next step.
      waiting(file, "the same log as another file followed here", report);
      await release(file, context.following);
      return;
    }
    file.lock = await logsieve.checkpoints.acquire(resolved.stream);
    context.following.add(resolved.stream);
    file.stream = resolved;
    file.waitingWhy = null;
    const checkpoint = await logsieve.checkpoints.get(resolved.stream);
    report({
      kind: "following",
      file: file.name,
      stream: resolved.stream,
      offset: checkpoint?.offset ?? resolved.start.offset,
      lines: checkpoint?.lines ?? resolved.start.lines,
    });
  }

  // Write what is complete, a batch at a time.
  let grew = false;
  for (;;) {
    const stream = file.stream as ResolvedStream;
    const checkpoint = await logsieve.checkpoints.get(stream.stream);
    const offset = checkpoint?.offset ?? stream.start.offset;
    const size = (await handle.stat()).size;
    const head = await input.head();
    if (size < offset || head === null || (stream.level > 0 && head.idAt(stream.level) !== stream.stream)) {
      // Cut back below what was read (copytruncate) or rewritten: another stream now, read from its start.
      report({ kind: "truncated", file: file.name, offset });
      await releaseStream(file, context.following);
      return;
    }
    if ((size === offset || size === file.readSize) && checkpoint?.batch == null) break;
    const summary = await readBatch(
      input,
      head,
      { ...stream, checkpoint },
      {
        format: settings.format,
        site: settings.site,
        maxBatchBytes: settings.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      },
      logsieve.deps,
      logsieve.checkpoints,
    );
    await file.lock?.renew();
    const read = summary.resume.to - summary.resume.from;
    if (read > 0 || summary.resume.recovered) {
      grew = true;
      count(context.totals, summary);
      report({ kind: "batch", file: file.name, summary });
    }
    // Caught up: what is left is an unfinished line (or nothing).
    if (read === 0 || summary.resume.to + summary.resume.heldBytes >= size) {
      file.readSize = size;
      break;
    }
  }

  // Rotation: the path names another file (or none) — read the old one a little longer, then switch.
  const atPath = await stat(file.path).catch(() => null);
  const rotated = atPath === null || atPath.ino !== file.inode || atPath.dev !== file.device;
  if (!rotated) {
    file.rotatedAt = null;
    return;
  }
  if (file.rotatedAt === null) {
    file.rotatedAt = now;
    report({ kind: "rotated", file: file.name });
  }
  if (last || (!grew && now - file.rotatedAt >= (settings.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS))) {
    await release(file, context.following);
  }
}

/** Opens the file at the path; false when there is none yet (or it is not followed: compressed). */
async function openFile(file: Followed, context: StepContext): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, "r");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") {
      waiting(file, "missing", context.report);
      return false;
    }
    throw error;
  }
  const info = await handle.stat();
  const magic = new Uint8Array(4);
  const { bytesRead } = await handle.read(magic, 0, 4, 0);
  if (!info.isFile() || compressionOf(magic.subarray(0, bytesRead)) !== null) {
    await handle.close();
    file.done = true;
    context.report({
      kind: "skipped",
      file: file.name,
      why: info.isFile()
        ? "compressed: a finished log, nothing will be added (ingest it without --follow)"
        : "not a regular file",
    });
    return false;
  }
  file.handle = handle;
  file.device = info.dev;
  file.inode = info.ino;
  file.input = plainFileInput(handle, { maxLineBytes: context.logsieve.config.ingest.maxLineBytes });
  file.rotatedAt = null;
  return true;
}

function waiting(file: Followed, why: WaitingWhy, report: (event: FollowEvent) => void) {
  if (file.waitingWhy === why) return;
  file.waitingWhy = why;
  report({ kind: "waiting", file: file.name, why });
}

/** Lets go of the followed stream (its lock), keeping the file open (it is read again as another stream). */
async function releaseStream(file: Followed, following: Set<string>): Promise<void> {
  if (file.stream !== null) following.delete(file.stream.stream);
  const lock = file.lock;
  file.lock = null;
  file.stream = null;
  file.readSize = -1;
  await lock?.release();
}

/** Lets go of the stream and closes the file: the next step opens whatever the path names then. */
async function release(file: Followed, following: Set<string>): Promise<void> {
  await releaseStream(file, following);
  const handle = file.handle;
  file.handle = null;
  file.input = null;
  file.rotatedAt = null;
  await handle?.close();
}

function count(totals: StepContext["totals"], summary: ResumableSummary): void {
  totals.batches++;
  totals.lines += summary.lines;
  totals.accepted += summary.accepted;
  totals.rejected += summary.rejected.total;
  totals.dropped += summary.dropped.total;
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
    stop.addEventListener("abort", done, { once: true });
  });
}
