import type { Clock } from "../../ports/clock.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import {
  CHECKPOINTS_PREFIX,
  checkpointKey,
  decodeCheckpoint,
  encodeCheckpoint,
  lockKey,
  type StreamCheckpoint,
} from "./checkpoint.ts";

/**
 * Checkpoints and stream locks in the lake, through the ObjectStore port (a local folder or S3).
 *
 * The lock keeps two runs from reading the same stream at once (an overlapping cron job, two Lambda invocations for
 * two deliveries of one log): both would write the same object keys with different contents and one would delete
 * the other's parts as stale. It is an object created with `putIfAbsent` (a hard link locally, a conditional
 * write on S3), holding who took it and until when. A lock is taken over when its lease has run out, or sooner
 * when the wiring can tell its holder is gone (a process on this machine that no longer exists: `kill -9`).
 */

export interface LockHolder {
  /** Random per run: tells this run's lock from another's. */
  readonly owner: string;
  /** Where the holder runs (a host name locally, "aws-lambda" on AWS) and its process id: no personal data. */
  readonly host: string;
  readonly pid: number;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

export interface LockSettings {
  /** Random per process; each lock taken gets this plus a counter. */
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  /** How long a lock holds without being renewed (it is renewed at every checkpoint of `--follow`). */
  readonly leaseMs: number;
  /** Whether the holder still runs: false lets a lock of a killed process be taken over at once. */
  readonly isAlive?: (holder: LockHolder) => boolean | undefined;
  /**
   * Whether the holder is another reader of this very process (another thread's book: `logsieve ingest` reads
   * several files side by side, one book per thread). Such a lock is waited for, as one of this book's own is,
   * rather than refused: the holder finishes its batch and releases it. Unset (AWS): never.
   */
  readonly isThisProcess?: (holder: LockHolder) => boolean;
}

/** How often a lock held by another thread of this process is looked at again while it is waited for. */
const OWN_PROCESS_POLL_MS = 20;

/** Another run holds the stream: try again once it has finished (SQS redelivers; a person re-runs). */
export class StreamBusyError extends Error {
  constructor(
    readonly stream: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      `another logsieve run is reading this input (stream ${stream}${holder === null ? "" : `, process ${holder.pid} on ${holder.host} since ${new Date(holder.acquiredAt).toISOString()}`}); try again when it has finished`,
    );
    this.name = "StreamBusyError";
  }
}

export class StreamLock {
  constructor(
    private readonly book: CheckpointBook,
    readonly stream: string,
    private holder: LockHolder,
    private readonly done: () => void,
  ) {}

  /** Extends the lease (a long `--follow` session). */
  async renew(): Promise<void> {
    this.holder = await this.book.renewLock(this.stream, this.holder);
  }

  async release(): Promise<void> {
    try {
      await this.book.releaseLock(this.stream, this.holder);
    } finally {
      this.done();
    }
  }
}

export class CheckpointBook {
  /** Writes of one stream's checkpoint, in order (a batch intent and the final checkpoint never overtake). */
  private readonly writes = new Map<string, Promise<void>>();
  /**
   * Streams locked by this process, and when they are released: a second reader in the same process (two copies of
   * one S3 notification in one SQS batch, processed in parallel) waits its turn instead of failing.
   */
  private readonly heldHere = new Map<string, Promise<void>>();
  private locksTaken = 0;

  constructor(
    readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly lock: LockSettings,
  ) {}

  async get(stream: string): Promise<StreamCheckpoint | null> {
    const key = checkpointKey(stream);
    const bytes = await this.store.get(key);
    return bytes === null ? null : decodeCheckpoint(key, bytes);
  }

