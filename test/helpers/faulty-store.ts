import { S3ObjectStoreError } from "../../functions/adapters/aws/s3-object-store.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "../../functions/ports/object-store.ts";

/**
 * An ObjectStore wrapper that injects storage faults at the port, by the number of the operation: the store
 * counts every call (put, putIfAbsent, get, list, delete) across its whole life, so a schedule can hit the first
 * attempt of an ingest or any retry of it.
 *
 * Fault kinds, each what a real store does to a caller:
 * - `fail`: the operation fails and changes nothing (an S3 500 InternalError, a local EIO).
 * - `throttle`: S3's 503 SlowDown for `count` consecutive operations, changing nothing.
 * - `landed`: the write reaches the store but the caller gets an error (the connection dropped before the
 *   answer; the SDK's timeout fired after S3 stored the object). Only writes can land; for reads it is `fail`.
 * - `hang`: the operation never answers: the invocation times out mid-batch and is abandoned (a Lambda timeout).
 *   `stalled` resolves so the harness can abandon the attempt; the hung write may still land later as a
 *   "zombie" (see {@link FaultyStore.releaseHung}). After a hang every later call of the abandoned attempt hangs
 *   too, as the frozen sandbox would, until {@link FaultyStore.reset} starts a new attempt.
 * - `list` faults may strike mid-listing (`afterItems`): S3 failing on the second page of a listing.
 *
 * Errors look like the S3 adapter's (S3ObjectStoreError with code and HTTP status) and carry no object body.
 */

export type FaultKind = "fail" | "throttle" | "landed" | "hang";

export interface Fault {
  /** 0-based number of the store operation this fault strikes. */
  readonly at: number;
  readonly kind: FaultKind;
  /** `throttle`: how many consecutive operations get 503 SlowDown (default 1). */
  readonly count?: number;
  /** `list` only: items yielded before the failure (default 0: fails before the first). */
  readonly afterItems?: number;
}

export type OperationName = "put" | "putIfAbsent" | "get" | "list" | "delete";

export interface OperationRecord {
  readonly n: number;
  readonly op: OperationName;
  readonly key: string;
  readonly outcome: "ok" | FaultKind;
}

interface HungWrite {
  readonly op: OperationName;
  readonly key: string;
  readonly apply: () => Promise<unknown>;
}

/** The errors a fault raises: what S3ObjectStore throws for the same answer from S3. */
export function faultError(kind: FaultKind, op: OperationName, key: string): Error {
  if (kind === "throttle") {
    return new S3ObjectStoreError(op, key, { code: "SlowDown", httpStatusCode: 503, requestId: "fault" });
  }
  if (kind === "landed") {
    return new S3ObjectStoreError(op, key, {
      code: "RequestTimeout",
      httpStatusCode: undefined,
      requestId: "fault",
    });
  }
  return new S3ObjectStoreError(op, key, { code: "InternalError", httpStatusCode: 500, requestId: "fault" });
}

export class FaultyStore implements ObjectStore {
  /** Operations called so far (the next one gets this number). */
  operations = 0;
  readonly log: OperationRecord[] = [];
  readonly injected: Record<FaultKind, number> = { fail: 0, throttle: 0, landed: 0, hang: 0 };
  private readonly faults = new Map<number, Fault>();
  private throttledLeft = 0;
  private frozen = false;
  private hung: HungWrite[] = [];
  private stallSignal: () => void = () => undefined;
  /** Resolves when an operation hangs (the attempt should then be abandoned). Renewed by {@link reset}. */
  stalled: Promise<void>;

  constructor(
    readonly inner: ObjectStore,
    schedule: readonly Fault[] = [],
  ) {
    for (const fault of schedule) this.faults.set(fault.at, fault);
    this.stalled = this.newStall();
  }

  /** A new attempt begins (a new invocation): calls are answered again. Hung writes stay pending. */
  reset(): void {
    this.frozen = false;
    this.throttledLeft = 0;
    this.stalled = this.newStall();
  }

  /** Hung writes not yet released. */
  get hungWrites(): readonly { op: OperationName; key: string }[] {
    return this.hung.map(({ op, key }) => ({ op, key }));
  }

  /** Lets the hung writes land now (`apply`: a zombie write from a timed-out invocation) or drops them. */
  async releaseHung(apply: boolean): Promise<void> {
    const hung = this.hung;
    this.hung = [];
    if (apply) for (const write of hung) await write.apply();
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    return this.write("put", key, () => this.inner.put(key, body, options));
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.write("putIfAbsent", key, () => this.inner.putIfAbsent(key, body, options));
  }

  delete(key: string): Promise<void> {
    return this.write("delete", key, () => this.inner.delete(key));
  }

  async get(key: string): Promise<Uint8Array | null> {
    const fault = this.next("get", key);
    if (fault === "hang") return this.hang();
    if (fault !== "ok") throw faultError(fault, "get", key);
    return this.inner.get(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const n = this.operations;
    const scheduled = this.faults.get(n);
    const fault = this.next("list", prefix);
    if (fault === "hang") {
      await this.hang();
      return;
    }
    // A read cannot land: a `landed` fault on a listing is a plain failure.
    const error = fault === "ok" ? null : faultError(fault === "landed" ? "fail" : fault, "list", prefix);
    const failAfter = error === null ? Number.POSITIVE_INFINITY : (scheduled?.afterItems ?? 0);
    let yielded = 0;
    for await (const info of this.inner.list(prefix)) {
      if (error !== null && yielded >= failAfter) throw error;
      yield info;
      yielded++;
    }
    if (error !== null) throw error;
  }

  private async write<T>(op: OperationName, key: string, apply: () => Promise<T>): Promise<T> {
    const fault = this.next(op, key);
    if (fault === "hang") {
      this.hung.push({ op, key, apply });
      return this.hang();
    }
    if (fault === "landed") {
      await apply();
      throw faultError("landed", op, key);
    }
    if (fault !== "ok") throw faultError(fault, op, key);
    return apply();
  }

  /** Numbers the operation and decides its fate. */
  private next(op: OperationName, key: string): "ok" | FaultKind {
    const n = this.operations++;
    let outcome: "ok" | FaultKind = "ok";
    const fault = this.faults.get(n);
    if (this.frozen) {
      // The attempt is stuck on an earlier call: whatever else it still calls hangs too (not a new fault).
      this.log.push({ n, op, key, outcome: "hang" });
      return "hang";
    }
    if (this.throttledLeft > 0) {
      this.throttledLeft--;
      outcome = "throttle";
    } else if (fault !== undefined) {
      outcome = fault.kind;
      if (fault.kind === "throttle") this.throttledLeft = Math.max(0, (fault.count ?? 1) - 1);
    }
    if (outcome !== "ok") this.injected[outcome]++;
    if (outcome === "hang") {
      this.frozen = true;
      this.stallSignal();
    }
    this.log.push({ n, op, key, outcome });
    return outcome;
  }

  private hang(): Promise<never> {
    return new Promise<never>(() => undefined);
  }

  private newStall(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.stallSignal = resolve;
    });
  }
}
