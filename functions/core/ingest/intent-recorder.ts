import type { RecordFormat } from "../types.ts";

/**
 * Records a batch's intent — the partitions it has started writing into — before the first object of each
 * partition lands (resume.ts; checkpoint.ts has the model). Every request resolves only once a stored intent names
 * its partition, so a kill at any moment leaves no object in a partition the intent does not name.
 *
 * Requests that arrive while a recording is being stored are gathered and stored together by the next one: one
 * write for however many partitions were asked for meanwhile; so are requests made by one run of code (a write
 * starts in a microtask, once the code that asked first has run on to its next wait). Shards of one batch ask at the same time from every
 * thread, and each write of the checkpoint (a put through the store: several steps on the main thread, an fsync)
 * took the main thread's turns between its own lines; stored one partition at a time, a worker's parts queued
 * behind them and the worker stood idle a third of its run (docs/BENCHMARKS.md, sixth round). The partitions
 * recorded are the same, in the order asked.
 *
 * A failed write fails the requests it carried (their parts are not stored); later requests try again.
 */
export function intentRecorder(
  recorded: readonly string[],
  write: (partitions: readonly string[], format: RecordFormat | null) => Promise<void>,
): (partition: string, format: RecordFormat | null) => Promise<void> {
  /** Partitions a stored intent names, in the order recorded. */
  let stored: readonly string[] = recorded;
  const storedSet = new Set(recorded);
  /** The requests waiting for the next write, and the promise that write settles. */
  let gathering: Gathered | null = null;
  /** The partitions of the write in flight (and its promise), so a repeated request waits for it. */
  const inFlight = new Map<string, Promise<void>>();
  let writing = false;
  let flushQueued = false;

  const flush = (): void => {
    const batch = gathering;
    if (batch === null || writing) return;
    gathering = null;
    writing = true;
    const partitions = [...stored, ...batch.partitions];
    for (const partition of batch.partitions) inFlight.set(partition, batch.done);
    write(partitions, batch.format).then(
      () => {
        stored = partitions;
        for (const partition of batch.partitions) storedSet.add(partition);
        settle(batch);
        batch.resolve();
      },
      (error: unknown) => {
        settle(batch);
        batch.reject(error);
      },
    );
  };
  const settle = (batch: Gathered): void => {
    for (const partition of batch.partitions) inFlight.delete(partition);
    writing = false;
    flush();
  };

  return (partition, format) => {
    if (storedSet.has(partition)) return Promise.resolve();
    const waiting = inFlight.get(partition);
    if (waiting !== undefined) return waiting;
    gathering ??= gather();
    if (!gathering.partitions.includes(partition)) gathering.partitions.push(partition);
    gathering.format = format;
    const done = gathering.done;
    // Started once the code that asked has run on to its next wait: what else it asks meanwhile shares the write.
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(() => {
        flushQueued = false;
        flush();
      });
    }
    return done;
  };
}

interface Gathered {
  readonly partitions: string[];
  /** The format of the latest request (every shard of a batch reads the same one). */
  format: RecordFormat | null;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function gather(): Gathered {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const done = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  // A request's caller may not be waiting yet when a write fails; the rejection is theirs to see, not unhandled.
  done.catch(() => undefined);
  return { partitions: [], format: null, done, resolve, reject };
}