  /** Stores a checkpoint after every earlier write of the same stream has landed. */
  put(checkpoint: StreamCheckpoint): Promise<void> {
    const previous = this.writes.get(checkpoint.stream) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() =>
        this.store.put(checkpointKey(checkpoint.stream), encodeCheckpoint(checkpoint), {
          contentType: "application/json",
        }),
      );
    this.writes.set(checkpoint.stream, next);
    return next;
  }

  /**
   * Takes the stream's lock: waits while another reader of this process holds it (this book's or, with
   * `isThisProcess`, another thread's), throws StreamBusyError while another process does.
   */
  async acquire(stream: string): Promise<StreamLock> {
    for (let held = this.heldHere.get(stream); held !== undefined; held = this.heldHere.get(stream))
      await held;
    let release = (): void => undefined;
    this.heldHere.set(
      stream,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    const done = (): void => {
      this.heldHere.delete(stream);
      release();
    };
    try {
      const holder = await this.lockInStoreWaitingForThisProcess(stream);
      return new StreamLock(this, stream, holder, done);
    } catch (error) {
      done();
      throw error;
    }
  }

  private async lockInStoreWaitingForThisProcess(stream: string): Promise<LockHolder> {
    for (;;) {
      try {
        return await this.lockInStore(stream);
      } catch (error) {
        const holder = error instanceof StreamBusyError ? error.holder : null;
        if (holder === null || this.lock.isThisProcess?.(holder) !== true) throw error;
        await new Promise((resolve) => setTimeout(resolve, OWN_PROCESS_POLL_MS));
      }
    }
  }

  private async lockInStore(stream: string): Promise<LockHolder> {
    const owner = `${this.lock.owner}-${++this.locksTaken}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.now();
      const holder: LockHolder = {
        owner,
        host: this.lock.host,
        pid: this.lock.pid,
        acquiredAt: now,
        expiresAt: now + this.lock.leaseMs,
      };
      if (await this.createLock(stream, holder)) return holder;
      const current = await this.readHolder(stream);
      if (current === null) continue; // released meanwhile
      const gone = current.expiresAt <= now || this.lock.isAlive?.(current) === false;
      if (!gone) throw new StreamBusyError(stream, current);
      // A holder that is gone left its lock behind: remove it and try again (its unfinished batch, if any, is
      // redone by this run: see BatchIntent).
      await this.store.delete(lockKey(stream));
    }
    throw new StreamBusyError(stream, await this.readHolder(stream));
  }

  /**
   * Creates the lock object; true if this call created it. A create whose answer was lost (the store wrote it, the
   * caller got an error) is recognized by the owner it holds rather than taken for another run's lock.
   */
  private async createLock(stream: string, holder: LockHolder): Promise<boolean> {
    try {
      return await this.store.putIfAbsent(lockKey(stream), encodeHolder(holder), {
        contentType: "application/json",
      });
    } catch (error) {
      const current = await this.readHolder(stream).catch(() => null);
      if (current?.owner === holder.owner) return true;
      throw error;
    }
  }

  async renewLock(stream: string, holder: LockHolder): Promise<LockHolder> {
    const current = await this.readHolder(stream);
    if (current !== null && current.owner !== holder.owner) throw new StreamBusyError(stream, current);
    const renewed = { ...holder, expiresAt: this.clock.now() + this.lock.leaseMs };
    await this.store.put(lockKey(stream), encodeHolder(renewed), { contentType: "application/json" });
    return renewed;
  }

  /**
   * Removes every lock taken by the book whose settings' owner is `owner` (its locks are `owner-1`, `owner-2`, …):
   * for a reader that died outright — a worker thread of this process ended by the runtime, which releases nothing
   * — so that another reader of this process waiting for one of its streams (LockSettings.isThisProcess) takes it
   * now rather than when its lease runs out (an hour locally). The dead reader's unfinished batch is redone by the
   * next (see BatchIntent). Lists the checkpoints; returns the streams released.
   */
  async releaseLocksOf(owner: string): Promise<string[]> {
    const released: string[] = [];
    const locks: string[] = [];
    for await (const object of this.store.list(CHECKPOINTS_PREFIX)) {
      if (object.key.endsWith(".lock")) locks.push(object.key);
    }
    for (const key of locks) {
      const stream = key.slice(CHECKPOINTS_PREFIX.length, -".lock".length);
      const holder = await this.readHolder(stream);
      if (holder === null || !holder.owner.startsWith(`${owner}-`)) continue;
      await this.store.delete(key);
      released.push(stream);
    }
    return released;
  }

  async releaseLock(stream: string, holder: LockHolder): Promise<void> {
    const current = await this.readHolder(stream);
    if (current !== null && current.owner === holder.owner) await this.store.delete(lockKey(stream));
  }

  private async readHolder(stream: string): Promise<LockHolder | null> {
    const bytes = await this.store.get(lockKey(stream));
    if (bytes === null) return null;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<LockHolder>;
      if (
        typeof parsed.owner === "string" &&
        typeof parsed.host === "string" &&
        typeof parsed.pid === "number" &&
        typeof parsed.acquiredAt === "number" &&
        typeof parsed.expiresAt === "number"
      ) {
        return parsed as LockHolder;
      }
    } catch {
      // A damaged lock (a crash while it was written cannot leave one: puts are whole) is treated as expired.
    }
    return { owner: "", host: "?", pid: 0, acquiredAt: 0, expiresAt: 0 };
  }
}

function encodeHolder(holder: LockHolder): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(holder)}\n`);
}
